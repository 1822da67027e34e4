"""What every walk is given: the duplicate types and the tool's own objects.

Kept apart from engine.py, which brings the model (dataclasses, inspect,
typing) with it: the tracer needs only this, and every module it imports
before the traced program is baseline, missing from the program's tree."""

from __future__ import annotations

import sys

from .naming import qual_name

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_DUPLICATE_TYPES: frozenset[type] = frozenset(
    {bytes, complex, float, frozenset, int, str, tuple}
)
"""The types whose equal instances are reported, as in the original."""

SUPPORTED_DUPLICATE_TYPES: frozenset[type] = DEFAULT_DUPLICATE_TYPES | {
    bytearray, dict, list, set,
}

#: The walks count objects in 64 bits.
MAX_OBJECTS_LIMIT = 2 ** 64 - 1

_PACKAGE = __name__.rpartition('.')[0]


def own_object_ids() -> tuple[int, ...]:
    """The modules of this package and their namespaces: what only they
    reach is the tool's, not the program's."""
    ids = []
    for name, module in list(sys.modules.items()):
        if name == _PACKAGE or name.startswith(f'{_PACKAGE}.'):
            ids.append(id(module))
            ids.append(id(vars(module)))
    return tuple(ids)


def own_types() -> tuple[type, ...]:
    """The classes of the model (the results' named tuples and data
    classes), when it is imported: their instances are the tool's. Without
    the model loaded there are none."""
    model = sys.modules.get(f'{_PACKAGE}.model')
    if model is None:
        return ()
    return tuple(cls for cls in vars(model).values()
                 if isinstance(cls, type) and cls.__module__ == model.__name__)


def check_walk_options(duplicate_types: Iterable[type],
                       objects_limit: int) -> frozenset[type]:
    """The duplicate types as a set, once checked; ValueError for a type
    the engine cannot compare or a negative objects_limit."""
    types = frozenset(duplicate_types)
    unsupported = types - SUPPORTED_DUPLICATE_TYPES
    if unsupported:
        names = ', '.join(sorted(qual_name(t) for t in unsupported))
        raise ValueError(f"cannot detect duplicates of: {names}")
    if not 0 <= objects_limit <= MAX_OBJECTS_LIMIT:
        raise ValueError("objects_limit must be >= 0 (0: no limit) and "
                         f"at most {MAX_OBJECTS_LIMIT}")
    return types
