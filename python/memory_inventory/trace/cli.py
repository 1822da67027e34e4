"""python -m memory_inventory.trace [options] (script | -m module | -c code)
[args]: runs a program as python would, tracing what each of its imports
adds to the heap; the collector prints the import tree on stderr and saves
the full results.

Our options come first; everything from the script, `-m module` or `-c
code` on belongs to the program. The exit status is the program's."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import types

from . import runner
from .session import FORMATS, MAX_COUNT, Format, TraceSession, parse_size

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

PROG = 'python -m memory_inventory.trace'
USAGE = (f'{PROG} [options] script.py [args ...]\n'
         f'       {PROG} [options] -m module [args ...]\n'
         f'       {PROG} [options] -c code [args ...]')

# Our options that take a value: the program starts after them.
_VALUE_OPTIONS = ('--save-dir', '--format', '--top', '--min-size',
                  '--objects-limit')


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an integer: {text!r}") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(
            f"must be >= 0 and at most {MAX_COUNT}, not {value}")
    return value


def _size(text: str) -> int:
    try:
        size = parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if size > MAX_COUNT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than {MAX_COUNT} bytes")
    return size


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG, usage=USAGE, allow_abbrev=False,
        description="Run a Python program as python would and trace what "
                    "each of its imports adds to memory: the import tree "
                    "is printed on stderr when the program ends (however "
                    "it ends), and the full results are saved in a "
                    "directory. The exit status is the program's.",
        epilog="Options after the script, -m module or -c code are the "
               "program's. Sizes take K, M or G (powers of 1024).")
    save = parser.add_mutually_exclusive_group()
    save.add_argument('--save-dir', metavar='DIR',
                      help="save the results in DIR (created with mode 0700 "
                           "if missing, reused if it exists); default: a new "
                           "directory ./memory_inventory_trace_<name>_XXXXXX")
    save.add_argument('--no-save', action='store_true',
                      help="save nothing, only print the report")
    parser.add_argument('--format', choices=FORMATS, default='tree',
                        help="the report on stderr: the import tree, "
                             "lines in python -X importtime's format with "
                             "bytes in place of microseconds, the summary, "
                             "or nothing (default: %(default)s)")
    parser.add_argument('--top', type=_non_negative, metavar='N',
                        help="show only the N largest imports")
    parser.add_argument('--min-size', type=_size, metavar='SIZE',
                        help="show only the imports of at least SIZE bytes "
                             "(cumulative)")
    parser.add_argument('--no-final-inventory', action='store_true',
                        help="skip the final full inventory: each import "
                             "then owns what it held right after it ran")
    parser.add_argument('--objects-limit', type=_non_negative, default=0,
                        metavar='N',
                        help="stop each walk after an import at N objects "
                             "(0: no limit; default: %(default)s)")
    return parser


class Command:
    """The parsed command line: our options, then the program."""

    __slots__ = ('args', 'kind', 'options', 'target')

    def __init__(self, options: argparse.Namespace, kind: runner.Kind,
                 target: str, args: list[str]) -> None:
        self.options = options
        self.kind = kind
        self.target = target
        self.args = args


def parse(argv: list[str]) -> Command:
    """Our options, then the program: exits 2 on a usage error."""
    parser = _parser()
    ours: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == '--':
            index += 1
            break
        if word in ('-m', '-c') or (word.startswith(('-m', '-c'))
                                    and not word.startswith('--')):
            break
        if not word.startswith('-') or word == '-':
            break
        ours.append(word)
        index += 1
        if word in _VALUE_OPTIONS and index < len(argv):
            ours.append(argv[index])
            index += 1
    options = parser.parse_args(ours)
    rest = argv[index:]
    if not rest:
        parser.error("no program given: a script, -m module or -c code")
    first = rest[0]
    kind: runner.Kind
    if first.startswith('-m') or first.startswith('-c'):
        kind = 'module' if first[1] == 'm' else 'code'
        if len(first) > 2:
            target, args = first[2:], rest[1:]
        elif len(rest) > 1:
            target, args = rest[1], rest[2:]
        else:
            parser.error(f"argument {first}: expected one argument")
    else:
        kind, target, args = 'script', first, rest[1:]
    return Command(options, kind, target, args)


def _print_exception(error: BaseException) -> None:
    """As python prints an uncaught exception: through sys.excepthook."""
    try:
        sys.excepthook(type(error), error, error.__traceback__)
    except BaseException:
        sys.__excepthook__(type(error), error, error.__traceback__)


def _redeliver(signal_number: int) -> NoReturn:
    """Dies of the signal the program would have died of."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal_number, signal.SIG_DFL)
    os.kill(os.getpid(), signal_number)
    raise SystemExit(128 + signal_number)  # not reached


# SIGTERMs received while the program was not running (held until the
# report is made); _program_running is true only while it runs.
_held_signals: list[int] = []
_program_running = False


def _on_sigterm(signal_number: int, frame: types.FrameType | None) -> None:
    if _program_running:
        raise runner.Terminated(128 + signal_number)
    _held_signals.append(signal_number)


def main(argv: list[str] | None = None) -> int:
    command = parse(sys.argv[1:] if argv is None else argv)
    options = command.options
    try:
        program = runner.prepare(command.kind, command.target, command.args)
    except runner.UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except SyntaxError as error:
        error.__traceback__ = None
        _print_exception(error)
        return 1
    format_: Format = options.format
    try:
        session = TraceSession(
            save_dir=options.save_dir, save=not options.no_save,
            format=format_, top=options.top, min_size=options.min_size,
            final_inventory=not options.no_final_inventory,
            objects_limit=options.objects_limit, name=program.name)
    except ValueError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2

    # SIGTERM: the program's finally blocks run and the report is made,
    # then we die of SIGTERM as python would have (if the program has not
    # set a handler of its own).
    terminate_handled = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if terminate_handled:
        signal.signal(signal.SIGTERM, _on_sigterm)
    program.install()
    try:
        session.start()
    except OSError as error:
        print(f"{PROG}: error: cannot start tracing: {error}",
              file=sys.stderr)
        return 1
    global _program_running
    _program_running = True
    try:
        outcome = program.run()
    finally:
        _program_running = False
    if outcome.exception is not None:
        _print_exception(outcome.exception)
    result = session.stop()
    if session.forked:
        # A child the program forked, ending: silent, as without us.
        return outcome.status
    if result.collector_status is None or result.collector_status < 0:
        print(f"{PROG}: the collector did not finish its report "
              f"(status {result.collector_status})", file=sys.stderr)
    elif result.collector_status == 1:
        print(f"{PROG}: the collector failed (status 1): its messages "
              "above say why", file=sys.stderr)
    if isinstance(outcome.system_exit, runner.Terminated) or _held_signals:
        _redeliver(signal.SIGTERM)
    if isinstance(outcome.exception, KeyboardInterrupt):
        # python exits by SIGINT after an uncaught KeyboardInterrupt; it
        # does so for the one that leaves runpy: raise it again, printed
        # already (the hook is ours now, the program has ended).
        sys.excepthook = lambda *args: None
        raise outcome.exception
    return outcome.status
