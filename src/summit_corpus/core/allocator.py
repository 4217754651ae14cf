"""glibc's allocator: freed pages kept while a process parses, handed back between stages.

The per-article stage calls `nlp.pipe` once per batch of articles. When a call ends, spaCy
frees its working memory, and glibc, whose thresholds adapt to that pattern, unmaps it or
trims the heap, handing the pages back to the kernel; the next batch then faults every page
in again. On the bench's articles that was ~490 page faults per article, about 1.5 % of
spaCy's time (one `nlp.pipe` over every text faults seven times less). While a process
parses, its allocator keeps freed memory (fixed thresholds: blocks up to 64 MiB come from
the heap, and the heap is trimmed only past 1 GiB free), at the cost of ~40 MiB of resident
memory; `give_back` restores glibc's defaults and trims once the parsing is over, so the
later stages of a build run as before.

Elsewhere than glibc on Linux (macOS, musl) both are no-ops.

Arrow's memory comes from its own allocator, set for the whole `corpus` process by
`arrow_hands_memory_back` before pyarrow is loaded.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from typing import Any

# mallopt(3) parameters and glibc's defaults.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT_THRESHOLD = 128 * 1024
PARSING_MMAP_THRESHOLD = 64 * 1024 * 1024
PARSING_TRIM_THRESHOLD = 1024 * 1024 * 1024


@functools.cache
def _glibc() -> Any | None:
    """RETURNS (ctypes.CDLL | None): glibc with mallopt and malloc_trim, else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc
        return None
    return libc


_kept = False  # whether this process keeps freed pages (`keep_freed_pages`)


def keep_freed_pages() -> bool:
    """Keep freed memory in this process for reuse (called as a process starts to parse).

    RETURNS (bool): Whether the allocator took the setting.
    """
    global _kept
    libc = _glibc()
    if libc is None or _kept:
        return _kept
    mmap_set = libc.mallopt(_M_MMAP_THRESHOLD, PARSING_MMAP_THRESHOLD)
    trim_set = libc.mallopt(_M_TRIM_THRESHOLD, PARSING_TRIM_THRESHOLD)
    _kept = bool(mmap_set and trim_set)
    return _kept


def give_back() -> bool:
    """After `keep_freed_pages`: glibc's default thresholds again, and the free memory handed
    back to the kernel. A process that never kept its pages is left as it is (its thresholds
    still adapt).

    RETURNS (bool): Whether the defaults were restored.
    """
    global _kept
    libc = _glibc()
    if libc is None or not _kept:
        return False
    _kept = False
    mmap_set = libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD)
    trim_set = libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_THRESHOLD)
    trim()
    return bool(mmap_set and trim_set)


def trim() -> None:
    """Hand glibc's free memory back to the kernel (`malloc_trim(0)`); elsewhere a no-op."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


# Arrow's allocator for a whole `corpus` process (and the workers it starts, which inherit the
# environment): jemalloc as Arrow's default pool, not mimalloc, so that the C++ code that takes
# the default pool rather than pyarrow's allocates from it too; and jemalloc's freed pages
# handed back within 100 ms, not pyarrow's 1 s. (`jemalloc_set_decay_ms` reaches only arenas
# made after it is called, and jemalloc makes its arenas as it starts.) Publishing 2,505
# articles peaked at 606-623 MiB and took 13.0-13.3 s with mimalloc; with these, 517 MiB and
# 12.4-12.9 s. A decay of 0 saved 7 MiB more but took 14.3 s (the kernel's time for the
# pages handed back and faulted in again).
ARROW_ENVIRONMENT = {
    "ARROW_DEFAULT_MEMORY_POOL": "jemalloc",
    "JE_ARROW_MALLOC_CONF": "dirty_decay_ms:100,muzzy_decay_ms:0",
}


def arrow_hands_memory_back() -> bool:
    """Set ARROW_ENVIRONMENT for this process, where it can still take effect: on Linux (where
    pyarrow's wheels have jemalloc), before pyarrow is loaded. A variable the user set wins.

    RETURNS (bool): Whether the variables were set.
    """
    if not sys.platform.startswith("linux") or "pyarrow" in sys.modules:
        return False
    for name, value in ARROW_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return True
