"""The plain-text tables, in the original's exact format."""

from memory_inventory.render_text import Quantity, render_table


def test_table_with_every_row_shown() -> None:
    table = render_table(
        ("type", "memory", "instances"),
        [("str", Quantity(1234567, 'B'), 12), ("int", Quantity(28, 'B'), 1)],
        (2, Quantity(1234595, 'B'), 13),
    )
    # As the original: widths come from the header, rows and totals; the
    # 'total' rule is centred in them (and overflows a 4-wide column).
    assert table == (
        "\n"
        "| type |      memory | instances |\n"
        "| ---- | ----------- | --------- |\n"
        "| str  | 1_234_567 B |        12 |\n"
        "| int  |        28 B |         1 |\n"
        "| total | ........... | ......... |\n"
        "|    2 | 1_234_595 B |        13 |\n"
    )


def test_table_naming_the_top_rows_and_percentages() -> None:
    rows = [(f"t{i}", Quantity(0.5, '%'), i) for i in range(3)]
    table = render_table(("class", "reduction", "n"), rows,
                         (3, 'NaN', 3), max_rows=2)
    lines = table.strip('\n').split('\n')
    assert lines[1] == "| top 2 | --------- | - |"
    assert lines[2] == "| t0    |     50.0% | 0 |"
    assert len(lines) == 6          # header, rule, 2 rows, dots, totals
    assert lines[4] == "| total | ......... | . |"
    assert lines[5] == "|     3 |       NaN | 3 |"


def test_no_rows_gives_nothing() -> None:
    assert render_table(("a",), [], (0,)) == ''
