"""Import tracing: what each import adds to the heap, as records.

    with Tracer('trace.msgpack'):
        import json

streams, into a `_native.RecordWriter` (or a new one writing to a path): a
HEADER; for each import event that reaches the import system, when it
ends, a MODULE record [import id, name] (every import event has its own
id, from 1: a module imported twice, by importlib.reload() or a retried
failed import, has two), its IMPORT record, then the INVENTORY (scope: the
import id) of the objects that import added and no earlier walk had
reached; at stop(), unless final_inventory=False, the final INVENTORY
(scope 0), one RETAINED record per scope (import ids, SCOPE_BASELINE for
what existed at start(), SCOPE_UNATTRIBUTED for what no walk had reached)
and the INVENTORY of scope SCOPE_UNATTRIBUTED. The RETAINED records add up
exactly to the final INVENTORY's objects and bytes.

The walk after an import starts from the modules of sys.modules that no
walk owns yet (imports still in progress apart) and the imported module
itself; it enters nothing an earlier walk owns, so what an
import stores into older objects (caches, registries, a reloaded module's
dict) is found only by the final walk, unattributed. The walks and their
records are C (AttributionTracker.attribute_records and
account_records): no Python object per type or per value."""

from __future__ import annotations

import builtins
import os
import sys
import time

from .. import _native
from ..records import IMPORT, MODULE, Record, header_record
from ..walk_options import (
    DEFAULT_DUPLICATE_TYPES,
    check_walk_options,
    own_object_ids,
    own_types,
)

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType
    from typing import Literal, Self

type ImportEvent = tuple[str, str | None, int, float, float, float, int,
                         str | None]

__all__ = ['Tracer']

#: The Tracers started and not stopped: what the child of a fork leaves.
_started: list[Tracer] = []


def _leave_in_forked_child() -> None:
    """In the child of os.fork() (multiprocessing's workers among them),
    every Tracer stops at once, without records: the child's imports are
    not the traced program's, and its records would go nowhere (the
    writer's thread stayed in the parent)."""
    for tracer in list(_started):
        tracer._leave_forked_child()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_leave_in_forked_child)


class Tracer:
    """Traces imports between start() and stop() (or as a context manager)
    into `output`: a RecordWriter (left open: its owner closes it) or a
    path (a RecordWriter(path=...) that stop() closes).

    `objects_limit` caps each walk after an import (0: no limit); what a
    capped walk leaves is found by the final walk, unattributed. With
    `final_inventory=False`, stop() writes no final inventory (nor
    RETAINED records).

    After start(): `import_names` maps every import id to its module's
    name, `module_ids` each name to the id of its latest import event,
    `events` lists the hook's events in the order they ended, and
    `timings` says where the time went (seconds; 'imports' counts)."""

    def __init__(
        self,
        output: _native.RecordWriter | str | os.PathLike[str],
        *,
        duplicate_types: Iterable[type] = DEFAULT_DUPLICATE_TYPES,
        objects_limit: int = 0,
        final_inventory: bool = True,
    ) -> None:
        self._duplicate_types = check_walk_options(duplicate_types,
                                                   objects_limit)
        self._output = output
        self._objects_limit = objects_limit
        self._final_inventory = final_inventory
        self._writer: _native.RecordWriter | None = None
        self._owns_writer = False
        self._hook: _native.ImportHook | None = None
        self._tracker: _native.AttributionTracker | None = None
        #: Import id -> module name, ids from 1 in the order given.
        self.import_names: dict[int, str] = {}
        #: Module name -> the id of its latest import event.
        self.module_ids: dict[str, int] = {}
        #: (thread id, name) -> the id given to an import still in
        #: progress, named as the parent of one that ended.
        self._in_progress: dict[tuple[int, str], int] = {}
        #: MODULE and IMPORT records, packed with the next walk's.
        self._pending: list[Record] = []
        self._queue: list[ImportEvent] = []
        self._busy = False
        #: The import events seen, in the order they ended.
        self.events: list[ImportEvent] = []
        #: True in the child of a fork made while tracing: stopped there.
        self.forked = False
        self.timings: dict[str, float] = dict.fromkeys(
            ('imports', 'start', 'callbacks', 'walks', 'packing', 'final',
             'final_walk', 'final_packing'), 0.0)

    # --- life cycle ---

    @property
    def active(self) -> bool:
        return self._hook is not None

    def start(self) -> None:
        if self._hook is not None:
            raise RuntimeError("the Tracer is already started")
        started = time.perf_counter()
        if isinstance(self._output, _native.RecordWriter):
            self._writer = self._output
            self._owns_writer = False
        else:
            self._writer = _native.RecordWriter(path=self._output)
            self._owns_writer = True
        self._writer.write(header_record())
        hook = _native.ImportHook(self._on_import)
        skip_types = (
            *own_types(), Tracer, _native.ImportHook,
            _native.ImportLoaderProxy, _native.AttributionTracker,
            _native.RecordWriter,
        )
        self._tracker = _native.AttributionTracker(
            (*own_object_ids(), id(hook), id(self)),
            skip_types, tuple(self._duplicate_types))
        self._tracker.attribute_records(0, (builtins, sys.modules), None)
        self._hook = hook
        sys.meta_path.insert(0, hook)
        _started.append(self)
        self.timings['start'] = time.perf_counter() - started

    def _leave_forked_child(self) -> None:
        """Stops in the child of a fork: the hook leaves sys.meta_path,
        the tracker its allocator hooks, and the writer is closed, which
        in a forked child only closes this process' copy of its pipe (the
        collector must not wait for the child to exit). stop() then does
        nothing."""
        hook, tracker, writer = self._hook, self._tracker, self._writer
        self._hook = self._tracker = None
        self.forked = True
        if self in _started:
            _started.remove(self)
        sys.meta_path[:] = [f for f in sys.meta_path if f is not hook]
        if tracker is not None:
            tracker.close()
        if writer is not None:
            writer.close()

    def stop(self) -> None:
        if self.forked:
            return      # in a forked child: stopped at the fork
        hook, tracker = self._hook, self._tracker
        if hook is None or tracker is None:
            raise RuntimeError("the Tracer is not started")
        if self in _started:
            _started.remove(self)
        self._hook = None
        try:
            sys.meta_path[:] = [f for f in sys.meta_path if f is not hook]
            self._drain()
            if self._final_inventory:
                self._final(tracker)
        finally:
            tracker.close()
            self._tracker = None
            if self._owns_writer and self._writer is not None:
                self._writer.close()

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

    # --- records ---

    def _new_id(self, name: str) -> int:
        import_id = len(self.import_names) + 1
        self.import_names[import_id] = name
        self._pending.append((MODULE, import_id, name))
        return import_id

    def _ending(self, thread_id: int, name: str) -> int:
        """The id of the import of `name` ending on `thread_id`: the one
        its children were given as their parent's, or a new one."""
        import_id = self._in_progress.pop((thread_id, name), 0)
        return import_id or self._new_id(name)

    def _parent(self, thread_id: int, name: str) -> int:
        """The id of `name`'s import in progress on `thread_id`, given
        now if it has none yet: its own event, later, takes it."""
        key = (thread_id, name)
        parent_id = self._in_progress.get(key)
        if parent_id is None:
            parent_id = self._in_progress[key] = self._new_id(name)
        return parent_id

    def _forget_in_progress(self, thread_id: int) -> None:
        """A top-level import of the thread ended: nothing is in progress
        there any more (an import whose spec importlib discarded never
        reports, and must not lend its id to a later one)."""
        for key in [k for k in self._in_progress if k[0] == thread_id]:
            del self._in_progress[key]

    def _on_import(self, name: str, parent: str | None, thread_id: int,
                   started: float, find_seconds: float,
                   total_seconds: float, status: int,
                   error: str | None) -> None:
        """The hook's callback: queued, then handled by whoever is not
        already handling one (a walk can run Python __sizeof__ code, which
        can import, or let another thread run)."""
        self._queue.append((name, parent, thread_id, started, find_seconds,
                            total_seconds, status, error))
        self._drain()

    def _drain(self) -> None:
        while self._queue and not self._busy:
            self._busy = True
            try:
                while self._queue:
                    self._handle(self._queue.pop(0))
            finally:
                self._busy = False

    def _handle(self, event: ImportEvent) -> None:
        (name, parent, thread_id, started, find_seconds, total_seconds,
         status, error) = event
        self.events.append(event)
        tracker, writer = self._tracker, self._writer
        if tracker is None or writer is None:
            return
        began = time.perf_counter()
        import_id = self._ending(thread_id, name)
        if parent is None:
            parent_id = 0
            if self._in_progress:
                self._forget_in_progress(thread_id)
        else:
            parent_id = self._parent(thread_id, parent)
        self.module_ids[name] = import_id
        pending = self._pending
        pending.append((IMPORT, import_id, parent_id, thread_id, started,
                        find_seconds, total_seconds, status, error))
        self._pending = []
        # Roots: the modules of sys.modules that no walk owns yet (new
        # ones, or a new object under an old name), imports in progress
        # apart, and the module just imported.
        modules = sys.modules
        module = modules.get(name)
        hook = self._hook
        try:
            _, walk_seconds, pack_seconds = tracker.attribute_records(
                import_id, () if module is None else (module,), writer,
                self._objects_limit, tuple(pending), modules,
                hook.importing if hook is not None else frozenset())
        except BaseException:
            # Nothing of the call stayed in the tracker's batch: its
            # MODULE and IMPORT records go with the next one, or later
            # records would name ids that no MODULE defines.
            self._pending[:0] = pending
            raise
        timings = self.timings
        timings['imports'] += 1
        timings['walks'] += walk_seconds
        timings['packing'] += pack_seconds
        timings['callbacks'] += time.perf_counter() - began

    def _final(self, tracker: _native.AttributionTracker) -> None:
        if self._writer is None:
            return
        began = time.perf_counter()
        _, walk_seconds, pack_seconds = tracker.account_records(
            (builtins, sys.modules), self._writer, self._objects_limit)
        self.timings['final_walk'] = walk_seconds
        self.timings['final_packing'] = pack_seconds
        self.timings['final'] = time.perf_counter() - began
