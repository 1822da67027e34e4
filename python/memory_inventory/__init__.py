"""memory_inventory: statistics on the global objects of a CPython process.

A C rewrite of Charly Coste's pure-Python memory_inventory: the walk, the
sizes and the duplicate detection run in C, without running Python code
and without creating or changing anything in the measured heap."""

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

__all__ = [
    'DEFAULT_DUPLICATE_TYPES', 'SLOT_SIZE', 'SUPPORTED_DUPLICATE_TYPES',
    'ClassLackingSlots', 'DuplicateSummary', 'DuplicateValue', 'GCStats',
    'Inventory', 'ProcessStats', 'TypeStats', 'inventory',
]
