"""Hostile heaps: nothing here may crash, hang, or run during the walk."""

from __future__ import annotations

import sys
from typing import NoReturn

import memory_inventory as mi

calls: list[str] = []


def _fail(*_args: object) -> NoReturn:
    calls.append('called')
    raise RuntimeError("hostile")


class Hostile:
    __eq__ = _fail
    __hash__ = _fail  # type: ignore[assignment]
    __repr__ = _fail
    __getattr__ = _fail
    __sizeof__ = _fail


class Nonsense:
    def __init__(self, size: object) -> None:
        self.size = size

    def __sizeof__(self) -> int:
        return self.size  # type: ignore[return-value]


victim: dict[str, object] = {}


class Mutator:
    def __sizeof__(self) -> int:
        victim.clear()
        victim.update({f'k{i}': object() for i in range(100)})
        return 64


class HostileDict(dict[object, object]):
    keys = _fail  # type: ignore[assignment]
    values = _fail  # type: ignore[assignment]
    __iter__ = _fail  # type: ignore[assignment]
    __getitem__ = _fail  # type: ignore[assignment]


def test_hostile_methods_are_never_called_and_sizes_fall_back() -> None:
    hostile = [Hostile() for _ in range(3)]
    calls.clear()
    inv = mi.inventory(roots=[hostile])
    stats = inv.type_stats(Hostile)
    assert stats is not None and stats.instances == 3
    # Only __sizeof__ is called, after the walk; it raised, so each is
    # counted at its basic size: object.__sizeof__ plus the pre-header.
    assert calls == ['called'] * 3
    assert inv.sizeof_fallbacks == 3
    basic = object.__sizeof__(hostile[0]) + (
        sys.getsizeof(Marker()) - object.__sizeof__(Marker()))
    assert stats.bytes == 3 * basic


class Marker:
    pass


def test_nonsense_sizes_fall_back_and_good_ones_are_used() -> None:
    objects = [Nonsense('big'), Nonsense(-5), Nonsense(10**30),
               Nonsense(1000)]
    inv = mi.inventory(roots=[objects])
    stats = inv.type_stats(Nonsense)
    assert stats is not None and stats.instances == 4
    assert inv.sizeof_fallbacks == 3
    good = sys.getsizeof(objects[3])
    basic = object.__sizeof__(objects[0]) + good - 1000
    assert stats.bytes == good + 3 * basic


def test_sizeof_that_mutates_containers() -> None:
    victim.update({'a': 1})
    inv = mi.inventory(roots=[[Mutator() for _ in range(5)], victim])
    stats = inv.type_stats(Mutator)
    assert stats is not None and stats.instances == 5
    assert stats.bytes == 5 * sys.getsizeof(Mutator())
    assert len(victim) == 100


def test_dict_subclass_contents_are_walked_without_its_methods() -> None:
    d = HostileDict()
    dict.__setitem__(d, 'key', Marker())
    dict.__setitem__(d, Marker(), 'value')
    calls.clear()
    inv = mi.inventory(roots=[d])
    stats = inv.type_stats(Marker)
    assert stats is not None and stats.instances == 2
    assert calls == []


def test_huge_containers_and_cycles() -> None:
    huge = list(range(1_000_000))
    cycle: list[object] = []
    cycle.append(cycle)
    ring = {'self': None}
    ring['self'] = ring  # type: ignore[assignment]
    inv = mi.inventory(roots=[huge, cycle, ring])
    ints = inv.type_stats(int)
    assert ints is not None and ints.instances >= 1_000_000
    lists = inv.type_stats(list)
    assert lists is not None and lists.instances >= 2


class HostileName(str):
    def __hash__(self) -> int:
        calls.append('hash')
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        calls.append('eq')
        return str.__eq__(self, other)


class Holder:
    pass


def test_attribute_names_that_are_str_subclasses_run_no_code() -> None:
    holder = Holder()
    holder.__dict__[HostileName('hostile')] = 1
    calls.clear()
    inv = mi.inventory(roots=[holder])
    stats = inv.type_stats(Holder)
    assert stats is not None
    assert stats.attribute_names == {'hostile': 1}
    assert type(next(iter(stats.attribute_names))) is str
    assert calls == []
