"""python -m memory_inventory [module ...]: import, take stock, report.

The original's command line: with no module, (almost) the whole standard
library is imported first. The inventory streams to the collector, which
prints the summary and saves the full results."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .pipeline import SaveDir, default_save_dir, expand_save_dir, run_pipeline
from .stdlib import ImportReport, import_all_stdlib_modules
from .walk_options import MAX_OBJECTS_LIMIT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='python -m memory_inventory',
        description="Import the given modules (by default, almost the whole "
                    "standard library), then report on the global objects "
                    "in memory: the summary on standard output, the full "
                    "results in a directory.")
    parser.add_argument('--debug', action='store_true',
                        help="print the walk's own figures on stderr")
    parser.add_argument('--objects-limit', type=int, default=10_000_000,
                        help="stop the walk after this many objects "
                             "(0: no limit; default: %(default)s)")
    parser.add_argument('--save-dir',
                        help="where to save the full results (created if "
                             "missing, reused if it exists; {python_version}"
                             ", {isotime} and {tmpdir} are replaced); by "
                             "default a new directory named after the "
                             "modules")
    parser.add_argument('module_names', nargs='*', metavar='module_name')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.objects_limit <= MAX_OBJECTS_LIMIT:
        print(f"error: --objects-limit must be >= 0 and at most "
              f"{MAX_OBJECTS_LIMIT}", file=sys.stderr)
        return 2
    try:
        save_dir = (SaveDir(path=expand_save_dir(args.save_dir))
                    if args.save_dir
                    else default_save_dir(args.module_names))
    except (KeyError, IndexError, ValueError) as error:
        print(f"error: --save-dir {args.save_dir!r}: only the placeholders "
              "{python_version}, {isotime} and {tmpdir} are replaced "
              f"({error!r})", file=sys.stderr)
        return 2
    imports: ImportReport | None = None
    if not args.module_names:
        imports = import_all_stdlib_modules()
    for name in args.module_names:
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as error:
            print(f"error: cannot import {name!r}: "
                  f"{type(error).__name__}: {error}", file=sys.stderr)
            return 1
    return run_pipeline(save_dir, objects_limit=args.objects_limit,
                        imports=imports, debug=args.debug)


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
