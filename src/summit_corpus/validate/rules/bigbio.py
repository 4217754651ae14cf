"""The bigbio_kb config equals what `export.bigbio` (the function publish uses) makes from the
documents config: one example per document, from the layer the ner config uses."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.core import layout
from summit_corpus.core.chunks import Cursor
from summit_corpus.core.errors import Errors
from summit_corpus.core.io import open_parquet
from summit_corpus.export.bigbio import CONFIG, DOCUMENT_COLUMNS, kb_table_of_rows, to_example
from summit_corpus.export.documents import LAYER_BEST, documents_of_row
from summit_corpus.validate.report import RULES, Failure, _jsonable, _short

_RULE = "bigbio_matches_documents"
_BATCH = 100  # documents read, made into examples and compared at a time


def _expected(documents: Path) -> Iterator[dict[str, Any]]:
    """YIELDS (dict): The examples the documents file's rows make, in the file's order."""
    parquet = open_parquet(documents)
    for batch in parquet.iter_batches(batch_size=_BATCH, columns=list(DOCUMENT_COLUMNS)):
        for row in batch.to_pylist():
            for document in documents_of_row(row, LAYER_BEST):
                yield to_example(document)


def _published(path: Path) -> Iterator[dict[str, Any]]:
    """YIELDS (dict): The rows of a bigbio_kb split file, in order."""
    for batch in open_parquet(path).iter_batches(batch_size=_BATCH):
        yield from batch.to_pylist()


def _failure(rel: str, index: int | None, ident: str, value: Any) -> Failure:
    message = getattr(Errors, RULES[_RULE][0]).format(
        where=f"{CONFIG} ({rel}) id={ident!r}", column="", value=_short(value)
    )
    return Failure(CONFIG, {"id": ident}, _RULE, _jsonable(value), message, None, rel, index)


def _compare(
    rel: str, expected: Iterator[dict[str, Any]], got: Iterator[dict[str, Any]]
) -> list[Failure]:
    """Compare the published rows with the expected examples, both streamed: side by side
    while the ids agree (a valid file, in the documents' order), then, from the first row out
    of step, by id, as the rest of the file is read. Memory holds a batch, not a split, of a
    valid corpus.

    RETURNS (list[Failure]): One per row that differs, is missing or is extra.
    """
    failures: list[Failure] = []
    pending: dict[str, dict[str, Any]] = {}  # expected examples not yet matched by id
    seen: set[str] = set()
    in_step = True
    for index, row in enumerate(got):
        ident = str(row.get("id"))
        want = None
        if in_step:
            want = next(expected, None)
            if want is not None and str(want.get("id")) != ident:
                in_step = False
                pending[str(want.get("id"))] = want
                want = None
        if not in_step:
            if ident not in pending:
                pending.update((str(e.get("id")), e) for e in expected)
            want = pending.pop(ident, None)
        seen.add(ident)
        if want != row:
            differs = [k for k in row if want is None or want.get(k) != row[k]]
            failures.append(_failure(rel, index, ident, {"columns": differs}))
    rest = {**pending, **{str(e.get("id")): e for e in expected}}
    for ident in sorted(set(rest) - seen):
        failures.append(_failure(rel, None, ident, "missing"))
    return failures


def _matches(documents: Path, published: Path) -> bool:
    """Whether the published file is exactly the examples the documents file makes: both read a
    batch at a time, side by side, and compared as Arrow tables (no Python object per example,
    the cost of a valid corpus). Any difference, even in row count, answers False, and the
    caller then finds the differing rows one by one."""
    got = Cursor(published, None, _BATCH)
    wanted = open_parquet(documents)
    for batch in wanted.iter_batches(batch_size=_BATCH, columns=list(DOCUMENT_COLUMNS)):
        expected = kb_table_of_rows(pa.Table.from_batches([batch]))
        if not expected.equals(got.take_rows(batch.num_rows)):
            return False
    return got.exhausted


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
            if documents.is_file() and _matches(documents, path):
                continue
            failures += _compare(
                rel, _expected(documents) if documents.is_file() else iter(()), _published(path)
            )
        except Exception:  # noqa: BLE001 - unreadable files are the folder rules' failures
            continue
    return failures
