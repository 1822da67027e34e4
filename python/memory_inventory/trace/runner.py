"""Runs a program as `python` would: a script, `-m module` or `-c code`.

The program sees the `sys.argv`, `sys.path[0]` and `__main__` that plain
`python` gives it: a fresh module `__main__` in `sys.modules` (with
`__name__ == '__main__'`, `__builtins__`, `__annotations__`, and for a
script its absolute `__file__` and a `SourceFileLoader`), and for `-m`
runpy's `_run_module_as_main`, which is what `python -m` calls.

`prepare()` does everything that can fail as a usage error (a script that
cannot be read or compiled is reported as python reports it) before
tracing starts; `Program.run()` then runs the code and returns how it
ended, as an `Outcome`, without letting anything escape."""

from __future__ import annotations

import builtins
import importlib.machinery
import importlib.util
import io
import linecache
import marshal
import os
import runpy
import sys
import types
import zipimport

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

type Kind = Literal['script', 'module', 'code']


class UsageError(Exception):
    """The program cannot be run at all (exit status 2, no traceback)."""


class Outcome:
    """How the program ended.

    `status`: the exit status python would give (None when the program
    was interrupted by a signal that we re-deliver once the report is
    made). `exception`: the uncaught exception (SystemExit apart), its
    traceback already cut to the program's own frames."""

    __slots__ = ('exception', 'status', 'system_exit')

    def __init__(self, status: int, exception: BaseException | None = None,
                 system_exit: SystemExit | None = None) -> None:
        self.status = status
        self.exception = exception
        self.system_exit = system_exit


class Terminated(SystemExit):
    """Raised in the main thread by our SIGTERM handler, so that the
    program's `finally` blocks run and the report is still made."""


type Loader = (importlib.machinery.SourceFileLoader
               | importlib.machinery.SourcelessFileLoader)


class Program:
    """What to run. (Not data classes, here and in cli.py and session.py:
    dataclasses, with inspect, ast, ... behind it, would be imported before
    the traced program, and missing from its import tree.)"""

    __slots__ = (
        'args',
        'code',
        'kind',
        'loader',
        'path0',
        'runs_main_of_path',
        'target',
    )

    def __init__(self, kind: Kind, target: str, args: list[str],
                 code: types.CodeType | None = None,
                 loader: Loader | None = None, path0: str | None = None,
                 runs_main_of_path: bool = False) -> None:
        self.kind = kind
        self.target = target    # the script's path, the module, the code
        self.args = args
        self.code = code
        self.loader = loader
        self.path0 = path0      # sys.path[0] for the program
        self.runs_main_of_path = runs_main_of_path  # a directory, a zip

    @property
    def name(self) -> str:
        """A short name for the save directory."""
        if self.kind == 'code':
            return 'c'
        if self.kind == 'module':
            return self.target
        base = os.path.basename(os.path.normpath(self.target))
        return base.removesuffix('.py') or 'script'

    def install(self) -> None:
        """Sets sys.argv, sys.path[0] and a fresh __main__ (the one python
        started with holds our own command line's globals)."""
        main = types.ModuleType('__main__')
        namespace = vars(main)
        namespace['__builtins__'] = builtins
        namespace['__annotations__'] = {}  # as python's own __main__
        if self.kind == 'script' and not self.runs_main_of_path:
            main.__file__ = _python_abspath(self.target)
            main.__cached__ = None  # type: ignore[attr-defined]
            main.__loader__ = self.loader
        elif self.kind == 'code':
            main.__loader__ = importlib.machinery.BuiltinImporter
        sys.modules['__main__'] = main
        if self.kind == 'module':
            # runpy replaces it with the module's path once found.
            sys.argv[:] = ['-m', *self.args]
        elif self.kind == 'code':
            sys.argv[:] = ['-c', *self.args]
        else:
            sys.argv[:] = [self.target, *self.args]
        if self.path0 is not None and not sys.flags.safe_path:
            if sys.path:
                sys.path[0] = self.path0
            else:
                sys.path.insert(0, self.path0)

    def run(self) -> Outcome:
        """Runs the program's code; never raises (BaseException included:
        what escapes it is the Outcome)."""
        try:
            self._execute()
        except SystemExit as error:
            if isinstance(error, Terminated):
                return Outcome(status=128 + 15, system_exit=error)
            return Outcome(status=exit_status(error), system_exit=error)
        except BaseException as error:
            error.__traceback__ = _program_frames(error.__traceback__)
            return Outcome(status=1, exception=error)
        return Outcome(status=0)

    def _execute(self) -> None:
        if self.kind == 'module' or self.runs_main_of_path:
            name = self.target if self.kind == 'module' else '__main__'
            # python -m: runpy finds the module (importing its parent
            # packages), sets argv[0] and runs it in __main__'s globals;
            # "No module named ..." is its SystemExit, as under python.
            # (private, but what python's main calls, since 2.x)
            run_module_as_main = vars(runpy)['_run_module_as_main']
            run_module_as_main(name, alter_argv=self.kind == 'module')
            return
        assert self.code is not None
        exec(self.code, sys.modules['__main__'].__dict__)


def _program_frames(
        traceback: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback from the first frame that is not ours (this file's):
    what python would print."""
    while traceback is not None and \
            traceback.tb_frame.f_code.co_filename == __file__:
        traceback = traceback.tb_next
    return traceback


def exit_status(error: SystemExit) -> int:
    """The status python exits with for an uncaught SystemExit; prints
    its message as python does (a code that is neither None nor an int
    is printed on stderr and gives 1)."""
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f'{code}\n')
        sys.stderr.flush()
    except Exception:
        pass
    return 1


def prepare(kind: Kind, target: str, args: list[str]) -> Program:
    """The program, ready to run; UsageError when it cannot be."""
    program = Program(kind, target, list(args))
    if kind == 'code':
        program.path0 = ''
        program.code = _compile(target, '<string>')
        # 3.13's python -c registers its source for tracebacks; so do we.
        register = getattr(linecache, '_register_code', None)
        if register is not None:
            register('<string>', target, '<string>')
    elif kind == 'module':
        if not target or target.startswith('.'):
            raise UsageError(f"relative module names not supported: "
                             f"{target!r}")
        program.path0 = os.getcwd()
    else:
        _prepare_script(program)
    return program


def _prepare_script(program: Program) -> None:
    path = program.target
    if os.path.isdir(path) or _is_zip(path):
        # python DIR or python FILE.zip: DIR's __main__ module, found on
        # sys.path[0] = DIR.
        program.runs_main_of_path = True
        program.path0 = _python_abspath(path)
        return
    try:
        with io.open_code(path) as stream:
            data = stream.read()
    except OSError as error:
        raise UsageError(f"can't open file {os.path.abspath(path)!r}: "
                         f"[Errno {error.errno}] {error.strerror}") from None
    program.path0 = os.path.dirname(os.path.realpath(path))
    absolute = _python_abspath(path)
    magic = importlib.util.MAGIC_NUMBER
    if data[:len(magic)] == magic:
        program.loader = importlib.machinery.SourcelessFileLoader(
            '__main__', absolute)
        try:
            code = marshal.loads(data[16:])
        except (EOFError, ValueError, TypeError) as error:
            raise UsageError(f"bad compiled file {path!r}: {error}") \
                from None
        if not isinstance(code, types.CodeType):
            raise UsageError(f"bad compiled file {path!r}: no code object")
        program.code = code
        return
    program.loader = importlib.machinery.SourceFileLoader('__main__',
                                                         absolute)
    program.code = _compile(data, absolute)


def _python_abspath(path: str) -> str:
    """As python makes the script's path absolute: joined to the current
    directory, not normalized ('./x.py' -> '/cwd/./x.py')."""
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def _compile(source: str | bytes, filename: str) -> types.CodeType:
    """As python compiles the main program; a SyntaxError is printed as
    python prints it and becomes exit status 1 (UsageError would say 2)."""
    return compile(source, filename, 'exec', dont_inherit=True)


def _is_zip(path: str) -> bool:
    """Whether python would run PATH as a zip application (zipimport is
    imported at start-up; zipfile would add a dozen modules)."""
    if not os.path.isfile(path):
        return False
    try:
        zipimport.zipimporter(path)
    except (zipimport.ZipImportError, OSError):
        return False
    return True
