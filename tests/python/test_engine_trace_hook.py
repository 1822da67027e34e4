"""Import tracing's import hook (_native.ImportHook, native/trace/finder.h)
and the Tracer (memory_inventory.trace) that turns its events into
records.

The modules imported are crafted in a temporary directory put on sys.path;
the tests remove them from sys.modules afterwards."""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import importlib.util
import itertools
import os
import subprocess
import sys
import textwrap
import threading
import types
import zipfile
import zipimport
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from memory_inventory import _native, records
from memory_inventory.trace import Tracer

type Event = tuple[str, str | None, int, float, float, float, int,
                   str | None]

_serial = itertools.count()


class Modules:
    """A directory of crafted modules on sys.path, with unique names."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f'mi_hook_{os.getpid()}_{next(_serial)}_'

    def name(self, short: str) -> str:
        return self.prefix + short

    def write(self, short: str, source: str, root: Path | None = None,
              ) -> str:
        """Writes module `short` (dots make packages' files:
        'pkg.__init__'); returns its full name."""
        parts = short.split('.')
        path = (root or self.root).joinpath(self.prefix + parts[0],
                                            *parts[1:])
        if len(parts) == 1:
            path = path.with_suffix('.py')
        else:
            path = path.with_suffix('.py')
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).replace('@', self.prefix))
        importlib.invalidate_caches()
        return self.prefix + short.removesuffix('.__init__')

    def cleanup(self) -> None:
        for name in list(sys.modules):
            if name.startswith(self.prefix):
                del sys.modules[name]


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Modules]:
    made = Modules(tmp_path)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield made
    finally:
        made.cleanup()
        sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]
        for key in list(sys.path_importer_cache):
            if key.startswith(str(tmp_path)):
                del sys.path_importer_cache[key]
        importlib.invalidate_caches()


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, *event: Any) -> None:
        self.events.append(event)

    def named(self, prefix: str) -> list[Event]:
        return [e for e in self.events if e[0].startswith(prefix)]


@pytest.fixture
def hooked() -> Iterator[Recorder]:
    """An ImportHook first in sys.meta_path, removed after the test."""
    before = list(sys.meta_path)
    recorder = Recorder()
    hook = _native.ImportHook(recorder)
    sys.meta_path.insert(0, hook)
    try:
        yield recorder
    finally:
        sys.meta_path[:] = [f for f in sys.meta_path if f is not hook]
        assert sys.meta_path == before


def _import(name: str) -> types.ModuleType:
    return importlib.import_module(name)


def test_nesting_reports_children_first(modules: Modules,
                                        hooked: Recorder) -> None:
    a = modules.write('a', 'import @b\nA = 1\n')
    b = modules.write('b', 'import @c\nB = 1\n')
    c = modules.write('c', 'C = 1\n')
    module = _import(a)
    assert module.A == 1
    events = hooked.named(modules.prefix)
    assert [(e[0], e[1], e[6], e[7]) for e in events] == [
        (c, b, records.IMPORT_OK, None),
        (b, a, records.IMPORT_OK, None),
        (a, None, records.IMPORT_OK, None),
    ]
    me = threading.get_ident()
    assert all(e[2] == me for e in events)
    by_name = {e[0]: e for e in events}
    # Cumulative: a parent's total covers its children's.
    assert by_name[a][5] >= by_name[b][5] >= by_name[c][5] > 0
    assert by_name[a][3] <= by_name[b][3] <= by_name[c][3]
    for event in events:
        assert 0 <= event[4] <= event[5]


def test_circular_imports(modules: Modules, hooked: Recorder) -> None:
    a = modules.write('a', 'import @b\nA = 1\n')
    b = modules.write('b', 'import @a\nB = 1\n')
    _import(a)
    events = hooked.named(modules.prefix)
    assert [(e[0], e[1], e[6]) for e in events] == [
        (b, a, records.IMPORT_OK), (a, None, records.IMPORT_OK),
    ]


def test_failing_import(modules: Modules, hooked: Recorder) -> None:
    bad = modules.write('bad', 'X = 1\nraise ValueError("boom here")\n')
    with pytest.raises(ValueError, match=r'^boom here$') as caught:
        _import(bad)
    assert type(caught.value) is ValueError
    assert bad not in sys.modules
    (event,) = hooked.named(modules.prefix)
    assert event[0] == bad
    assert event[6] == records.IMPORT_FAILED
    assert event[7] == 'ValueError: boom here'


def test_missing_module(modules: Modules, hooked: Recorder) -> None:
    missing = modules.name('missing')
    with pytest.raises(ModuleNotFoundError) as caught:
        _import(missing)
    assert type(caught.value) is ModuleNotFoundError
    assert caught.value.name == missing
    (event,) = hooked.named(modules.prefix)
    assert event[0] == missing and event[6] == records.IMPORT_NOT_FOUND
    assert event[7] is None and event[4] == event[5]


def test_package_and_submodule(modules: Modules, hooked: Recorder) -> None:
    pkg = modules.write('pkg.__init__', 'P = 1\n')
    sub = modules.write('pkg.sub', 'S = 1\n')
    module = _import(sub)
    assert module.S == 1
    events = hooked.named(modules.prefix)
    assert [(e[0], e[1], e[6]) for e in events] == [
        (pkg, None, records.IMPORT_OK), (sub, None, records.IMPORT_OK),
    ]
    assert type(sys.modules[pkg].__loader__) is (
        importlib.machinery.SourceFileLoader)


def test_namespace_package(modules: Modules, hooked: Recorder) -> None:
    (modules.root / modules.name('ns')).mkdir()
    sub = modules.write('ns.mod', 'M = 1\n')
    module = _import(sub)
    assert module.M == 1
    ns = sys.modules[modules.name('ns')]
    assert ns.__file__ is None
    assert type(ns.__loader__).__name__ == 'NamespaceLoader'
    assert ns.__spec__.loader is ns.__loader__
    events = hooked.named(modules.prefix)
    assert [(e[0], e[6]) for e in events] == [
        (modules.name('ns'), records.IMPORT_OK), (sub, records.IMPORT_OK),
    ]


def test_zip_import(modules: Modules, hooked: Recorder,
                    tmp_path: Path) -> None:
    archive = tmp_path / 'modules.zip'
    name = modules.name('zipped')
    with zipfile.ZipFile(archive, 'w') as zipped:
        zipped.writestr(f'{name}.py', 'Z = 42\n')
    sys.path.insert(0, str(archive))
    importlib.invalidate_caches()
    module = _import(name)
    assert module.Z == 42
    assert isinstance(module.__loader__, zipimport.zipimporter)
    assert module.__spec__.loader is module.__loader__
    (event,) = hooked.named(modules.prefix)
    assert event[0] == name and event[6] == records.IMPORT_OK


def test_reload_is_reported_again(modules: Modules,
                                  hooked: Recorder) -> None:
    name = modules.write('again', 'N = 1\n')
    module = _import(name)
    loader = module.__loader__
    assert importlib.reload(module) is module
    events = hooked.named(modules.prefix)
    assert [(e[0], e[6]) for e in events] == [
        (name, records.IMPORT_OK), (name, records.IMPORT_OK),
    ]
    assert type(module.__loader__) is type(loader)
    assert module.__spec__.loader is module.__loader__


def test_module_replacing_itself(modules: Modules,
                                 hooked: Recorder) -> None:
    name = modules.write('replacer', '''\
        import sys, types
        _new = types.ModuleType(__name__)
        _new.VALUE = 7
        _new.__spec__ = __spec__
        _new.__loader__ = __loader__
        sys.modules[__name__] = _new
    ''')
    module = _import(name)
    assert module.VALUE == 7
    assert sys.modules[name] is module
    assert type(module.__loader__) is importlib.machinery.SourceFileLoader
    assert module.__spec__.loader is module.__loader__
    (event,) = hooked.named(modules.prefix)
    assert event[0] == name and event[6] == records.IMPORT_OK


def test_import_from_another_thread(modules: Modules,
                                    hooked: Recorder) -> None:
    outer = modules.write('outer', 'import @inner\n')
    inner = modules.write('inner', 'I = 1\n')
    idents: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        idents.append(threading.get_ident())
        try:
            _import(outer)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures
    events = hooked.named(modules.prefix)
    assert [(e[0], e[1], e[2]) for e in events] == [
        (inner, outer, idents[0]), (outer, None, idents[0]),
    ]


def test_builtin_or_extension_module(hooked: Recorder) -> None:
    candidates = ('_bisect', 'array', '_heapq', '_csv', 'cmath', '_lsprof',
                  '_statistics', 'mmap', '_queue', 'syslog')
    name = next((n for n in candidates if n not in sys.modules), None)
    if name is None:
        pytest.skip('every candidate module is already imported')
    try:
        module = _import(name)
        events = [e for e in hooked.events if e[0] == name]
        assert [(e[0], e[6]) for e in events] == [(name, records.IMPORT_OK)]
        assert type(module.__loader__) is not _native.ImportLoaderProxy
        assert module.__spec__.loader is module.__loader__
        assert module.__loader__ in (
            importlib.machinery.BuiltinImporter,
        ) or isinstance(module.__loader__,
                        importlib.machinery.ExtensionFileLoader)
    finally:
        sys.modules.pop(name, None)


def test_loader_is_the_proxy_only_while_the_code_runs(
        modules: Modules, hooked: Recorder) -> None:
    name = modules.write('seer', '''\
        SEEN = type(__loader__).__name__
        SAME = __spec__.loader is __loader__
        SOURCE = __loader__.get_source(__name__) is not None
    ''')
    module = _import(name)
    assert module.SEEN == 'ImportLoaderProxy'
    assert module.SAME and module.SOURCE
    assert type(module.__loader__) is importlib.machinery.SourceFileLoader
    assert module.__spec__.loader is module.__loader__


def test_callback_errors_do_not_break_imports(
        modules: Modules, monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable: list[object] = []
    monkeypatch.setattr(sys, 'unraisablehook', unraisable.append)

    def failing(*args: object) -> None:
        raise RuntimeError('callback failed')

    hook = _native.ImportHook(failing)
    sys.meta_path.insert(0, hook)
    try:
        name = modules.write('fine', 'F = 3\n')
        assert _import(name).F == 3
        bad = modules.write('bad', 'raise KeyError("k")\n')
        with pytest.raises(KeyError):
            _import(bad)
    finally:
        sys.meta_path.remove(hook)
    assert len(unraisable) >= 2


def test_ctrl_c_in_the_callback_reaches_the_program(
        modules: Modules, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt raised while the callback runs (Ctrl-C during
    a walk) is not swallowed: the import fails with it, as it would have
    without the hook; the failed import's own error is its context."""
    unraisable: list[object] = []
    monkeypatch.setattr(sys, 'unraisablehook', unraisable.append)
    interrupted: list[str] = []

    def interrupting(name: str, *rest: object) -> None:
        if name.startswith(modules.prefix):
            interrupted.append(name)
            raise KeyboardInterrupt

    hook = _native.ImportHook(interrupting)
    sys.meta_path.insert(0, hook)
    try:
        loaded = modules.write('loaded', 'L = 1\n')
        with pytest.raises(KeyboardInterrupt):
            _import(loaded)
        failing = modules.write('failing', 'raise KeyError("k")\n')
        with pytest.raises(KeyboardInterrupt) as caught:
            _import(failing)
        assert isinstance(caught.value.__context__, KeyError)
        with pytest.raises(KeyboardInterrupt):
            _import(modules.name('missing'))
    finally:
        sys.meta_path.remove(hook)
    assert interrupted == [loaded, failing, modules.name('missing')]
    assert unraisable == []
    # The hook put the real loader back: a later import works untraced.
    assert _import(loaded).L == 1


def test_meta_path_and_loaders_after_removal(modules: Modules) -> None:
    before = list(sys.meta_path)
    recorder = Recorder()
    hook = _native.ImportHook(recorder)
    sys.meta_path.insert(0, hook)
    name = modules.write('plain', 'P = 1\n')
    module = _import(name)
    assert hook.in_progress == () and hook.importing == frozenset()
    sys.meta_path.remove(hook)
    assert sys.meta_path == before
    assert type(module.__loader__) is importlib.machinery.SourceFileLoader
    assert module.__spec__.loader is module.__loader__
    assert recorder.named(modules.prefix)[0][0] == name


class _ImportingFinder:
    """A finder that imports `extra` while it looks for `trigger`, and
    `trigger` itself while it looks for `trigger` (recursion)."""

    def __init__(self, trigger: str, extra: str) -> None:
        self.trigger, self.extra = trigger, extra
        self.depth = 0

    def find_spec(self, name: str, path: object,
                  target: object = None) -> None:
        if name == self.trigger and self.depth < 2:
            self.depth += 1
            try:
                _import(self.extra if self.depth == 1 else self.trigger)
            finally:
                self.depth -= 1
        return None


def test_imports_done_by_finders_are_seen(modules: Modules,
                                          hooked: Recorder) -> None:
    trigger = modules.write('trigger', 'T = 1\n')
    extra = modules.write('extra', 'E = 1\n')
    finder = _ImportingFinder(trigger, extra)
    sys.meta_path.insert(1, finder)
    try:
        assert _import(trigger).T == 1
    finally:
        sys.meta_path.remove(finder)
    events = hooked.named(modules.prefix)
    # extra, imported while the finders looked for trigger, is its child.
    assert (extra, trigger, records.IMPORT_OK) in [
        (e[0], e[1], e[6]) for e in events]
    assert sys.modules[trigger].T == 1


class _LegacyLoader:
    def load_module(self, fullname: str) -> types.ModuleType:
        module = types.ModuleType(fullname)
        module.LEGACY = True  # type: ignore[attr-defined]
        sys.modules[fullname] = module
        return module


class _LegacyFinder:
    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        self.loader = _LegacyLoader()

    def find_spec(self, name: str, path: object,
                  target: object = None) -> object:
        if name != self.wanted:
            return None
        return importlib.util.spec_from_loader(name, self.loader)


@pytest.mark.filterwarnings('ignore::ImportWarning')
def test_legacy_load_module(modules: Modules, hooked: Recorder) -> None:
    name = modules.name('legacy')
    finder = _LegacyFinder(name)
    sys.meta_path.insert(1, finder)
    try:
        module = _import(name)
    finally:
        sys.meta_path.remove(finder)
    assert module.LEGACY
    assert module.__loader__ is finder.loader
    assert module.__spec__.loader is finder.loader
    (event,) = hooked.named(modules.prefix)
    assert event[0] == name and event[6] == records.IMPORT_OK


# --- the Tracer, end to end ---------------------------------------------

_GROWTH = '''\
texts = tuple(['mi-growth-' + str(i) + '-' + __name__
               for i in range(STRINGS)])
class Thing:
    pass
things = [Thing() for _ in range(INSTANCES)]
'''


def _decode(path: Path) -> list[list[Any]]:
    with path.open('rb') as stream:
        return list(msgpack.Unpacker(stream, raw=False,
                                     strict_map_key=False))


def _check_order(recs: list[list[Any]]) -> None:
    assert recs[0][0] == records.HEADER
    assert recs[-1][0] == records.END
    modules_seen: set[int] = set()
    types_seen: set[int] = set()
    scope: int | None = None
    for rec in recs[1:-1]:
        kind = rec[0]
        if kind == records.MODULE:
            assert rec[1] not in modules_seen
            modules_seen.add(rec[1])
        elif kind == records.TYPE:
            types_seen.add(rec[1])
        elif kind == records.IMPORT:
            assert rec[1] in modules_seen
            assert rec[2] == 0 or rec[2] in modules_seen
            scope = None
        elif kind == records.INVENTORY:
            scope = rec[1]
            assert all(t in types_seen for t in rec[9])
        elif kind in (records.TYPE_STATS, records.DUPLICATE):
            assert rec[1] == scope
            assert rec[2] in types_seen
        elif kind == records.UNINSTANTIATED:
            assert rec[1] == scope
            assert all(t in types_seen for t in rec[2])
        elif kind == records.RETAINED:
            scope = None


def _stats_of(recs: list[list[Any]], scope: int,
              ) -> dict[str, tuple[int, int]]:
    names = {r[1]: r[2] for r in recs if r[0] == records.TYPE}
    return {names[r[2]]: (r[3], r[4]) for r in recs
            if r[0] == records.TYPE_STATS and r[1] == scope}


def test_tracer_end_to_end(modules: Modules, tmp_path: Path) -> None:
    code = {'warm': (0, 0), 'zero': (0, 0), 'many': (50, 10)}
    names = {}
    for short, (strings, instances) in code.items():
        names[short] = modules.write(
            short, f'STRINGS = {strings}\nINSTANCES = {instances}\n'
            + _GROWTH)
    nested = modules.write('outer', 'import @inner\n')
    modules.write('inner', 'I = 1\n')
    path = tmp_path / 'trace.msgpack'
    before = list(sys.meta_path)
    with Tracer(path) as tracer:
        for short in code:
            _import(names[short])
        _import(nested)
        with pytest.raises(ModuleNotFoundError):
            _import(modules.name('nowhere'))
    assert sys.meta_path == before
    recs = _decode(path)
    _check_order(recs)

    ids = tracer.module_ids
    imports = {r[1]: r for r in recs if r[0] == records.IMPORT}
    assert imports[ids[modules.name('inner')]][2] == ids[nested]
    assert imports[ids[modules.name('nowhere')]][7] == (
        records.IMPORT_NOT_FOUND)
    # Each IMPORT is followed by the INVENTORY of its scope.
    for i, rec in enumerate(recs):
        if rec[0] == records.IMPORT:
            nxt = next(r for r in recs[i + 1:] if r[0] != records.TYPE)
            assert nxt[0] == records.INVENTORY and nxt[1] == rec[1]

    many = _stats_of(recs, ids[names['many']])
    zero = _stats_of(recs, ids[names['zero']])
    assert many[f"{names['many']}.Thing"][0] == 10
    assert f"{names['zero']}.Thing" not in zero
    assert many['str'][0] - zero['str'][0] == 50
    module = sys.modules[names['many']]
    # zero's texts is the empty tuple; the modules' names are as long.
    assert many['str'][1] - zero['str'][1] == sum(
        sys.getsizeof(t) for t in module.texts)

    (final,) = [r for r in recs
                if r[0] == records.INVENTORY and r[1] == records.SCOPE_FINAL]
    retained = [r for r in recs if r[0] == records.RETAINED]
    scopes = {r[1] for r in retained}
    assert records.SCOPE_BASELINE in scopes
    assert records.SCOPE_UNATTRIBUTED in scopes
    assert sum(r[2] for r in retained) == final[2]
    assert sum(r[3] for r in retained) == final[3]
    unattributed = [r for r in recs if r[0] == records.INVENTORY
                    and r[1] == records.SCOPE_UNATTRIBUTED]
    assert len(unattributed) == 1
    (un_retained,) = [r for r in retained
                      if r[1] == records.SCOPE_UNATTRIBUTED]
    assert unattributed[0][2:4] == un_retained[2:4]


def test_an_interrupted_walk_keeps_the_recording_valid(
        modules: Modules, tmp_path: Path) -> None:
    """Ctrl-C while an import's records are packed (here: a value's
    __repr__, run for a DUPLICATE record, raises KeyboardInterrupt): the
    import fails with it, and the recording stays valid. The records of
    the interrupted call are cut from the batch, the types it numbered
    are forgotten with their TYPE records (numbered again later), and its
    MODULE and IMPORT records go out with the next import's."""
    modules.write('armed', 'ARMED = [True]\n')
    interrupting = modules.write('interrupting', """
        import @armed
        class Shy:
            def __repr__(self):
                if @armed.ARMED[0]:     # once: this module runs twice
                    @armed.ARMED[0] = False
                    raise KeyboardInterrupt
                return 'Shy()'
        SHY = Shy()
        PAIR = ((SHY, 'mi-pair'), (SHY, 'mi-pair'))
        """)
    later = modules.write('later', """
        import @interrupting as _i
        AGAIN = ((_i.SHY, 'mi-again'), (_i.SHY, 'mi-again'))
        """)
    path = tmp_path / 'trace.msgpack'
    with Tracer(path) as tracer:
        with pytest.raises(KeyboardInterrupt):
            _import(interrupting)
        _import(later)
    recs = _decode(path)
    _check_order(recs)
    assert [r[0] for r in recs].count(records.END) == 1
    names = {r[1]: r[2] for r in recs if r[0] == records.MODULE}
    imported = [names[r[1]] for r in recs if r[0] == records.IMPORT]
    assert imported.count(interrupting) == 2     # failed, then again
    assert later in imported
    type_ids = [r[1] for r in recs if r[0] == records.TYPE]
    assert type_ids == list(range(1, len(type_ids) + 1))   # none skipped
    type_names = [r[2] for r in recs if r[0] == records.TYPE]
    assert f'{interrupting}.Shy' in type_names
    assert tracer.import_names
    collector = Path(_native.__file__).parent / 'bin' / (
        'memory-inventory-collector')
    result = subprocess.run(
        [str(collector), 'report', str(path), '--no-save', '--print',
         'none'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_tracer_with_a_writer_left_open(modules: Modules,
                                        tmp_path: Path) -> None:
    name = modules.write('w', 'W = 1\n')
    path = tmp_path / 'w.msgpack'
    writer = _native.RecordWriter(path=str(path))
    tracer = Tracer(writer)
    tracer.start()
    try:
        _import(name)
    finally:
        tracer.stop()
    assert not writer.closed
    writer.close()
    recs = _decode(path)
    _check_order(recs)
    assert [e[0] for e in tracer.events if e[0] == name] == [name]


def _unique_scopes(recs: list[list[Any]]) -> None:
    """Every MODULE id once, every INVENTORY scope once: what the
    collector checks."""
    ids = [r[1] for r in recs if r[0] == records.MODULE]
    scopes = [r[1] for r in recs if r[0] == records.INVENTORY]
    assert len(ids) == len(set(ids))
    assert len(scopes) == len(set(scopes))


def test_each_import_event_has_its_own_id(modules: Modules,
                                          tmp_path: Path) -> None:
    """A reload and a retried failed import are new import events: new
    ids, one MODULE record each (the name repeats), one INVENTORY each;
    a child's parent id is the id its parent's own IMPORT took."""
    name = modules.write('again', 'import @child\nN = [1, 2, 3]\n')
    child = modules.write('child', 'C = 1\n')
    flaky = modules.write('flaky', '''\
        import builtins
        import @leaf
        if not getattr(builtins, '@tries', 0):
            builtins.@tries = 1
            raise RuntimeError('first try fails')
        F = 2
    ''')
    leaf = modules.write('leaf', 'L = 3\n')
    path = tmp_path / 'ids.msgpack'
    try:
        with Tracer(path) as tracer:
            module = _import(name)
            importlib.reload(module)
            with pytest.raises(RuntimeError, match='first try'):
                _import(flaky)
            assert _import(flaky).F == 2
    finally:
        vars(builtins).pop(f'{modules.prefix}tries', None)
    recs = _decode(path)
    _check_order(recs)
    _unique_scopes(recs)
    named = {r[1]: r[2] for r in recs if r[0] == records.MODULE}
    imports = [r for r in recs if r[0] == records.IMPORT]
    by_name: dict[str, list[list[Any]]] = {}
    for rec in imports:
        by_name.setdefault(named[rec[1]], []).append(rec)
    # The first import of `name` and its reload: two events, two ids.
    assert len(by_name[name]) == 2
    first, reloaded = by_name[name]
    assert first[1] != reloaded[1]
    assert [r[2] for r in by_name[child]] == [first[1]]
    # The failed import and its retry; the leaf is imported once, as a
    # child of the first (failed) try.
    assert [r[7] for r in by_name[flaky]] == [records.IMPORT_FAILED,
                                             records.IMPORT_OK]
    assert by_name[flaky][0][1] != by_name[flaky][1][1]
    assert [r[2] for r in by_name[leaf]] == [by_name[flaky][0][1]]
    assert by_name[flaky][0][8].startswith('RuntimeError: first try fails')
    # Every IMPORT has its INVENTORY; the ids are the Tracer's.
    scopes = {r[1] for r in recs if r[0] == records.INVENTORY}
    assert {r[1] for r in imports} <= scopes
    assert tracer.import_names == named
    assert tracer.module_ids[name] == reloaded[1]
    # What the final accounting finds adds up exactly.
    (final,) = [r for r in recs if r[0] == records.INVENTORY
                and r[1] == records.SCOPE_FINAL]
    retained = [r for r in recs if r[0] == records.RETAINED]
    assert sum(r[2] for r in retained) == final[2]
    assert sum(r[3] for r in retained) == final[3]


def test_no_final_inventory(modules: Modules, tmp_path: Path) -> None:
    name = modules.write('nofinal', 'X = 1\n')
    path = tmp_path / 'nofinal.msgpack'
    with Tracer(path, final_inventory=False):
        _import(name)
    recs = _decode(path)
    _check_order(recs)
    kinds = {r[0] for r in recs}
    assert records.RETAINED not in kinds
    scopes = {r[1] for r in recs if r[0] == records.INVENTORY}
    assert records.SCOPE_FINAL not in scopes
    assert records.SCOPE_UNATTRIBUTED not in scopes
    (event,) = [r for r in recs if r[0] == records.IMPORT]
    assert event[1] in scopes
