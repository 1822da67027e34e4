"""The inventory on crafted heaps, with numbers known in advance."""

from __future__ import annotations

import os
import sys
from types import NoneType
from typing import Any

import memory_inventory as mi
import pytest
from memory_inventory import _native, engine


class Point:
    def __init__(self, i: int) -> None:
        self.x = i
        self.y = -i
        self.z = str(i)


class Marker:
    pass


class NeverMade:
    pass


class NeverRaised(Exception):
    pass


def test_thousand_instances_of_a_class_with_three_attributes() -> None:
    points = [Point(i) for i in range(1000)]
    probe = Point(0)
    dict_size = sys.getsizeof(probe.__dict__)
    inv = mi.inventory(roots=[points])

    stats = inv.type_stats(Point)
    assert stats is not None
    assert stats.instances == 1000
    assert stats.bytes == 1000 * sys.getsizeof(points[0])
    assert stats.dict_instances == 1000
    assert stats.dict_bytes == 1000 * dict_size
    assert stats.attribute_names == {'x': 1000, 'y': 1000, 'z': 1000}

    lacking = {c.type: c for c in inv.classes_lacking_slots}
    entry = lacking[Point]
    savable = 1000 * dict_size - 3 * mi.SLOT_SIZE * 1000
    assert entry.missing_slots == {'x': 1000, 'y': 1000, 'z': 1000}
    assert entry.instances == 1000
    assert entry.savable_bytes == savable
    assert entry.reduction == pytest.approx(savable / (1000 * dict_size))
    # Taking stock created no instance dict.
    assert not any(_native.has_instance_dict(p) for p in points)
    points[0].__dict__  # noqa: B018 - the check above can fail:
    assert _native.has_instance_dict(points[0])


def test_duplicate_strings_and_tuples() -> None:
    text = f"mi-dup-{os.getpid()}-value"
    strings = [''.join(list(text)) for _ in range(10)]
    # tuple(list) builds a new tuple each time; a literal would be shared.
    tuples = [tuple([len(text), text, None]) for _ in range(7)]  # noqa: C409
    unhashable = [tuple([[1, 2], text]) for _ in range(3)]  # noqa: C409
    inv = mi.inventory(roots=[strings, tuples, unhashable])

    by_value = {(d.type, repr(d.value)): d for d in inv.duplicates}
    string = by_value[(str, repr(text))]
    # The ten copies, plus `text` itself, reachable from the tuples.
    assert string.copies == 11
    assert string.savable_bytes == sys.getsizeof(text) * 10
    assert string.interned == 0
    assert set(string.addresses) <= {id(s) for s in strings} | {id(text)}

    tuple_group = by_value[(tuple, repr(tuples[0]))]
    assert tuple_group.copies == 7
    assert tuple_group.savable_bytes == sys.getsizeof(tuples[0]) * 6

    structural = by_value[(tuple, repr(unhashable[0]))]
    assert structural.copies == 3
    summary = {s.type: s for s in inv.duplicate_summary}
    assert summary[str].duplicate_instances >= 10
    assert summary[tuple].duplicate_instances >= 6 + 2


def test_values_equal_semantics() -> None:
    assert _native.values_equal('ab', ''.join(['a', 'b']))
    assert not _native.values_equal(1, 1.0)
    assert not _native.values_equal(0.0, -0.0)
    nan = float('nan')
    assert _native.values_equal(nan, float(nan))
    assert _native.values_equal(([1, {2: 3}], 'x'), ([1, {2: 3}], 'x'))
    assert not _native.values_equal(([1, {2: 3}],), ([1, {2: 4}],))
    assert _native.values_equal(frozenset({1, 'a', (2,)}),
                                frozenset({(2,), 'a', 1}))
    a, b = Marker(), Marker()
    assert not _native.values_equal((a,), (b,))
    assert _native.values_equal((a,), (a,))
    cycle: list[object] = []
    cycle.append(cycle)
    other: list[object] = []
    other.append(other)
    assert not _native.values_equal(cycle, other)   # identity past the depth


def test_refcounts_addresses_and_immortals() -> None:
    marker = Marker()
    holders = [marker, marker, marker]
    expected_refcount = sys.getrefcount(marker) - 1
    inv = mi.inventory(roots=[holders, None])

    stats = inv.type_stats(Marker)
    assert stats is not None
    assert stats.refcounts == {expected_refcount: 1}
    assert stats.addresses == [id(marker)]
    none = inv.type_stats(NoneType)
    assert none is not None
    assert none.instances == none.immortal == 1
    assert none.refcounts == {}


def test_interned_strings_are_counted() -> None:
    text = f"mi-interned-{os.getpid()}"
    interned = sys.intern(''.join(list(text)))
    plain = ''.join(list(text))
    inv = mi.inventory(roots=[[interned, plain]])
    group = next(d for d in inv.duplicates if d.value == text)
    assert group.copies == 2
    assert group.interned == 1


def test_uninstantiated_types() -> None:
    inv = mi.inventory(roots=[[NeverMade, NeverRaised]])
    assert NeverMade in inv.uninstantiated_types
    assert NeverRaised not in inv.uninstantiated_types
    assert inv.type_stats(NeverMade) is None


@pytest.mark.skipif(sys.version_info < (3, 13),
                    reason="__static_attributes__ is new in 3.13")
def test_static_attributes_of_uninstantiated_classes() -> None:
    class Unused:
        def __init__(self) -> None:
            self.alpha = 1
            self.__hidden = 2

    inv = mi.inventory(roots=[[Unused]])
    entry = next(c for c in inv.uninstantiated_classes_lacking_slots()
                 if c.type is Unused)
    assert entry.missing_slots == {'alpha': 0, '_Unused__hidden': 0}
    assert entry.instances == 0


def test_attributes_to_skip_and_objects_limit() -> None:
    hidden = [Marker() for _ in range(5)]
    shown = [Marker() for _ in range(3)]
    inv = mi.inventory(roots=[[hidden, shown]],
                       attributes_to_skip={id(hidden)})
    stats = inv.type_stats(Marker)
    assert stats is not None and stats.instances == 3

    limited = mi.inventory(objects_limit=100)
    assert limited.objects == 100
    assert limited.limit_reached
    assert limited.pending > 0
    assert not mi.inventory(roots=[[1]]).limit_reached


def test_a_million_nested_lists_do_not_overflow_the_stack() -> None:
    chain: list[object] = []
    for _ in range(1_000_000):
        chain = [chain]
    inv = mi.inventory(roots=[chain])
    lists = inv.type_stats(list)
    assert lists is not None
    assert lists.instances >= 1_000_001


_kept: list[mi.Inventory] = []


def _per_type(inv: mi.Inventory) -> dict[str, tuple[int, int]]:
    return {s.name: (s.instances, s.bytes) for s in inv.types}


def test_two_inventories_in_a_row_are_identical() -> None:
    # Results kept in a module global are the tool's own: not counted.
    _kept.append(mi.inventory())
    _kept.append(mi.inventory())
    _kept.append(mi.inventory())
    second, third = _per_type(_kept[1]), _per_type(_kept[2])
    assert second == third
    assert _kept[1].objects == _kept[2].objects
    assert _kept[1].bytes == _kept[2].bytes
    _kept.clear()


def test_every_module_is_counted() -> None:
    import memory_inventory
    inv = mi.inventory()
    modules = inv.type_stats(type(sys))
    assert modules is not None
    ours = {m for n, m in sys.modules.items()
            if n == 'memory_inventory' or n.startswith('memory_inventory.')}
    theirs = {id(m) for m in sys.modules.values()
              if type(m) is type(sys) and m not in ours}
    assert modules.instances >= len(theirs)
    # Subclasses of module (pygments' lazy modules, ...) are counted too.
    for name, module in list(sys.modules.items()):
        if module not in ours:
            assert inv.type_stats(type(module)) is not None, name
    assert memory_inventory not in inv.uninstantiated_types  # sanity


def test_unsupported_duplicate_type_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="cannot detect duplicates of"):
        mi.inventory(detect_duplicate_values_of={Marker})
    with pytest.raises(ValueError, match="objects_limit"):
        mi.inventory(objects_limit=-1)


def _fingerprint(inv: mi.Inventory) -> str:
    """Every result of `inv` as text that holds no reference to the heap
    (a kept reference would change the next walk's reference counts)."""
    def row(values: tuple[object, ...], objects: int = 1) -> str:
        # The first `objects` values by identity: the type (and the value).
        return repr(tuple(
            sorted((repr(k), v) for k, v in value.items())
            if isinstance(value, dict) else
            id(value) if i < objects else value
            for i, value in enumerate(values)))
    return repr((
        inv.objects, inv.bytes, [row(s) for s in inv.types],
        [s.name for s in inv.types],
        [id(t) for t in inv.uninstantiated_types],
        [row(d, objects=2) for d in inv.duplicates],
        [(id(s.type), s.name, s.savable_bytes, s.duplicate_instances,
          s.values) for s in inv.duplicate_summary],
        [(id(c.type), c.name, c.instances, c.savable_bytes,
          sorted((repr(k), v) for k, v in c.missing_slots.items()))
         for c in inv.classes_lacking_slots],
        inv.limit_reached, inv.pending, inv.python_sizeof_calls,
        inv.sizeof_fallbacks,
        [id(t) for t in inv.duplicate_types]))


def test_rows_shaped_in_c_are_those_shape_inventory_makes() -> None:
    """inventory() has the C engine sort and total what shape_inventory()
    (the tracker's path) does in Python: the same results, ties and odd
    names included."""
    # No function among them: a function's globals would reach the
    # whole heap, and its frames' references with it.
    def same_name() -> list[type]:
        return [type('Same', (), {}) for _ in range(3)]
    # Instances of equal size, one each: ties, to be ordered by name.
    shuffled = ['Zeta', 'Alpha', 'Mid',
                *(f'T{(i * 37) % 50:02d}' for i in range(50))]
    tied = [type(name, (), {'__slots__': ()}) for name in shuffled]
    builtin_named = type('Builtin', (), {'__module__': 'builtins'})
    # A metaclass whose __name__ is a property: qual_name reads it.
    renaming = type('Renaming', (type,), {
        '__name__': property(type.__dict__['__qualname__'].__get__)})
    renamed = renaming('Original', (), {'__qualname__': 'Renamed'})
    never_made = type('NeverMade', (), {})
    never_raised = type('NeverRaised', (Exception,), {})
    with_dict = type('WithDict', (), {})
    objects = [with_dict() for _ in range(3)]
    for i, obj in enumerate(objects):
        obj.a = i
        obj.b = str(i)
    root = [tied, [cls() for cls in tied], same_name(), same_name(),
            builtin_named, builtin_named(), renamed, renamed(),
            never_made, never_raised, objects,
            ['dup' * 3, ''.join(['dup'] * 3), (1, 'x'), (1, 'x'),
             [1.5], [1.5]]]
    duplicate_types = mi.DEFAULT_DUPLICATE_TYPES | {list}

    shaped = _fingerprint(mi.inventory(
        roots=(root,), detect_duplicate_values_of=duplicate_types))
    raw = _native.inventory((root,), engine._own_object_ids(),
                            engine._OWN_TYPES, 10_000_000,
                            tuple(duplicate_types))
    inv = engine.shape_inventory(
        raw, walk_seconds=0.0, objects_limit=10_000_000,
        duplicate_types=duplicate_types, process=mi.inventory().process,
        gc=mi.inventory().gc)
    del raw
    assert _fingerprint(inv) == shaped
    names = [s.name for s in inv.types]
    assert names.index(f'{__name__}.Alpha') < names.index(f'{__name__}.Mid')
    tie_names = [n for n in names
                 if n.removeprefix(f'{__name__}.') in shuffled]
    assert tie_names == sorted(f'{__name__}.{n}' for n in shuffled)
    assert 'Builtin' in names and f'{__name__}.Renamed' in names
    assert never_made in inv.uninstantiated_types
    assert never_raised not in inv.uninstantiated_types
    assert [c.name for c in inv.classes_lacking_slots] == [
        f'{__name__}.WithDict']
    assert {s.type for s in inv.duplicate_summary if s.values} == {
        str, tuple, list}
    assert type(inv.types[0]) is mi.TypeStats
    assert type(inv.duplicates[0]) is mi.DuplicateValue


def test_shaping_must_be_named_tuple_classes() -> None:
    with pytest.raises(TypeError, match="shaping"):
        not_rows: Any = (tuple, dict, None)     # a dict is not a row
        _native.inventory(((),), (), (), 0, (), not_rows)
