"""Child process of test_oracle.py: import a workload, take stock of the
heap with one of the two tools, print the findings as JSON on stdout.

    python oracle_probe.py {ours|original} {stdlib|MODULE...}

Both tools are imported as `memory_inventory`, so the interpreter's
PYTHONPATH decides which one runs; the caller sets it. Everything else is
identical in the two modes: the same modules are imported before the tool
(the union of both tools' dependencies), the same workload is imported with
the same function, the same garbage collection runs, and the findings are
named by the same function, so that both tools see the same heap.

Output: {"tool", "python", "modules", "failed", "objects", "bytes",
"seconds", "types": {qualified name: [instances, bytes]}}. Types with the
same qualified name are summed. Progress goes to stderr."""

from __future__ import annotations

import argparse  # noqa: F401

# The dependencies of both tools, imported whatever the mode so that both
# heaps hold the same modules. The test compares the lists of modules.
import array  # noqa: F401
import builtins  # noqa: F401
import collections
import collections.abc  # noqa: F401
import contextlib  # noqa: F401
import contextvars
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import functools  # noqa: F401
import gc
import html  # noqa: F401
import importlib
import itertools  # noqa: F401
import json
import operator  # noqa: F401
import os  # noqa: F401
import pathlib  # noqa: F401
import pkgutil
import pprint  # noqa: F401
import resource  # noqa: F401
import sys
import tempfile  # noqa: F401
import threading  # noqa: F401
import time
import tracemalloc
import types  # noqa: F401
import typing  # noqa: F401
import warnings
from collections import deque
from collections.abc import Iterator

import memory_inventory as tool

_type_module = type.__dict__['__module__']
_STDLIB_SKIP = frozenset({'antigravity', 'idlelib.idle', 'this'})


def qual_name(cls: type) -> str:
    """`module.Name`, or `Name` for builtins, as both tools name types."""
    module = _type_module.__get__(cls, type)
    if not isinstance(module, str):
        module = '?'
    return cls.__name__ if module == 'builtins' else f"{module}.{cls.__name__}"


def import_all_stdlib_modules() -> list[str]:
    """The whole-stdlib workload of both tools (the same queue, order and
    skips); any exception counts as a failure, so that both processes
    import the same modules whatever happens. Returns the failures."""
    queue = deque(sorted(sys.stdlib_module_names))
    failed = []
    while queue:
        name = queue.popleft()
        if name in _STDLIB_SKIP or name.endswith('.__main__'):
            continue
        try:
            module = importlib.import_module(name)
        except (Exception, SystemExit):
            failed.append(name)
            continue
        path = getattr(module, '__path__', None)
        if path:
            queue.extend(sorted(
                info.name for info in pkgutil.walk_packages(
                    path, f'{name}.', onerror=lambda _name: None)
            ))
    return sorted(failed)


def import_workload(names: list[str]) -> list[str]:
    if names == ['stdlib']:
        return import_all_stdlib_modules()
    for name in names:
        importlib.import_module(name)
    return []


def tool_module_names() -> set[str]:
    return {name for name in sys.modules
            if name == 'memory_inventory'
            or name.startswith('memory_inventory.')}


def run_ours() -> tuple[
    dict[type, list[int]], int, int, float, dict[type, list[int]],
]:
    started = time.perf_counter()
    result = tool.inventory()
    seconds = time.perf_counter() - started
    found = {s.type: [s.instances, s.bytes] for s in result.types}
    return found, result.objects, result.bytes, seconds, {}


def run_original() -> tuple[
    dict[type, list[int]], int, int, float, dict[type, list[int]],
]:
    """The original's inventory, as its main() runs it: in a copied context,
    with DeprecationWarnings raised (its walk skips attributes that warn).

    Its walk creates objects as it goes (caches filled by the getters it
    calls, materialised instance dicts, ...) and counts those that something
    keeps. tracemalloc tells them apart: an object allocated while tracing
    did not exist before the walk. Returns them by type as the 5th item."""
    original = vars(tool)
    walk = original['deep_get_referents']
    get_traceback = tracemalloc.get_object_traceback
    created: dict[type, list[int]] = {}

    def sorting_walk(*args: object, **kwargs: object) -> Iterator[object]:
        for obj in walk(*args, **kwargs):
            if get_traceback(obj) is not None:
                entry = created.setdefault(type(obj), [0, 0])
                entry[0] += 1
                entry[1] += sys.getsizeof(obj)
            # Hand the object over without keeping a reference to it: the
            # original reads reference counts and checks its adjustment.
            box = [obj]
            del obj
            yield box.pop()

    original['deep_get_referents'] = sorting_walk
    build = original['TypeStatsDict'].build
    tracemalloc.start(1)
    # A full collection empties the free lists: an object taken from one
    # would reuse memory allocated before tracing and pass for an old one.
    gc.collect()
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(category=DeprecationWarning,
                                     action='error'):
            stats = contextvars.copy_context().run(build)
        seconds = time.perf_counter() - started
    finally:
        tracemalloc.stop()
        original['deep_get_referents'] = walk
    found = {cls: [s.instances_count, s.instances_intrinsic_memory_usage]
             for cls, s in stats.items() if s.instances_count}
    objects = sum(v[0] for v in found.values())
    nbytes = sum(v[1] for v in found.values())
    return found, objects, nbytes, seconds, created


def by_qual_name(found: dict[type, list[int]]) -> dict[str, list[int]]:
    """Counts by qualified name; types that share one are summed."""
    named: dict[str, list[int]] = {}
    for cls, (instances, size) in found.items():
        entry = named.setdefault(qual_name(cls), [0, 0])
        entry[0] += instances
        entry[1] += size
    return named


def main(argv: list[str]) -> int:
    mode, workload = argv[0], argv[1:]
    is_original = hasattr(tool, 'TypeStatsDict')
    if (mode == 'original') != is_original:
        print(f"oracle_probe: mode {mode!r} but {tool.__file__} was "
              "imported", file=sys.stderr)
        return 2
    failed = import_workload(workload)
    modules = sorted(set(sys.modules) - tool_module_names())
    gc.collect()
    if not is_original:
        gc.collect()  # as run_original does, after it starts tracing
    found, objects, nbytes, seconds, created = (
        run_original() if is_original else run_ours())
    json.dump({
        'tool': mode, 'python': sys.version.split()[0],
        'modules': modules, 'failed': failed,
        'objects': objects, 'bytes': nbytes, 'seconds': seconds,
        'types': by_qual_name(found), 'created': by_qual_name(created),
    }, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
