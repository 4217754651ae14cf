"""The split assignment of a staged corpus, kept for the next build.

The assignment reads no annotation, so it is kept beside a kept staged set
(`reuse.memo_path`): after a pull that changed only annotations it is taken, not computed
again, and an edit of the code that computes it (this module and every toolkit module it
imports, `publish/splits.py` among them) computes it anew. The near-duplicate pairs are kept
too, in the cache namespace (which the split settings are part of), with the articles they
were found among, and every document's story key: a build that adds or edits a few articles
confirms only their candidates (`KnownPairs`) and reads only their leads for a story key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from summit_corpus.build import reuse
from summit_corpus.build.engines import Staged
from summit_corpus.core import io, tables
from summit_corpus.publish.near_duplicates import KnownPairs, NearDuplicatePair
from summit_corpus.publish.splits import ASSIGNMENT_COLUMNS, assign_splits_with_pairs


def split_assignment(staged: Staged) -> pa.Table:
    """RETURNS (pa.Table): The split assignment of the staged documents, read a row group at
    a time (texts are not kept), with the near-duplicate fingerprints the per-article stage
    made; or the one computed before from the same kept staged set by the same code."""
    memo = reuse.memo_path(staged, "assignment", __name__)
    kept = reuse.recall(memo)
    if kept is not None:
        return kept
    articles = reuse.set_articles(staged)
    pairs_memo = reuse.namespace_memo_path(staged, "near_duplicates", __name__)
    staged_documents = io.open_parquet(staged.files[tables.DOCUMENTS.name])
    known, known_keys = _known(pairs_memo, articles)
    assignment, pairs = assign_splits_with_pairs(
        staged_documents.iter_batches(batch_size=256, columns=list(ASSIGNMENT_COLUMNS)),
        fingerprints=io.open_parquet(staged.files[tables.FINGERPRINTS.name]).iter_batches(
            batch_size=1024
        ),
        known=known,
        known_keys=known_keys,
    )
    reuse.remember(memo, assignment)
    if articles is not None:
        reuse.remember_tables(
            pairs_memo,
            {
                "pairs": _pairs_table(pairs),
                "articles": _articles_table(articles),
                "story_keys": assignment.select(["doc_id", "story_key"]),
            },
        )
    return assignment


def _known(
    path: Path | None, articles: list[tuple[str, str]] | None
) -> tuple[KnownPairs | None, dict[str, str | None]]:
    """RETURNS (tuple): The pairs kept at `path` among the documents of `articles` that are
    the same articles as then (same doc_id, same cache key), and those documents' story
    keys (none when the memo holds none)."""
    kept = reuse.recall_tables(path) if articles is not None else None
    if kept is None or articles is None or not {"pairs", "articles"} <= set(kept):
        return None, {}
    then = kept["articles"]
    before = dict(
        zip(then.column("doc_id").to_pylist(), then.column("key").to_pylist(), strict=True)
    )
    among = frozenset(doc_id for doc_id, key in articles if before.get(doc_id) == key)
    pairs = kept["pairs"].to_pylist()
    story_keys: dict[str, str | None] = {}
    if "story_keys" in kept:
        doc_ids, keys = (kept["story_keys"].column(c).to_pylist() for c in ("doc_id", "story_key"))
        story_keys = {d: k for d, k in zip(doc_ids, keys, strict=True) if d in among}
    return KnownPairs(among, tuple(NearDuplicatePair(**pair) for pair in pairs)), story_keys


def _pairs_table(pairs: Sequence[NearDuplicatePair]) -> pa.Table:
    return pa.Table.from_pylist([dataclasses.asdict(p) for p in pairs], schema=_PAIRS)


def _articles_table(articles: Sequence[tuple[str, str]]) -> pa.Table:
    doc_ids, keys = zip(*articles, strict=True) if articles else ((), ())
    return pa.table({"doc_id": pa.array(doc_ids, pa.string()), "key": pa.array(keys, pa.string())})


_PAIRS = pa.schema(
    [
        ("a", pa.string()),
        ("b", pa.string()),
        ("jaccard", pa.float64()),
        ("containment", pa.float64()),
    ]
)
