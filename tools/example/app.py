"""A small bookshop program, the example that `tools/run` traces.

    python app.py [--books N]

It imports its package `bookshop` (configuration, storage in SQLite,
prices in Decimal, mail and web helpers, and a catalogue that builds a
search index when it is imported: the memory culprit the import tree
shows), then prints a line about the catalogue."""

import bookshop
from bookshop import catalog, config


def main() -> int:
    settings = config.parse_arguments()
    shop = bookshop.open_shop(settings)
    cheapest = shop.cheapest()
    print(f"{settings.name}: {len(catalog.INDEX)} words indexed over "
          f"{catalog.BOOK_COUNT} books; cheapest: {cheapest}")
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
