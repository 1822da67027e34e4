"""The plain-text summary, column for column as the original prints it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import GCStats, Inventory, ProcessStats


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit: 'B' for bytes, '%' for a fraction."""

    value: float
    unit: str

    def __str__(self) -> str:
        if self.unit == '%':
            return f"{self.value:.1%}"
        return f"{self.value:_} {self.unit}"


type CellValue = Quantity | int | str


def _text(cell: CellValue) -> str:
    return f"{cell:_}" if isinstance(cell, int) else str(cell)


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[CellValue]],
    totals: Sequence[CellValue],
    max_rows: int = 15,
) -> str:
    """A Markdown-like table: header, rule (naming the top rows when some
    are left out), rows, dotted 'total' rule, totals. '' when no rows."""
    if not rows:
        return ''
    shown = [list(headers)]
    shown += [[_text(c) for c in row] for row in rows[:max_rows]]
    shown.append([_text(c) for c in totals])
    widths = [max(len(row[i]) for row in shown) for i in range(len(headers))]
    rule = [
        f"top {max_rows}".center(widths[0], '-') if len(rows) > max_rows
        else '-' * widths[0],
        *('-' * w for w in widths[1:]),
    ]
    dots = ['total'.center(widths[0], '.'), *('.' * w for w in widths[1:])]
    shown.insert(1, rule)
    shown.insert(len(shown) - 1, dots)
    last = len(shown) - 1
    lines = []
    for row_index, row in enumerate(shown):
        cells = [
            value.ljust(widths[i]) if i == 0 and row_index != last
            else value.rjust(widths[i])
            for i, value in enumerate(row)
        ]
        lines.append(f"| {' | '.join(cells)} |")
    return '\n' + '\n'.join(lines) + '\n'


def render_process_stats(stats: ProcessStats) -> str:
    total = stats.user_seconds + stats.system_seconds
    userland = stats.user_seconds / total if total else 0.0

    def kib(value: int | None) -> str:
        return '<unknown>' if value is None else f"{value} kB"

    return (
        f"Elapsed time: {total:.3f}s ({userland:.1%} in userland). "
        f"Resident memory: {kib(stats.rss_kib)} now, "
        f"{kib(stats.peak_rss_kib)} at peak. "
        f"Active threads: {stats.threads}."
    )


def render_gc_stats(stats: GCStats) -> str:
    return (
        f"The garbage collector is tracking {stats.tracked} objects and has "
        f"previously deleted {stats.collected} others in {stats.collections} "
        f"runs. It has found {stats.uncollectable} uncollectable objects."
    )


def types_table(inventory: Inventory, max_rows: int = 15) -> str:
    total_bytes = sum(s.bytes for s in inventory.types)
    total_instances = sum(s.instances for s in inventory.types)
    return render_table(
        ("type", "cumulated memory usage", "instances found",
         "average memory usage per instance"),
        [(s.name, Quantity(s.bytes, 'B'), s.instances,
          Quantity(s.bytes // s.instances, 'B')) for s in inventory.types],
        (len(inventory.types), Quantity(total_bytes, 'B'), total_instances,
         Quantity(total_bytes // total_instances if total_instances else 0,
                  'B')),
        max_rows,
    )


def duplicates_table(inventory: Inventory, max_rows: int = 15) -> str:
    summary = inventory.duplicate_summary
    return render_table(
        ("type", "savable memory", "duplicate instances"),
        [(s.name, Quantity(s.savable_bytes, 'B'), s.duplicate_instances)
         for s in summary],
        (len(summary), Quantity(sum(s.savable_bytes for s in summary), 'B'),
         sum(s.duplicate_instances for s in summary)),
        max_rows,
    )


def slots_table(inventory: Inventory, max_rows: int = 15) -> str:
    classes = inventory.classes_lacking_slots
    savable = sum(c.savable_bytes for c in classes)
    dict_bytes = sum(c.dict_bytes for c in classes)
    return render_table(
        ("class", "savable memory", "__dict__ memory usage",
         "memory reduction", "missing slots", "instances found"),
        [(c.name, Quantity(c.savable_bytes, 'B'), Quantity(c.dict_bytes, 'B'),
          Quantity(c.reduction, '%'), len(c.missing_slots), c.instances)
         for c in classes],
        (len(classes), Quantity(savable, 'B'), Quantity(dict_bytes, 'B'),
         Quantity(savable / dict_bytes, '%') if dict_bytes else 'NaN',
         sum(len(c.missing_slots) for c in classes),
         sum(c.instances for c in classes)),
        max_rows,
    )


def render_summary(inventory: Inventory) -> str:
    """The tables the original prints after its inventory."""
    return (
        f"Types by intrinsic memory usage:{types_table(inventory)}"
        "Uninstantiated types (excluding BaseException and its subclasses): "
        f"{len(inventory.uninstantiated_types)}\n"
        f"Duplicate objects by type:{duplicates_table(inventory) or ' none.'}"
        "Instantiated classes lacking slots:"
        f"{slots_table(inventory) or ' none.'}"
    )
