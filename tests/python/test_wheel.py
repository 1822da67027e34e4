"""The wheel Bazel builds installs into a clean virtual environment and
works there (tools/stage copies it to build/wheels/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _wheel() -> Path:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted((REPO / 'build' / 'wheels').glob(
        f'memory_inventory-*-{tag}-{tag}-linux_x86_64.whl'))
    assert found, "no wheel for this interpreter: run tools/stage"
    return found[-1]


@pytest.fixture(scope='module')
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp('venv')
    base = getattr(sys, '_base_executable', sys.executable)
    subprocess.run([base, '-m', 'venv', str(venv)], check=True)
    python = venv / 'bin' / 'python'
    subprocess.run([python, '-m', 'pip', 'install', '--quiet', '--no-index',
                    str(_wheel())], check=True)
    return python


def test_the_installed_package_is_the_wheel(installed: Path) -> None:
    where = subprocess.run(
        [installed, '-I', '-c',
         'import memory_inventory, memory_inventory._native as n;'
         'print(memory_inventory.__file__); print(n.__file__)'],
        capture_output=True, text=True, check=True, cwd='/').stdout.split()
    assert all('site-packages' in path for path in where), where


def test_the_command_line_works_from_the_wheel(installed: Path,
                                               tmp_path: Path) -> None:
    save = tmp_path / 'results'
    result = subprocess.run(
        [installed, '-I', '-m', 'memory_inventory', '--save-dir', str(save),
         'json'], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'Types by intrinsic memory usage:' in result.stdout
    report = json.loads((save / 'report.json').read_text())
    assert report['complete'] is True
    assert (save / 'types_by_memory_usage.html').is_file()
