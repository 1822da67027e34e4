"""Benchmark: the original memory_inventory 1.2 and ours, side by side, on
the whole-stdlib workload.

    .venv/3.13/bin/python tools/bench/inventory.py [--runs N] [--no-original]

Each measurement runs in a fresh child process of the base interpreter
(the one the running venv was made from), under `xvfb-run -a` when it is
installed (without a display, some idlelib test modules fail to import and
the heap is smaller), after importing (almost) every standard-library
module with the same function:

- original: the original's inventory as its main() runs it
  (`TypeStatsDict.build` in a copied context, DeprecationWarnings raised),
  from the original installed apart in .venv/original-1.2 (the import name
  is the same as ours);
- ours: `memory_inventory.inventory()`, once, then --runs more times;
- baseline: the imports alone (resident memory of the bare workload).

"Added peak RSS" is VmHWM after the first inventory minus VmRSS just
before it, with the peak reset first (`5` written to /proc/self/clear_refs)
so that a peak reached by the imports does not hide the inventory's own.
Takes about 20 s, most of it in the original."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import pkgutil
import shutil
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

from bench_common import fmt_mib, table, without_bench_dir

REPO = Path(__file__).resolve().parents[2]
ORIGINAL_DIR = REPO / '.venv' / 'original-1.2'
OURS_DIR = REPO / 'python'

GOAL_SECONDS = 0.100
GOAL_ADDED_PEAK_KIB = 16 * 1024

STDLIB_SKIP = frozenset({'antigravity', 'idlelib.idle', 'this'})


class Report(TypedDict):
    """What a child prints."""

    python: str
    modules: int
    failed: int
    import_seconds: float
    peak_reset: bool
    rss_before_kib: int
    hwm_before_kib: int
    rss_after_kib: int
    hwm_after_kib: int
    #: The inventories' wall times (none for the baseline).
    seconds: list[float]
    #: Ours: Inventory.walk_seconds of each, the part in the C engine.
    walk_seconds: list[float]
    objects: int
    bytes: int


# --- Child side -------------------------------------------------------------

def import_all_stdlib_modules() -> list[str]:
    """The whole-stdlib workload of both tools: every module named in
    sys.stdlib_module_names and their submodules, in the same order; any
    exception counts as a failure. Returns the failures."""
    queue = deque(sorted(sys.stdlib_module_names))
    failed = []
    while queue:
        name = queue.popleft()
        if name in STDLIB_SKIP or name.endswith('.__main__'):
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
    return failed


def proc_status_kib() -> dict[str, int]:
    found = {}
    with open('/proc/self/status', 'rb') as status:
        for line in status:
            key, _, value = line.partition(b':')
            if key in (b'VmRSS', b'VmHWM'):
                found[key.decode()] = int(value.split()[0])
    return found


def reset_peak() -> bool:
    """Resets VmHWM to the current RSS (Linux 4.0+)."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
    except OSError:
        return False
    return True


def measure_original() -> dict[str, object]:
    """One inventory of the original's, as its main() runs it."""
    import contextvars
    import warnings

    import memory_inventory as original
    if not hasattr(original, 'TypeStatsDict'):
        raise SystemExit(f"{original.__file__} is not the original")
    # Typed as object through our package's lazy __getattr__.
    type_stats_dict: Any = original.TypeStatsDict
    build = type_stats_dict.build
    started = time.perf_counter()
    with warnings.catch_warnings(category=DeprecationWarning,
                                 action='error'):
        stats = contextvars.copy_context().run(build)
    seconds = time.perf_counter() - started
    return {
        'seconds': [seconds],
        'objects': sum(s.instances_count for s in stats.values()),
        'bytes': sum(s.instances_intrinsic_memory_usage
                     for s in stats.values()),
    }


def measure_ours(runs: int) -> dict[str, object]:
    """1 + runs inventories of ours; the memory after the first."""
    import memory_inventory as ours
    if not hasattr(ours, 'inventory'):
        raise SystemExit(f"{ours.__file__} is not ours")
    started = time.perf_counter()
    result = ours.inventory()
    times = [time.perf_counter() - started]
    first = proc_status_kib()
    walks = [result.walk_seconds]
    objects, nbytes = result.objects, result.bytes
    del result
    for _ in range(runs):
        started = time.perf_counter()
        result = ours.inventory()
        times.append(time.perf_counter() - started)
        walks.append(result.walk_seconds)
        del result
    return {'seconds': times, 'walk_seconds': walks, 'objects': objects,
            'bytes': nbytes, 'after_first': first}


def child(mode: str, runs: int) -> int:
    without_bench_dir()
    started = time.perf_counter()
    failed = import_all_stdlib_modules()
    import_seconds = time.perf_counter() - started
    modules = len(sys.modules)
    gc.collect()
    peak_reset = reset_peak()
    before = proc_status_kib()
    if mode == 'original':
        report = measure_original()
    elif mode == 'ours':
        report = measure_ours(runs)
    else:
        report = {'seconds': [], 'objects': 0, 'bytes': 0}
    report.setdefault('walk_seconds', [])
    after = cast('dict[str, int] | None', report.pop('after_first', None))
    if after is None:
        after = proc_status_kib()
    report.update(
        python=sys.version.split()[0], modules=modules, failed=len(failed),
        import_seconds=import_seconds, peak_reset=peak_reset,
        rss_before_kib=before['VmRSS'], hwm_before_kib=before['VmHWM'],
        rss_after_kib=after['VmRSS'], hwm_after_kib=after['VmHWM'],
    )
    json.dump(report, sys.stdout)
    return 0


# --- Parent side ------------------------------------------------------------

def base_interpreter() -> str:
    """The interpreter the running venv was made from."""
    return str(getattr(sys, '_base_executable', None) or sys.executable)


def run_child(mode: str, runs: int, pythonpath: Path | None,
              display: bool) -> Report:
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    if pythonpath is not None:
        env['PYTHONPATH'] = str(pythonpath)
    command = [base_interpreter(), '-s', str(Path(__file__).resolve()),
               '--child', mode, '--runs', str(runs)]
    if display:
        command = ['xvfb-run', '-a', *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} child failed ({done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    return cast(Report, json.loads(done.stdout))


def added_peak_kib(report: Report) -> int:
    return report['hwm_after_kib'] - report['rss_before_kib']


def fmt_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', type=int, default=9,
                        help="inventories after the first (default: 9)")
    parser.add_argument('--no-original', action='store_true',
                        help="skip the original (saves ~15 s)")
    parser.add_argument('--child', choices=('original', 'ours', 'baseline'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.runs)

    display = shutil.which('xvfb-run') is not None
    if not display:
        print("warning: xvfb-run not found: without a display some idlelib "
              "modules fail to import, and the original stops half-way",
              file=sys.stderr)
    print(f"whole-stdlib workload, {base_interpreter()}, "
          f"{'under xvfb-run' if display else 'no display'}", flush=True)
    baseline = run_child('baseline', 0, None, display)
    ours = run_child('ours', args.runs, OURS_DIR, display)
    original = None
    if not args.no_original:
        if not (ORIGINAL_DIR / 'memory_inventory' / '__init__.py').exists():
            print(f"warning: no original in {ORIGINAL_DIR}: skipped",
                  file=sys.stderr)
        else:
            original = run_child('original', 0, ORIGINAL_DIR, display)

    for name, report in (('baseline', baseline), ('ours', ours),
                         ('original', original)):
        if report is not None:
            print(f"{name}: CPython {report['python']}, "
                  f"{report['modules']} modules in sys.modules "
                  f"({report['failed']} imports failed), imports took "
                  f"{fmt_seconds(report['import_seconds'])}, "
                  f"RSS {fmt_mib(report['rss_before_kib'])} "
                  "before the inventory")
    if original is not None and original['modules'] != ours['modules']:
        print("warning: the two heaps hold different numbers of modules",
              file=sys.stderr)

    first, later = ours['seconds'][0], ours['seconds'][1:]
    # What inventory() adds to its C walk, run by run.
    outside = [total - walk for total, walk in
               zip(ours['seconds'], ours['walk_seconds'], strict=True)]
    outside_walk = min(outside[1:] or outside)
    later = later or [first]
    best, median = min(later), statistics.median(later)
    our_peak = added_peak_kib(ours)
    orig_seconds = original['seconds'][0] if original else None
    orig_peak = added_peak_kib(original) if original else None

    def ratio(a: float | None, b: float, digits: int = 1) -> str:
        if a is None or b <= 0:
            return '-'
        return f"{a / b:,.{digits}f}x"

    def goal(ok: bool, text: str) -> str:
        return f"{text}: {'met' if ok else 'MISSED'}"

    def count(report: Report | None, key: Literal['objects', 'bytes']) -> str:
        return f"{report[key]:,}" if report is not None else '-'

    rows: list[tuple[str, ...]] = [
        ('', 'original 1.2', 'ours', 'original / ours', 'goal (ours)'),
        ('inventory time, best',
         fmt_seconds(orig_seconds) if orig_seconds is not None else '-',
         fmt_seconds(best), ratio(orig_seconds, best),
         goal(best <= GOAL_SECONDS, '<= 100 ms')),
        ('inventory time, median', '', fmt_seconds(median),
         ratio(orig_seconds, median),
         goal(median <= GOAL_SECONDS, '<= 100 ms')),
        ('inventory time, first run', '', fmt_seconds(first),
         ratio(orig_seconds, first), ''),
        ('  of which the C walk, best', '',
         fmt_seconds(min(ours['walk_seconds'][1:] or ours['walk_seconds'])),
         '', ''),
        ('  the rest (Python), best', '', fmt_seconds(outside_walk),
         '', ''),
        ('added peak RSS',
         fmt_mib(orig_peak) if orig_peak is not None else '-',
         fmt_mib(our_peak), ratio(orig_peak, our_peak),
         goal(our_peak <= GOAL_ADDED_PEAK_KIB, '<= 16 MiB')),
        ('objects found', count(original, 'objects'), count(ours, 'objects'),
         ratio(original['objects'] if original else None, ours['objects'],
               3), ''),
        ('bytes found', count(original, 'bytes'), count(ours, 'bytes'),
         ratio(original['bytes'] if original else None, ours['bytes'], 3),
         ''),
        ('RSS before the inventory',
         fmt_mib(original['rss_before_kib']) if original else '-',
         fmt_mib(ours['rss_before_kib']), '',
         f"(imports alone: {fmt_mib(baseline['rss_before_kib'])})"),
    ]
    print()
    print(table(rows))
    print(f"\nours: {len(later)} runs after the first; time is wall time "
          "around inventory() (walk, sizes, duplicates and report objects).")
    if original:
        print("original: one run of TypeStatsDict.build, as its main() runs "
              "it (without writing the HTML files). The objects it finds "
              "include those its own walk creates (co_code caches, "
              "__annotations__ dicts, descriptor __qualname__ strings, "
              "materialised __dict__s): see tests/python/test_oracle.py.")
    if not ours['peak_reset']:
        print("note: /proc/self/clear_refs could not reset the peak: the "
              "added peak RSS may be understated")
    return 0


if __name__ == '__main__':
    sys.exit(main())
