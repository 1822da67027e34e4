"""Benchmark: what import tracing costs, next to the tools people use.

    .venv/3.13/bin/python tools/bench/trace.py [--runs N] [--modes M,...]
                                               [--workload FILE] [--xvfb]

Runs a workload (by default the whole-stdlib one: every module named in
sys.stdlib_module_names and their submodules, as
/work/shared/bench/import_stdlib.py does) in fresh child processes of the
venv's base interpreter, --runs times per mode (default 5), the modes
interleaved so that a change of machine load hits them all:

- plain: the workload alone;
- importtime: under `-X importtime` (its report goes to a pipe, read and
  dropped);
- tracemalloc: under `-X tracemalloc=1`;
- hook: our ImportHook alone, with a callback that does nothing;
- ours-file: the Tracer writing to a file (what `Tracer(path)` does),
  final inventory included;
- ours-collector: the Tracer writing to the collector it spawns, through
  RecordWriter(spawn=...), as pipeline.py does (the collector's own work
  runs in its process, in parallel);
- ours-nofinal: the Tracer to a file with final_inventory=False.

For each mode: the wall time of the traced run (in the child, from before
`import memory_inventory.trace` to after `Tracer.stop()`: the final
inventory is inside), best and median, the ratio of the medians to plain,
the child's peak RSS (ru_maxrss) and what it adds to plain's. For the
Tracer, where its time goes (Tracer.timings of the median run): the
import callbacks (roots, records and walks), of which the incremental
walks and their packing, then stop()'s final walk and its packing.
Wall times: run it on an idle machine."""

from __future__ import annotations

import argparse
import builtins
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict, cast

from bench_common import STDLIB_WORKLOAD, fmt_mib, table, without_bench_dir

REPO = Path(__file__).resolve().parents[2]
OURS_DIR = REPO / 'python'
GOAL_RATIO = 1.3
GOAL_ADDED_RSS_KIB = 16 * 1024

MODES = ('plain', 'importtime', 'tracemalloc', 'hook', 'ours-file',
         'ours-collector', 'ours-nofinal')
DEFAULT_MODES = ('plain', 'importtime', 'tracemalloc', 'hook', 'ours-file',
                 'ours-collector')
FLAGS = {'importtime': ['-X', 'importtime'],
         'tracemalloc': ['-X', 'tracemalloc=1']}



class Report(TypedDict):
    """What a child prints."""

    mode: str
    seconds: float
    maxrss_kib: int
    modules: int
    timings: dict[str, float]
    records: int
    collector_status: int | None


# --- Child side -------------------------------------------------------------

def child(mode: str, workload_path: str | None, output: str) -> int:
    source = (Path(workload_path).read_text() if workload_path
              else STDLIB_WORKLOAD)
    code = compile(source, workload_path or '<stdlib workload>', 'exec')
    without_bench_dir()
    namespace: dict[str, object] = {'__name__': '__workload__'}
    timings: dict[str, float] = {}
    records = 0
    status: int | None = None
    started = time.perf_counter()
    if mode == 'hook':
        from memory_inventory import _native
        hook = _native.ImportHook(lambda *event: None)
        sys.meta_path.insert(0, hook)
        exec(code, namespace)
        sys.meta_path.remove(hook)
    elif mode.startswith('ours'):
        from memory_inventory import _native
        from memory_inventory.trace import Tracer
        if mode == 'ours-collector':
            # Only this mode needs the collector program.
            from memory_inventory.locations import collector_path
            writer = _native.RecordWriter(
                spawn=[collector_path(), '--no-save'])
        else:
            writer = _native.RecordWriter(path=output)
        tracer = Tracer(writer, final_inventory=mode != 'ours-nofinal')
        tracer.start()
        exec(code, namespace)
        tracer.stop()
        timings = dict(getattr(tracer, 'timings', {}))
        seconds = time.perf_counter() - started
        records = writer.records
        status = writer.close()
    else:
        exec(code, namespace)
    if not mode.startswith('ours'):
        seconds = time.perf_counter() - started
    report: Report = {
        'mode': mode, 'seconds': seconds,
        'maxrss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        'modules': len(sys.modules), 'timings': timings,
        'records': records, 'collector_status': status,
    }
    if mode == 'ours-file':
        # After the figures above (its owner map must not count in the
        # peak): the cheapest walk of the final heap there is, one that
        # only claims every object in an owner map (no sizes, statistics
        # or records). The tracer walks the heap twice (the imports' walks
        # in all, then the final inventory), so twice this is a floor.
        from memory_inventory import _native
        from memory_inventory.walk_options import own_object_ids
        floor = _native.AttributionTracker(own_object_ids(), (), ())
        began = time.perf_counter()
        floor.attribute_records(0, (builtins, sys.modules), None)
        report['timings']['bare_walk'] = time.perf_counter() - began
        floor.close()
    sys.stdout.flush()
    os.write(1, json.dumps(report).encode())
    return 0


# --- Parent side ------------------------------------------------------------

def base_interpreter() -> str:
    """The interpreter the running venv was made from."""
    return str(getattr(sys, '_base_executable', None) or sys.executable)


def run_child(mode: str, workload: str | None, xvfb: bool,
              output: str) -> Report:
    env = dict(os.environ)
    env['PYTHONPATH'] = str(OURS_DIR)
    command = [base_interpreter(), '-s', *FLAGS.get(mode, []),
               str(Path(__file__).resolve()), '--child', mode,
               '--output', output]
    if workload:
        command += ['--workload', workload]
    if xvfb:
        command = ['xvfb-run', '-a', *command]
    done = subprocess.run(command, env=env, capture_output=True, cwd=REPO,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} child failed ({done.returncode}):\n"
                         f"{done.stderr.decode(errors='replace')[-3000:]}")
    # The workload may print: the report is the last line of stdout.
    last = done.stdout.decode(errors='replace').strip().rsplit('\n', 1)[-1]
    start = last.rfind('{"mode"')
    return cast(Report, json.loads(last[start:]))


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def median_report(reports: list[Report]) -> Report:
    ordered = sorted(reports, key=lambda r: r['seconds'])
    return ordered[len(ordered) // 2]


def breakdown(report: Report, plain: float) -> list[str]:
    t = report['timings']
    if not t:
        return [f"  {report['mode']}: no Tracer.timings (an older Tracer)"]
    lines = [f"  {report['mode']} (median run, {report['records']} records, "
             f"{t.get('imports', 0):.0f} imports):"]
    rest = report['seconds'] - plain
    for key, label in (
            ('start', 'start(): baseline walk, hook'),
            ('callbacks', 'import callbacks, in all'),
            ('roots', '  of which roots and ids (Python)'),
            ('walks', '  of which incremental walks (C)'),
            ('packing', '  of which their records (C)'),
            ('final', 'stop(): final inventory, in all'),
            ('final_walk', '  of which the accounting walk'),
            ('final_packing', '  of which its records')):
        if key in t:
            lines.append(f"    {label:38} {fmt_ms(t[key]):>8}")
    lines.append(f"    {'above plain (median), all included':38} "
                 f"{fmt_ms(rest):>8}")
    if 'bare_walk' in t:
        bare = t['bare_walk']
        lines.append(f"    {'a bare walk of the final heap':38} "
                     f"{fmt_ms(bare):>8}  (claims only; twice that, "
                     f"{fmt_ms(2 * bare).strip()}, is the floor of two walks; "
                     f"the {GOAL_RATIO}x budget is "
                     f"{fmt_ms((GOAL_RATIO - 1) * plain).strip()})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runs', type=int, default=5,
                        help="runs per mode (default: 5)")
    parser.add_argument('--modes', default=','.join(DEFAULT_MODES),
                        help=f"comma-separated, of: {', '.join(MODES)}")
    parser.add_argument('--workload', help="a Python file to run instead of "
                        "the whole-stdlib workload")
    parser.add_argument('--xvfb', action='store_true',
                        help="run the children under xvfb-run -a (a display "
                        "lets idlelib's test modules import)")
    parser.add_argument('--child', choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.workload, args.output)
    modes = [m.strip() for m in args.modes.split(',') if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        parser.error(f"unknown modes: {', '.join(unknown) or '(none)'}")
    if 'plain' not in modes:
        modes.insert(0, 'plain')
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.workload and not Path(args.workload).is_file():
        parser.error(f"no such workload file: {args.workload}")
    if args.xvfb and shutil.which('xvfb-run') is None:
        parser.error("xvfb-run is not installed")

    print(f"workload: {args.workload or 'whole stdlib'}, "
          f"{base_interpreter()}, {args.runs} runs per mode"
          f"{', under xvfb-run' if args.xvfb else ''}", flush=True)
    results: dict[str, list[Report]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix='mi-bench-trace-') as tmp:
        output = os.path.join(tmp, 'trace.msgpack')
        for _ in range(args.runs):
            for mode in modes:
                results[mode].append(run_child(mode, args.workload,
                                               args.xvfb, output))
    plain = median_report(results['plain'])
    plain_median = statistics.median(r['seconds'] for r in results['plain'])
    rows: list[tuple[str, ...]] = [('mode', 'best', 'median', 'ratio',
                                    'peak RSS', 'added RSS', 'modules')]
    for mode in modes:
        reports = results[mode]
        best = min(r['seconds'] for r in reports)
        median = statistics.median(r['seconds'] for r in reports)
        rss = statistics.median(r['maxrss_kib'] for r in reports)
        rows.append((mode, fmt_ms(best), fmt_ms(median),
                     f"{median / plain_median:.2f}x",
                     fmt_mib(rss), fmt_mib(rss - plain['maxrss_kib']),
                     str(median_report(reports)['modules'])))
    print(table(rows))
    for mode in modes:
        if mode.startswith('ours'):
            report = median_report(results[mode])
            print('\n'.join(breakdown(report, plain_median)))
            status = report['collector_status']
            if mode == 'ours-collector' and status != 0:
                print(f"    (the collector exited with {status})")
    print(f"goals: ratio <= {GOAL_RATIO}x, added peak RSS <= "
          f"{fmt_mib(GOAL_ADDED_RSS_KIB)}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
