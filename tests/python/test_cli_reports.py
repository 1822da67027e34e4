"""The command line through the whole pipeline: the summary, the saved
results, the recording rebuilt offline, and a collector that dies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from memory_inventory.pipeline import collector_path


def _cli(*args: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, '-m', 'memory_inventory', *args],
                          capture_output=True, text=True, timeout=600,
                          env=env, cwd=cwd)


def _table(text: str, title: str) -> list[list[str]]:
    """The rows of the table after `title`, header and rules left out."""
    lines = text.split(f'{title}\n', 1)[1].split('\n')
    rows = []
    for line in lines[2:]:
        if not line.startswith('|'):
            break
        cells = [c.strip() for c in line.strip('|').split('|')]
        if set(cells[1]) <= {'.'}:
            continue            # the dotted 'total' rule
        rows.append(cells)
    return rows


def _n(cell: str) -> int:
    return int(cell.removesuffix(' B').replace('_', ''))


@pytest.fixture(scope='module')
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    save = tmp_path_factory.mktemp('cli') / 'results'
    result = _cli('--save-dir', str(save), 'json', 'decimal', 'email.message')
    assert result.returncode == 0, result.stderr
    return result.stdout, save


def _report(save: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((save / 'report.json').read_text())
    return report


def test_text_tables_parse_back_into_report_json(
        run: tuple[str, Path]) -> None:
    text, save = run
    inventory = _report(save)['inventory']
    types = _table(text, 'Types by intrinsic memory usage:')
    rows = inventory['types_by_memory_usage']['rows']
    assert len(types) == 16                       # top 15 and the totals
    for cells, row in zip(types[:15], rows, strict=False):
        assert cells[0] == row['name']
        assert _n(cells[1]) == row['bytes']
        assert _n(cells[2]) == row['instances']
        assert _n(cells[3]) == row['bytes'] // row['instances']
    totals = types[15]
    assert _n(totals[0]) == len(rows)
    assert _n(totals[1]) == inventory['bytes'] == sum(r['bytes'] for r in rows)
    assert _n(totals[2]) == inventory['objects']

    duplicates = _table(text, 'Duplicate objects by type:')
    by_name = {r['name']: r for r in inventory['duplicates']['rows']}
    for cells in duplicates[:-1]:
        assert _n(cells[1]) == by_name[cells[0]]['savable_bytes']
        assert _n(cells[2]) == by_name[cells[0]]['duplicate_instances']
        values = by_name[cells[0]]['duplicates']
        assert _n(cells[1]) == sum(v['size'] * (v['copies'] - 1)
                                   for v in values)

    lacking = _table(text, 'Instantiated classes lacking slots:')
    slots = {r['name']: r for r in inventory['classes_lacking_slots']['rows']}
    for cells in lacking[:-1]:
        assert _n(cells[1]) == slots[cells[0]]['savable_bytes']
        assert _n(cells[2]) == slots[cells[0]]['dict_bytes']
        assert _n(cells[5]) == slots[cells[0]]['instances']
    count = len(inventory['uninstantiated_types'])
    assert (f"Uninstantiated types (excluding BaseException and its "
            f"subclasses): {count}\n") in text


def test_the_save_dir_holds_every_report(run: tuple[str, Path]) -> None:
    text, save = run
    assert text.rstrip().endswith(f"saved in {save}/")
    assert (save.stat().st_mode & 0o777) == 0o700
    names = {p.name for p in save.iterdir()}
    assert {'recording.msgpack', 'report.json', 'report.txt',
            'types_by_memory_usage.html', 'uninstantiated_types.html',
            'classes_lacking_slots.html', 'duplicate_str.html'} <= names
    report = _report(save)
    assert report['complete'] is True
    summary = (save / 'report.txt').read_text()
    assert 'Types by intrinsic memory usage:' in summary


def test_the_recording_rebuilds_the_same_reports(
        run: tuple[str, Path], tmp_path: Path) -> None:
    _, save = run
    again = tmp_path / 'again'
    result = subprocess.run(
        [collector_path(), 'report', str(save / 'recording.msgpack'),
         '--save-dir', str(again)], capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0, result.stderr
    for name in ('report.json', 'types_by_memory_usage.html',
                 'duplicate_str.html', 'classes_lacking_slots.html'):
        assert (again / name).read_bytes() == (save / name).read_bytes(), name


def test_default_save_dirs_are_new_each_time(tmp_path: Path) -> None:
    first = _cli('json', cwd=tmp_path)
    second = _cli('json', cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr
    made = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(made) == 2
    assert all(p.name.startswith('memory_inventory_json_python_')
               for p in made)


def test_a_collector_that_dies_mid_run(tmp_path: Path) -> None:
    script = tmp_path / 'dying-collector'
    script.write_text('#!/bin/sh\nhead -c 2000 > /dev/null\nexit 0\n')
    script.chmod(0o755)
    env = {**os.environ, 'MEMORY_INVENTORY_COLLECTOR': str(script)}
    # A recording (over 300 KB) larger than what the socket to the
    # collector buffers (about 208 KiB): the writer must meet the closed
    # end, whenever the collector exits. With `json` alone (190 KB) it
    # could write everything before the collector had gone.
    result = _cli('asyncio', 'email.message', 'http.client', 'decimal',
                  'xml.etree.ElementTree', 'unittest', 'logging.handlers',
                  env=env, cwd=tmp_path)
    details = f"status {result.returncode}, stderr:\n{result.stderr}"
    assert result.returncode == 1, details
    assert result.stderr.count('RuntimeWarning') == 1, details
    assert 'the collector is gone' in result.stderr, details
    assert 'records were not sent' in result.stderr, details
    assert 'Traceback' not in result.stderr, details


def test_whole_standard_library(tmp_path: Path) -> None:
    save = tmp_path / 'stdlib'
    result = _cli('--save-dir', str(save))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(
        'Starting import of (almost) all the standard library modules\n')
    assert 'modules have been imported, increasing the total to' in out
    report = _report(save)
    assert report['complete'] is True
    assert report['inventory']['objects'] > 100_000
    assert len(report['imports']['failed']) >= 1     # Windows-only modules
    assert 'nt' in report['imports']['failed']


def test_main_from_python(tmp_path: Path) -> None:
    save = tmp_path / 'api-{python_version}'
    code = ('import sys, json, memory_inventory;'
            f'sys.exit(memory_inventory.main(save_dir={str(save)!r},'
            ' objects_limit=0))')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    expanded = tmp_path / f"api-{sys.version.split()[0]}"
    report = _report(expanded)
    assert report['complete'] is True
    assert report['inventory']['objects_limit'] == 0
    assert 'Types by intrinsic memory usage:' in result.stdout
