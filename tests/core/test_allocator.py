"""While a process parses, memory it frees is kept for the next batch instead of being faulted
in again; afterwards glibc's defaults are back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from summit_corpus.core import allocator

pytestmark = pytest.mark.skipif(allocator._glibc() is None, reason="glibc's allocator only")

# Allocates and frees a 40 MiB buffer five times, touching every page, and prints the minor
# page faults of the last four rounds: a block that size is mapped afresh each time under
# glibc's defaults (10,240 faults a round) and reused from the heap once pages are kept.
_ROUNDS = """
import resource, sys
from summit_corpus.core import allocator
kept = allocator.keep_freed_pages() if sys.argv[1] == "keep" else False
size = 40 * 1024 * 1024
faults = []
for _ in range(5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    buffer = bytearray(size)
    buffer[::4096] = b"x" * len(range(0, size, 4096))
    del buffer
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(kept, sum(faults[1:]), allocator.give_back())
"""


def _rounds(mode: str) -> tuple[str, int, str]:
    out = subprocess.run(
        [sys.executable, "-c", _ROUNDS, mode], capture_output=True, text=True, check=True
    )
    kept, faults, restored = out.stdout.split()
    return kept, int(faults), restored


def test_a_parsing_process_reuses_the_pages_it_freed() -> None:
    """With the pages kept, a freed block's pages serve the next allocation without a fault."""
    kept, faults, restored = _rounds("keep")
    assert (kept, restored) == ("True", "True")
    assert faults < 1_000


def test_by_default_a_freed_block_goes_back_to_the_kernel() -> None:
    """The defaults (and a process that never parsed) map a large block afresh each time, and
    `give_back` leaves such a process as it is."""
    kept, faults, restored = _rounds("default")
    assert (kept, restored) == ("False", "False")
    assert faults > 4 * 10_000


_ARROW_POOL = """
import os, sys
import summit_corpus.cli  # the `corpus` command's module, as its entry point loads it
import pyarrow as pa
print(pa.default_memory_pool().backend_name, os.environ["JE_ARROW_MALLOC_CONF"])
"""


def _arrow_pool(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in allocator.ARROW_ENVIRONMENT}
    out = subprocess.run(
        [sys.executable, "-c", _ARROW_POOL],
        capture_output=True,
        text=True,
        check=True,
        env={**env, **environment},
    )
    return out.stdout.strip()


def test_a_corpus_process_gives_arrow_jemalloc_handing_pages_back() -> None:
    """The `corpus` command sets Arrow's pool to jemalloc, whose freed pages go back within
    100 ms (`arrow_hands_memory_back`), before pyarrow is loaded; its workers inherit it."""
    assert _arrow_pool() == "jemalloc dirty_decay_ms:100,muzzy_decay_ms:0"


def test_a_pool_the_user_chose_is_kept() -> None:
    """ARROW_DEFAULT_MEMORY_POOL set by the user wins."""
    assert _arrow_pool(ARROW_DEFAULT_MEMORY_POOL="system").startswith("system ")


def test_once_pyarrow_is_loaded_nothing_is_set() -> None:
    """Set after pyarrow is loaded, the variables would only mislead: they are left alone."""
    import pyarrow  # noqa: F401 - loaded, as in this test process

    assert allocator.arrow_hands_memory_back() is False
