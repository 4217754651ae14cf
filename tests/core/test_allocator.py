"""While a process parses, memory it frees is kept for the next batch instead of being faulted
in again; afterwards glibc's defaults are back."""

from __future__ import annotations

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
