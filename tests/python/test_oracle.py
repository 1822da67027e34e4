"""Our inventory against the original memory_inventory 1.2's, on the same
heap.

Each tool runs in its own child process (`oracle_probe.py`): both import
the same modules the same way, then take stock and print what they found
by type. The original is installed apart in .venv/original-1.2 (its import
name is ours too) and runs on the base interpreter of this venv, as ours
does, so the two heaps differ only by the tool itself.

The original changes the heap as it walks it: the native getters it calls
create objects and cache them (`code.co_code`, `function.__annotations__`,
a descriptor's `__qualname__`, `lru_cache`d properties, ...), and reading
`obj.__dict__` materialises instance dicts. It then counts those objects,
which an undisturbed heap does not hold. The probe tells them apart with
tracemalloc (an object allocated during the walk did not exist before it):
the original's figures minus what its walk created are what it would have
found without disturbing the heap, and that is what we must match.

The rules (the issue's, on the whole-stdlib workload):

- for each of the 15 types with the most memory in the original's result,
  we find at least 99 % of its instances (of those that existed before its
  walk, for the types of EXPLAINED_SHORTFALLS);
- in total, at least as many objects and bytes (same proviso);
- where we find fewer instances of a type than the original, the type is
  in EXPLAINED_SHORTFALLS, with the reason, and the shortfall is covered by
  the instances its walk created.

The original is slow under tracemalloc (~90 s on the whole stdlib, ~30 s on
the few modules, against ~12 s and ~4 s without), so its result is kept in
pytest's cache, keyed by everything it depends on: this interpreter, the
probe, the original's source and the workload. `pytest --cache-clear` runs
it again. The probe also runs by hand, e.g. `PYTHONPATH=.venv/original-1.2
xvfb-run -a python3 -s tests/python/oracle_probe.py original stdlib`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

import memory_inventory as mi
import pytest

HERE = Path(__file__).resolve().parent
PROBE = HERE / 'oracle_probe.py'
REPO = HERE.parents[1]
ORIGINAL_DIR = REPO / '.venv' / 'original-1.2'
ORIGINAL_SOURCE = ORIGINAL_DIR / 'memory_inventory' / '__init__.py'
# Our package as this test process imports it (python/, or a copy of it).
OURS_DIR = Path(mi.__file__).resolve().parents[1]

QUICK_MODULES = ('json', 'email.message', 'decimal', 'asyncio')
TOP_TYPES = 15
MIN_TOP_RATIO = 0.99
PROBE_TIMEOUT = 900

#: The types of which we may find fewer instances than the original, and
#: why. Each reason was checked object by object (oracle_explain.py runs
#: both tools in one process), on the whole-stdlib and the quick workloads,
#: on 3.12 and 3.13: every instance the original found and we did not had
#: been allocated by the original's walk, where said here (tracemalloc
#: names the line). On the heap its first walk left, a second walk of the
#: original's found nothing we missed but, on 3.13, the instance dicts it
#: had materialised (test_a_materialised_instance_dict_is_counted).
EXPLAINED_SHORTFALLS: Mapping[str, str] = {
    'bytes':
        "code.co_code: the getter builds the bytecode without its "
        "specialisations and caches it in the code object "
        "(_co_cached->_co_code), one per code object. The original reads it "
        "for every code object; an undisturbed heap holds it only for code "
        "that someone disassembled (we count those).",
    'dict':
        "function.__annotations__, module.__annotations__ and "
        "type.__annotations__: the getter stores a new empty dict on first "
        "access (most functions have no annotations, ~16 k on the whole "
        "stdlib); and obj.__dict__, which the original reads for every "
        "object, materialises a dict for an instance whose attributes live "
        "in a values array (3.12) or inline (3.13).",
    'str':
        "__qualname__ of method, wrapper, getset, member and classmethod "
        "descriptors (and method-wrapper): the getter formats "
        "'Type.name' and caches it in the descriptor (d_qualname).",
    'ipaddress.IPv4Address':
        "The original calls every property (its test for native getters "
        "sees property.__get__, a method-wrapper, and lets it through): "
        "ipaddress networks' with_hostmask, num_addresses, is_private, ... "
        "read hostmask and broadcast_address, functools.cached_propertys "
        "that build addresses and store them in the network's __dict__.",
    'ipaddress.IPv6Address':
        "As ipaddress.IPv4Address: the cached_propertys hostmask and "
        "broadcast_address of networks, filled by the properties the "
        "original calls.",
    'random.Random':
        "tempfile._RandomNameSequence.rng is a property that creates a "
        "Random on first access and keeps it; the original calls it.",
    'list':
        "The original runs inside warnings.catch_warnings(), as its main() "
        "does, which swaps warnings.filters for a copy: that list; and "
        "pathlib.PurePath._tail and _parts_normcase (seen on 3.13), which "
        "build a list on first access and cache it in the instance.",
}


# --- Running the probes -----------------------------------------------------

class ProbeResult(TypedDict):
    """What oracle_probe.py prints."""

    tool: str
    python: str
    modules: list[str]
    failed: list[str]
    objects: int
    bytes: int
    seconds: float
    #: qualified type name -> [instances, bytes]
    types: dict[str, list[int]]
    #: The same, for the objects the original's walk created (empty for
    #: ours).
    created: dict[str, list[int]]


def base_interpreter() -> str:
    """The interpreter this venv was made from: the probes run it with
    PYTHONPATH alone deciding which memory_inventory they get."""
    return str(getattr(sys, '_base_executable', None) or sys.executable)


def xvfb_run() -> str | None:
    return shutil.which('xvfb-run')


def probe_command(mode: str, workload: tuple[str, ...],
                  display: bool) -> list[str]:
    command = [base_interpreter(), '-s', str(PROBE), mode, *workload]
    if display:
        xvfb = xvfb_run()
        assert xvfb is not None
        command = [xvfb, '-a', *command]
    return command


def probe_env(mode: str) -> dict[str, str]:
    env = dict(os.environ)
    env['PYTHONPATH'] = str(ORIGINAL_DIR if mode == 'original' else OURS_DIR)
    env.pop('PYTHONSTARTUP', None)
    env['PYTHONHASHSEED'] = '0'
    return env


@dataclass
class Probe:
    """A probe running in a child process."""

    mode: str
    process: subprocess.Popen[str]

    @classmethod
    def start(cls, mode: str, workload: tuple[str, ...],
              display: bool) -> Probe:
        process = subprocess.Popen(
            probe_command(mode, workload, display), env=probe_env(mode),
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        return cls(mode, process)

    def result(self) -> ProbeResult:
        try:
            out, err = self.process.communicate(timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            pytest.fail(f"the {self.mode} probe took over {PROBE_TIMEOUT} s")
        if self.process.returncode != 0:
            pytest.fail(f"the {self.mode} probe failed "
                        f"({self.process.returncode}):\n{err[-4000:]}")
        return cast(ProbeResult, json.loads(out))


def cache_key(workload: tuple[str, ...], display: bool) -> str:
    """Everything the original's result depends on."""
    digest = hashlib.sha256()
    interpreter = Path(base_interpreter()).resolve()
    stat = interpreter.stat()
    for part in (PROBE.read_bytes(), ORIGINAL_SOURCE.read_bytes(),
                 str(interpreter).encode(), sys.version.encode(),
                 f"{stat.st_size}:{stat.st_mtime_ns}".encode(),
                 repr((workload, display)).encode()):
        digest.update(hashlib.sha256(part).digest())
    return f"memory_inventory/oracle/{digest.hexdigest()[:32]}"


@dataclass
class Comparison:
    ours: ProbeResult
    original: ProbeResult

    @property
    def our_types(self) -> dict[str, list[int]]:
        return self.ours['types']

    @property
    def original_types(self) -> dict[str, list[int]]:
        return self.original['types']

    @property
    def created(self) -> dict[str, list[int]]:
        return self.original['created']

    def created_total(self, index: int) -> int:
        """Objects (0) or bytes (1) created by the original's walk."""
        return sum(v[index] for v in self.created.values())

    def top_types(self) -> list[str]:
        """The original's first rows: by bytes, then instances, then name,
        as it sorts them."""
        types = self.original_types
        return sorted(types, key=lambda n: (-types[n][1], -types[n][0], n))[
            :TOP_TYPES]

    def shortfalls(self) -> Iterator[tuple[str, int, int, int]]:
        """(type, ours, original's, of which created by its walk), for the
        types of which we found fewer instances."""
        ours = self.our_types
        for name, (instances, _) in sorted(self.original_types.items()):
            found = ours.get(name, [0, 0])[0]
            if found < instances:
                yield name, found, instances, self.created.get(name,
                                                               [0, 0])[0]

    def report(self) -> str:
        ours, original, created = (self.our_types, self.original_types,
                                   self.created)
        lines = [
            f"CPython {self.ours['python']}, "
            f"{len(self.ours['modules'])} modules "
            "(instances / bytes; 'created': allocated by the original's walk)",
            f"{'type':32} {'ours':>17} {'original':>17} {'created':>17}",
        ]

        def row(name: str, a: list[int], b: list[int], c: list[int]) -> str:
            return (f"{name:32} {a[0]:>7}/{a[1]:>9} {b[0]:>7}/{b[1]:>9} "
                    f"{c[0]:>7}/{c[1]:>9}")

        for name in self.top_types():
            lines.append(row(name, ours.get(name, [0, 0]), original[name],
                             created.get(name, [0, 0])))
        lines.append(row(
            'TOTAL', [self.ours['objects'], self.ours['bytes']],
            [self.original['objects'], self.original['bytes']],
            [self.created_total(0), self.created_total(1)]))
        short = list(self.shortfalls())
        lines.append("types of which we found fewer instances:"
                     + ('' if short else ' none'))
        for name, found, instances, made in short:
            reason = EXPLAINED_SHORTFALLS.get(name, 'UNEXPLAINED')
            lines.append(f"  {name}: ours {found}, original {instances}, "
                         f"created by its walk {made}: {reason[:70]}...")
        return '\n'.join(lines)


def compare(request: pytest.FixtureRequest, workload: tuple[str, ...],
            display: bool) -> Comparison:
    """Runs both probes (the original's from the cache when it can)."""
    cache = getattr(request.config, 'cache', None)
    key = cache_key(workload, display)
    cached = (cast('ProbeResult | None', cache.get(key, None))
              if cache is not None else None)
    ours = Probe.start('ours', workload, display)
    original_probe = (Probe.start('original', workload, display)
                      if cached is None else None)
    our_result = ours.result()
    if original_probe is not None:
        original = original_probe.result()
    elif cached is not None and cached['modules'] == our_result['modules']:
        original = cached
    else:
        # The environment changed since it was cached: run it again.
        original = Probe.start('original', workload, display).result()
    if cache is not None:
        cache.set(key, original)
    return Comparison(our_result, original)


# --- The checks -------------------------------------------------------------

def check_same_heap(comparison: Comparison) -> None:
    ours, original = comparison.ours, comparison.original
    assert ours['python'] == original['python']
    our_modules = set(ours['modules'])
    original_modules = set(original['modules'])
    assert our_modules == original_modules, (
        "the two processes imported different modules: "
        f"only ours: {sorted(our_modules - original_modules)}, "
        f"only the original's: {sorted(original_modules - our_modules)}")


def check_shortfalls_explained(comparison: Comparison) -> None:
    unexplained = []
    uncovered = []
    for name, found, instances, made in comparison.shortfalls():
        if name not in EXPLAINED_SHORTFALLS:
            unexplained.append(f"{name} (ours {found}, original {instances}, "
                               f"created by its walk {made})")
        elif instances - made > found:
            uncovered.append(
                f"{name}: ours {found}, original {instances} of which "
                f"{instances - made} existed before its walk")
    assert not unexplained, (
        "we found fewer instances of types that EXPLAINED_SHORTFALLS does "
        "not explain (a missing edge in native/inventory/referents.c?): "
        + '; '.join(unexplained) + '\n' + comparison.report())
    assert not uncovered, (
        "the original found more pre-existing instances than we did: "
        + '; '.join(uncovered) + '\n' + comparison.report())


def check_top_types(comparison: Comparison) -> None:
    ours, original, created = (comparison.our_types,
                               comparison.original_types, comparison.created)
    missing = []
    for name in comparison.top_types():
        expected = original[name][0]
        if name in EXPLAINED_SHORTFALLS:
            expected -= created.get(name, [0, 0])[0]
        found = ours.get(name, [0, 0])[0]
        if found < MIN_TOP_RATIO * expected:
            missing.append(f"{name}: {found} of {expected}")
    assert not missing, (
        f"under {MIN_TOP_RATIO:.0%} of the original's instances: "
        + '; '.join(missing) + '\n' + comparison.report())


def check_totals(comparison: Comparison) -> None:
    for index, key in enumerate(('objects', 'bytes')):
        ours = comparison.ours['objects' if index == 0 else 'bytes']
        original = comparison.original['objects' if index == 0 else 'bytes']
        expected = original - comparison.created_total(index)
        assert ours >= expected, (
            f"we found {ours} {key}, the original {original} of which "
            f"{expected} existed before its walk\n{comparison.report()}")


def check_all(comparison: Comparison) -> None:
    print(comparison.report())
    check_same_heap(comparison)
    check_shortfalls_explained(comparison)
    check_top_types(comparison)
    check_totals(comparison)


@pytest.fixture
def original_installed() -> None:
    if not ORIGINAL_SOURCE.exists():
        pytest.skip(f"the original memory_inventory 1.2 is not installed in "
                    f"{ORIGINAL_DIR} (tools/setup installs it)")


@pytest.mark.usefixtures('original_installed')
def test_a_few_modules(request: pytest.FixtureRequest) -> None:
    check_all(compare(request, QUICK_MODULES, display=False))


@pytest.mark.skipif(
    sys.version_info < (3, 13),
    reason="the whole-stdlib comparison runs on 3.13, the goals' "
           "interpreter (uncached, it takes two minutes); on 3.12 the "
           "few-modules comparison runs")
@pytest.mark.usefixtures('original_installed')
def test_whole_stdlib(request: pytest.FixtureRequest) -> None:
    if xvfb_run() is None:
        pytest.skip("xvfb-run is not installed (Debian: xvfb): without a "
                    "display, idlelib's test modules raise "
                    "test.support.ResourceDenied and the original stops "
                    "importing half-way, so the two heaps would differ")
    comparison = compare(request, ('stdlib',), display=True)
    failed = comparison.ours['failed']
    assert not any(name.startswith('idlelib') for name in failed), (
        f"idlelib modules failed to import under xvfb-run: {failed}")
    check_all(comparison)


# --- An edge the counts above cannot show ----------------------------------
# On 3.13, once obj.__dict__ has been read, an instance with inline values
# keeps both; tp_traverse visits the values, never the dict, so the walk
# visits the managed dict itself (it had missed it: 13 dicts, ~3 KB, after
# importing the whole standard library).

def test_a_materialised_instance_dict_is_counted() -> None:
    def dict_instances(materialise: bool) -> int:
        class Inline:
            def __init__(self) -> None:
                self.number = 1.5
                self.text = 'a string' * 3

        obj = Inline()
        if materialise:
            assert obj.__dict__ == {'number': 1.5, 'text': 'a string' * 3}
        result = mi.inventory(roots=[obj], attributes_to_skip=[id(Inline)])
        stats = result.type_stats(dict)
        return stats.instances if stats is not None else 0

    assert dict_instances(True) == dict_instances(False) + 1
