"""Settings from the command line, with logging set up."""

import argparse
import dataclasses
import logging

log = logging.getLogger('bookshop')


@dataclasses.dataclass(frozen=True)
class Settings:
    name: str = 'Bookshop'
    books: int = 100


def parse_arguments(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description='A small bookshop.')
    parser.add_argument('--name', default=Settings.name)
    parser.add_argument('--books', type=int, default=Settings.books)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return Settings(name=args.name, books=args.books)
