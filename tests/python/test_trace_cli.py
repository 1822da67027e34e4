"""python -m memory_inventory.trace, as a user runs it: what the program
sees, its exit status however it ends, usage errors, and the saved
report's import tree."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from trace_support import (
    IMPORTTIME_HEADER,
    IMPORTTIME_LINE,
    TRACE,
    import_tree,
    run_python,
    run_trace,
    wait_for_report,
)

# What the program sees of itself and of its interpreter; a JSON line on
# stdout. (__loader__'s class, not type(): while tracing, the loader of
# `-m module` is the hook's proxy, which answers for the real loader.)
PROBE = textwrap.dedent('''\
    import json, sys
    main = sys.modules['__main__']
    spec = globals().get('__spec__')
    print(json.dumps({
        'argv': sys.argv,
        'path0': sys.path[0],
        'main_is_us': vars(main) is globals(),
        'name': __name__,
        'keys': sorted(k for k in globals() if k.startswith('__')),
        'file': globals().get('__file__'),
        'cached': globals().get('__cached__'),
        'package': __package__,
        'spec': None if spec is None else [spec.name, spec.origin],
        'loader': (None if __loader__ is None
                   else getattr(__loader__, '__name__', None)
                   or __loader__.__class__.__name__),
    }))
''')


def _program_tree(tmp_path: Path) -> None:
    """prog.py, which imports a package nested three deep, and pkg/mod.py
    (both the probe)."""
    (tmp_path / 'prog.py').write_text(PROBE)
    package = tmp_path / 'pkg'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'mod.py').write_text(PROBE)
    (package / '__main__.py').write_text(PROBE)


def _probe(result: subprocess.CompletedProcess[str]) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize('form', [
    ['prog.py', 'a', '--no-save'],
    ['./prog.py'],
    ['-m', 'pkg.mod', 'x', '-c', 'y'],
    ['-mpkg.mod', 'x'],
    ['-m', 'pkg', '--format', 'none'],
    ['-c', PROBE, 'arg', '-m'],
    ['pkg'],
], ids=['script', 'dot-slash', 'module', 'module-glued', 'package',
        'code', 'directory'])
def test_the_program_sees_what_python_gives(tmp_path: Path,
                                            form: list[str]) -> None:
    _program_tree(tmp_path)
    plain = _probe(run_python(tmp_path, *form))
    traced = _probe(run_trace(tmp_path, '--no-save', '--format', 'none',
                              *form))
    assert traced == plain


def test_a_script_in_another_directory(tmp_path: Path) -> None:
    _program_tree(tmp_path)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    plain = _probe(run_python(elsewhere, '../prog.py'))
    traced = _probe(run_trace(elsewhere, '--no-save', '../prog.py'))
    assert traced == plain
    assert isinstance(traced, dict)
    assert traced['path0'] == str(tmp_path)


@pytest.mark.parametrize(('code', 'status', 'stderr'), [
    ('pass', 0, ''),
    ('import sys; sys.exit(3)', 3, ''),
    ('import sys; sys.exit(None)', 0, ''),
    ('import sys; sys.exit("the message")', 1, 'the message\n'),
    ('raise SystemExit(300)', 300 & 0xFF, ''),
], ids=['normal', 'exit-3', 'exit-none', 'exit-message', 'exit-300'])
def test_the_exit_status_is_the_programs(tmp_path: Path, code: str,
                                         status: int, stderr: str) -> None:
    plain = run_python(tmp_path, '-c', code)
    assert (plain.returncode, plain.stderr) == (status, stderr)
    save = tmp_path / 'out'
    traced = run_trace(tmp_path, '--save-dir', str(save), '--format',
                       'none', '-c', code)
    assert traced.returncode == status
    assert traced.stderr == stderr
    assert json.loads((save / 'report.json').read_text())['complete']


def test_an_exception_is_printed_as_python_prints_it(tmp_path: Path) -> None:
    (tmp_path / 'helper.py').write_text('def fail():\n    return 1 / 0\n')
    (tmp_path / 'prog.py').write_text(
        'import helper\n\ndef main():\n    helper.fail()\n\nmain()\n')
    plain = run_python(tmp_path, 'prog.py')
    save = tmp_path / 'out'
    traced = run_trace(tmp_path, '--save-dir', str(save), '--format',
                       'none', 'prog.py')
    assert plain.returncode == traced.returncode == 1
    assert plain.stderr.startswith('Traceback (most recent call last):')
    assert traced.stderr == plain.stderr
    report = json.loads((save / 'report.json').read_text())
    assert report['complete']
    assert 'helper' in [node.name for node in import_tree(report)]


def test_an_exception_of_a_module_run_with_m(tmp_path: Path) -> None:
    (tmp_path / 'boom.py').write_text('raise ValueError("boom")\n')
    plain = run_python(tmp_path, '-m', 'boom')
    traced = run_trace(tmp_path, '--no-save', '--format', 'none', '-m',
                       'boom')
    assert plain.returncode == traced.returncode == 1
    # The same traceback: runpy's frames (as python -m shows them), not
    # ours.
    assert traced.stderr == plain.stderr
    assert 'memory_inventory' not in traced.stderr


def test_a_missing_module_is_reported_as_python_does(tmp_path: Path) -> None:
    plain = run_python(tmp_path, '-m', 'no_such_module_here')
    traced = run_trace(tmp_path, '--no-save', '--format', 'none', '-m',
                       'no_such_module_here')
    assert plain.returncode == traced.returncode == 1
    assert traced.stderr == plain.stderr
    assert 'No module named no_such_module_here' in traced.stderr


def test_a_syntax_error_is_reported_as_python_does(tmp_path: Path) -> None:
    (tmp_path / 'bad.py').write_text('x = (\n')
    plain = run_python(tmp_path, 'bad.py')
    traced = run_trace(tmp_path, '--no-save', 'bad.py')
    assert plain.returncode == traced.returncode == 1
    assert traced.stderr == plain.stderr
    assert 'SyntaxError' in traced.stderr


def test_keyboard_interrupt_exits_as_python_does(tmp_path: Path) -> None:
    code = 'raise KeyboardInterrupt'
    plain = run_python(tmp_path, '-c', code)
    save = tmp_path / 'out'
    traced = run_trace(tmp_path, '--save-dir', str(save), '--format',
                       'none', '-c', code)
    assert plain.returncode == traced.returncode == -signal.SIGINT
    assert traced.stderr == plain.stderr
    assert json.loads((save / 'report.json').read_text())['complete']


def _start(tmp_path: Path, save: Path, code: str) -> subprocess.Popen[str]:
    """A traced program that says 'ready' once it has imported its
    modules, in a process group of its own (as a shell's job)."""
    process = subprocess.Popen(
        [*TRACE, '--save-dir', str(save), '--format', 'none', '-c', code],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)
    assert process.stdout is not None
    assert process.stdout.readline() == 'ready\n'
    return process


WAITER = ('import colorsys, wave, time\n'
          'try:\n'
          '    print("ready", flush=True)\n'
          '    time.sleep(60)\n'
          'finally:\n'
          '    import fractions\n')


def test_ctrl_c_leaves_the_collector_to_finish(tmp_path: Path) -> None:
    # Ctrl-C signals the whole foreground process group: the program gets
    # its KeyboardInterrupt, the collector (in a session of its own) reads
    # on to the end, and the report is complete.
    save = tmp_path / 'out'
    process = _start(tmp_path, save, WAITER)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGINT
    assert stderr.rstrip().endswith('KeyboardInterrupt'), stderr
    report = wait_for_report(save)
    assert report['complete']
    names = [node.name for node in import_tree(report)]
    assert {'colorsys', 'wave', 'fractions'} <= set(names)


def test_sigterm_still_makes_the_report(tmp_path: Path) -> None:
    save = tmp_path / 'out'
    process = _start(tmp_path, save, WAITER)
    process.terminate()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM
    assert stderr == ''
    report = wait_for_report(save)
    assert report['complete']
    # The program's finally block ran, as the report shows.
    assert 'fractions' in [node.name for node in import_tree(report)]


# A program that dies without us. The Tracer holds the records of the
# latest imports (up to 256 KiB) and sends them in one push, so what the
# collector had when the program died is the imports up to the last push:
# this one imports enough modules for several pushes, writes the names it
# tried to import (failed imports are in the tree too), and says "ready"
# after a pause that lets the writer thread send what was pushed.
DYING = textwrap.dedent('''\
    import os, sys, time
    before = set(sys.modules)
    tried = {name for name in sorted(sys.stdlib_module_names)[:200]
             if name not in ('antigravity', 'this')}
    for name in sorted(tried):
        try:
            __import__(name)
        except Exception:
            pass
    time.sleep(0.05)
    import zipapp    # the last import: later than the writer's send delay
    with open('imported.txt', 'w') as out:
        out.write('\\n'.join(tried | (set(sys.modules) - before)))
    time.sleep(0.3)
    print('ready', flush=True)
    if sys.argv[1] == 'exit':
        os._exit(5)
    time.sleep(60)
''')


def _check_what_was_received(tmp_path: Path, save: Path) -> None:
    report = wait_for_report(save)
    assert not report['complete']
    assert 'END' in report['incomplete_reason'] or \
        'truncated' in report['incomplete_reason'], \
        report['incomplete_reason']
    imported = set((tmp_path / 'imported.txt').read_text().split())
    names = [node.name for node in import_tree(report)]
    assert len(names) > 20
    # Every import that succeeded is one the program made; the others
    # (a module trying an optional one: winreg, dbm.ndbm) failed.
    succeeded = {node['name'] for node in report['import_tree']['nodes']
                 if node['status'] == 'ok'}
    assert succeeded <= imported
    # The records of an import are written at most about 10 ms after it
    # ends: those of the last import, and so of all before it, were sent
    # before the program died.
    assert 'zipapp' in names


def test_sigkill_of_the_program_leaves_an_incomplete_report(
        tmp_path: Path) -> None:
    save = tmp_path / 'out'
    process = subprocess.Popen(
        [*TRACE, '--save-dir', str(save), '--format', 'none', '-c', DYING,
         'kill'], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == 'ready\n'
    process.kill()
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    _check_what_was_received(tmp_path, save)


def test_os_exit_leaves_an_incomplete_report(tmp_path: Path) -> None:
    save = tmp_path / 'out'
    traced = run_trace(tmp_path, '--save-dir', str(save), '--format',
                       'none', '-c', DYING, 'exit')
    assert traced.returncode == 5
    _check_what_was_received(tmp_path, save)


def test_dying_inside_a_long_import_keeps_its_finished_imports(
        tmp_path: Path) -> None:
    """The program dies inside its own top-level import (a package that
    imports much, then calls os._exit): the imports finished inside it
    more than 10 ms before were sent, and are in the report."""
    package = tmp_path / 'longimport'
    package.mkdir()
    (package / '__init__.py').write_text(textwrap.dedent("""\
        import os, sys, time
        for name in ('json', 'decimal', 'fractions', 'email.message'):
            __import__(name)
        time.sleep(0.05)
        import zipapp    # later than the writer's send delay
        time.sleep(0.3)  # the writer thread sends what was pushed
        os._exit(5)
        """))
    save = tmp_path / 'out'
    traced = run_trace(tmp_path, '--save-dir', str(save), '--format', 'none',
                       '-c', 'import longimport')
    assert traced.returncode == 5
    report = wait_for_report(save)
    assert not report['complete']
    tree = {node.name: node for node in import_tree(report)}
    for name in ('json', 'decimal', 'fractions', 'email.message', 'zipapp'):
        assert name in tree, sorted(tree)
    # The package never finished (no IMPORT record of it): its children
    # are roots whose parent is unfinished, named by its MODULE record.
    assert 'longimport' not in tree
    nodes = {node['name']: node for node in report['import_tree']['nodes']}
    assert nodes['zipapp']['parent'] is None
    assert nodes['zipapp']['parent_unfinished']
    assert nodes['zipapp']['parent_id'] == nodes['json']['parent_id'] != 0


FORKING = textwrap.dedent("""\
    import os, sys, time
    assert 'json' not in sys.modules and 'csv' not in sys.modules
    pid = os.fork()
    if pid == 0:
        import json    # the child's: not traced
        if sys.argv[1] == 'outlive':
            # Not holding the test's pipes either.
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            time.sleep(60)
        sys.exit(3)
    with open('child.pid', 'w') as out:
        out.write(str(pid))
    if sys.argv[1] != 'outlive':
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 3
    import csv
    print('parent done', flush=True)
    """)


@pytest.mark.parametrize('child', ['exits', 'outlive'])
def test_a_forked_child_leaves_the_report_to_the_parent(
        tmp_path: Path, child: str) -> None:
    """The child of os.fork() stops tracing at the fork: its imports are not
    in the report, it prints nothing of ours and exits with its own status,
    and the parent's report does not wait for it to exit."""
    save = tmp_path / 'out'
    started = time.monotonic()
    try:
        traced = run_trace(tmp_path, '--save-dir', str(save), '--format',
                           'none', '-c', FORKING, child, timeout=50)
    finally:
        pid_file = tmp_path / 'child.pid'
        if child == 'outlive' and pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert time.monotonic() - started < 40
    assert traced.returncode == 0, traced.stderr
    assert traced.stdout == 'parent done\n'
    assert 'memory_inventory' not in traced.stderr, traced.stderr
    report = json.loads((save / 'report.json').read_text())
    assert report['complete']
    names = [node.name for node in import_tree(report)]
    assert 'csv' in names and 'json' not in names, names


@pytest.mark.parametrize(('args', 'message'), [
    ([], 'no program given'),
    (['--bogus', 'prog.py'], 'unrecognized arguments: --bogus'),
    (['--top', '-1', 'prog.py'], 'argument --top: must be >= 0'),
    (['--top', 'many', 'prog.py'], "argument --top: not an integer: 'many'"),
    (['--min-size', '12Q', 'prog.py'], "argument --min-size: not a size"),
    (['--format', 'xml', 'prog.py'], "argument --format: invalid choice"),
    (['--objects-limit', '-5', 'prog.py'],
     'argument --objects-limit: must be >= 0'),
    (['--no-save', '--save-dir', 'x', 'prog.py'], 'not allowed with'),
    (['-m'], 'argument -m: expected one argument'),
    (['-c'], 'argument -c: expected one argument'),
    (['--save-dir'], 'argument --save-dir: expected one argument'),
    (['no_such_script.py'], "can't open file"),
    (['-m', '.relative'], 'relative module names not supported'),
], ids=['nothing', 'unknown', 'top-negative', 'top-word', 'size', 'format',
        'limit', 'save-both', 'm-alone', 'c-alone', 'save-dir-alone',
        'no-script', 'relative'])
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_trace(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert result.stdout == ''
    assert list(tmp_path.iterdir()) == []      # nothing saved


@pytest.mark.parametrize(('args', 'status', 'message'), [
    (['--objects-limit', str(2 ** 64)], 2,
     'argument --objects-limit: must be >= 0 and at most'),
    (['--top', str(2 ** 64)], 2, 'argument --top: must be >= 0 and at most'),
    (['--min-size', '99999999999999999999G'], 2,
     "argument --min-size: '99999999999999999999G' is more than"),
    (['--save-dir', '{nope}'], 2,
     "save_dir '{nope}': only the placeholders"),
    (['--save-dir', 'a-file/report'], 1, 'error: cannot start tracing:'),
], ids=['limit-huge', 'top-huge', 'size-huge', 'placeholder', 'not-a-dir'])
def test_bad_values_stop_before_the_program_runs(
        tmp_path: Path, args: list[str], status: int, message: str) -> None:
    """Values the collector or the walks would refuse are told before
    the program runs: it must not run untraced with a status of 0."""
    program = tmp_path / 'program'
    program.mkdir()
    (program / 'prog.py').write_text("print('the program ran')\n")
    (tmp_path / 'a-file').write_text('not a directory\n')
    result = run_trace(tmp_path, *args, 'program/prog.py')
    assert result.returncode == status, result.stderr
    assert message in result.stderr
    assert 'Traceback' not in result.stderr
    assert 'the program ran' not in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a-file',
                                                          'program']


def test_options_after_the_program_are_the_programs(tmp_path: Path) -> None:
    _program_tree(tmp_path)
    result = run_trace(tmp_path, '--no-save', 'prog.py', '--no-save',
                       '--format', 'xml', '--', '-m')
    probe = _probe(result)
    assert isinstance(probe, dict)
    assert probe['argv'] == ['prog.py', '--no-save', '--format', 'xml', '--',
                             '-m']


def test_help(tmp_path: Path) -> None:
    result = run_trace(tmp_path, '--help')
    assert result.returncode == 0
    assert '-m module' in result.stdout and '--no-final-inventory' in \
        result.stdout


NESTED = {
    'app.py': 'import shop\nimport colorsys\n',
    'shop/__init__.py': 'from . import orders, prices\n',
    'shop/orders.py': 'import wave\nfrom . import prices\n',
    'shop/prices.py': 'import fractions\nTABLE = [str(i) for i in '
                      'range(20000)]\n',
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_saved_tree_nests_as_the_program_imported(tmp_path: Path) -> None:
    _write(tmp_path, NESTED)
    result = run_trace(tmp_path, 'app.py')
    assert result.returncode == 0, result.stderr
    saved = list(tmp_path.glob('memory_inventory_trace_app_*'))
    assert len(saved) == 1 and saved[0].is_dir()
    assert saved[0].stat().st_mode & 0o777 == 0o700
    for name in ('report.json', 'report.txt', 'recording.msgpack'):
        assert (saved[0] / name).is_file(), name
    report = json.loads((saved[0] / 'report.json').read_text())
    assert report['complete']
    tree = {node.name: node for node in import_tree(report)}
    assert tree['shop'].parent is None and tree['shop'].depth == 0
    assert tree['shop.orders'].parent == 'shop'
    assert tree['wave'].parent == 'shop.orders'
    assert tree['shop.prices'].parent == 'shop.orders'
    assert tree['fractions'].parent == 'shop.prices'
    assert tree['fractions'].depth == 3
    assert tree['colorsys'].parent is None
    # The imports of our own tool are not the program's.
    assert not [name for name in tree if name.startswith('memory_inventory')]
    # The tree is printed on stderr, after the program's output.
    assert 'shop.prices' in result.stderr


def test_modules_programs_often_import_are_in_their_tree(
        tmp_path: Path) -> None:
    """What the tool imports before the program is baseline, not in the
    tree: it must not be what programs commonly import themselves (the
    model's dataclasses, with inspect and ast; typing; tempfile, ...)."""
    common = ('dataclasses', 'inspect', 'typing', 'tempfile', 'datetime',
              'pathlib', 'random', 'ast')
    save = tmp_path / 'out'
    result = run_trace(tmp_path, '--save-dir', str(save), '--format', 'none',
                       '-c', f"import {', '.join(common)}")
    assert result.returncode == 0, result.stderr
    report = json.loads((save / 'report.json').read_text())
    names = [node.name for node in import_tree(report)]
    assert set(common) <= set(names), names


def test_importtime_format(tmp_path: Path) -> None:
    _write(tmp_path, NESTED)
    result = run_trace(tmp_path, '--no-save', '--format', 'importtime',
                       'app.py')
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == IMPORTTIME_HEADER
    parsed = [IMPORTTIME_LINE.fullmatch(line) for line in lines[1:]]
    assert all(parsed), lines
    names = {match['name']: match for match in parsed if match}
    assert {'shop', 'shop.orders', 'shop.prices', 'wave', 'fractions',
            'colorsys'} <= set(names)
    assert len(names['fractions']['indent']) == 6
    # Bytes: the cumulative of a package holds its children's.
    assert int(names['shop']['cumulative']) >= \
        int(names['shop.prices']['cumulative']) > 20000 * 40


def test_no_final_inventory(tmp_path: Path) -> None:
    _write(tmp_path, NESTED)
    save = tmp_path / 'out'
    result = run_trace(tmp_path, '--save-dir', str(save),
                       '--no-final-inventory', '--format', 'none', 'app.py')
    assert result.returncode == 0, result.stderr
    report = json.loads((save / 'report.json').read_text())
    assert report['complete']
    assert report['import_tree']['self_is'] == 'walked'
    assert 'shop.prices' in [node.name for node in import_tree(report)]


def test_the_collector_cannot_start(tmp_path: Path) -> None:
    env = dict(os.environ, MEMORY_INVENTORY_COLLECTOR=str(tmp_path / 'none'))
    result = run_trace(tmp_path, '--no-save', '-c', 'print("ran")', env=env)
    assert result.returncode == 1
    assert ('cannot start tracing: [Errno 2] cannot spawn the collector'
            in result.stderr)
    assert 'Traceback' not in result.stderr
    assert result.stdout == ''


def test_the_example_of_tools_run(tmp_path: Path) -> None:
    app = Path(__file__).parents[2] / 'tools' / 'example' / 'app.py'
    save = tmp_path / 'out'
    result = run_trace(tmp_path, '--save-dir', str(save), str(app),
                       '--books', '50')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('Bookshop: ')
    report = json.loads((save / 'report.json').read_text())
    tree = {node.name: node for node in import_tree(report)}
    for name in ('bookshop', 'bookshop.catalog', 'bookshop.storage',
                 'json', 'email.message', 'http.client', 'decimal',
                 'xml.etree.ElementTree', 'sqlite3', 'logging'):
        assert name in tree, name
    assert tree['bookshop.catalog'].parent == 'bookshop'
    # The catalogue's index is the culprit: the largest self.
    nodes = report['import_tree']['nodes']
    largest = max(nodes, key=lambda node: node['self']['bytes'])
    assert largest['name'] == 'bookshop.catalog'
    assert largest['self']['bytes'] > 5_000_000


if sys.platform != 'linux':  # pragma: no cover
    pytest.skip('Linux only', allow_module_level=True)


def test_the_spawned_collector_has_a_session_of_its_own(
        tmp_path: Path) -> None:
    # So that Ctrl-C (SIGINT to the terminal's foreground process group)
    # does not reach it: a stand-in collector prints its session and
    # process group after reading to the end.
    stand_in = ('import os, sys; sys.stdin.buffer.read(); '
                'print("child", os.getsid(0), os.getpgrp(), flush=True)')
    code = textwrap.dedent(f'''\
        import os, sys
        from memory_inventory import _native
        print("parent", os.getsid(0), os.getpgrp(), flush=True)
        writer = _native.RecordWriter(spawn=[sys.executable, '-c',
                                             {stand_in!r}])
        pid = writer.pid
        assert writer.close() == 0
        print("pid", pid, flush=True)
    ''')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split()[1:]
             for line in result.stdout.splitlines()}
    parent_session, parent_group = lines['parent']
    child_session, child_group = lines['child']
    (pid,) = lines['pid']
    assert child_session == child_group == pid
    assert child_session != parent_session and child_group != parent_group
