"""The command line's pipeline: inventory -> records -> collector.

The records go over a pipe to the collector program, which writes the
summary to standard output and the full results into the save directory."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

from . import _native
from .engine import inventory
from .locations import collector_path as collector_path
from .locations import expand_save_dir as expand_save_dir
from .process import gc_stats, process_stats
from .records import (
    MOMENT_AFTER,
    MOMENT_BEFORE,
    gc_record,
    header_record,
    imports_record,
    inventory_records,
    process_record,
)
from .stdlib import ImportReport
from .walk_options import DEFAULT_DUPLICATE_TYPES


@dataclass(frozen=True, slots=True)
class SaveDir:
    """Where the collector saves the full results: a directory the user
    named (created if missing, reused if present), or a new unique one
    made from a prefix (never a fixed, guessable path)."""

    path: str | None = None
    prefix: str | None = None

    def collector_arguments(self) -> list[str]:
        if self.path is not None:
            return ['--save-dir', self.path]
        if self.prefix is not None:
            return ['--save-dir-prefix', self.prefix]
        return ['--no-save']


def default_save_dir(module_names: list[str]) -> SaveDir:
    """As the original, but unique: a fresh directory each run."""
    version = sys.version.split()[0]
    if not module_names:
        name = f'memory_inventory_python_{version}_stdlib_'
        return SaveDir(prefix=os.path.join(tempfile.gettempdir(), name))
    names = '-'.join(sorted(module_names)).replace(os.sep, '_')
    return SaveDir(prefix=f'./memory_inventory_{names}_python_{version}_')


def run_pipeline(
    save_dir: SaveDir,
    *,
    objects_limit: int = 10_000_000,
    attributes_to_skip: Iterable[int] = (),
    detect_duplicate_values_of: Iterable[type] = DEFAULT_DUPLICATE_TYPES,
    imports: ImportReport | None = None,
    collector_arguments: Iterable[str] = (),
    debug: bool = False,
) -> int:
    """Takes the inventory and streams it to a collector it starts; returns
    the collector's exit status (non-zero when it failed)."""
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [collector_path(), *save_dir.collector_arguments(),
            *collector_arguments]
    try:
        writer = _native.RecordWriter(spawn=argv)
    except OSError as error:
        print(f"error: cannot start the collector: {error}", file=sys.stderr)
        return 1
    writer.write(header_record())
    if imports is not None:
        writer.write(imports_record(imports))
    writer.write(process_record(MOMENT_BEFORE, process_stats()))
    writer.write(gc_record(gc_stats()))
    result = inventory(objects_limit=objects_limit,
                       attributes_to_skip=attributes_to_skip,
                       detect_duplicate_values_of=detect_duplicate_values_of)
    for record in inventory_records(result):
        writer.write(record)
    writer.write(process_record(MOMENT_AFTER, process_stats()))
    if debug:
        print(f"debug: walk {result.walk_seconds * 1000:.1f} ms, "
              f"{result.objects} objects, {result.python_sizeof_calls} "
              f"Python __sizeof__ calls ({result.sizeof_fallbacks} failed), "
              f"{writer.records} records sent, {writer.dropped} dropped",
              file=sys.stderr)
    status = writer.close()
    if writer.broken or writer.dropped:
        print(f"error: the collector did not receive everything "
              f"({writer.dropped} records were not sent); what it received "
              "is saved, marked incomplete", file=sys.stderr)
        return status if status else 1
    if status is None:
        print("error: the collector did not finish", file=sys.stderr)
        return 1
    if status < 0:
        print(f"error: the collector was killed by signal {-status}",
              file=sys.stderr)
        return 1
    return status
