"""memory_inventory: statistics on the global objects of a CPython process.

A C rewrite of Charly Coste's pure-Python memory_inventory: the walk, the
sizes and the duplicate detection run in C, without running Python code
and without creating or changing anything in the measured heap."""

from collections.abc import Iterable

from .engine import (
    DEFAULT_DUPLICATE_TYPES,
    SUPPORTED_DUPLICATE_TYPES,
    inventory,
)
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
