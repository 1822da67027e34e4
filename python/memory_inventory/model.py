"""The results of an inventory, as plain typed Python objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .naming import qual_name


class TypeStats(NamedTuple):
    """What the walk found of one type.

    A named tuple in the order the engine produces its rows, so that
    shaping thousands of them costs next to nothing."""

    type: type
    instances: int
    bytes: int
    #: Instances whose reference count is immortal (not in `refcounts`).
    immortal: int
    #: For str: instances that are interned.
    interned: int
    #: Reference count -> number of instances with it.
    refcounts: dict[int, int]
    #: The lowest and highest instance addresses, ascending (all of them
    #: when there are at most ten instances).
    addresses: list[int]
    #: Instances with a non-empty instance __dict__, and what those dicts
    #: occupy (sys.getsizeof, whether or not the dict was materialised).
    dict_instances: int
    dict_bytes: int
    #: Attribute name -> instances whose __dict__ holds it.
    attribute_names: dict[str, int]

    @property
    def name(self) -> str:
        return qual_name(self.type)


class DuplicateValue(NamedTuple):
    """Several objects of one type holding an equal value."""

    type: type
    value: object
    copies: int
    size: int
    immortal: int
    interned: int
    refcounts: dict[int, int]
    addresses: list[int]

    @property
    def savable_bytes(self) -> int:
        """Memory freed if the copies were one object."""
        return self.size * (self.copies - 1)


@dataclass(frozen=True, slots=True)
class DuplicateSummary:
    """Duplicates of one type, all values together."""

    type: type
    name: str
    savable_bytes: int
    #: Copies beyond the first of each value.
    duplicate_instances: int
    values: int


@dataclass(frozen=True, slots=True)
class ClassLackingSlots:
    """A class whose instances keep attributes in a __dict__."""

    type: type
    name: str
    instances: int
    dict_bytes: int
    #: Attribute name -> instances holding it (0: only known from
    #: __static_attributes__).
    missing_slots: dict[str, int]
    savable_bytes: int
    reduction: float


@dataclass(frozen=True, slots=True)
class ProcessStats:
    user_seconds: float
    system_seconds: float
    #: Resident memory now and at peak, in KiB (None where unknown).
    rss_kib: int | None
    peak_rss_kib: int | None
    threads: int


@dataclass(frozen=True, slots=True)
class GCStats:
    tracked: int
    collected: int
    collections: int
    uncollectable: int


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything an inventory found, sorted as the reports show it."""

    objects: int
    bytes: int
    #: Types with instances, by bytes, then instances, descending.
    types: tuple[TypeStats, ...]
    uninstantiated_types: tuple[type, ...]
    duplicates: tuple[DuplicateValue, ...]
    duplicate_summary: tuple[DuplicateSummary, ...]
    classes_lacking_slots: tuple[ClassLackingSlots, ...]
    process: ProcessStats
    gc: GCStats
    #: The walk stopped at objects_limit with `pending` objects unvisited.
    limit_reached: bool
    pending: int
    walk_seconds: float
    objects_limit: int
    #: The exact types whose equal instances were looked for.
    duplicate_types: tuple[type, ...]
    #: Objects whose __sizeof__ is Python code, called after the walk;
    #: those where it failed were counted at their basic size.
    python_sizeof_calls: int
    sizeof_fallbacks: int

    def uninstantiated_classes_lacking_slots(
        self,
    ) -> tuple[ClassLackingSlots, ...]:
        """The uninstantiated types whose __static_attributes__ (3.13+)
        name attributes slots would hold; computed on demand."""
        from .slots import uninstantiated_classes_lacking_slots
        return uninstantiated_classes_lacking_slots(self.uninstantiated_types)

    def type_stats(self, cls: type) -> TypeStats | None:
        """The statistics of `cls`, or None when no instance was found."""
        for stats in self.types:
            if stats.type is cls:
                return stats
        return None
