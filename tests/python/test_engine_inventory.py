"""The inventory on crafted heaps, with numbers known in advance."""

from __future__ import annotations

import os
import sys
from types import NoneType

import memory_inventory as mi
import pytest
from memory_inventory import _native


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
