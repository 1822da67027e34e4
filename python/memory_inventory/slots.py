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


def _entry(
    cls: type, stats: TypeStats | None, missing: dict[str, int],
) -> ClassLackingSlots | None:
    if stats is not None and stats.instances:
        if not stats.dict_bytes:
            return None
        dict_bytes = stats.dict_bytes
        savable = dict_bytes - len(missing) * SLOT_SIZE * stats.instances
    elif missing:
        dict_bytes = sys.getsizeof(dict.fromkeys(missing))
        savable = dict_bytes - len(missing) * SLOT_SIZE
    else:
        return None
    if savable <= 0:
        return None
    return ClassLackingSlots(
        type=cls,
        name=qual_name(cls),
        instances=stats.instances if stats else 0,
        dict_bytes=stats.dict_bytes if stats else 0,
        missing_slots=missing,
        savable_bytes=savable,
        reduction=savable / dict_bytes,
    )


def _ordered(
    entries: list[ClassLackingSlots],
) -> tuple[ClassLackingSlots, ...]:
    entries.sort(key=lambda c: (-c.savable_bytes, -c.reduction, c.name))
    return tuple(entries)


def instantiated_classes_lacking_slots(
    with_dicts: list[TypeStats],
) -> tuple[ClassLackingSlots, ...]:
    """Classes with instance dicts that slots would shrink, by savable
    memory, then reduction, descending, then name."""
    entries = []
    for stats in with_dicts:
        missing = dict.fromkeys(static_attributes(stats.type), 0)
        missing.update(stats.attribute_names)
        entry = _entry(stats.type, stats, missing)
        if entry is not None:
            entries.append(entry)
    return _ordered(entries)


def uninstantiated_classes_lacking_slots(
    classes: tuple[type, ...],
) -> tuple[ClassLackingSlots, ...]:
    """Classes without instances whose __static_attributes__ (3.13+) name
    attributes that would live in a dict; the savings are per instance."""
    entries = []
    for cls in classes:
        missing = dict.fromkeys(static_attributes(cls), 0)
        entry = _entry(cls, None, missing)
        if entry is not None:
            entries.append(entry)
    return _ordered(entries)
