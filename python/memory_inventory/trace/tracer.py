"""Import tracing: what each import adds to the heap, as records.

    with Tracer('trace.msgpack'):
        import json

streams, into a `_native.RecordWriter` (or a new one writing to a path): a
HEADER; for each import that reaches the import system, when it ends, a
MODULE record the first time its name is seen, its IMPORT record, then the
INVENTORY (scope: the module id) of the objects that import added and no
earlier walk had reached; at stop(), the final INVENTORY (scope 0), one
RETAINED record per scope (module ids, SCOPE_BASELINE for what existed at
start(), SCOPE_UNATTRIBUTED for what no walk had reached) and the
INVENTORY of scope SCOPE_UNATTRIBUTED. The RETAINED records add up exactly
to the final INVENTORY's objects and bytes.

The walk after an import starts from the modules that appeared in
sys.modules since the last walk (imports still in progress apart) and the
imported module itself; it enters nothing an earlier walk owns, so what an
import stores into older objects (caches, registries, a reloaded module's
dict) is found only by the final walk, unattributed."""

from __future__ import annotations

import builtins
import os
import sys
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Literal, Self, cast

from .. import _native
from ..engine import (
    _OWN_TYPES,
    DEFAULT_DUPLICATE_TYPES,
    _own_object_ids,
    check_walk_options,
    shape_inventory,
)
from ..model import GCStats, Inventory, ProcessStats
from ..process import gc_stats, process_stats
from ..records import (
    SCOPE_BASELINE,
    SCOPE_FINAL,
    SCOPE_UNATTRIBUTED,
    Record,
    TypeIds,
    header_record,
    import_record,
    inventory_records,
    module_record,
    retained_record,
)

type ImportEvent = tuple[str, str | None, int, float, float, float, int,
                         str | None]

__all__ = ['Tracer']


class Tracer:
    """Traces imports between start() and stop() (or as a context manager)
    into `output`: a RecordWriter (left open: its owner closes it) or a
    path (a RecordWriter(path=...) that stop() closes).

    `objects_limit` caps each walk after an import (0: no limit); what a
    capped walk leaves is found by the final walk, unattributed."""

    def __init__(
        self,
        output: _native.RecordWriter | str | os.PathLike[str],
        *,
        duplicate_types: Iterable[type] = DEFAULT_DUPLICATE_TYPES,
        objects_limit: int = 0,
        final_inventory: bool = True,
    ) -> None:
        self._final_inventory = final_inventory
        self._duplicate_types = check_walk_options(duplicate_types,
                                                   objects_limit)
        self._output = output
        self._objects_limit = objects_limit
        self._writer: _native.RecordWriter | None = None
        self._owns_writer = False
        self._hook: _native.ImportHook | None = None
        self._tracker: _native.AttributionTracker | None = None
        self._type_ids = TypeIds()
        #: Module name -> module id (also the tracker's owner), from 1.
        self.module_ids: dict[str, int] = {}
        self._walked: set[str] = set()
        self._queue: list[ImportEvent] = []
        self._busy = False
        self._process: ProcessStats | None = None
        self._gc: GCStats | None = None
        #: The import events seen, in the order they ended.
        self.events: list[ImportEvent] = []

    # --- life cycle ---

    @property
    def active(self) -> bool:
        return self._hook is not None

    def start(self) -> None:
        if self._hook is not None:
            raise RuntimeError("the Tracer is already started")
        if isinstance(self._output, _native.RecordWriter):
            self._writer = self._output
            self._owns_writer = False
        else:
            self._writer = _native.RecordWriter(path=self._output)
            self._owns_writer = True
        self._write(header_record())
        hook = _native.ImportHook(self._on_import)
        skip_types = (
            *_OWN_TYPES, Tracer, TypeIds, _native.ImportHook,
            _native.ImportLoaderProxy, _native.AttributionTracker,
            _native.RecordWriter,
        )
        self._tracker = _native.AttributionTracker(
            (*_own_object_ids(), id(hook), id(self)),
            skip_types, tuple(self._duplicate_types))
        self._process = process_stats()
        self._gc = gc_stats()
        self._tracker.attribute(0, (builtins, sys.modules))
        self._walked = set(sys.modules)
        self._hook = hook
        sys.meta_path.insert(0, hook)

    def stop(self) -> None:
        hook, tracker = self._hook, self._tracker
        if hook is None or tracker is None:
            raise RuntimeError("the Tracer is not started")
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

    def _write(self, record: Record) -> None:
        if self._writer is not None:
            self._writer.write(record)

    def _module_id(self, name: str) -> int:
        module_id = self.module_ids.get(name)
        if module_id is None:
            module_id = self.module_ids[name] = len(self.module_ids) + 1
            self._write(module_record(module_id, name))
        return module_id

    def _shape(self, raw: dict[str, object], walk_seconds: float,
               rows_key: str = 'types') -> Inventory:
        assert self._process is not None and self._gc is not None
        return shape_inventory(
            raw, walk_seconds=walk_seconds,
            objects_limit=self._objects_limit,
            duplicate_types=self._duplicate_types,
            process=self._process, gc=self._gc, rows_key=rows_key)

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
        tracker = self._tracker
        if tracker is None:
            return
        module_id = self._module_id(name)
        parent_id = 0 if parent is None else self._module_id(parent)
        hook = self._hook
        importing = hook.importing if hook is not None else frozenset()
        roots: list[object] = []
        modules = sys.modules
        for other in list(modules):
            if other not in self._walked and other not in importing:
                self._walked.add(other)
                module = modules.get(other)
                if module is not None:
                    roots.append(module)
        module = modules.get(name)
        if module is not None:
            roots.append(module)
        walk_started = time.perf_counter()
        raw = tracker.attribute(module_id, tuple(roots),
                                objects_limit=self._objects_limit)
        walk_seconds = time.perf_counter() - walk_started
        self._write(import_record(module_id, parent_id, thread_id, started,
                                  find_seconds, total_seconds, status,
                                  error))
        for record in inventory_records(self._shape(raw, walk_seconds),
                                        module_id, self._type_ids):
            self._write(record)

    def _final(self, tracker: _native.AttributionTracker) -> None:
        walk_started = time.perf_counter()
        raw = tracker.account((builtins, sys.modules))
        walk_seconds = time.perf_counter() - walk_started
        self._process = process_stats()
        for record in inventory_records(self._shape(raw, walk_seconds),
                                        SCOPE_FINAL, self._type_ids):
            self._write(record)
        owners = cast('_native.OwnerTotals', raw['owners'])
        for owner, (objects, size) in sorted(owners.items()):
            scope = SCOPE_BASELINE if owner == 0 else owner
            self._write(retained_record(scope, objects, size))
        unattributed = self._shape(raw, 0.0, rows_key='unattributed')
        self._write(retained_record(SCOPE_UNATTRIBUTED,
                                    unattributed.objects,
                                    unattributed.bytes))
        for record in inventory_records(unattributed, SCOPE_UNATTRIBUTED,
                                        self._type_ids):
            self._write(record)
