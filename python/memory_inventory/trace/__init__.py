"""Import tracing: what each import adds to the heap.

`Tracer` (tracer.py) streams the records; `tracing()`, `start()` and
`stop()` (session.py) trace a block and have the collector report it;
`python -m memory_inventory.trace` (__main__.py, cli.py) runs a program
under it."""

from .session import (
    TraceResult,
    TraceSession,
    parse_size,
    start,
    stop,
    tracing,
)
from .tracer import Tracer

__all__ = ['TraceResult', 'TraceSession', 'Tracer', 'parse_size', 'start',
           'stop', 'tracing']
