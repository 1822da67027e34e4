"""A tracing session: the collector, the writer and the Tracer together.

    from memory_inventory import trace

    with trace.tracing(save_dir='./trace-report', format='tree') as session:
        import json
    print(session.result.save_dir)

or `trace.start(...)` ... `trace.stop()`. The collector program is spawned
as `python -m memory_inventory` spawns it (`_native.RecordWriter(spawn=
...)`); when tracing stops it prints the report on stderr and saves the
full results (report.json with the import tree, report.txt, the HTML
pages, recording.msgpack) in the save directory."""

from __future__ import annotations

import os
import re
import sys

from .. import _native
from ..locations import collector_path, expand_save_dir
from .tracer import Tracer

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Literal, Self

type Format = Literal['tree', 'importtime', 'summary', 'none']
#: Format's values (tested to be those of Format).
FORMATS: tuple[str, ...] = ('tree', 'importtime', 'summary', 'none')

#: The largest count or size the collector and the walks take (64 bits).
MAX_COUNT = 2 ** 64 - 1

#: Seconds stop() waits for the collector to write the reports.
COLLECTOR_TIMEOUT = 600.0

_SIZE = re.compile(r'(\d+(?:\.\d*)?|\.\d+)\s*(?:([kmg])(?:ib)?|b)?',
                   re.IGNORECASE)
_UNITS = {'': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}


def parse_size(text: str) -> int:
    """Bytes from '2048', '100B', '64K', '1.5M', '1G', '10 MiB' (K, M, G:
    powers of 1024, as the collector's --min-size; case ignored);
    ValueError with a clear message otherwise."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a size: {text!r} (expected a number of "
                         "bytes, optionally followed by K, M or G)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or '').lower()])


def _new_directory(prefix: str) -> str:
    """A new directory (mode 0o700) in the current one, named `prefix`
    and random characters, as tempfile.mkdtemp() makes it; tempfile itself
    (shutil, random, ... behind it) would be imported before the traced
    program, and missing from its import tree. FileExistsError when 100
    names in a row are taken."""
    for _ in range(100):
        path = prefix + os.urandom(6).hex()
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return os.path.abspath(path)
    raise FileExistsError(f"no free directory name {prefix}...")


class TraceResult:
    """What a finished session produced.

    `save_dir`: where the results are (None with save=False).
    `collector_status`: the collector's exit status (0: complete, 2: the
    recording was incomplete, 1: it failed; negative: killed by that
    signal; None: it did not finish in time). `records` and `dropped`:
    the writer's counts; `complete`: status 0 and nothing dropped.

    A plain class, not a data class: dataclasses (and inspect, ast, ...
    behind it) would be imported before the traced program, and missing
    from its import tree."""

    __slots__ = ('collector_status', 'dropped', 'records', 'save_dir')

    def __init__(self, save_dir: str | None, collector_status: int | None,
                 records: int, dropped: int) -> None:
        self.save_dir = save_dir
        self.collector_status = collector_status
        self.records = records
        self.dropped = dropped

    def _fields(self) -> tuple[str | None, int | None, int, int]:
        return (self.save_dir, self.collector_status, self.records,
                self.dropped)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceResult):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (f"TraceResult(save_dir={self.save_dir!r}, "
                f"collector_status={self.collector_status!r}, "
                f"records={self.records!r}, dropped={self.dropped!r})")

    @property
    def complete(self) -> bool:
        return self.collector_status == 0 and self.dropped == 0


class TraceSession:
    """Traces the imports between start() and stop() (or inside `with`)
    and has the collector report them.

    save_dir: the directory for the full results (created with mode 0700
    if missing, reused if present; {python_version}, {isotime}, {tmpdir}
    are replaced); None: a new directory `./memory_inventory_trace_<name>_
    XXXXXX` made with mkdtemp. save=False saves nothing. format: what the
    collector prints on stderr ('tree': the import tree, 'importtime':
    lines in `python -X importtime`'s format with bytes, 'summary', or
    'none'); top and min_size narrow it. final_inventory=False skips the
    final full inventory (faster; an import then owns what it held right
    after it ran). objects_limit caps each walk after an import (0: none)."""

    def __init__(
        self,
        *,
        save_dir: str | os.PathLike[str] | None = None,
        save: bool = True,
        format: Format = 'tree',
        top: int | None = None,
        min_size: int | str | None = None,
        final_inventory: bool = True,
        objects_limit: int = 0,
        name: str = 'python',
    ) -> None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, "
                             f"not {format!r}")
        # The collector reads --top and --min-size as 64-bit numbers.
        if top is not None and not 0 <= top <= MAX_COUNT:
            raise ValueError(f"top must be >= 0 and at most {MAX_COUNT}")
        if isinstance(min_size, str):
            min_size = parse_size(min_size)
        if min_size is not None and not 0 <= min_size <= MAX_COUNT:
            raise ValueError(f"min_size must be >= 0 and at most "
                             f"{MAX_COUNT} bytes")
        if not 0 <= objects_limit <= MAX_COUNT:
            raise ValueError(f"objects_limit must be >= 0 and at most "
                             f"{MAX_COUNT}")
        if save and save_dir is not None:
            try:
                expand_save_dir(os.fspath(save_dir))
            except (KeyError, IndexError, ValueError) as error:
                raise ValueError(
                    f"save_dir {os.fspath(save_dir)!r}: only the "
                    "placeholders {python_version}, {isotime} and "
                    f"{{tmpdir}} are replaced ({error!r})") from None
        self.format: Format = format
        self.top = top
        self.min_size = min_size
        self.final_inventory = final_inventory
        self.objects_limit = objects_limit
        self.save = save
        self._save_dir_option = save_dir
        self._name = re.sub(r'[^\w.-]+', '_', name) or 'python'
        self.save_dir: str | None = None
        self.result: TraceResult | None = None
        #: True in the child of a fork made while tracing: stop() there
        #: makes no report (the parent does) and returns an empty result.
        self.forked = False
        self._writer: _native.RecordWriter | None = None
        self._tracer: Tracer | None = None

    @property
    def active(self) -> bool:
        return self._tracer is not None

    def collector_arguments(self) -> list[str]:
        """The collector's command line (save_dir must be decided)."""
        argv = [collector_path()]
        if self.save_dir is None:
            argv.append('--no-save')
        else:
            argv += ['--save-dir', self.save_dir]
        argv += ['--print', self.format, '--stderr']
        if self.top is not None:
            argv += ['--top', str(self.top)]
        if self.min_size is not None:
            argv += ['--min-size', str(self.min_size)]
        return argv

    def _decide_save_dir(self) -> None:
        if not self.save:
            self.save_dir = None
        elif self._save_dir_option is not None:
            self.save_dir = expand_save_dir(os.fspath(self._save_dir_option))
            # Made here, so that a path that cannot be a directory is
            # told before anything runs rather than by the collector
            # once the program has run untraced.
            os.makedirs(self.save_dir, mode=0o700, exist_ok=True)
            if not os.access(self.save_dir, os.W_OK | os.X_OK):
                raise PermissionError(f"cannot write in {self.save_dir}")
        else:
            # A new directory, never a fixed path (see SaveDir).
            self.save_dir = _new_directory(
                f'memory_inventory_trace_{self._name}_')

    def start(self) -> None:
        """Spawns the collector and starts tracing. OSError when the
        save directory cannot be made or the collector cannot be started
        (nothing is traced then)."""
        if self._tracer is not None:
            raise RuntimeError("this session is already tracing")
        self.result = None
        self._decide_save_dir()
        sys.stdout.flush()
        sys.stderr.flush()
        writer = _native.RecordWriter(spawn=self.collector_arguments())
        tracer = Tracer(writer, objects_limit=self.objects_limit,
                        final_inventory=self.final_inventory)
        try:
            tracer.start()
        except BaseException:
            writer.close()
            raise
        self._writer = writer
        self._tracer = tracer

    def stop(self) -> TraceResult:
        """Stops tracing, takes the final inventory, waits for the
        collector's report; returns where it is."""
        tracer, writer = self._tracer, self._writer
        if tracer is None or writer is None:
            raise RuntimeError("this session is not tracing")
        self._tracer = self._writer = None
        if tracer.forked:
            # The child of a fork made while tracing: the Tracer stopped
            # at the fork, the report is the parent's to make.
            self.forked = True
            self.result = TraceResult(None, None, 0, 0)
            return self.result
        try:
            tracer.stop()
        finally:
            # The program's buffered output before the report.
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            status = writer.close(timeout=COLLECTOR_TIMEOUT)
        self.result = TraceResult(self.save_dir, status, writer.records,
                                  writer.dropped)
        return self.result

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        self.stop()
        return False


_current: TraceSession | None = None


def start(
    *,
    save_dir: str | os.PathLike[str] | None = None,
    save: bool = True,
    format: Format = 'tree',
    top: int | None = None,
    min_size: int | str | None = None,
    final_inventory: bool = True,
    objects_limit: int = 0,
) -> TraceSession:
    """Starts tracing (one session at a time through start()/stop())."""
    global _current
    if _current is not None:
        raise RuntimeError("tracing is already started; call stop() first")
    session = TraceSession(save_dir=save_dir, save=save, format=format,
                           top=top, min_size=min_size,
                           final_inventory=final_inventory,
                           objects_limit=objects_limit)
    session.start()
    _current = session
    return session


def stop() -> TraceResult:
    """Stops what start() started; returns where the results are."""
    global _current
    session = _current
    if session is None:
        raise RuntimeError("tracing is not started")
    _current = None
    return session.stop()


def tracing(
    *,
    save_dir: str | os.PathLike[str] | None = None,
    save: bool = True,
    format: Format = 'tree',
    top: int | None = None,
    min_size: int | str | None = None,
    final_inventory: bool = True,
    objects_limit: int = 0,
) -> TraceSession:
    """A session to use with `with`: tracing runs inside the block;
    afterwards `session.result` says where the results are."""
    return TraceSession(save_dir=save_dir, save=save, format=format,
                        top=top, min_size=min_size,
                        final_inventory=final_inventory,
                        objects_limit=objects_limit)
