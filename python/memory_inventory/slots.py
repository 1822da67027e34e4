"""Classes lacking __slots__, and what slots would save.

The estimates follow the original memory_inventory: the memory of the
instance dicts, minus one slot per attribute name seen for each instance."""

import sys

from .model import ClassLackingSlots, TypeStats
from .naming import qual_name


def _slot_size() -> int:
    empty = type('Empty', (), {'__slots__': ()})
    one = type('One', (), {'__slots__': ('x',)})
    return sys.getsizeof(one()) - sys.getsizeof(empty())


SLOT_SIZE = _slot_size()


def static_attributes(cls: type) -> list[str]:
    """Names assigned through self in the class body's methods (3.13+),
    mangled as Python does, leaving out those the class already serves
    through a descriptor (a slot, a property, ...)."""
    names = cls.__dict__.get('__static_attributes__', ())
    if not isinstance(names, tuple):
        return []
    found = []
    for name in names:
        if not isinstance(name, str):
            continue
        if name.startswith('__') and not name.endswith('__'):
            name = f"_{cls.__name__.lstrip('_')}{name}"
        attribute = cls.__dict__.get(name)
        if attribute is None or not hasattr(type(attribute), '__get__'):
            found.append(name)
    return found


def _estimate(
    stats: TypeStats | None, cls: type, missing: dict[str, int],
) -> tuple[int, float]:
    if stats is not None and stats.instances:
        if not stats.dict_bytes:
            return 0, 0.0
        savable = stats.dict_bytes - len(missing) * SLOT_SIZE * stats.instances
        return savable, savable / stats.dict_bytes
    if not missing:
        return 0, 0.0
    dict_bytes = sys.getsizeof(dict.fromkeys(missing))
    savable = dict_bytes - len(missing) * SLOT_SIZE
    return savable, savable / dict_bytes


def classes_lacking_slots(
    stats_by_type: dict[type, TypeStats], known_types: list[type],
) -> tuple[tuple[ClassLackingSlots, ...], tuple[ClassLackingSlots, ...]]:
    """(instantiated, uninstantiated) classes that slots would shrink, by
    savable memory, then reduction, descending, then name."""
    instantiated: list[ClassLackingSlots] = []
    uninstantiated: list[ClassLackingSlots] = []
    for cls in known_types:
        stats = stats_by_type.get(cls)
        missing = dict.fromkeys(static_attributes(cls), 0)
        if stats is not None:
            missing.update(stats.attribute_names)
        savable, reduction = _estimate(stats, cls, missing)
        if reduction <= 0:
            continue
        entry = ClassLackingSlots(
            type=cls,
            name=qual_name(cls),
            instances=stats.instances if stats else 0,
            dict_bytes=stats.dict_bytes if stats else 0,
            missing_slots=missing,
            savable_bytes=savable,
            reduction=reduction,
        )
        (instantiated if entry.instances else uninstantiated).append(entry)
    order = lambda c: (-c.savable_bytes, -c.reduction, c.name)  # noqa: E731
    instantiated.sort(key=order)
    uninstantiated.sort(key=order)
    return tuple(instantiated), tuple(uninstantiated)
