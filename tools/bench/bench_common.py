"""What the benchmarks share: the whole-stdlib workload, the tables they
print, and a clean sys.path for their children.

The scripts run with this folder as sys.path[0], where `trace.py` would
stand in for the standard library's `trace` module when the workload
imports it: every child calls without_bench_dir() before its workload."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

# The workload of /work/shared/bench/import_stdlib.py, run by exec() in the
# child's __main__ so that it costs the same in every mode.
STDLIB_WORKLOAD = '''\
import importlib, pkgutil, sys
skip = {'antigravity', 'idlelib.idle', 'this'}
queue = sorted(sys.stdlib_module_names)
while queue:
    name = queue.pop(0)
    if name in skip or name.endswith('.__main__'):
        continue
    try:
        m = importlib.import_module(name)
    except Exception:
        continue
    if getattr(m, '__path__', None):
        queue.extend(sorted(i.name for i in pkgutil.walk_packages(
            m.__path__, name + '.', onerror=lambda n: None)))
'''


def without_bench_dir() -> None:
    """Takes this folder out of sys.path (the modules of the benchmarks
    already imported stay)."""
    sys.path[:] = [entry for entry in sys.path
                   if Path(entry or '.').resolve() != BENCH_DIR]


def fmt_mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def table(rows: list[tuple[str, ...]]) -> str:
    """A Markdown table, the first column left-aligned, the others right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append('| ' + ' | '.join(cells) + ' |')
        if n == 0:
            lines.append('|' + '|'.join('-' * (w + 2) for w in widths) + '|')
    return '\n'.join(lines)
