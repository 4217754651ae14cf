"""Shards: each split of a config is published in files of whole documents, in doc_id order,
cut at the same documents in every config.

A shard starts at a document whose doc_id hashes to a multiple of `SHARD_SPREAD`, once the
shard before it holds at least `SHARD_MIN_DOCS` documents. Where the shards start therefore
depends on the split's doc_ids alone, not on their number: adding or changing a document
changes the shard it falls in (rarely the next one too), and every other shard's files keep
their rows, so a rebuild can take them and what was checked of them. A split of fewer than
`SHARD_MIN_DOCS` documents is one shard: `<split>-00000-of-00001.parquet`.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import tables as T

SHARD_MIN_DOCS = 256
SHARD_SPREAD = 256


def _starts_shard(doc_id: str) -> bool:
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % SHARD_SPREAD == 0


def shard_starts(doc_ids: Sequence[str]) -> list[int]:
    """Where a split's shards start.

    doc_ids (Sequence[str]): The split's doc_ids, sorted.
    RETURNS (list[int]): The index of each shard's first document (0 first).
    """
    starts = [0]
    for index, doc_id in enumerate(doc_ids):
        if index - starts[-1] >= SHARD_MIN_DOCS and _starts_shard(doc_id):
            starts.append(index)
    return starts


class ShardPlan:
    """The shards of every split, from the whole corpus's split assignment.

    assignment (pa.Table): tables.SPLIT_ASSIGNMENT of every document of the corpus.
    """

    def __init__(self, assignment: pa.Table) -> None:
        self.firsts: dict[str, list[str]] = {}
        for split in T.SPLITS:
            mine = assignment.filter(pc.equal(assignment.column("split"), split))
            doc_ids = sorted(mine.column("doc_id").to_pylist())
            self.firsts[split] = [doc_ids[i] for i in shard_starts(doc_ids)] if doc_ids else []

    def count(self, split: str) -> int:
        """RETURNS (int): The number of shards of `split` (at least 1)."""
        return max(1, len(self.firsts.get(split, ())))

    def cut(self, part: pa.Table, column: str, split: str) -> list[tuple[int, pa.Table]]:
        """Cut one split's rows of some documents into their shards.

        part (pa.Table): Rows of documents of `split`, with their doc_id in `column`.
        column (str): The doc_id column ("doc_id"; "document_id" in bigbio_kb).
        split (str): The split.
        RETURNS (list[tuple[int, pa.Table]]): (shard index, its rows), in shard order, only
            shards with rows; the rows keep their order.
        """
        firsts = self.firsts.get(split, [])
        if part.num_rows == 0:
            return []
        values = part.column(column)
        bounds = pc.min_max(values)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        base = max(0, bisect.bisect_right(firsts, low) - 1)
        inside = [first for first in firsts[base + 1 :] if first <= high]
        if not inside:
            return [(base, part)]
        index = pa.array([base] * part.num_rows, pa.int32())
        for first in inside:
            index = pc.add(index, pc.cast(pc.greater_equal(values, first), pa.int32()))
        pieces = []
        for shard in range(base, base + len(inside) + 1):
            piece = part.filter(pc.equal(index, shard))
            if piece.num_rows:
                pieces.append((shard, piece))
        return pieces
