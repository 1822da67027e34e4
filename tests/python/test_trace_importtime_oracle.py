"""The oracle: the import tree of python -m memory_inventory.trace against
the one `python -X importtime` prints, for the same run of real programs.

    python -X importtime -m memory_inventory.trace --save-dir D prog.py

runs the program once under both: CPython prints its importtime lines on
stderr and the collector saves our tree in D/report.json. The program
imports the marker `_mi_begin` first and `_mi_end` last, so the lines
between the two are exactly the imports made while tracing (the
interpreter's start-up and our own imports print before, the report's
after). The modules, their order (the order the imports ended) and their
parent/child nesting must then be equal, once importtime's lines are
corrected for the legitimate differences below, each of which is a rule
of `expected_tree` and is also checked on its own.

Legitimate differences (reasons):

1. Parent packages. `import a.b` with `a` not imported yet: CPython's C
   import of 'a.b' is in progress (importtime's level counter is up)
   while importlib imports `a`, so importtime nests `a` under `a.b`. Our
   hook sees `a` before `a.b` reaches the meta path, so `a`'s parent is
   the module that imported `a.b` (which is also where its memory
   belongs: `a.b` did not ask for `a`, its importer did). Rule: a line
   whose parent is one of its own submodules is moved up to the nearest
   ancestor that is not.
2. Imports satisfied on the way. `import a.b` where importing the
   package `a` already imports `a.b`: importtime prints the real import
   of `a.b` (nested in `a`) and then a second line for the outer call,
   which found `a.b` in sys.modules once `a` was imported; no finder was
   asked, so the hook reports only the real import. Rule: a line with a
   descendant line of the same name is dropped, its children go to its
   parent.
3. `importlib.import_module()` (and anything that calls importlib's
   `_gcd_import` from Python) does not go through CPython's C import, so
   importtime prints no line for such a module (its own imports print as
   roots); the hook is on the meta path and reports it. The whole-stdlib
   workload here therefore imports with `__import__`, which does go
   through C (the tool's own workload, memory_inventory/stdlib.py, uses
   import_module); test_import_module_is_invisible_to_importtime shows
   the difference.
4. Threads: importtime's nesting level is one counter for the whole
   process; the hook nests per thread. The programs here import from one
   thread only.
5. Modules already imported before the program ran (the interpreter's,
   and those of memory_inventory itself) are in neither tree: an import
   from sys.modules is not an import for either tool."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from trace_support import (
    IMPORTTIME_LINE,
    TRACE,
    Node,
    as_nodes,
    import_tree,
    importtime_parents,
)

MARKERS = ('_mi_begin', '_mi_end')
EXAMPLE = Path(__file__).parents[2] / 'tools' / 'example' / 'app.py'

# The whole-stdlib workload: what /work/shared/bench/import_stdlib.py and
# memory_inventory/stdlib.py do, with __import__ (difference 3).
STDLIB = textwrap.dedent('''\
    import _mi_begin
    import pkgutil, sys
    skip = {'antigravity', 'idlelib.idle', 'this'}
    queue = sorted(sys.stdlib_module_names)
    while queue:
        name = queue.pop(0)
        if name in skip or name.endswith('.__main__'):
            continue
        try:
            __import__(name)
            module = sys.modules[name]
        except (Exception, SystemExit):
            continue
        path = getattr(module, '__path__', None)
        if path:
            queue.extend(sorted(
                info.name for info in pkgutil.walk_packages(
                    path, name + '.', onerror=lambda name: None)))
    import _mi_end
''')

# The example of tools/run, run as its __main__.
EXAMPLE_PROGRAM = textwrap.dedent(f'''\
    import _mi_begin
    import runpy, sys
    sys.argv = [{str(EXAMPLE)!r}, '--books', '20']
    sys.path.insert(0, {str(EXAMPLE.parent)!r})
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    except SystemExit:
        pass
    import _mi_end
''')

# A local package with every kind of nesting, failures included.
PACKAGE = {
    'prog.py': textwrap.dedent('''\
        import _mi_begin
        import shop.orders            # the package on the way (1)
        import shop                   # already there: no line
        from shop import late         # a submodule through fromlist
        try:
            import shop.broken        # raises while it runs
        except ZeroDivisionError:
            pass
        try:
            import no_such_module_at_all
        except ImportError:
            pass
        import xml.etree.ElementTree  # (1) two levels deep, and C modules
        import _zoneinfo              # (2): it imports zoneinfo._tzpath
        import email.mime.text
        import _mi_end
    '''),
    'shop/__init__.py': 'from . import prices\n',
    'shop/prices.py': 'import fractions\nimport shop.taxes\n',
    'shop/taxes.py': 'import decimal\n',
    'shop/orders.py': 'import wave\nfrom . import prices\n',
    'shop/late.py': 'import colorsys\n',
    'shop/broken.py': 'import statistics\n1 / 0\n',
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for marker in MARKERS:
        (root / f'{marker}.py').write_text('')


def _between_markers(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines()
             if IMPORTTIME_LINE.fullmatch(line)]
    names = [IMPORTTIME_LINE.fullmatch(line)['name']  # type: ignore[index]
             for line in lines]
    assert names.count('_mi_begin') == names.count('_mi_end') == 1, names
    return lines[names.index('_mi_begin') + 1:names.index('_mi_end')]


def expected_tree(lines: list[str]) -> list[Node]:
    """importtime's tree, corrected by rules 1 and 2 of the docstring."""
    parsed = importtime_parents(lines)
    parents = [parent for _name, parent in parsed]
    names = [name for name, _parent in parsed]
    # Rule 2: an outer call satisfied on the way has a descendant of its
    # own name (children end, and are printed, before their parent).
    dropped = set()
    for index, name in enumerate(names):
        ancestor = parents[index]
        while ancestor is not None:
            if names[ancestor] == name:
                dropped.add(ancestor)
            ancestor = parents[ancestor]

    def kept_parent(index: int) -> int | None:
        parent = parents[index]
        while parent is not None and parent in dropped:
            parent = parents[parent]
        return parent

    parents = [kept_parent(index) for index in range(len(names))]
    # Rule 1: up from a parent that is one of the line's own submodules.
    for index, name in enumerate(names):
        parent = parents[index]
        while parent is not None and names[parent].startswith(name + '.'):
            parent = parents[parent]
        parents[index] = parent
    return as_nodes(list(zip(names, parents, strict=True)),
                    frozenset(dropped))


def _run(tmp_path: Path, *program: str) -> tuple[list[Node], list[str]]:
    """Our tree (markers apart) and importtime's lines between markers."""
    save = tmp_path / 'out'
    result = subprocess.run(
        [sys.executable, '-X', 'importtime', *TRACE[1:], '--save-dir',
         str(save), '--format', 'none', *program],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((save / 'report.json').read_text())
    assert report['complete']
    ours = [node for node in import_tree(report) if node.name not in MARKERS]
    return ours, _between_markers(result.stderr)


def _assert_same_tree(ours: list[Node], lines: list[str]) -> None:
    expected = expected_tree(lines)
    if ours != expected:
        missing = [node for node in expected if node not in ours]
        extra = [node for node in ours if node not in expected]
        raise AssertionError(f"{len(ours)} imports traced, {len(expected)} "
                             f"expected; not traced: {missing[:10]}; not "
                             f"expected: {extra[:10]}")


def test_a_package_with_every_kind_of_nesting(tmp_path: Path) -> None:
    _write(tmp_path, PACKAGE)
    ours, lines = _run(tmp_path, 'prog.py')
    _assert_same_tree(ours, lines)
    tree = {node.name: node for node in ours}
    # Each rule is met on this program, and does what it says.
    raw = {node.name: node for node in as_nodes(importtime_parents(lines))}
    assert raw['shop'].parent == 'shop.orders'          # rule 1
    assert tree['shop'].parent is None
    assert raw['xml'].parent == 'xml.etree'
    assert tree['xml'].parent == tree['xml.etree'].parent
    assert [node.name for node in as_nodes(importtime_parents(lines))] \
        .count('zoneinfo._tzpath') == 2                 # rule 2
    assert [node.name for node in ours].count('zoneinfo._tzpath') == 1
    # Failed imports are imports too, in both.
    assert 'shop.broken' in tree and 'statistics' in tree
    assert tree['statistics'].parent == 'shop.broken'
    assert 'no_such_module_at_all' in tree
    assert tree['shop.late'].parent is None
    assert tree['colorsys'].parent == 'shop.late'


def test_the_example_program(tmp_path: Path) -> None:
    _write(tmp_path, {'prog.py': EXAMPLE_PROGRAM})
    ours, lines = _run(tmp_path, 'prog.py')
    _assert_same_tree(ours, lines)
    names = {node.name for node in ours}
    assert {'bookshop', 'bookshop.catalog', 'sqlite3', 'decimal',
            'http.client', 'email.message', 'logging'} <= names


def test_the_whole_standard_library(tmp_path: Path) -> None:
    _write(tmp_path, {'prog.py': STDLIB})
    ours, lines = _run(tmp_path, 'prog.py')
    _assert_same_tree(ours, lines)
    assert len(ours) > 500


def test_a_module_run_with_m(tmp_path: Path) -> None:
    # runpy imports the parent packages of the module it runs: traced.
    _write(tmp_path, {'app/__init__.py': 'import _mi_begin\n',
                      'app/cli/__init__.py': 'import colorsys\n',
                      'app/cli/main.py': 'import tool\nimport _mi_end\n',
                      'tool.py': ''})
    ours, lines = _run(tmp_path, '-m', 'app.cli.main')
    _assert_same_tree(ours, lines)
    # app ends after _mi_begin (its child): inside the window.
    assert [node.name for node in ours] == ['app', 'colorsys', 'app.cli',
                                           'tool']


def test_import_module_is_invisible_to_importtime(tmp_path: Path) -> None:
    # Difference 3, shown: the module itself is missing from importtime's
    # lines and its own import is a root there.
    _write(tmp_path, {
        'prog.py': 'import _mi_begin, importlib\n'
                   'importlib.import_module("viaapi")\nimport _mi_end\n',
        'viaapi.py': 'import colorsys\n'})
    ours, lines = _run(tmp_path, 'prog.py')
    assert ours == [Node('colorsys', 'viaapi', 1), Node('viaapi', None, 0)]
    assert expected_tree(lines) == [Node('colorsys', None, 0)]
