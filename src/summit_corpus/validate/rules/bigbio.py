"""The bigbio_kb config equals what `export.bigbio` (the function publish uses) makes from the
documents config: one example per document, from the layer the ner config uses."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from summit_corpus.core import layout
from summit_corpus.core.errors import Errors
from summit_corpus.export.bigbio import CONFIG, to_example
from summit_corpus.export.documents import LAYER_BEST, documents_of_row
from summit_corpus.validate.report import RULES, Failure, _jsonable, _short

_RULE = "bigbio_matches_documents"
_DOCUMENT_COLUMNS = ("doc_id", "split", "text", "tokens", "spans", "relations", "document_labels")


def _expected(documents: Path) -> dict[str, dict[str, Any]]:
    """RETURNS (dict): Example id -> the example the documents file's rows make."""
    out: dict[str, dict[str, Any]] = {}
    parquet = pq.ParquetFile(documents)
    for batch in parquet.iter_batches(batch_size=100, columns=list(_DOCUMENT_COLUMNS)):
        for row in batch.to_pylist():
            for document in documents_of_row(row, LAYER_BEST):
                out[document.id] = to_example(document)
    return out


def _failure(rel: str, index: int | None, ident: str, value: Any) -> Failure:
    message = getattr(Errors, RULES[_RULE][0]).format(
        where=f"{CONFIG} ({rel}) id={ident!r}", column="", value=_short(value)
    )
    return Failure(CONFIG, {"id": ident}, _RULE, _jsonable(value), message, None, rel, index)


def check_bigbio(corpus_dir: Path, skip: Collection[str] = ()) -> list[Failure]:
    """Compare each bigbio_kb split file with the examples its documents file makes.

    corpus_dir (Path): The corpus folder.
    skip (Collection[str]): Data files (relative paths) not to decode: their SHA-256 is not
        the manifest's, which is reported already.
    RETURNS (list[Failure]): One per example that differs, is missing or is extra.
    """
    failures: list[Failure] = []
    folder = layout.config_dir(corpus_dir, CONFIG)
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        rel = path.relative_to(corpus_dir).as_posix()
        documents = layout.config_dir(corpus_dir, "documents") / path.name
        if rel in skip or documents.relative_to(corpus_dir).as_posix() in skip:
            continue
        try:
            expected = _expected(documents) if documents.is_file() else {}
            got = pq.read_table(path).to_pylist()
        except Exception:  # noqa: BLE001 - unreadable files are the folder rules' failures
            continue
        seen = set()
        for index, row in enumerate(got):
            ident = str(row.get("id"))
            seen.add(ident)
            want = expected.get(ident)
            if want != row:
                differs = [k for k in row if want is None or want.get(k) != row[k]]
                failures.append(_failure(rel, index, ident, {"columns": differs}))
        for ident in sorted(set(expected) - seen):
            failures.append(_failure(rel, None, ident, "missing"))
    return failures
