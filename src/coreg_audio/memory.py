"""The process's memory policy: large arrays go back to the system the moment they are freed.

glibc raises its mmap threshold each time a large mapped block is freed, so after
the first big array every later one (up to 32 MB) comes from the heap, whose freed
pages stay resident: building an ambience loop then left a render some 10 MB
larger for the rest of its run. A fixed threshold keeps every array of
LARGE_BYTES or more in its own mapping; the mixer's blocks (1.4 MB) stay below it.
"""

from __future__ import annotations

import ctypes

LARGE_BYTES = 4 << 20
_M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter for the threshold (malloc.h)."""


def return_large_blocks_when_freed() -> bool:
    """Fix the C library's mmap threshold at LARGE_BYTES; False where it has no such setting."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, LARGE_BYTES))
