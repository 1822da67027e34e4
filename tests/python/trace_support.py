"""Helpers of the tests of python -m memory_inventory.trace: running it,
waiting for a collector that outlives the program, reading the import tree
of report.json."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRACE = [sys.executable, '-m', 'memory_inventory.trace']

# python -X importtime's line, and the header line.
IMPORTTIME_LINE = re.compile(
    r'import time: +(?P<self>\d+) \| +(?P<cumulative>\d+) \| '
    r'(?P<indent>(?:  )*)(?P<name>\S+)')
IMPORTTIME_HEADER = 'import time: self [us] | cumulative | imported package'


def run_trace(cwd: Path, *args: str, timeout: float = 300,
              env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TRACE, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def run_python(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def wait_for_report(save_dir: Path, timeout: float = 120) -> dict[str, Any]:
    """report.json once the collector has written everything (report.txt
    is written last): for a collector that outlives the program."""
    deadline = time.monotonic() + timeout
    while not (save_dir / 'report.txt').exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"no report in {save_dir} after {timeout} s")
        time.sleep(0.05)
    result: dict[str, Any] = json.loads(
        (save_dir / 'report.json').read_text())
    return result


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    parent: str | None          # the parent's name, None for a root
    depth: int


def import_tree(report: dict[str, Any]) -> list[Node]:
    """report.json's import tree as (name, parent name, depth), in the
    order the imports ended (as -X importtime prints them)."""
    tree = report['import_tree']
    nodes = [] if tree is None else tree['nodes']
    result = []
    for node in nodes:
        parent = node['parent']
        result.append(Node(node['name'],
                           None if parent is None else nodes[parent]['name'],
                           node['depth']))
    return result


def importtime_parents(lines: list[str]) -> list[tuple[str, int | None]]:
    """-X importtime lines (children first, two spaces per level) as
    (name, index of the parent line or None), in their order."""
    parsed: list[tuple[str, int]] = []
    for line in lines:
        match = IMPORTTIME_LINE.fullmatch(line)
        assert match is not None, line
        parsed.append((match['name'], len(match['indent']) // 2))
    parents: list[int | None] = [None] * len(parsed)
    waiting: list[int] = []     # indexes of lines whose parent is not seen
    for index, (_name, depth) in enumerate(parsed):
        keep = []
        for child in waiting:
            if parsed[child][1] == depth + 1:
                parents[child] = index
            else:
                keep.append(child)
        waiting = [*keep, index]
    return [(name, parents[index])
            for index, (name, _depth) in enumerate(parsed)]


def as_nodes(lines: list[tuple[str, int | None]],
             dropped: frozenset[int] = frozenset()) -> list[Node]:
    """(name, parent index) lines, without the dropped ones, as Nodes."""
    def depth(index: int) -> int:
        parent = lines[index][1]
        return 0 if parent is None else depth(parent) + 1

    return [Node(name, None if parent is None else lines[parent][0],
                 depth(index))
            for index, (name, parent) in enumerate(lines)
            if index not in dropped]


def importtime_tree(lines: list[str]) -> list[Node]:
    """The tree -X importtime prints, as is."""
    return as_nodes(importtime_parents(lines))


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
