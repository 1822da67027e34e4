"""Import tracing in the engine: incremental walks that own what they find
(AttributionTracker.attribute), the allocator hook that forgets the owner
of a freed block, and the final accounting (AttributionTracker.account).

The crafted modules below are made after the tracker's baseline walk, of
objects made for them, so that what each walk must find is known exactly:
the expected counts and sizes come from the objects themselves."""

from __future__ import annotations

import builtins
import contextvars
import gc
import importlib
import itertools
import os
import sys
import tracemalloc
import types
from collections.abc import AsyncGenerator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, cast

import msgpack
import pytest
from memory_inventory import _native, engine, process, records

DUPLICATES = (str, bytes, int, float, complex, tuple, frozenset)
ROOTS = (builtins, sys.modules)
REUSE_ATTEMPTS = 100_000

_serial = itertools.count()


class Cell:
    """A fixed-size object that no free list recycles."""

    __slots__ = ('value',)

    def __init__(self, value: object = None) -> None:
        self.value = value


def _new_tracker() -> _native.AttributionTracker:
    return _native.AttributionTracker(engine._own_object_ids(),
                                      engine._OWN_TYPES, DUPLICATES)


@pytest.fixture
def tracker() -> Iterator[_native.AttributionTracker]:
    """A tracker; the test takes the baseline (owner 0) itself, first
    thing, so that no code runs between the baseline and what the test
    makes (code that frees owned objects would leave, on 3.12, addresses in
    free lists that keep their owner: see test_free_list_reuse)."""
    tracker = _new_tracker()
    try:
        yield tracker
    finally:
        tracker.close()


@pytest.fixture
def made_modules() -> Iterator[list[str]]:
    """Names of modules a test puts in sys.modules, removed after it."""
    names: list[str] = []
    yield names
    for name in names:
        sys.modules.pop(name, None)


def _module(made: list[str], **contents: object) -> types.ModuleType:
    """A new module in sys.modules: itself, its dict and its name are new
    objects (3), besides `contents`."""
    name = f'mi_tracing_{os.getpid()}_{next(_serial)}'
    module = types.ModuleType(name)
    vars(module).update(contents)
    sys.modules[name] = module
    made.append(name)
    return module


def _module_objects(module: types.ModuleType) -> list[object]:
    return [module, vars(module), module.__name__]


def _class_objects(cls: type) -> list[object]:
    """What type(name, (), {}) makes besides the class: its dict, name,
    MRO and bases, and the __dict__ and __weakref__ descriptors."""
    namespace = vars(cls)
    (dict_,) = gc.get_referents(namespace)
    return [cls, dict_, cls.__name__, cls.__mro__, cls.__bases__,
            namespace['__dict__'], namespace['__weakref__']]


def _by_type(objects: list[object]) -> dict[type, tuple[int, int]]:
    """{type: (instances, bytes)}, sizes as sys.getsizeof."""
    totals: dict[type, tuple[int, int]] = {}
    for obj in objects:
        count, size = totals.get(type(obj), (0, 0))
        totals[type(obj)] = (count + 1, size + sys.getsizeof(obj))
    return totals


def _rows(result: dict[str, object],
          key: str = 'types') -> dict[type, tuple[int, int]]:
    """The rows of a result with instances: {type: (instances, bytes)}."""
    rows = cast('list[_native.TypeRow]', result[key])
    return {row[0]: (row[1], row[2]) for row in rows if row[1]}


def _crafted(made: list[str], strings: int, instances: int,
             ) -> tuple[types.ModuleType, list[object]]:
    """A module of `strings` new strings (in a tuple) and a new class with
    `instances` instances (in a list), each with a new string attribute;
    it also refers to `sys`, which the baseline owns. Returns the module
    and every new object it reaches: strings + 2 * instances + 12."""
    tag = f'{os.getpid()}_{next(_serial)}'
    texts = tuple(f'mi-text-{tag}-{i}' for i in range(strings))
    thing = type(f'Thing_{tag}', (), {})
    things = [thing() for _ in range(instances)]
    for i, obj in enumerate(things):
        obj.payload = f'mi-payload-{tag}-{i}'
    module = _module(made, texts=texts, Thing=thing, things=things,
                     shared=sys)
    new = [*_module_objects(module), texts, *texts, *_class_objects(thing),
           things, *things, *(obj.payload for obj in things)]
    assert len(new) == strings + 2 * instances + 12
    assert len({id(obj) for obj in new}) == len(new)
    return module, new


# --- Incremental walks ---------------------------------------------------


def test_baseline_is_the_plain_inventory() -> None:
    tracker = _new_tracker()
    try:
        skip_ids = engine._own_object_ids()
        plain = _native.inventory(ROOTS, skip_ids, engine._OWN_TYPES, 0,
                                  DUPLICATES)
        baseline = tracker.attribute(0, ROOTS)
        assert baseline.keys() == plain.keys()
        assert baseline['objects'] == plain['objects']
        assert baseline['bytes'] == plain['bytes']
        assert _rows(baseline) == _rows(plain)
        assert tracker.owned == baseline['objects']
        # Everything is owned now: a second walk finds nothing.
        again = tracker.attribute(0, ROOTS)
        assert (again['objects'], again['bytes']) == (0, 0)
        assert tracker.owner_of(sys) == 0
        assert tracker.owner_of(builtins.len) == 0
    finally:
        tracker.close()


def test_exact_growth_of_a_crafted_module(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    owned = tracker.owned
    module, new = _crafted(made_modules, strings=50, instances=7)

    result = tracker.attribute(1, (module,))

    assert result['objects'] == len(new) == 50 + 2 * 7 + 12
    assert result['bytes'] == sum(sys.getsizeof(obj) for obj in new)
    assert _rows(result) == _by_type(new)
    assert _rows(result)[module.Thing] == (7, 7 * sys.getsizeof(
        module.things[0]))
    assert tracker.owned == owned + len(new)
    assert all(tracker.owner_of(obj) == 1 for obj in new)
    # What the baseline owns stays the baseline's, and is not counted.
    assert tracker.owner_of(sys) == 0
    assert tracker.owner_of('payload') == 0
    assert tracker.owner_of(type) == 0
    assert not result['limit_reached']
    assert result['pending'] == 0


def test_a_second_module_gets_none_of_the_first_ones_objects(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    first, first_new = _crafted(made_modules, strings=30, instances=5)
    tracker.attribute(1, (first,))
    second = _module(made_modules, borrowed=first.texts, things=first.things,
                     first=first, cls=first.Thing)

    result = tracker.attribute(2, (second,))

    new = _module_objects(second)
    assert result['objects'] == 3
    assert _rows(result) == _by_type(new)
    assert all(tracker.owner_of(obj) == 2 for obj in new)
    assert all(tracker.owner_of(obj) == 1 for obj in first_new)
    # Walking the first module again finds nothing new either.
    assert tracker.attribute(3, (first,))['objects'] == 0


def test_duplicates_and_instance_dicts_of_the_growth(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    text = f'mi-dup-{os.getpid()}-{next(_serial)}'
    copies = [''.join(list(text)) for _ in range(4)]
    module = _module(made_modules, copies=copies)
    result = tracker.attribute(1, (module,))
    duplicates = cast('list[_native.DuplicateRow]', result['duplicates'])
    (group,) = [row for row in duplicates if row[1] == text]
    assert group[2] == 4
    assert result['objects'] == 3 + 1 + 4


def test_skip_rules_are_those_of_inventory(made_modules: list[str]) -> None:
    hidden = [Cell(f'mi-hidden-{i}') for i in range(3)]
    skipped_type = Cell(f'mi-skipped-{next(_serial)}')
    tracker = _native.AttributionTracker(
        (*engine._own_object_ids(), id(hidden)), (Cell,), DUPLICATES)
    try:
        tracker.attribute(0, ROOTS)
        module = _module(made_modules, hidden=hidden, cell=skipped_type)
        result = tracker.attribute(1, (module,))
        assert _rows(result) == _by_type(_module_objects(module))
        assert tracker.owner_of(hidden) is None
        assert tracker.owner_of(hidden[0]) is None
        assert tracker.owner_of(skipped_type) is None
        # The tracker never enters itself.
        assert tracker.owner_of(tracker) is None
    finally:
        tracker.close()


def test_objects_limit_leaves_the_rest_to_the_accounting(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    """A walk cut short owns what it took stock of; the rest lies behind
    owned objects, where no later incremental walk enters: the final
    accounting finds it, unattributed."""
    tracker.attribute(0, ROOTS)
    module, new = _crafted(made_modules, strings=40, instances=0)
    first = tracker.attribute(1, (module,), objects_limit=10)
    assert first['objects'] == 10
    assert first['limit_reached']
    assert cast(int, first['pending']) > 0
    assert tracker.attribute(2, (module,))['objects'] == 0
    owners = [tracker.owner_of(obj) for obj in new]
    assert owners.count(1) == 10
    assert owners.count(None) == len(new) - 10

    account = tracker.account(ROOTS)
    totals = cast('dict[int, tuple[int, int]]', account['owners'])
    assert totals[1] == (10, sum(sys.getsizeof(obj) for obj in new
                                 if tracker.owner_of(obj) == 1))
    unattributed = _rows(account, 'unattributed')
    left = _by_type([obj for obj in new if tracker.owner_of(obj) is None])
    for cls, (count, size) in left.items():
        assert unattributed[cls][0] >= count
        assert unattributed[cls][1] >= size
    _assert_accounts_add_up(account)


def test_arguments_are_checked(tracker: _native.AttributionTracker) -> None:
    with pytest.raises(ValueError, match='owner'):
        tracker.attribute(-1, ())
    with pytest.raises(ValueError, match='owner'):
        tracker.attribute(2**32, ())
    tracker.attribute(2**32 - 1, ())
    with pytest.raises(TypeError):
        tracker.attribute('1', ())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tracker.attribute(1, [sys])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tracker.account([sys])  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        tracker.attribute(1, (), objects_limit=-1)
    with pytest.raises(TypeError):
        _native.AttributionTracker([], (), ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='not a type'):
        _native.AttributionTracker((), (1,), ())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='duplicates'):
        _native.AttributionTracker((), (), (Cell,))


# --- The free hook and reused addresses -----------------------------------


#: Cells kept alive next to the victims of the tests below.
_NEIGHBOURS: list[Cell] = []


def _victim() -> Cell:
    """A new Cell, with live Cells of its size made just before and
    after it: its memory pool stays in use when it dies, so the allocator
    hands its block out again to the next objects of that size (a pool
    left empty could go to another size)."""
    _NEIGHBOURS.extend(Cell() for _ in range(8))
    victim = Cell(f'mi-{next(_serial)}')
    _NEIGHBOURS.extend(Cell() for _ in range(8))
    return victim


def _take_address(address: int, make: Callable[[], object]) -> object:
    """A new object at `address`, from `make`, called (a bounded number of
    times, keeping what it returns) until the allocator hands out that
    block again."""
    # Before `kept`: a new list would take a freed list's block.
    candidate = make()
    if id(candidate) == address:
        return candidate
    kept = [candidate]
    for _ in range(REUSE_ATTEMPTS):
        candidate = make()
        if id(candidate) == address:
            return candidate
        kept.append(candidate)
    pytest.fail(f'no new object took the freed address {address:#x}')


def test_a_reused_address_is_attributed_to_the_new_owner(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    first = _module(made_modules, victim=_victim())
    tracker.attribute(1, (first,))
    address = id(first.victim)
    assert tracker.owner_of(first.victim) == 1
    freed = tracker.freed

    del first.victim            # its block goes back to the allocator
    assert tracker.freed >= freed + 1
    newcomer = _take_address(address, Cell)

    # The control: the hook removed the dead object's entry, so the new
    # object at its address has no owner. Without the hook it would have
    # owner 1, and the next walk would skip it (the free-list test below
    # shows exactly that, where 3.12 has no hook).
    assert id(newcomer) == address
    assert tracker.owner_of(newcomer) is None
    second = _module(made_modules, newcomer=newcomer)
    result = tracker.attribute(2, (second,))
    assert _rows(result) == _by_type([*_module_objects(second), newcomer])
    assert tracker.owner_of(newcomer) == 2


async def _async_generator() -> AsyncGenerator[int, None]:
    yield 1


_AGEN = _async_generator()


def _asend() -> object:
    """An async generator's asend object, closed (never awaited, it would
    warn when it dies)."""
    asend = _AGEN.asend(None)
    asend.close()
    return asend


@pytest.mark.parametrize('make', [
    pytest.param(lambda: (object(), object()), id='tuple'),
    pytest.param(lambda: [object()], id='list'),
    pytest.param(lambda: {'mi': object()}, id='dict'),
    pytest.param(lambda: float(next(_serial)), id='float'),
    pytest.param(lambda: slice(next(_serial), None), id='slice'),
    pytest.param(contextvars.Context, id='context'),
    pytest.param(MemoryError, id='memoryerror'),
    pytest.param(_asend, id='asend'),
])
def test_free_list_reuse(tracker: _native.AttributionTracker,
                         made_modules: list[str],
                         make: Callable[[], object]) -> None:
    """CPython recycles these through free lists, unknown to the allocator:
    3.13's reference tracer sees the new object; 3.12 has no hook, and the
    newcomer keeps the old owner (a known limit): its walk skips it, as
    every walk would skip a reused address without the hooks. (3.13's hook
    skips the owner map for an object made in the block the allocator has
    just handed out: every free list, these and any other, must still be
    seen.)"""
    tracker.attribute(0, ROOTS)
    first = _module(made_modules, victim=make())
    tracker.attribute(1, (first,))
    address = id(first.victim)
    recycled = tracker.recycled

    del first.victim
    newcomer = _take_address(address, make)
    second = _module(made_modules, newcomer=newcomer)
    result = tracker.attribute(2, (second,))

    if sys.version_info >= (3, 13):
        assert tracker.recycled >= recycled + 1
        assert tracker.owner_of(newcomer) == 2
        expected = [*_module_objects(second), newcomer]
    else:
        assert tracker.recycled == 0
        assert tracker.owner_of(newcomer) == 1
        expected = _module_objects(second)
    expected += [item for item in gc.get_referents(newcomer)
                 if tracker.owner_of(item) == 2]
    assert _rows(result) == _by_type(expected)


def test_freeing_never_forgets_a_live_neighbour(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    """object() instances are 16 bytes, in adjacent 16-byte blocks: freeing
    one must not touch the entry of the next, though the next object starts
    16 bytes after the freed block (and a float, in a 32-byte block, 32
    bytes after)."""
    tracker.attribute(0, ROOTS)
    objects: list[object] = [object() for _ in range(2000)]
    floats: list[object] = [float(i) + 0.5 for i in range(2000)]
    module = _module(made_modules, objects=objects, floats=floats)
    tracker.attribute(1, (module,))
    neighbours = sum(id(b) - id(a) == 16 for a, b in itertools.pairwise(
        sorted(objects, key=id)))
    assert neighbours > 1000
    freed = tracker.freed
    objects[::2] = [None] * 1000
    floats[::2] = [None] * 1000
    assert tracker.freed >= freed + 1000
    assert all(tracker.owner_of(o) == 1 for o in objects[1::2])
    assert all(tracker.owner_of(f) == 1 for f in floats[1::2])


def test_a_block_reused_by_an_object_of_another_layout(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    """A Cell has a GC header: its block starts 16 bytes before it. A bytes
    object has none: in the same block, it starts where the Cell's header
    did."""
    tracker.attribute(0, ROOTS)
    first = _module(made_modules, victim=_victim())
    tracker.attribute(1, (first,))
    block = id(first.victim) - 16
    counter = itertools.count(1 << 40)
    size = sys.getsizeof(first.victim)
    length = size - sys.getsizeof(b'')      # the same size class
    assert length > 1
    del first.victim
    newcomer = _take_address(
        block, lambda: next(counter).to_bytes(length, 'little'))
    assert tracker.owner_of(newcomer) is None
    second = _module(made_modules, newcomer=newcomer)
    result = tracker.attribute(2, (second,))
    assert _rows(result) == _by_type([*_module_objects(second), newcomer])
    assert tracker.owner_of(newcomer) == 2


def test_close_restores_the_allocator() -> None:
    before = _native.object_allocator()
    tracker = _new_tracker()
    assert _native.object_allocator() != before
    assert not tracker.closed
    tracker.attribute(0, ROOTS)
    assert tracker.owned > 0
    tracker.close()
    assert _native.object_allocator() == before
    assert tracker.closed
    assert tracker.owned == 0
    tracker.close()                 # idempotent
    assert _native.object_allocator() == before
    with pytest.raises(ValueError, match='closed'):
        tracker.attribute(1, ())
    with pytest.raises(ValueError, match='closed'):
        tracker.account(())
    with pytest.raises(ValueError, match='closed'):
        tracker.owner_of(sys)
    # Allocations still work, and a second tracker can start.
    junk = [Cell(str(i)) for i in range(100_000)]
    del junk
    with _new_tracker() as second:
        assert _native.object_allocator() != before
        second.attribute(0, ROOTS)
        assert second.owner_of(sys) == 0
    assert second.closed
    assert _native.object_allocator() == before


def test_a_dropped_tracker_closes() -> None:
    before = _native.object_allocator()
    tracker = _new_tracker()
    tracker.attribute(0, ROOTS)
    del tracker
    gc.collect()
    assert _native.object_allocator() == before


def test_a_tracker_in_a_cycle_closes() -> None:
    before = _native.object_allocator()
    holder = type('Holder', (), {})
    tracker = _native.AttributionTracker((), (holder,), ())
    holder.tracker = tracker    # type: ignore[attr-defined]
    del holder, tracker
    gc.collect()
    assert _native.object_allocator() == before


def test_two_trackers_at_once(made_modules: list[str]) -> None:
    before = _native.object_allocator()
    first = _new_tracker()
    second = _new_tracker()
    try:
        first.attribute(0, ROOTS)
        second.attribute(0, ROOTS)
        module = _module(made_modules, victim=_victim())
        first.attribute(1, (module,))
        second.attribute(1, (module,))
        address = id(module.victim)
        first.close()     # not on top: stays under the second, passing through
        assert _native.object_allocator() != before
        del module.victim
        newcomer = _take_address(address, Cell)
        assert second.owner_of(newcomer) is None
    finally:
        first.close()
        second.close()
    # The second restored what was there when it started: the first one's
    # hook, a pass-through from now on.
    assert _native.object_allocator() != before
    with _new_tracker() as third:
        third.attribute(0, ROOTS)


def test_close_under_tracemalloc_leaves_tracemalloc_in_place(
        made_modules: list[str]) -> None:
    if tracemalloc.is_tracing():
        pytest.skip('tracemalloc is already tracing')
    tracker = _new_tracker()
    ours = _native.object_allocator()
    tracemalloc.start()
    try:
        theirs = _native.object_allocator()
        assert theirs != ours
        tracker.close()
        assert _native.object_allocator() == theirs
        junk = [Cell(str(i)) for i in range(1000)]
        assert tracemalloc.get_traced_memory()[0] > 0
        del junk
    finally:
        tracemalloc.stop()
    # tracemalloc put back what it found: our hook, now a pass-through.
    assert _native.object_allocator() == ours
    junk = [Cell(str(i)) for i in range(100_000)]
    del junk
    with _new_tracker() as again:
        again.attribute(0, ROOTS)
        module = _module(made_modules, victim=_victim())
        again.attribute(1, (module,))
        address = id(module.victim)
        del module.victim
        assert again.owner_of(_take_address(address, Cell)) is None
    assert _native.object_allocator() == ours


# --- The final accounting ---------------------------------------------------


def _assert_accounts_add_up(account: dict[str, object]) -> None:
    owners = cast('dict[int, tuple[int, int]]', account['owners'])
    unattributed = _rows(account, 'unattributed')
    objects = sum(o for o, _ in owners.values()) + sum(
        o for o, _ in unattributed.values())
    size = sum(b for _, b in owners.values()) + sum(
        b for _, b in unattributed.values())
    assert objects == account['objects']
    assert size == account['bytes']


def _import_new_stdlib_modules(count: int) -> list[list[types.ModuleType]]:
    """Imports up to `count` standard-library modules not imported yet;
    for each, the modules the import added."""
    imported: list[list[types.ModuleType]] = []
    for name in ('colorsys', 'netrc', 'sched', 'tabnanny', 'graphlib',
                 'wave', 'cmd', 'fractions', 'plistlib', 'mailbox',
                 'imaplib', 'ftplib', 'calendar'):
        if len(imported) == count:
            break
        if name in sys.modules:
            continue
        before = set(sys.modules)
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        imported.append([sys.modules[n] for n in set(sys.modules) - before])
    return imported


def test_account_adds_up_exactly(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    module, _ = _crafted(made_modules, strings=20, instances=3)
    tracker.attribute(1, (module,))
    for owner, new in enumerate(_import_new_stdlib_modules(4), start=2):
        tracker.attribute(owner, tuple(new))
    late = _module(made_modules, late=[f'mi-late-{i}' for i in range(9)])

    account = tracker.account(ROOTS)

    _assert_accounts_add_up(account)
    owners = cast('dict[int, tuple[int, int]]', account['owners'])
    assert 0 in owners and 1 in owners
    # Nothing walked `late`: its objects are unattributed (and more: what
    # the walks missed, and what the test made since the baseline). The
    # accounting owns nothing.
    assert _rows(account, 'unattributed')[types.ModuleType][0] >= 1
    assert tracker.owner_of(late) is None
    # It is a full inventory of the same heap.
    skip_ids = (*engine._own_object_ids(), id(tracker))
    plain = _native.inventory(ROOTS, skip_ids, engine._OWN_TYPES, 0,
                              DUPLICATES)
    again = tracker.account(ROOTS)
    assert again['objects'] == plain['objects']
    assert again['bytes'] == plain['bytes']
    assert _rows(again) == _rows(plain)
    _assert_accounts_add_up(again)


def test_account_counts_what_owners_still_hold(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    texts = [f'mi-held-{next(_serial)}-{i}' for i in range(100)]
    module = _module(made_modules, texts=texts)
    tracker.attribute(5, (module,))
    del texts[::2]                  # 50 strings freed after attribution
    held = [*_module_objects(module), module.texts, *module.texts]

    account = tracker.account(ROOTS)

    owners = cast('dict[int, tuple[int, int]]', account['owners'])
    assert owners[5] == (len(held), sum(sys.getsizeof(o) for o in held))
    assert len(held) == 3 + 1 + 50
    _assert_accounts_add_up(account)


def test_account_of_an_owner_whose_objects_all_died(
        tracker: _native.AttributionTracker, made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    # A tuple of more than 20 items: not for a free list.
    module = _module(made_modules, cells=tuple(Cell() for _ in range(30)))
    tracker.attribute(6, (module,))
    sys.modules.pop(module.__name__)
    made_modules.remove(module.__name__)
    del module
    gc.collect()
    account = tracker.account(ROOTS)
    assert 6 not in cast('dict[int, tuple[int, int]]', account['owners'])
    _assert_accounts_add_up(account)


# --- Hostile heaps -----------------------------------------------------------


class Hostile:
    def __sizeof__(self) -> int:
        raise RuntimeError('hostile')

    def __eq__(self, other: object) -> bool:
        raise RuntimeError('hostile')

    __hash__ = None  # type: ignore[assignment]


class Mutator:
    """Frees owned objects while the results are built."""

    target: ClassVar[dict[str, object]] = {}

    def __sizeof__(self) -> int:
        Mutator.target.clear()
        return 64


class Reentrant:
    tracker: ClassVar[_native.AttributionTracker | None] = None
    errors: ClassVar[list[str]] = []

    def __sizeof__(self) -> int:
        tracker = Reentrant.tracker
        assert tracker is not None
        calls: list[Callable[[], object]] = [
            lambda: tracker.attribute(9, (sys,)), tracker.close,
            lambda: tracker.account((sys,))]
        for call in calls:
            try:
                call()
            except RuntimeError as error:
                Reentrant.errors.append(str(error))
        return 48


def test_hostile_heaps(tracker: _native.AttributionTracker,
                       made_modules: list[str]) -> None:
    tracker.attribute(0, ROOTS)
    victims: dict[str, object] = {f'mi-victim-{i}': Cell(i)
                                  for i in range(50)}
    held = _module(made_modules, victims=victims)
    tracker.attribute(1, (held,))
    freed = tracker.freed

    Mutator.target = victims
    Reentrant.tracker = tracker
    Reentrant.errors.clear()
    try:
        hostile = _module(made_modules,
                          hostile=[Hostile() for _ in range(3)],
                          mutator=Mutator(), reentrant=Reentrant())
        result = tracker.attribute(2, (hostile,))
        assert result['sizeof_fallbacks'] == 3
        assert result['python_sizeof_calls'] == 5
        # The mutator freed the 50 cells owned by 1; the hook forgot them.
        assert not victims
        assert tracker.freed >= freed + 50
        assert len(Reentrant.errors) == 3
        assert not tracker.closed

        account = tracker.account(ROOTS)
        _assert_accounts_add_up(account)
        assert cast(int, account['sizeof_fallbacks']) >= 3
        owners = cast('dict[int, tuple[int, int]]', account['owners'])
        # Owner 1 still holds its module and the emptied dict.
        assert owners[1] == (4, sum(sys.getsizeof(o) for o in (
            *_module_objects(held), victims)))
        assert owners[2][0] == 3 + 1 + 3 + 2
    finally:
        Mutator.target = {}
        Reentrant.tracker = None


# --- Records packed in C ---------------------------------------------------
#
# attribute_records() and account_records() must write exactly what
# records.inventory_records(engine.shape_inventory(result)) writes for the
# same walk: the reference is the Python path, on a second tracker that
# owns the same objects.


def _read_records(path: Path) -> list[list[Any]]:
    with path.open('rb') as stream:
        return list(msgpack.Unpacker(stream, raw=False,
                                     strict_map_key=False))


def _python_records(result: dict[str, object], scope: int,
                    type_ids: records.TypeIds,
                    rows_key: str = 'types') -> list[list[Any]]:
    shaped = engine.shape_inventory(
        result, walk_seconds=0.0, objects_limit=0,
        duplicate_types=frozenset(DUPLICATES),
        process=process.process_stats(), gc=process.gc_stats(),
        rows_key=rows_key)
    packed = msgpack.packb(list(records.inventory_records(
        shaped, scope, type_ids)))
    return cast('list[list[Any]]', msgpack.unpackb(packed,
                                                   strict_map_key=False))


def _by_type_name(recs: list[list[Any]],
                  metatypes: set[int]) -> list[list[Any]]:
    """The records with type ids replaced by the TYPE records they name
    (ids are numbered in another order), TYPE records and walk times
    left out, and some reference counts too: those of classes (each side's
    table of type ids holds a reference to every class it numbered), and
    those of the final inventories, which run one after the other (the
    first one's records hold references to what they name)."""
    types = {r[1]: tuple(r[2:]) for r in recs if r[0] == records.TYPE}
    classes = {i for i, t in types.items() if t[2] in metatypes}
    named: list[list[Any]] = []
    for rec in recs:
        kind = rec[0]
        if kind == records.TYPE:
            continue
        rec = list(rec)
        if kind == records.INVENTORY:
            rec[6] = 0.0
            rec[9] = [types[t] for t in rec[9]]
        elif kind in (records.TYPE_STATS, records.DUPLICATE):
            if kind == records.TYPE_STATS and (rec[2] in classes
                                               or rec[1] != 7):
                rec[7] = None
            if kind == records.DUPLICATE and rec[1] != 7:
                rec[8] = None
            rec[2] = types[rec[2]]
        elif kind == records.UNINSTANTIATED:
            rec[2] = [types[t] for t in rec[2]]
        named.append(rec)
    return named


class Hashless:
    """A class lacking slots, with a private attribute (mangled in its
    __static_attributes__ on 3.13)."""

    def __init__(self) -> None:
        self.__secret = 1
        self.shown = 2


class Renamed:
    """A class whose instances' dict keys are equal str that are not
    interned (one object each), some equal to an interned name: the
    records count each text as one name."""

    def __init__(self, first: bool) -> None:
        vars(self)[''.join(['la', 'te'])] = 1
        if first:
            self.shown = 1
        else:
            vars(self)[''.join(['sho', 'wn'])] = 1


def test_records_packed_in_c_are_those_of_python(
        made_modules: list[str], tmp_path: Path) -> None:
    ours = _new_tracker()
    reference = _new_tracker()
    path = tmp_path / 'records.msgpack'
    try:
        ours.attribute_records(0, ROOTS, None)
        reference.attribute(0, ROOTS)
        module, _ = _crafted(made_modules, strings=30, instances=4)
        text = f'mi-dup-{os.getpid()}-{next(_serial)}'
        vars(module).update(
            copies=[''.join(list(text)) for _ in range(3)],
            numbers=[int(f'{10**30 + i}') for i in (1, 1, 2, 2, 2)],
            pairs=[(text, 1.5), (text, 1.5)],
            hashless=[Hashless() for _ in range(3)],
            renamed=[Renamed(i == 1) for i in range(3)],
            big='x' * (records.MAX_REPR + 10),
            bigger='x' * (records.MAX_REPR + 10),
            Unused=type('Unused', (), {}),
            Error=type('Error', (ValueError,), {}))
        with _native.RecordWriter(path=str(path)) as writer:
            objects, walk_seconds, pack_seconds = ours.attribute_records(
                7, (module,), writer)
            assert walk_seconds >= 0 and pack_seconds >= 0
            expected = reference.attribute(7, (module,))
            assert objects == expected['objects']
            type_ids = records.TypeIds()
            wanted = _python_records(expected, 7, type_ids)
            del expected    # its rows hold the duplicate values
            # The final accounting: both trackers own the same objects.
            ours.account_records(ROOTS, writer)
            final = reference.account(ROOTS)
        wanted += _python_records(final, records.SCOPE_FINAL, type_ids)
        owners = cast('dict[int, tuple[int, int]]', final['owners'])
        wanted += [[records.RETAINED, records.SCOPE_BASELINE if owner == 0
                    else owner, *totals]
                   for owner, totals in sorted(owners.items())]
        unattributed = _python_records(final, records.SCOPE_UNATTRIBUTED,
                                       type_ids, 'unattributed')
        wanted += [[records.RETAINED, records.SCOPE_UNATTRIBUTED,
                    unattributed[0][2], unattributed[0][3]]]
        wanted += unattributed
    finally:
        ours.close()
        reference.close()
    got = _read_records(path)[:-1]      # END apart
    metatypes = {id(row[0]) for row in cast('list[_native.TypeRow]',
                                            final['types'])
                 if issubclass(row[0], type)}
    assert _by_type_name(got, metatypes) == _by_type_name(wanted, metatypes)
    # TYPE records come before the records that name them.
    seen: set[int] = set()
    for rec in got:
        if rec[0] == records.TYPE:
            seen.add(rec[1])
        elif rec[0] == records.TYPE_STATS:
            assert rec[2] in seen
    # What the test made is there, exactly.
    stats = [r for r in got if r[0] == records.TYPE_STATS and r[1] == 7]
    assert sum(r[3] for r in stats) == objects
    duplicates = [r for r in got if r[0] == records.DUPLICATE and r[1] == 7]
    reprs = {r[3]: r[5] for r in duplicates}
    assert reprs[repr(text)] == 4       # the copies, and `text` itself
    assert reprs[repr(10**30 + 2)] == 3
    assert reprs[repr((text, 1.5))] == 2
    cut = "'" + 'x' * (records.MAX_REPR - 1) + '… (12 more characters)'
    assert reprs[cut] == 2
    # Names that are equal str but distinct objects are merged.
    renamed = {r[1] for r in got if r[0] == records.TYPE
               and r[2].endswith('.Renamed')}
    assert [r[11] for r in stats if r[2] in renamed] == [{'late': 3,
                                                          'shown': 3}]


def test_module_roots_are_the_entries_new_since_the_last_walk(
        tracker: _native.AttributionTracker) -> None:
    """An incremental walk looks only at the entries of `modules` that the
    last one did not see (module_scan.c): new keys, a new value under an
    old key, entries skipped while importing, and all of them again once
    the dict was resized. Each must still become a root."""
    def fresh(label: str) -> list[str]:
        return [f'mi-scan-{label}-{os.getpid()}-{next(_serial)}']

    def walk(owner: int, modules: dict[str, object],
             importing: frozenset[str] = frozenset()) -> None:
        tracker.attribute_records(owner, (), None, 0, (), modules,
                                  importing)

    first, replaced = fresh('first'), fresh('replaced')
    modules: dict[str, object] = {'a': first, 'b': replaced}
    walk(1, modules)
    assert tracker.owner_of(first) == tracker.owner_of(replaced) == 1
    assert tracker.owner_of(first[0]) == 1
    # A new value under an old key, and a new key.
    replacement, added = fresh('replacement'), fresh('added')
    modules['b'] = replacement
    modules['c'] = added
    walk(2, modules)
    assert tracker.owner_of(replacement) == tracker.owner_of(added) == 2
    # An import in progress is left to a later walk.
    in_progress = fresh('in-progress')
    modules['d'] = in_progress
    walk(3, modules, frozenset({'d'}))
    assert tracker.owner_of(in_progress) is None
    walk(4, modules)
    assert tracker.owner_of(in_progress) == 4
    # Enough keys at once to resize the dict: every new one is a root.
    many = {f'm{i}': fresh(f'many-{i}') for i in range(200)}
    modules.update(many)
    del modules['a']
    modules['a'] = late = fresh('late')
    walk(5, modules)
    assert all(tracker.owner_of(value) == 5 for value in many.values())
    assert tracker.owner_of(late) == 5
    # Another dict is read from its start.
    other = {'b': fresh('other-b')}
    walk(6, other)
    assert tracker.owner_of(other['b']) == 6


def test_records_need_a_writer(tracker: _native.AttributionTracker) -> None:
    with pytest.raises(TypeError, match='RecordWriter'):
        tracker.attribute_records(1, (), 'path')  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='RecordWriter'):
        tracker.account_records(ROOTS, 3)  # type: ignore[arg-type]
    # None: the walk without records.
    objects = tracker.attribute_records(0, ROOTS, None)[0]
    assert objects == tracker.owned > 0
    assert tracker.account_records(ROOTS, None)[0] >= objects
