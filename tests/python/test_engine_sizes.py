"""Sizes computed in C equal what sys.getsizeof returns."""

import gc
import sys
import types

from memory_inventory import _native


def _samples() -> list[object]:
    def function() -> int:
        return 1

    class Plain:
        pass

    class WithSlots:
        __slots__ = ('a', 'b')

    class Sized:
        def __sizeof__(self) -> int:
            return 1000

    return [
        0, 1, -1, 2**100, -(2**1000), 1.5, 2j, 'a', 'é' * 10, '\U0001f600',
        b'', b'x' * 1000, bytearray(b'abc'), (), (1, 2), [], [1] * 100, {},
        {'a': 1}, set(), frozenset({1}), range(10), slice(1, 2), None, True,
        function, function.__code__, Plain, Plain(), WithSlots(), int, type,
        types, sys, memoryview(b'ab'), Sized,
    ]


def test_c_size_equals_getsizeof_for_every_gc_object() -> None:
    checked = 0
    for obj in gc.get_objects() + _samples():
        size = _native.object_size(obj)
        if size is None:
            continue
        assert size == sys.getsizeof(obj), (type(obj), obj)
        checked += 1
    assert checked > 1000


def test_python_sizeof_is_left_for_later() -> None:
    class Sized:
        def __sizeof__(self) -> int:
            return 1000

    assert _native.object_size(Sized()) is None
    assert _native.object_size(object()) == sys.getsizeof(object())


def test_instance_dict_size_without_materialising() -> None:
    class Point:
        def __init__(self) -> None:
            self.x = 1
            self.y = 2
            self.z = 3

    unread = Point()
    probe = Point()
    expected = sys.getsizeof(probe.__dict__)  # materialises probe's only
    assert _native.instance_dict_size(unread) == expected
    assert not _native.has_instance_dict(unread)
    assert _native.has_instance_dict(probe)
    assert _native.instance_dict_size(probe) == expected


def test_instance_dict_size_of_an_empty_or_absent_dict_is_zero() -> None:
    class Empty:
        pass

    class WithSlots:
        __slots__ = ('a',)

    assert _native.instance_dict_size(Empty()) == 0
    assert _native.instance_dict_size(WithSlots()) == 0
    assert _native.instance_dict_size(Empty) == 0   # a type's namespace


def test_instance_dict_size_of_a_function_dict() -> None:
    def function() -> None:
        pass

    assert _native.instance_dict_size(function) == 0
    function.tag = 'x'  # type: ignore[attr-defined]
    assert _native.instance_dict_size(function) == \
        sys.getsizeof(function.__dict__)


def test_gc_tracked_counts_what_gc_get_objects_lists() -> None:
    holder = [[] for _ in range(1000)]      # 1001 tracked lists
    before = _native.gc_tracked()
    assert before == len(gc.get_objects())
    del holder
    assert _native.gc_tracked() == len(gc.get_objects()) <= before - 1000
