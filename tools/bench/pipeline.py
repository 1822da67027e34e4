"""Benchmark: the whole-stdlib command line, ours against the original.

Run with `.venv/3.13/bin/python tools/bench/pipeline.py` (after tools/stage).
Prints, side by side: `python -m memory_inventory` in whole-stdlib mode for
the original 1.2 (from .venv/original-1.2, under xvfb-run when available so
that it gets past idlelib's tests) and for ours, wall time and peak RSS;
then the collector alone rebuilding every report from the recording.
Goals (issue 3): ours <= 1 s end to end, the collector <= 50 ms."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ORIGINAL = REPO / '.venv' / 'original-1.2'
BASE_PYTHON = getattr(sys, '_base_executable', sys.executable)
sys.path.insert(0, str(REPO / 'python'))

from memory_inventory.pipeline import collector_path  # noqa: E402


def _timed(argv: list[str], env: dict[str, str] | None = None,
           cwd: str | None = None) -> tuple[float, int, int]:
    """Wall seconds, exit status, and the peak RSS (KiB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, result.returncode, peak if peak > before else -1


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix='mi_bench_'))
    rows: list[tuple[str, float, float, int]] = []
    try:
        # Ours, best and median of five.
        ours: list[float] = []
        peaks: list[int] = []
        for i in range(5):
            save = work / f'ours{i}'
            seconds, status, peak = _timed(
                [sys.executable, '-m', 'memory_inventory', '--save-dir',
                 str(save)], cwd=str(work))
            if status:
                print(f"error: ours exited with status {status}")
                return 1
            ours.append(seconds)
            peaks.append(peak)
        rows.append(('ours (whole stdlib)', min(ours),
                     statistics.median(ours), max(peaks)))
        # The original, once: it takes seconds.
        env = {**os.environ, 'PYTHONPATH': str(ORIGINAL)}
        argv = [BASE_PYTHON, '-m', 'memory_inventory', '--save-dir',
                str(work / 'original')]
        if shutil.which('xvfb-run'):
            argv = ['xvfb-run', '-a', *argv]
        if ORIGINAL.is_dir():
            seconds, status, peak = _timed(argv, env=env, cwd=str(work))
            rows.append(('original 1.2 (whole stdlib)', seconds, seconds,
                         peak))
            if status:
                print(f"(the original exited with status {status})")
        # The collector alone, on the recording ours saved.
        recording = work / 'ours0' / 'recording.msgpack'
        collector: list[float] = []
        for i in range(7):
            started = time.perf_counter()
            subprocess.run([collector_path(), 'report', str(recording),
                            '--save-dir', str(work / f'rebuilt{i}'),
                            '--quiet'], check=True)
            collector.append(time.perf_counter() - started)
        rows.append(('collector: decode + every report', min(collector),
                     statistics.median(collector), -1))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'run':36} {'best':>9} {'median':>9} {'peak RSS':>10}")
    for name, best, median, peak in rows:
        rss = f"{peak / 1024:.0f} MB" if peak > 0 else '-'
        print(f"{name:36} {best * 1000:7.0f} ms {median * 1000:7.0f} ms "
              f"{rss:>10}")
    by_name = {name: best for name, best, _, _ in rows}
    if 'original 1.2 (whole stdlib)' in by_name:
        ratio = (by_name['original 1.2 (whole stdlib)']
                 / by_name['ours (whole stdlib)'])
        print(f"ours is {ratio:.1f} times faster end to end")
    ours_ms = by_name['ours (whole stdlib)'] * 1000
    collector_ms = by_name['collector: decode + every report'] * 1000
    print(f"goals: ours <= 1000 ms (best {ours_ms:.0f} ms); "
          f"collector <= 50 ms (best {collector_ms:.0f} ms)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
