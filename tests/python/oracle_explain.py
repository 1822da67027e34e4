"""Investigation aid for test_oracle.py (not a test): what the original
memory_inventory 1.2 finds that ours does not, object by object, and why.

    PYTHONPATH=python [xvfb-run -a] python3 -s \\
        tests/python/oracle_explain.py [--samples N] [--uniform N] \\
        {stdlib | MODULE...}

Runs both tools in this one process, on one heap: ours as
`memory_inventory` (from PYTHONPATH), the original loaded from
.venv/original-1.2 under the name `mi_original`, its walk patched to record
how it reached each object (the parent, and the getter or the container
that gave it). Each tool is kept out of the other's walk. Then:

1. ours, then the original under tracemalloc: for each type of which the
   original found more, how many of its instances its walk created, through
   which edge, and where they were allocated (the three innermost frames
   outside the original);
2. the original again, on the heap its first walk left (its caches filled),
   and ours after it: for each type of which the original still finds more,
   a sample of its instances is checked one by one (an object is reached by
   ours when leaving it out with attributes_to_skip lowers our count), and
   for each one we miss, the chain of parents up to an object we reach;
3. with --uniform N, the same check on N objects drawn from all the
   original found in 2.

Slow: the whole stdlib takes ~5 min, plus ~0.5 s per checked object."""

from __future__ import annotations

import argparse
import contextvars
import gc
import importlib.util
import inspect
import random
import sys
import textwrap
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import memory_inventory as mi
import oracle_probe

ORIGINAL_SOURCE = (Path(__file__).resolve().parents[2] / '.venv'
                   / 'original-1.2' / 'memory_inventory' / '__init__.py')

Parents = dict[int, tuple[object, str | None]]


def load_original() -> ModuleType:
    """The original as `mi_original`, its deep_get_referents recompiled to
    record `_PARENTS[id(obj)] = (parent, edge)` for each object it queues.
    """
    spec = importlib.util.spec_from_file_location('mi_original',
                                                  ORIGINAL_SOURCE)
    assert spec is not None and spec.loader is not None
    original = importlib.util.module_from_spec(spec)
    sys.modules['mi_original'] = original
    spec.loader.exec_module(original)
    source = textwrap.dedent(inspect.getsource(original.deep_get_referents))
    patched = []
    for line in source.split('\n'):
        indent = line[:len(line) - len(line.lstrip())]
        code = line.strip()
        if code.startswith('seen.add(obj_id)'):
            patched += [line, f'{indent}_PARENTS[obj_id] = (_CUR[0], _HOW[0])']
            continue
        if code == 'yield obj':
            patched += [line, f'{indent}_CUR[0] = obj']
            continue
        if (('add_to_queue(' in code or 'extend_queue(' in code)
                and not code.startswith('def ')):
            if 'attr' in code:
                label = "'get:' + qual_name(cls) + '.' + k"
            elif 'cls)' in code:
                label = "'mro'"
            elif 'obj_dict' in code:
                label = "'__dict__'"
            else:
                label = "'keys, values or items'"
            patched.append(f'{indent}_HOW[0] = {label}')
        patched.append(line)
    namespace = vars(original)
    namespace.update(_CUR=[None], _HOW=[None], _PARENTS={})
    exec(compile('\n'.join(patched), 'patched', 'exec'), namespace)
    return original


def describe(obj: object) -> str:
    try:
        text = repr(obj)
    except Exception:
        text = object.__repr__(obj)
    return f"{oracle_probe.qual_name(type(obj))} {text[:90]}"


class Session:
    def __init__(self, original: ModuleType) -> None:
        self.original = original
        self.walk_function = vars(original)['deep_get_referents']
        # What ours must not walk: the original and the probe, and what
        # this session keeps.
        self.own = [id(original), id(vars(original)), id(oracle_probe),
                    id(vars(oracle_probe))]

    def ours(self, *skip: int) -> mi.Inventory:
        return mi.inventory(attributes_to_skip=(*self.own, *skip))

    def reached(self, obj: object) -> bool:
        """Whether our walk reaches `obj` (the count drops without it)."""
        return self.ours(id(obj)).objects < self.ours().objects

    def original_walk(self) -> tuple[list[object], Parents]:
        """One inventory of the original's; the objects it found."""
        parents: Parents = {}
        found: list[object] = []
        namespace = vars(self.original)
        namespace['_PARENTS'] = parents
        walk = self.walk_function

        def recording_walk(*args: Any, **kwargs: Any) -> Iterator[object]:
            for name, module in list(sys.modules.items()):
                if name.startswith('memory_inventory') or \
                        name == 'oracle_probe':
                    kwargs['seen'].add(id(module))
            for obj in walk(*args, **kwargs):
                found.append(obj)
                yield obj

        namespace['deep_get_referents'] = recording_walk
        build: Callable[[], object] = self.original.TypeStatsDict.build
        with warnings.catch_warnings(category=DeprecationWarning,
                                     action='error'):
            try:
                contextvars.copy_context().run(build)
            except AssertionError:
                # Its refcount check: `found` holds one more reference.
                pass
        self.own += [id(found), id(parents)]
        return found, parents

    def chain(self, obj: object, parents: Parents) -> str:
        links = []
        current = obj
        for _ in range(8):
            parent, how = parents.get(id(current), (None, None))
            links.append(f"[{describe(current)}] via {how}")
            if parent is None:
                break
            if self.reached(parent):
                links.append(f"[{describe(parent)}] REACHED BY OURS")
                break
            current = parent
        return '\n         <= '.join(links)


def counts(result: mi.Inventory) -> Counter[str]:
    found: Counter[str] = Counter()
    for stats in result.types:
        found[oracle_probe.qual_name(stats.type)] += stats.instances
    return found


def by_type(objects: list[object]) -> Counter[str]:
    return Counter(oracle_probe.qual_name(type(o)) for o in objects)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--samples', type=int, default=10,
                        help="instances checked per type in step 2")
    parser.add_argument('--uniform', type=int, default=0,
                        help="objects checked in step 3")
    parser.add_argument('workload', nargs='+')
    args = parser.parse_args(argv)

    session = Session(load_original())
    oracle_probe.import_workload(args.workload)
    gc.collect()

    before = session.ours()
    ours_before = counts(before)
    tracemalloc.start(10)
    gc.collect()  # empties the free lists: see oracle_probe.run_original
    first, first_parents = session.original_walk()
    created: dict[int, list[str]] = {}
    for obj in first:
        traceback = tracemalloc.get_object_traceback(obj)
        if traceback is not None:
            created[id(obj)] = [f"{Path(f.filename).name}:{f.lineno}"
                                for f in traceback]
    tracemalloc.stop()
    session.own.append(id(created))
    original_first = by_type(first)
    ours_between = counts(session.ours())
    second, second_parents = session.original_walk()
    original_second = by_type(second)
    after = session.ours()
    ours_after = counts(after)
    print(f"objects: ours {before.objects}; the original {len(first)}, of "
          f"which its walk created {len(created)}; on the heap it left: "
          f"the original {len(second)}, ours {after.objects}")

    print("\n== 1. types of which the original found more (undisturbed heap)")
    for name in sorted(original_first, key=lambda n: (
            ours_before[n] - original_first[n], n)):
        if original_first[name] <= ours_before[name]:
            continue
        made = [o for o in first
                if oracle_probe.qual_name(type(o)) == name
                and id(o) in created]
        edges = Counter(first_parents.get(id(o), (None, None))[1]
                        for o in made)
        sites: Counter[str] = Counter()
        for obj in made:
            frames = [f for f in created[id(obj)]
                      if not f.startswith(('patched', 'oracle_explain.py'))]
            sites[' < '.join(reversed(frames[-3:]))] += 1
        print(f"-- {name}: original {original_first[name]}, ours "
              f"{ours_before[name]}; created by its walk: {len(made)}; "
              f"ours on the heap it left: {ours_between[name]}")
        for edge, number in edges.most_common(6):
            print(f"     edge  {number:6} {edge}")
        for site, number in sites.most_common(4):
            print(f"     alloc {number:6} {site}")

    print("\n== 2. types of which the original still finds more "
          "(the heap its first walk left)")
    rng = random.Random(1)
    for name in sorted(original_second, key=lambda n: (
            ours_after[n] - original_second[n], n)):
        if original_second[name] <= ours_after[name]:
            continue
        instances = [o for o in second
                     if oracle_probe.qual_name(type(o)) == name]
        picks = rng.sample(instances, min(args.samples, len(instances)))
        missed = [o for o in picks if not session.reached(o)]
        print(f"-- {name}: original {original_second[name]}, ours "
              f"{ours_after[name]}; of {len(picks)} checked, we miss "
              f"{len(missed)}")
        for obj in missed[:5]:
            print(f"     - {session.chain(obj, second_parents)}")

    if args.uniform:
        picks = random.Random(7).sample(second,
                                        min(args.uniform, len(second)))
        missed = [o for o in picks if not session.reached(o)]
        print(f"\n== 3. of {len(picks)} objects drawn from what the "
              f"original found, we miss {len(missed)}")
        for obj in missed[:20]:
            print(f"     - {session.chain(obj, second_parents)}")
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
