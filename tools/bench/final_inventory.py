"""Benchmark: the tracer's final inventory alone, repeated.

    .venv/3.13/bin/python tools/bench/final_inventory.py [--runs N]
        [--rounds R] [--against DIR]

In a fresh child process of the venv's base interpreter: the whole-stdlib
workload of trace.py under a Tracer writing to a file, then
AttributionTracker.account_records() (the final accounting walk and its
records, what Tracer.stop() does) --runs times (default 10) on that heap.
Prints, per child, the best and median of the walk and of the packing
(their times as account_records reports them), of the whole call, and the
median of the page faults of a call. The first call also packs the TYPE
records of the types no import met; later calls do not (they are a little
cheaper than the one in stop()).

--against DIR alternates --rounds children (default 3) of this checkout's
python/ and of DIR (a directory holding another build's memory_inventory
package, e.g. one staged with `tools/stage DIR/memory_inventory` from an
older commit), so that both meet the same machine load."""

from __future__ import annotations

import argparse
import builtins
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def child(runs: int) -> None:
    from bench_common import STDLIB_WORKLOAD, without_bench_dir
    without_bench_dir()

    from memory_inventory import _native
    from memory_inventory.trace import Tracer

    with tempfile.TemporaryDirectory() as folder:
        writer = _native.RecordWriter(path=str(Path(folder) / 'records'))
        tracer = Tracer(writer)
        tracer.start()
        exec(compile(STDLIB_WORKLOAD, '<stdlib workload>',
                     'exec'), {'__name__': '__workload__'})
        tracker = tracer._tracker
        assert tracker is not None
        walks, packs, totals, faults = [], [], [], []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            started = time.perf_counter()
            objects, walk, pack = tracker.account_records(
                (builtins, sys.modules), writer)
            totals.append(time.perf_counter() - started)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                          - before)
            walks.append(walk)
            packs.append(pack)
        tracer.stop()
        writer.close()

    def ms(values: list[float]) -> str:
        return (f"best {min(values) * 1e3:5.1f} "
                f"median {statistics.median(values) * 1e3:5.1f} ms")

    print(f"{objects} objects | walk {ms(walks)} | records {ms(packs)} | "
          f"call {ms(totals)} | {statistics.median(faults):.0f} page "
          f"faults a call")


def run_child(python_path: Path, runs: int) -> str:
    base = str(getattr(sys, '_base_executable', None) or sys.executable)
    env = dict(os.environ, PYTHONPATH=str(python_path))
    done = subprocess.run(
        [base, '-s', str(Path(__file__).resolve()), '--child',
         '--runs', str(runs)],
        env=env, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    return done.stdout.strip().rsplit('\n', 1)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--against', type=Path)
    parser.add_argument('--child', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1 or args.rounds < 1:
        parser.error('--runs and --rounds must be at least 1')
    if args.child:
        child(args.runs)
        return 0
    if args.against is not None and not (
            args.against / 'memory_inventory').is_dir():
        parser.error(f'{args.against} holds no memory_inventory package')
    variants = [('this', REPO / 'python')]
    if args.against is not None:
        variants.append(('against', args.against))
    for _ in range(args.rounds if args.against is not None else 1):
        for name, path in variants:
            print(f"{name:8} {run_child(path, args.runs)}", flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
