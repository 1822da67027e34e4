"""Import tracing: what each import adds to the heap.

`Tracer` (tracer.py) streams the records; `tracing()`, `start()` and
`stop()` (session.py) trace a block and have the collector report it;
`python -m memory_inventory.trace` (__main__.py, cli.py) runs a program
under it.

session.py (and the pipeline and tempfile it brings) is
imported on first use of one of its names: a program that only needs the
Tracer does not pay for it before its own imports are traced."""

from __future__ import annotations

from .tracer import Tracer

# typing.TYPE_CHECKING, without importing typing (mypy knows the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .session import (
        TraceResult,
        TraceSession,
        parse_size,
        start,
        stop,
        tracing,
    )

_SESSION_NAMES = frozenset(('TraceResult', 'TraceSession', 'parse_size',
                            'start', 'stop', 'tracing'))


def __getattr__(name: str) -> object:
    if name in _SESSION_NAMES:
        from . import session
        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ['TraceResult', 'TraceSession', 'Tracer', 'parse_size', 'start',
           'stop', 'tracing']
