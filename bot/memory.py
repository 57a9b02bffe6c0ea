"""glibc's malloc, kept from holding on to what a long parse frees (parse and ingest of big files).
Imported only for such files: `parse` of an ordinary story never loads ctypes."""
from __future__ import annotations

import ctypes

# glibc's mallopt(M_MMAP_THRESHOLD): blocks of at least this size get their own mapping, returned to
# the system when freed.
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 128 * 1024


def fix_mmap_threshold() -> bool:
    """Keep glibc's mmap threshold at its 128 KiB default for this process (`ingest`, and `parse`
    of a big file).

    By default glibc raises the threshold to the size of each mapped block freed (up to 32 MB), and
    from then on blocks below it come from the heap, where freed memory is kept for reuse. The
    parse's first pass allocates and frees many such blocks: a 100 MB file's first pass peaked at
    386 MB with the adjustment and 269 MB without it in a worker thread (the streamed ingest), and
    `parse --json` of it at 306-310 MB with it and 232 MB without. Setting the threshold turns the
    adjustment off. False where there is no glibc mallopt (other C libraries, other systems):
    nothing changed.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1


def release_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim; elsewhere nothing)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes = (ctypes.c_size_t,)
    trim(0)
