"""Where things are: the collector program, and the save directory that a
user's template names.

Apart from pipeline.py (which brings the engine and the model with it):
`python -m memory_inventory.trace` needs these before the program runs."""

from __future__ import annotations

import os
import sys

COLLECTOR_ENV = 'MEMORY_INVENTORY_COLLECTOR'


def collector_path() -> str:
    """The collector program shipped in the package (or named by the
    MEMORY_INVENTORY_COLLECTOR environment variable)."""
    return os.environ.get(COLLECTOR_ENV) or os.path.join(
        os.path.dirname(__file__), 'bin', 'memory-inventory-collector')


class _Placeholders(dict[str, str]):
    """The values of the placeholders, each worked out when a template
    uses it: datetime and tempfile are imported only then (what is imported
    before a traced program is missing from its import tree)."""

    def __missing__(self, key: str) -> str:
        if key == 'python_version':
            return sys.version.split()[0]
        if key == 'isotime':
            from datetime import datetime
            return datetime.now().isoformat()
        if key == 'tmpdir':
            import tempfile
            return tempfile.gettempdir()
        raise KeyError(key)


def expand_save_dir(template: str) -> str:
    """The original's placeholders: {python_version}, {isotime}, {tmpdir};
    KeyError for another."""
    return template.format_map(_Placeholders())
