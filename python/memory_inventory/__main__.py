"""python -m memory_inventory [module ...]: import, take stock, summarise."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .engine import inventory
from .process import gc_stats, process_stats
from .render_text import render_gc_stats, render_process_stats, render_summary
from .stdlib import import_all_stdlib_modules


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m memory_inventory',
        description="Import the given modules (by default, almost the whole "
                    "standard library), then print statistics on the "
                    "global objects in memory.")
    parser.add_argument('--objects-limit', type=int, default=10_000_000,
                        help="stop the walk after this many objects "
                             "(0: no limit; default: %(default)s)")
    parser.add_argument('module_names', nargs='*', metavar='module_name')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.objects_limit < 0:
        print("error: --objects-limit must be >= 0", file=sys.stderr)
        return 2
    if not args.module_names:
        import_all_stdlib_modules()
    for name in args.module_names:
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as error:
            print(f"error: cannot import {name!r}: "
                  f"{type(error).__name__}: {error}", file=sys.stderr)
            return 1
    print(render_process_stats(process_stats()))
    print(render_gc_stats(gc_stats()))
    result = inventory(objects_limit=args.objects_limit)
    print(render_summary(result))
    if result.limit_reached:
        print(f"The walk stopped at the objects limit "
              f"({args.objects_limit}); {result.pending} objects were left "
              "unvisited.")
    print(render_process_stats(result.process))
    return 0


def run() -> int:
    """main(), quiet when the reader of stdout goes away (`| head`)."""
    try:
        return main()
    except BrokenPipeError:
        # Python would report the pipe again while flushing at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == '__main__':
    sys.exit(run())
