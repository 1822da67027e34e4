"""memory_inventory: statistics on the global objects of a CPython process.

A C rewrite of Charly Coste's pure-Python memory_inventory: the walk, the
sizes and the duplicate detection run in C, without running Python code
and without creating or changing anything in the measured heap."""

from __future__ import annotations

from .walk_options import (
    DEFAULT_DUPLICATE_TYPES,
    SUPPORTED_DUPLICATE_TYPES,
)

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .engine import inventory
    from .model import (
        ClassLackingSlots,
        DuplicateSummary,
        DuplicateValue,
        GCStats,
        Inventory,
        ProcessStats,
        TypeStats,
    )
    from .slots import SLOT_SIZE

# Imported on first use: `python -m memory_inventory.trace` and the Tracer
# need none of them, and every module imported before the traced program
# (dataclasses, inspect, typing, ... for the model) would be missing from
# its import tree.
_LAZY = {
    'inventory': 'engine', 'SLOT_SIZE': 'slots',
    **dict.fromkeys(('ClassLackingSlots', 'DuplicateSummary',
                     'DuplicateValue', 'GCStats', 'Inventory',
                     'ProcessStats', 'TypeStats'), 'model'),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute "
                             f"{name!r}")
    from importlib import import_module
    value = getattr(import_module(f'.{module}', __name__), name)
    globals()[name] = value
    return value


def main(
    save_dir: str | None = None,
    write_debug_log: bool = False,
    objects_limit: int = 10_000_000,
    attributes_to_skip: Iterable[int] = (),
    detect_duplicate_values_of: Iterable[type] = DEFAULT_DUPLICATE_TYPES,
) -> int:
    """Take stock now and report as the command line does: the summary on
    standard output, the full results in `save_dir` (created if missing,
    reused if present; placeholders as in the original), or in a new
    directory under the current one. `write_debug_log` prints the walk's
    own figures on stderr. Returns the collector's exit status.

    The original's `html_template` and `warnings_context` have no
    counterpart: the collector writes the pages, and the walk runs no
    Python code that could warn."""
    from .pipeline import SaveDir, expand_save_dir, run_pipeline
    target = (SaveDir(path=expand_save_dir(save_dir)) if save_dir
              else SaveDir(prefix='./memory_inventory_'))
    return run_pipeline(target, objects_limit=objects_limit,
                        attributes_to_skip=attributes_to_skip,
                        detect_duplicate_values_of=detect_duplicate_values_of,
                        debug=write_debug_log)

__all__ = [
    'DEFAULT_DUPLICATE_TYPES', 'SLOT_SIZE', 'SUPPORTED_DUPLICATE_TYPES',
    'ClassLackingSlots', 'DuplicateSummary', 'DuplicateValue', 'GCStats',
    'Inventory', 'ProcessStats', 'TypeStats', 'inventory', 'main',
]
