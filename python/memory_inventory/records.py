"""An inventory as records of the format in native/records.h.

The collector rebuilds every report from these records alone, so they carry
what the reports print: names and reprs as text, counts, details."""

from __future__ import annotations

import os
import sys
import time

from .naming import qual_name

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .model import GCStats, Inventory, ProcessStats
    from .stdlib import ImportReport

FORMAT_VERSION = 1
MAGIC = 'memory_inventory'

HEADER, TYPE, MODULE, IMPORTS, PROCESS, GC = 1, 2, 3, 4, 5, 6
INVENTORY, TYPE_STATS, UNINSTANTIATED, DUPLICATE, END = 7, 8, 9, 10, 15
MOMENT_BEFORE, MOMENT_AFTER = 0, 1
TYPE_FLAG_EXCEPTION, TYPE_FLAG_HEAP = 1, 2
SCOPE_FINAL = 0

#: Reprs longer than this are cut (with a note) so that one huge value
#: cannot swell the recording; the reports show at most this much.
MAX_REPR = 64 * 1024

type Record = tuple[object, ...]

_HEAP_TYPE = 1 << 9


def header_record(argv: list[str] | None = None) -> Record:
    return (HEADER, MAGIC, FORMAT_VERSION, sys.version, os.getpid(),
            list(sys.argv if argv is None else argv), time.time(),
            time.monotonic(), [str(name) for name in list(sys.modules)])


def imports_record(report: ImportReport) -> Record:
    return (IMPORTS, report.imported, report.total, list(report.failed))


def process_record(moment: int, stats: ProcessStats) -> Record:
    return (PROCESS, moment, stats.user_seconds, stats.system_seconds,
            stats.rss_kib, stats.peak_rss_kib, stats.threads)


def gc_record(stats: GCStats) -> Record:
    return (GC, stats.tracked, stats.collected, stats.collections,
            stats.uncollectable)


def safe_repr(value: object) -> str:
    """repr(value), never raising, cut at MAX_REPR characters."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ inside a tuple, a huge int, ...
        if isinstance(value, int):
            text = f"<int of {value.bit_length()} bits>"
        else:
            text = object.__repr__(value)
    if len(text) > MAX_REPR:
        text = f"{text[:MAX_REPR]}… ({len(text) - MAX_REPR} more characters)"
    return text


class TypeIds:
    """Numbers types for the recording; yields each TYPE record once."""

    def __init__(self) -> None:
        self._ids: dict[type, int] = {}

    def __call__(self, cls: type, pending: list[Record]) -> int:
        known = self._ids.get(cls)
        if known is not None:
            return known
        type_id = self._ids[cls] = len(self._ids) + 1
        flags = (TYPE_FLAG_EXCEPTION if issubclass(cls, BaseException)
                 else 0)
        statics: list[str] = []
        static_bytes = 0
        if cls.__flags__ & _HEAP_TYPE:
            flags |= TYPE_FLAG_HEAP
            # Imported here: the tracer packs its TYPE records in C and
            # needs none of the model that slots.py brings.
            from .slots import static_attributes
            statics = static_attributes(cls)
            if statics:
                static_bytes = sys.getsizeof(dict.fromkeys(statics))
        pending.append((TYPE, type_id, qual_name(cls), type.__repr__(cls),
                        id(cls), flags, statics, static_bytes))
        return type_id


def inventory_records(inventory: Inventory, scope: int = SCOPE_FINAL,
                      type_ids: TypeIds | None = None) -> Iterator[Record]:
    """The INVENTORY record and those that belong to it, each preceded by
    the TYPE records it refers to."""
    ids = TypeIds() if type_ids is None else type_ids
    pending: list[Record] = []
    duplicate_ids = [ids(cls, pending) for cls in inventory.duplicate_types]
    yield from pending
    pending.clear()
    yield (INVENTORY, scope, inventory.objects, inventory.bytes,
           inventory.limit_reached, inventory.pending,
           inventory.walk_seconds, inventory.python_sizeof_calls,
           inventory.sizeof_fallbacks, duplicate_ids,
           inventory.objects_limit)
    for stats in inventory.types:
        type_id = ids(stats.type, pending)
        if pending:
            yield from pending
            pending.clear()
        yield (TYPE_STATS, scope, type_id, stats.instances, stats.bytes,
               stats.immortal, stats.interned, stats.refcounts,
               stats.addresses, stats.dict_instances, stats.dict_bytes,
               stats.attribute_names)
    unfound = [ids(cls, pending) for cls in inventory.uninstantiated_types]
    yield from pending
    pending.clear()
    yield (UNINSTANTIATED, scope, unfound)
    for duplicate in inventory.duplicates:
        type_id = ids(duplicate.type, pending)
        if pending:
            yield from pending
            pending.clear()
        yield (DUPLICATE, scope, type_id,
               safe_repr(duplicate.value), duplicate.size, duplicate.copies,
               duplicate.immortal, duplicate.interned, duplicate.refcounts,
               duplicate.addresses)


# Import tracing (records.h: IMPORT, RETAINED and the tracing scopes).

IMPORT, RETAINED = 16, 17
SCOPE_BASELINE = 4294967294
SCOPE_UNATTRIBUTED = 4294967295
IMPORT_OK, IMPORT_FAILED, IMPORT_NOT_FOUND = 0, 1, 2


def module_record(module_id: int, name: str) -> Record:
    return (MODULE, module_id, name)


def import_record(module_id: int, parent_id: int, thread_id: int,
                  started: float, find_seconds: float, total_seconds: float,
                  status: int, error: str | None) -> Record:
    return (IMPORT, module_id, parent_id, thread_id, started, find_seconds,
            total_seconds, status, error)


def retained_record(scope: int, objects: int, bytes_: int) -> Record:
    return (RETAINED, scope, objects, bytes_)
