"""Import tracing: what each import adds to the heap.

`Tracer` (tracer.py) streams the records; `python -m
memory_inventory.trace` (__main__.py) runs a program under it."""

from .tracer import Tracer

__all__ = ['Tracer']
