"""memory_inventory.trace.tracing(), start() and stop(); parse_size; the
command line's parser (in this process: nothing is run)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from memory_inventory.trace import TraceSession, parse_size, stop, tracing
from memory_inventory.trace.cli import parse
from trace_support import import_tree


@pytest.mark.parametrize(('text', 'size'), [
    ('0', 0), ('2048', 2048), ('64K', 65536), ('64k', 65536),
    ('1.5M', 1572864), ('2G', 2 * 1024 ** 3), ('10 MiB', 10 * 1024 ** 2),
    ('3KiB', 3072), ('.5K', 512), ('100B', 100),
])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize('text', ['', 'K', '-1', '12Q', '1e3', '1.2.3M',
                                  '5 T', '3KB'])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ValueError, match='not a size'):
        parse_size(text)


def test_parse_splits_our_options_from_the_programs() -> None:
    command = parse(['--top', '5', '--min-size=1M', '--no-save', 'app.py',
                     '--top', '7', '-m', 'x'])
    assert (command.kind, command.target) == ('script', 'app.py')
    assert command.args == ['--top', '7', '-m', 'x']
    assert command.options.top == 5
    assert command.options.min_size == 1024 ** 2
    assert command.options.no_save
    command = parse(['-c', 'print(1)', 'a'])
    assert (command.kind, command.target, command.args) == \
        ('code', 'print(1)', ['a'])
    command = parse(['--format', 'importtime', '-mjson.tool', '-h'])
    assert (command.kind, command.target, command.args) == \
        ('module', 'json.tool', ['-h'])
    assert command.options.format == 'importtime'
    command = parse(['--', '-odd-name.py'])
    assert (command.kind, command.target) == ('script', '-odd-name.py')


@pytest.mark.parametrize(('keywords', 'message'), [
    ({'format': 'xml'}, 'format must be one of'),
    ({'top': -1}, 'top must be >= 0'),
    ({'min_size': 'big'}, 'not a size'),
    ({'objects_limit': -1}, 'objects_limit must be >= 0'),
])
def test_bad_session_options(keywords: dict[str, object],
                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TraceSession(**keywords)  # type: ignore[arg-type]


def test_stop_without_start() -> None:
    with pytest.raises(RuntimeError, match='not started'):
        stop()
    session = tracing(save=False)
    with pytest.raises(RuntimeError, match='not tracing'):
        session.stop()


def test_collector_command_line(tmp_path: Path) -> None:
    session = tracing(save_dir=tmp_path / 'x', format='importtime', top=3,
                      min_size='2K')
    session.save_dir = str(tmp_path / 'x')
    argv = session.collector_arguments()
    assert argv[1:] == ['--save-dir', str(tmp_path / 'x'), '--print',
                        'importtime', '--stderr', '--top', '3',
                        '--min-size', '2048']


# Each API run is a child process: tracing changes the process it runs in.
API_PROGRAM = textwrap.dedent('''\
    import json, sys
    from memory_inventory import trace
    save = sys.argv[1]
    with trace.tracing(save_dir=save + '/a', format='none') as session:
        import colorsys
    first = session.result
    trace.start(save_dir=save + '/b', format='none', final_inventory=False)
    import wave
    second = trace.stop()
    print(json.dumps([first.save_dir, first.complete, first.records > 0,
                      second.save_dir, second.complete]))
''')


def test_tracing_a_block_and_start_stop(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, '-c', API_PROGRAM,
                             str(tmp_path)], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        str(tmp_path / 'a'), True, True, str(tmp_path / 'b'), True]
    first = json.loads((tmp_path / 'a' / 'report.json').read_text())
    names = [node.name for node in import_tree(first)]
    assert 'colorsys' in names and 'wave' not in names
    second = json.loads((tmp_path / 'b' / 'report.json').read_text())
    names = [node.name for node in import_tree(second)]
    assert 'wave' in names and 'colorsys' not in names
    assert second['import_tree']['self_is'] == 'walked'


def test_the_default_save_dir_is_new_and_private(tmp_path: Path) -> None:
    code = ('from memory_inventory import trace\n'
            'with trace.tracing(format="none") as s:\n'
            '    import colorsys\n'
            'print(s.result.save_dir)\n')
    dirs = []
    for _ in range(2):
        result = subprocess.run([sys.executable, '-c', code],
                                capture_output=True, text=True, timeout=300,
                                cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        dirs.append(Path(result.stdout.strip()))
    assert dirs[0] != dirs[1]
    for path in dirs:
        assert path.parent == tmp_path
        assert path.name.startswith('memory_inventory_trace_python_')
        assert path.stat().st_mode & 0o777 == 0o700
        assert (path / 'report.json').is_file()


def test_the_formats_are_those_of_the_format_type(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from typing import Literal, get_args

    from memory_inventory.trace import session
    # session.py imports Literal for mypy only (typing is not imported
    # before the traced program): lend it for the alias's evaluation.
    monkeypatch.setattr(session, 'Literal', Literal, raising=False)
    assert session.FORMATS == get_args(session.Format.__value__)


def test_a_result_compares_and_prints_by_its_fields() -> None:
    from memory_inventory.trace import TraceResult
    result = TraceResult('/tmp/x', 0, 12, 0)
    assert result == TraceResult('/tmp/x', 0, 12, 0)
    assert result != TraceResult('/tmp/x', 2, 12, 0)
    assert hash(result) == hash(TraceResult('/tmp/x', 0, 12, 0))
    assert repr(result) == ("TraceResult(save_dir='/tmp/x', "
                            "collector_status=0, records=12, dropped=0)")
    assert result.complete and not TraceResult(None, 0, 12, 1).complete
