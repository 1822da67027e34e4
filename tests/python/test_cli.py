"""python -m memory_inventory, as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # In a temporary folder: the default save directory is made there.
    return subprocess.run([sys.executable, '-m', 'memory_inventory', *args],
                          capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def _number(text: str) -> int:
    return int(text.replace('_', '').removesuffix(' B'))


def test_summary_after_importing_a_module(tmp_path: Path) -> None:
    result = _run(tmp_path, 'json')
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith('Elapsed time: ')
    assert 'Types by intrinsic memory usage:' in out
    table = out.split('Types by intrinsic memory usage:\n')[1]
    lines = table.split('\n')
    assert lines[1].startswith('| ----------top 15') or \
        lines[1].startswith('| ---')
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in lines[2:17]]
    totals = [c.strip() for c in lines[18].strip('|').split('|')]
    assert lines[17].startswith('| ') and 'total' in lines[17]
    # The average column is the integer quotient of the two before it.
    for name, memory, instances, average in rows:
        assert _number(average) == _number(memory) // _number(instances), name
    assert _number(totals[1]) >= sum(_number(r[1]) for r in rows)
    assert re.search(r"Uninstantiated types \(excluding BaseException and "
                     r"its subclasses\): \d+\n", out)
    assert 'Duplicate objects by type:' in out
    assert 'Instantiated classes lacking slots:' in out


def test_a_module_that_fails_to_import_is_a_clear_error(
        tmp_path: Path) -> None:
    result = _run(tmp_path, 'no_such_module_here')
    assert result.returncode == 1
    assert "error: cannot import 'no_such_module_here'" in result.stderr
    assert 'Traceback' not in result.stderr


def test_a_negative_objects_limit_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path, '--objects-limit', '-1', 'json')
    assert result.returncode == 2
    assert '--objects-limit must be >= 0' in result.stderr


def test_a_huge_objects_limit_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path, '--objects-limit', str(2 ** 64), 'json')
    assert result.returncode == 2
    assert '--objects-limit must be >= 0 and at most' in result.stderr
    assert 'Traceback' not in result.stderr


def test_an_unknown_save_dir_placeholder_is_refused(tmp_path: Path) -> None:
    result = _run(tmp_path, '--save-dir', 'out-{nope}', 'json')
    assert result.returncode == 2
    assert "--save-dir 'out-{nope}': only the placeholders" in result.stderr
    assert 'Traceback' not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_objects_limit_is_reported(tmp_path: Path) -> None:
    result = _run(tmp_path, '--objects-limit', '50', 'json')
    assert result.returncode == 0, result.stderr
    assert 'The walk stopped at the objects limit (50)' in result.stdout


def test_a_closed_stdout_is_not_a_traceback(tmp_path: Path) -> None:
    # The reader goes away before the summary is written (as `| head`
    # would once it has read enough): no traceback, no message about the
    # pipe, a non-zero status, and the saved results complete all the same.
    save = tmp_path / 'results'
    process = subprocess.Popen(
        [sys.executable, '-m', 'memory_inventory', '--save-dir', str(save),
         'json'], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 1
    assert stderr == ''
    assert json.loads((save / 'report.json').read_text())['complete']
