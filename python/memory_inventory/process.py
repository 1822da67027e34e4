"""Process and garbage-collector statistics (Linux)."""

import gc
import resource
import threading

from . import _native
from .model import GCStats, ProcessStats


def _proc_status_kib(field: bytes) -> int | None:
    # Binary: a text file would import a codec on first use, changing the
    # heap between the first inventory and the next.
    try:
        with open('/proc/self/status', 'rb') as status:
            for line in status:
                key, _, value = line.partition(b':')
                if key == field:
                    return int(value.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_stats() -> ProcessStats:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss = _proc_status_kib(b'VmRSS')
    # The kernel updates the high-water mark lazily: it can lag behind the
    # resident size read a moment before.
    peak = max(_proc_status_kib(b'VmHWM') or 0, usage.ru_maxrss, rss or 0)
    return ProcessStats(
        user_seconds=usage.ru_utime,
        system_seconds=usage.ru_stime,
        rss_kib=rss,
        peak_rss_kib=peak or None,
        threads=threading.active_count(),
    )


def gc_stats() -> GCStats:
    generations = gc.get_stats()
    return GCStats(
        tracked=_native.gc_tracked(),
        collected=sum(g['collected'] for g in generations),
        collections=sum(g['collections'] for g in generations),
        uncollectable=sum(g['uncollectable'] for g in generations),
    )
