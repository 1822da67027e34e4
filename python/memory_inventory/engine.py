"""`inventory()`: run the C walk and shape its findings."""

from __future__ import annotations

import builtins
import sys
import time
from collections.abc import Iterable
from typing import cast

from . import _native
from .model import (
    DuplicateSummary,
    DuplicateValue,
    GCStats,
    Inventory,
    ProcessStats,
    TypeStats,
)
from .naming import _type_module, qual_name
from .process import gc_stats, process_stats
from .slots import instantiated_classes_lacking_slots
from .walk_options import (
    DEFAULT_DUPLICATE_TYPES,
    check_walk_options,
    own_object_ids,
    own_types,
)

_OWN_TYPES: tuple[type, ...] = own_types()
_own_object_ids = own_object_ids


# What _native.inventory() needs to return the rows as the model's named
# tuples, already sorted and totalled (shape_inventory's work, in C).
_SHAPING: _native.Shaping = (TypeStats, DuplicateValue, _type_module)


def _break_ties_by_name(types: list[TypeStats]) -> tuple[TypeStats, ...]:
    """Orders runs of equal (bytes, instances) by name, as the original."""
    ordered: list[TypeStats] = []
    run: list[TypeStats] = []
    for stats in types:
        if run and (run[0].bytes, run[0].instances) != (stats.bytes,
                                                        stats.instances):
            ordered.extend(sorted(run, key=lambda s: s.name)
                           if len(run) > 1 else run)
            run = []
        run.append(stats)
    ordered.extend(sorted(run, key=lambda s: s.name) if len(run) > 1 else run)
    return tuple(ordered)


def _summarise_duplicates(
    duplicates: Iterable[DuplicateValue],
    types: Iterable[TypeStats],
    duplicate_types: frozenset[type],
) -> tuple[DuplicateSummary, ...]:
    savable: dict[type, int] = {}
    extra: dict[type, int] = {}
    values: dict[type, int] = {}
    for stats in types:
        if stats.type in duplicate_types:
            savable[stats.type] = extra[stats.type] = values[stats.type] = 0
    for cls, _, copies, size, *_ in duplicates:
        savable[cls] += size * (copies - 1)
        extra[cls] += copies - 1
        values[cls] += 1
    return _duplicate_summary(
        (cls, savable[cls], extra[cls], values[cls]) for cls in savable)


def _duplicate_summary(
    totals: Iterable[_native.DuplicateTotals],
) -> tuple[DuplicateSummary, ...]:
    """The summary rows from (type, savable bytes, duplicate instances,
    values), by savable bytes, then duplicate instances, descending, then
    name."""
    summary = [
        DuplicateSummary(
            type=cls, name=qual_name(cls), savable_bytes=savable,
            duplicate_instances=extra, values=values,
        )
        for cls, savable, extra, values in totals
    ]
    summary.sort(key=lambda s: (-s.savable_bytes, -s.duplicate_instances,
                                s.name))
    return tuple(summary)


def shape_inventory(
    raw: dict[str, object],
    *,
    walk_seconds: float,
    objects_limit: int,
    duplicate_types: frozenset[type],
    process: ProcessStats,
    gc: GCStats,
    rows_key: str = 'types',
) -> Inventory:
    """An Inventory from the plain rows that an AttributionTracker (or
    _native.inventory() without shaping) returns: the same as inventory()
    makes of the rows the C engine shapes for it. With rows_key
    'unattributed' (account()'s result), of those rows only, without
    duplicates."""
    # tuple.__new__ is _make without its Python frame: thousands of rows.
    new = tuple.__new__
    all_types = [new(TypeStats, row)
                 for row in cast('list[_native.TypeRow]', raw[rows_key])]
    # The engine sorts by bytes, then instances, descending; ties by name.
    types = _break_ties_by_name([s for s in all_types if s.instances])
    if rows_key == 'types':
        uninstantiated = sorted(
            (s.type for s in all_types
             if not s.instances and not issubclass(s.type, BaseException)),
            key=qual_name,
        )
        duplicates = [new(DuplicateValue, row)
                      for row in cast('list[_native.DuplicateRow]',
                                      raw['duplicates'])]
        objects = cast(int, raw['objects'])
        size = cast(int, raw['bytes'])
    else:
        uninstantiated = []
        duplicates = []
        objects = sum(s.instances for s in types)
        size = sum(s.bytes for s in types)
    with_dicts = [s for s in types if s.dict_bytes]
    return Inventory(
        objects=objects,
        bytes=size,
        types=types,
        uninstantiated_types=tuple(uninstantiated),
        duplicates=tuple(duplicates),
        duplicate_summary=_summarise_duplicates(duplicates, types,
                                                duplicate_types),
        classes_lacking_slots=instantiated_classes_lacking_slots(with_dicts),
        process=process,
        gc=gc,
        limit_reached=cast(bool, raw['limit_reached']),
        pending=cast(int, raw['pending']),
        walk_seconds=walk_seconds,
        objects_limit=objects_limit,
        duplicate_types=tuple(sorted(duplicate_types, key=qual_name)),
        python_sizeof_calls=cast(int, raw['python_sizeof_calls']),
        sizeof_fallbacks=cast(int, raw['sizeof_fallbacks']),
    )


def inventory(
    *,
    objects_limit: int = 10_000_000,
    attributes_to_skip: Iterable[int] = (),
    detect_duplicate_values_of: Iterable[type] = DEFAULT_DUPLICATE_TYPES,
    roots: Iterable[object] | None = None,
) -> Inventory:
    """Take stock of every object reachable from `builtins` and
    `sys.modules` (or from `roots`).

    `attributes_to_skip` holds ids of objects the walk must not enter (nor
    count); `objects_limit` stops the walk after that many objects (0: no
    limit); `detect_duplicate_values_of` names the exact types whose equal
    instances are grouped (see SUPPORTED_DUPLICATE_TYPES). This package's
    own modules and results are left out."""
    duplicate_types = check_walk_options(detect_duplicate_values_of,
                                         objects_limit)
    root_tuple = (builtins, sys.modules) if roots is None else tuple(roots)
    skip_ids = _own_object_ids() + tuple(attributes_to_skip)

    started = time.perf_counter()
    raw = _native.inventory(root_tuple, skip_ids, _OWN_TYPES, objects_limit,
                            tuple(duplicate_types), _SHAPING)
    walk_seconds = time.perf_counter() - started
    process, gc = process_stats(), gc_stats()

    types = cast('tuple[TypeStats, ...]', raw['types'])
    return Inventory(
        objects=cast(int, raw['objects']),
        bytes=cast(int, raw['bytes']),
        types=types,
        uninstantiated_types=cast('tuple[type, ...]',
                                  raw['uninstantiated_types']),
        duplicates=cast('tuple[DuplicateValue, ...]', raw['duplicates']),
        duplicate_summary=_duplicate_summary(
            cast('tuple[_native.DuplicateTotals, ...]',
                 raw['duplicate_totals'])),
        classes_lacking_slots=instantiated_classes_lacking_slots(
            [s for s in types if s.dict_bytes]),
        process=process,
        gc=gc,
        limit_reached=cast(bool, raw['limit_reached']),
        pending=cast(int, raw['pending']),
        walk_seconds=walk_seconds,
        objects_limit=objects_limit,
        duplicate_types=tuple(sorted(duplicate_types, key=qual_name)),
        python_sizeof_calls=cast(int, raw['python_sizeof_calls']),
        sizeof_fallbacks=cast(int, raw['sizeof_fallbacks']),
    )
