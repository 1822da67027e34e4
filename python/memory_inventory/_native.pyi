# The C engine (native/module.c).

import os
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType, TracebackType
from typing import Literal, Self, final

# (type, instances, bytes, immortal, interned, refcounts, addresses,
#  dict_instances, dict_bytes, attribute_names)
type TypeRow = tuple[
    type, int, int, int, int, dict[int, int], list[int], int, int,
    dict[str, int],
]
# (type, value, copies, size, immortal, interned, refcounts, addresses)
type DuplicateRow = tuple[
    type, object, int, int, int, int, dict[int, int], list[int],
]

# (type, savable_bytes, duplicate_instances, values)
type DuplicateTotals = tuple[type, int, int, int]
# (TypeStats, DuplicateValue, type.__dict__['__module__']): with it,
# inventory() returns 'types' as a tuple of TypeStats (the types with
# instances, in the reports' order), 'uninstantiated_types' (tuple[type,
# ...], by name), 'duplicates' as a tuple of DuplicateValue and
# 'duplicate_totals' (tuple[DuplicateTotals, ...]); see
# native/inventory/result.h.
type Shaping = tuple[type[tuple[object, ...]], type[tuple[object, ...]],
                     object]

def inventory(
    roots: tuple[object, ...],
    skip_ids: tuple[int, ...],
    skip_types: tuple[type, ...],
    objects_limit: int,
    duplicate_types: tuple[type, ...],
    shaping: Shaping | None = None,
    /,
) -> dict[str, object]: ...
def object_size(obj: object, /) -> int | None: ...
# The object allocator in place (PYMEM_DOMAIN_OBJ): the addresses of its
# context, malloc, calloc, realloc and free; for tests of the free hook.
def object_allocator() -> tuple[int, int, int, int, int]: ...
def instance_dict_size(obj: object, /) -> int: ...
def has_instance_dict(obj: object, /) -> bool: ...
def gc_tracked() -> int: ...
def values_equal(a: object, b: object, /) -> bool: ...

# The writer of recordings (native/stream/, docs/writer.md).

type _Path = str | os.PathLike[str]

@final
class RecordWriter:
    def __new__(
        cls,
        *,
        spawn: list[str] | tuple[str, ...] | None = None,
        socket: _Path | None = None,
        path: _Path | None = None,
        buffer_bytes: int = ...,  # 64 MiB
    ) -> RecordWriter: ...
    # A record: its kind (int) first, then values that are None, bool, int
    # (64 bits), float, str, bytes, list, tuple or dict of such values, of
    # exactly these types (TypeError or ValueError otherwise).
    def write(self, record: tuple[object, ...] | list[object], /) -> bool: ...
    def close(self, timeout: float = 30.0) -> int | None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Literal[False]: ...
    @property
    def records(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def broken(self) -> bool: ...
    @property
    def pid(self) -> int | None: ...
    @property
    def closed(self) -> bool: ...

# Import tracing (native/trace/, native/inventory/walk.h).

# attribute() returns what inventory() returns; account() adds to it
#   'owners': {owner: (objects, bytes)}, what each owner still holds, and
#   'unattributed': list[TypeRow], the objects no owner holds (only types
#   with instances), so that the owners' totals and these rows add up to
#   'objects' and 'bytes' exactly.
type OwnerTotals = dict[int, tuple[int, int]]

@final
class AttributionTracker:
    def __new__(
        cls,
        skip_ids: tuple[int, ...],
        skip_types: tuple[type, ...],
        duplicate_types: tuple[type, ...],
    ) -> AttributionTracker: ...
    # owner: 0 to 2**32 - 1; 0 is, by convention, the baseline taken when
    # tracing starts. Walks what no earlier walk owns; owns what it finds.
    # A walk cut short by objects_limit leaves the rest to account().
    def attribute(
        self,
        owner: int,
        roots: tuple[object, ...],
        objects_limit: int = 0,
    ) -> dict[str, object]: ...
    def account(self, roots: tuple[object, ...], /) -> dict[str, object]: ...
    # attribute() and account() with their findings packed straight into
    # `writer` as records (None: attribute() without results). Both return
    # (objects, walk_seconds, pack_seconds).
    def attribute_records(
        self,
        owner: int,
        roots: tuple[object, ...],
        writer: RecordWriter | None,
        objects_limit: int = 0,
        before: tuple[tuple[object, ...], ...] = (),
        modules: dict[str, ModuleType] = ...,     # left out: not read
        importing: frozenset[str] = ...,
    ) -> tuple[int, float, float]: ...
    def account_records(
        self,
        roots: tuple[object, ...],
        writer: RecordWriter | None,
        objects_limit: int = 0,
    ) -> tuple[int, float, float]: ...
    def owner_of(self, obj: object, /) -> int | None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Literal[False]: ...
    # Addresses with an owner.
    @property
    def owned(self) -> int: ...
    # Owned objects whose block the allocator freed (owner forgotten).
    @property
    def freed(self) -> int: ...
    # 3.13: owned blocks a new object took without a free (free lists);
    # always 0 on 3.12, where such an object keeps the old owner.
    @property
    def recycled(self) -> int: ...
    # The memory of the owner map.
    @property
    def map_bytes(self) -> int: ...
    @property
    def closed(self) -> bool: ...

# The import hook of import tracing (native/trace/finder.h).

# on_import(name, parent, thread_id, started, find_seconds, total_seconds,
#           status, error): status 0 ok, 1 failed (error: "Type: message"),
#           2 not found; started is time.monotonic() when the import began.
type OnImport = Callable[
    [str, str | None, int, float, float, float, int, str | None], object
]

@final
class ImportHook:
    def __new__(cls, on_import: OnImport) -> ImportHook: ...
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None: ...
    @property
    def on_import(self) -> OnImport: ...
    # This thread's imports in progress, outermost first.
    @property
    def in_progress(self) -> tuple[str, ...]: ...
    # The imports in progress on every thread.
    @property
    def importing(self) -> frozenset[str]: ...

# spec.loader while the module's code runs: every attribute but
# create_module, exec_module and load_module (timed) is the real loader's.
@final
class ImportLoaderProxy: ...
