"""Importing (almost) the whole standard library, as the original does."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

SKIPPED = frozenset({'antigravity', 'idlelib.idle', 'this'})


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int
    total: int
    failed: tuple[str, ...]


def import_all_stdlib_modules(
    skip: frozenset[str] = SKIPPED,
    progress: Callable[[str], None] = print,
) -> ImportReport:
    """Imports every module of sys.stdlib_module_names and their
    submodules. Any exception from an import counts as a failure, not only
    ImportError (idlelib's tests raise test.support.ResourceDenied without
    a display)."""
    progress("Starting import of (almost) all the standard library modules")
    preloaded = len(sys.modules)
    queue = deque(sorted(sys.stdlib_module_names))
    failed = []
    while queue:
        name = queue.popleft()
        if name in skip or name.endswith('.__main__'):
            continue
        try:
            module = importlib.import_module(name)
        except (Exception, SystemExit):
            failed.append(name)
            continue
        path = getattr(module, '__path__', None)
        if path:
            queue.extend(sorted(
                info.name for info in pkgutil.walk_packages(
                    path, f'{name}.', onerror=lambda _name: None)
            ))
    report = ImportReport(len(sys.modules) - preloaded, len(sys.modules),
                          tuple(sorted(failed)))
    progress(f"{report.imported} modules have been imported, increasing the "
             f"total to {report.total}.")
    if report.failed:
        n = len(report.failed)
        progress(f"{n} module{'s' if n != 1 else ''} failed to load: "
                 f"{', '.join(report.failed)}")
    return report
