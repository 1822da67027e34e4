# The C engine (native/module.c).

import os
from types import TracebackType
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

def inventory(
    roots: tuple[object, ...],
    skip_ids: tuple[int, ...],
    skip_types: tuple[type, ...],
    objects_limit: int,
    duplicate_types: tuple[type, ...],
    /,
) -> dict[str, object]: ...
def object_size(obj: object, /) -> int | None: ...
def instance_dict_size(obj: object, /) -> int: ...
def has_instance_dict(obj: object, /) -> bool: ...
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
