"""Benchmark: the whole-stdlib command line, ours against the original.

Run with `.venv/3.13/bin/python tools/bench/pipeline.py` (after tools/stage).
Prints, side by side: `python -m memory_inventory` in whole-stdlib mode for
the original 1.2 (from .venv/original-1.2, under xvfb-run when available so
that it gets past idlelib's tests) and for ours, wall time and peak RSS;
then the collector alone rebuilding every report from the recording.
Goals (issue 3): ours <= 1 s end to end, the collector <= 50 ms.

    pipeline.py [--collector-only] [--recording FILE] [--runs N]
                [--baseline COLLECTOR]

--collector-only skips the two command lines (a recording is then made
with ours once, unless --recording names one); --runs sets how many times
the collector runs (default 20); --baseline names another collector
binary (say, one built from an older commit into /tmp), run in turn with
ours on the same recording so that both see the same load. Every run of
the collector saves into a new directory, as the command line does."""

from __future__ import annotations

import argparse
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

Row = tuple[str, float, float, int]


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


def _command_lines(work: Path, rows: list[Row]) -> bool:
    """Ours five times (its first recording is kept in work/ours0), then
    the original once; False when ours failed."""
    ours: list[float] = []
    peaks: list[int] = []
    for i in range(5):
        save = work / f'ours{i}'
        seconds, status, peak = _timed(
            [sys.executable, '-m', 'memory_inventory', '--save-dir',
             str(save)], cwd=str(work))
        if status:
            print(f"error: ours exited with status {status}")
            return False
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
        rows.append(('original 1.2 (whole stdlib)', seconds, seconds, peak))
        if status:
            print(f"(the original exited with status {status})")
    return True


def _collectors(recording: Path, work: Path, runs: int,
                collectors: list[tuple[str, str]], rows: list[Row]) -> bool:
    """Each collector of (label, program) rebuilds every report from
    `recording`, `runs` times, in turn; False when one fails."""
    seconds: dict[str, list[float]] = {label: [] for label, _ in collectors}
    for _ in range(runs):
        for label, program in collectors:
            save = work / f'rebuilt-{len(seconds[label])}-{label}'
            started = time.perf_counter()
            result = subprocess.run(
                [program, 'report', str(recording), '--save-dir', str(save),
                 '--quiet'], check=False)
            seconds[label].append(time.perf_counter() - started)
            if result.returncode:
                print(f"error: {program} exited with status "
                      f"{result.returncode}")
                return False
            shutil.rmtree(save, ignore_errors=True)
    for label, _ in collectors:
        rows.append((label, min(seconds[label]),
                     statistics.median(seconds[label]), -1))
    return True


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0] if __doc__ else None)
    parser.add_argument('--collector-only', action='store_true',
                        help='time only the collector')
    parser.add_argument('--recording', type=Path,
                        help='the recording the collector reads')
    parser.add_argument('--runs', type=int, default=20,
                        help='runs of the collector (default: 20)')
    parser.add_argument('--baseline', metavar='COLLECTOR',
                        help='another collector binary, timed in turn')
    options = parser.parse_args(argv)
    if options.runs < 1:
        parser.error('--runs must be at least 1')
    if options.recording is not None and not options.recording.is_file():
        parser.error(f'no such recording: {options.recording}')
    return options


def main(argv: list[str]) -> int:
    options = _parse(argv)
    work = Path(tempfile.mkdtemp(prefix='mi_bench_'))
    rows: list[Row] = []
    load_before = os.getloadavg()
    try:
        if not options.collector_only:
            if not _command_lines(work, rows):
                return 1
        recording = options.recording
        if recording is None:
            recording = work / 'ours0' / 'recording.msgpack'
            if not recording.is_file():
                status = subprocess.run(
                    [sys.executable, '-m', 'memory_inventory', '--save-dir',
                     str(work / 'ours0')], cwd=str(work),
                    stdout=subprocess.DEVNULL, check=False).returncode
                if status:
                    print(f"error: ours exited with status {status}")
                    return 1
        collectors = [('collector: decode + every report', collector_path())]
        if options.baseline is not None:
            collectors.append(('baseline collector', options.baseline))
        if not _collectors(recording, work, options.runs, collectors, rows):
            return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    print(f"{'run':36} {'best':>9} {'median':>9} {'peak RSS':>10}")
    for name, best, median, peak in rows:
        rss = f"{peak / 1024:.0f} MB" if peak > 0 else '-'
        print(f"{name:36} {best * 1000:7.1f} ms {median * 1000:7.1f} ms "
              f"{rss:>10}")
    print(f"load average (1 min) {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; {os.cpu_count()} CPUs")
    by_name = {name: best for name, best, _, _ in rows}
    if ('original 1.2 (whole stdlib)' in by_name
            and 'ours (whole stdlib)' in by_name):
        ratio = (by_name['original 1.2 (whole stdlib)']
                 / by_name['ours (whole stdlib)'])
        print(f"ours is {ratio:.1f} times faster end to end")
    goals = []
    if 'ours (whole stdlib)' in by_name:
        ours_ms = by_name['ours (whole stdlib)'] * 1000
        goals.append(f"ours <= 1000 ms (best {ours_ms:.0f} ms)")
    collector_ms = by_name['collector: decode + every report'] * 1000
    goals.append(f"collector <= 50 ms (best {collector_ms:.0f} ms)")
    print("goals: " + "; ".join(goals))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
