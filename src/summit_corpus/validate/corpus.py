"""Validate a corpus folder (`validate_corpus`), streamed in chunks of whole documents.

Besides tables.ALL_TABLES, a published corpus folder is checked as published: the documents
config must have publish.documents_schema()'s columns, its split-assignment columns are
validated as the `split_assignment` table (split = file's split, leakage groups in one split),
its nested records must equal the flat configs' rows (`nested_matches_table`), and the `ner`
config must equal what `ner.ner_rows` makes from tokens and spans, and the `bigbio_kb` config
what `export.bigbio` makes from the documents config (`check_bigbio`). The manifest
(`check_manifest`) and the card (`check_card`) are checked first; a data file whose SHA-256 is
not the manifest's is reported once and not decoded (nor are the other configs' files of its
split, read with it). Every content rule still fires on its own when MANIFEST.json has been
rewritten to match a corrupted file, and a file that cannot be decoded is a
'parquet_readable' failure, never a traceback.

One split file at a time, the files of every config are read together in chunks of whole
documents (`chunks.iter_chunks`, `docs_per_chunk` documents of the documents config plus their
rows of every other config), and each chunk is validated like a small corpus, so peak memory
depends on the chunk size, not on the number of documents. The result is the one a run over
whole tables gives (`validate_tables`; the tests compare them): rows are reported by their
index in their file, 'rows_sorted' also compares each chunk's first row with the previous
chunk's last, the split assignment (leakage groups span documents) is collected for all
documents and checked once, and the rows of any document seen in more than one chunk (only in
an invalid corpus: files out of order, a document in two splits, rows filed under another
split) are gathered from every file and checked together (`_Stream`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.core.chunks import (
    DOCS_PER_CHUNK,
    DocumentChunk,
    iter_chunks,
    release_unused_memory,
)
from summit_corpus.core.io import open_parquet
from summit_corpus.validate.arrays import _bools
from summit_corpus.validate.context import DEFINITIONS, _Scheme, _scheme, _scheme_vocabularies
from summit_corpus.validate.files import (
    ConfigFiles,
    _documents_config_columns,
    _inventory,
    _promote,
)
from summit_corpus.validate.report import Failure, ValidationReport, _table_failure
from summit_corpus.validate.rules.bigbio import check_bigbio
from summit_corpus.validate.rules.card import check_card
from summit_corpus.validate.rules.manifest import check_manifest
from summit_corpus.validate.run import (
    _failure_order,
    _file_array,
    _Located,
    _Part,
    _validate_part,
    nested_tables,
)


def validate_corpus(
    corpus_dir: Path,
    vocabularies: Mapping[str, Any] | None = None,
    *,
    docs_per_chunk: int = DOCS_PER_CHUNK,
    memo: Path | None = None,
) -> ValidationReport:
    """Validate a corpus folder: every table file, every cross-table rule, the manifest.

    The data files are read in chunks of whole documents (`chunks.iter_chunks`, driven by the
    documents config, one split file at a time), so memory stays flat in the number of
    documents; the failures are the ones a run over the whole tables finds (see `_Stream`).

    corpus_dir (Path): The corpus folder (layout.py): data/<table>/<split>-*.parquet and
        MANIFEST.json.
    vocabularies (Mapping[str, Any] | None): As in `validate_tables`; None reads the scheme.
    docs_per_chunk (int): Documents validated together; bounds memory.
    memo (Path | None): A folder where what each shard of a corpus that passed contributed to
        the rules that span shards is kept by the shard's bytes (`memo.py`), so that a shard
        of the same bytes is not read again; None reads every shard.
    RETURNS (ValidationReport): Every failure.
    """
    # The manifest and the card first: a file whose bytes are not the manifest's is reported
    # once, with both hashes, and not decoded (a corrupted page can make a decoder fail in
    # any way, and its rows would only repeat the one fact that the file changed).
    failures: list[Failure] = check_manifest(corpus_dir) + check_card(corpus_dir)
    changed = {Path(f.file).name for f in failures if f.rule == "manifest_hash_matches" and f.file}
    # A split's files are read together: skip every config's file of a changed one's split.
    skip = {
        p.relative_to(corpus_dir).as_posix()
        for p in (corpus_dir / layout.DATA).glob("*/*.parquet")
        if p.name in changed
    }
    configs = _inventory(corpus_dir, failures, skip=skip)
    if "documents" in configs:
        failures += _documents_config_columns(configs["documents"].schema.empty_table())
    stream = _Stream(corpus_dir, configs, _scheme(vocabularies))
    # Only a folder whose manifest and card hold can take what was checked before.
    shards = _Shards(memo, vocabularies, docs_per_chunk, configs) if memo and not failures else None
    for file_name in sorted({p.name for c in configs.values() for p in c.paths}):
        if shards is not None and shards.take(stream, file_name):
            continue
        group = {n: c.folder / file_name for n, c in configs.items() if file_name in c.names}
        mark = stream.mark()
        try:
            for chunk in iter_chunks(group, "documents", docs_per_chunk):
                stream.add_chunk(file_name, chunk)
        except Exception as error:  # noqa: BLE001 - an undecodable file is a failure, not a crash
            where = f"{layout.DATA}/*/{file_name}"
            failures.append(_table_failure("corpus", "parquet_readable", str(error), file=where))
            continue
        if shards is not None:
            shards.note(stream, file_name, mark)
    failures += stream.finish()
    failures += check_bigbio(corpus_dir, skip=skip | (shards.taken if shards else set()))
    failures.sort(key=_failure_order)
    if shards is not None and not failures:
        shards.keep()
    rows = stream.rows
    del stream
    release_unused_memory()  # the chunks' buffers: the datasheet need not stack on them
    return ValidationReport(tuple(failures), rows)


class _Shards:
    """The shards `memo` holds and those this validation reads (kept once the corpus passed)."""

    def __init__(
        self,
        folder: Path,
        vocabularies: Mapping[str, Any] | None,
        docs_per_chunk: int,
        configs: Mapping[str, ConfigFiles],
    ) -> None:
        from summit_corpus.validate import memo

        self.memo = memo.ValidationMemo(folder)
        words = vocabularies if vocabularies is not None else _scheme_vocabularies()
        self.code = memo.code_key(words, docs_per_chunk)
        self.configs = configs
        self.results: dict[str, memo.ShardResult] = {}
        self.taken: set[str] = set()  # data files (relative paths) taken, not read
        self._recalled: set[str] = set()  # keys of the shards taken from the memo

    def _key(self, file_name: str) -> str:
        from summit_corpus.validate.memo import shard_key

        return shard_key(self.code, self.configs, file_name)

    def take(self, stream: _Stream, file_name: str) -> bool:
        """Add what the memo holds of shard `file_name` to `stream`. RETURNS (bool): Whether
        it held it."""
        key = self._key(file_name)
        kept = self.memo.recall(key)
        if kept is None:
            return False
        stream.take(file_name, kept)
        self.results[key] = kept
        self._recalled.add(key)
        names = [n for n, c in self.configs.items() if file_name in c.names]
        self.taken |= {f"{layout.DATA}/{n}/{file_name}" for n in names}
        return True

    def note(self, stream: _Stream, file_name: str, mark: tuple[Any, ...]) -> None:
        """Record what the shard just read contributed, if it added no failure."""
        result = stream.since(mark)
        if result is not None:
            self.results[self._key(file_name)] = result

    def keep(self) -> None:
        """Keep the results of this corpus (it passed) in the memo, and only those; the
        shards read (not taken) are written anew, so a damaged entry is replaced."""
        self.memo.remember(self.results, recalled=self._recalled)


_NULL_ID = "\x00null"  # stands for a null doc_id where doc_ids are counted


def _doc_keys(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """RETURNS (pa.Array): doc_ids as strings, null as `_NULL_ID`."""
    keys = pc.fill_null(pc.cast(values, pa.string()), _NULL_ID)
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


class _Stream:
    """Validates a corpus chunk by chunk and ends with what a whole-table run would report.

    Every rule but two sees only the rows of one document (all keys start with doc_id, and
    cross-table lookups match on doc_id), so it gives the same answer on a chunk as on the
    whole tables, provided the chunk holds *all* of the document's rows. That is true of a
    document whose doc_id occurs in one chunk only; the doc_ids seen in several chunks (a
    file out of order, a document in two splits, rows filed under another split than their
    document: all invalid corpora) are collected, their chunk failures dropped, and their rows
    gathered from every file and validated once more together (`_recheck`). The two other
    rules: 'rows_sorted' compares neighbouring rows of a file, so each chunk's first row is
    also compared with the previous chunk's last one; the split assignment (leakage groups
    span documents) is small and checked once, whole, at the end.
    """

    def __init__(self, corpus_dir: Path, configs: Mapping[str, ConfigFiles], scheme: _Scheme):
        self.corpus_dir = corpus_dir
        self.configs = configs
        self.scheme = scheme
        self.rows: dict[str, int] = {}
        self.failures: list[tuple[Failure, str | None]] = []  # with the row's doc key
        self.table_failures: dict[str, Failure] = {}  # without a row: once each
        self.seen: list[pa.Array] = []  # per chunk, the doc keys it holds
        self.last: dict[tuple[str, str], pa.Table] = {}  # (table, file) -> sort key of last row
        self.assignment: list[tuple[pa.Table, str, str]] = []  # (columns, file, split)
        self.documents_sound = True

    def _tables(
        self, parts: Mapping[str, pa.Table]
    ) -> tuple[dict[str, pa.Table], dict[str, pa.Table], pa.Table | None]:
        """Rows as read -> the tables `_validate_part` takes, the nested records and the
        split-assignment columns (published documents config)."""
        tables: dict[str, pa.Table] = {}
        nested: dict[str, pa.Table] = {}
        assignment = None
        for name, config in self.configs.items():
            definition = config.definition
            part = parts.get(name)
            if part is None:
                part = config.schema.empty_table()
            table = _promote(part, config.schema)
            if name == "documents":
                assigned = [c for c in table.column_names if c in T.SPLIT_ASSIGNMENT.names]
                if len(assigned) > 1:
                    assignment = table.select(assigned)
                nested = nested_tables(table)
                table = table.select([c for c in table.column_names if c in definition.names])
            tables[name] = table
        return tables, nested, assignment

    def add_chunk(self, file_name: str, chunk: DocumentChunk) -> None:
        """Validate one chunk of the files named `file_name` (one split) of every config."""
        split = layout.split_of_file(Path(file_name))
        tables, nested, assignment = self._tables(chunk.tables)
        rel = {n: f"{layout.DATA}/{n}/{file_name}" for n in tables}
        files = {n: _constant_files(rel[n], t.num_rows) for n, t in tables.items()}
        index = {
            n: chunk.first_rows.get(n, 0) + np.arange(t.num_rows, dtype=np.int64)
            for n, t in tables.items()
        }
        splits = {
            n: pa.repeat(pa.scalar(split, pa.string()), t.num_rows) for n, t in tables.items()
        }
        part = _validate_part(tables, splits, self.scheme, files, index=index, nested=nested)
        for name, n in part.rows.items():
            self.rows[name] = self.rows.get(name, 0) + n
        for failure in part.failures:
            self._keep(failure)
        for failure in self._boundaries(part, rel, files, index):
            self._keep(failure)
        if "documents" in tables:
            self.documents_sound &= "documents" in part.sound
            if assignment is not None:
                self.assignment.append((assignment, rel["documents"], split))
        keys = [
            _doc_keys(t.column("doc_id")) for t in tables.values() if "doc_id" in t.column_names
        ]
        if keys:
            self.seen.append(pc.unique(pa.concat_arrays(keys)))

    def mark(self) -> tuple[Any, ...]:
        """RETURNS (tuple): Where the stream stands, for `since`."""
        counts = (len(self.failures), len(self.table_failures), len(self.seen))
        return (*counts, len(self.assignment), dict(self.rows))

    def since(self, mark: tuple[Any, ...]) -> Any:
        """RETURNS (ShardResult | None): What was added since `mark` (one shard), or None if
        that added a failure or left the documents unsound."""
        from summit_corpus.validate.memo import ShardResult, concat_keys

        failures, table_failures, seen, assignment, rows = mark
        fresh = (len(self.failures), len(self.table_failures)) != (failures, table_failures)
        if fresh or not self.documents_sound:
            return None
        added = self.assignment[assignment:]
        tables = [t for t, _, _ in added]
        columns = pa.concat_tables(tables, promote_options="permissive") if tables else None
        mine = {name: n - rows.get(name, 0) for name, n in self.rows.items()}
        return ShardResult(mine, concat_keys(self.seen[seen:]), columns)

    def take(self, file_name: str, kept: Any) -> None:
        """Add a shard that passed before, as `since` gave it, without reading it."""
        for name, n in kept.rows.items():
            self.rows[name] = self.rows.get(name, 0) + n
        if len(kept.doc_keys):
            self.seen.append(kept.doc_keys)
        if kept.assignment is not None:
            split = layout.split_of_file(Path(file_name))
            self.assignment.append((kept.assignment, f"{layout.DATA}/documents/{file_name}", split))

    def _keep(self, failure: Failure) -> None:
        if failure.index is None:
            key = json.dumps(failure.to_json(), sort_keys=True, default=str)
            self.table_failures.setdefault(key, failure)
            return
        doc_id = None
        if "doc_id" in failure.row:
            doc_id = failure.row["doc_id"] if failure.row["doc_id"] is not None else _NULL_ID
        self.failures.append((failure, doc_id))

    def _boundaries(
        self,
        part: _Part,
        rel: Mapping[str, str],
        files: Mapping[str, pa.DictionaryArray],
        index: Mapping[str, NDArray[Any]],
    ) -> list[Failure]:
        """'rows_sorted' across chunk boundaries: each first row against the file's last."""
        out: list[Failure] = []
        for name, table in part.sound.items():
            definition = DEFINITIONS[name]
            key = (name, rel[name])
            if not definition.sort_by:
                continue
            if table.num_rows == 0:
                continue
            sort_by = list(definition.sort_by)
            first = table.select(sort_by).slice(0, 1)
            before = self.last.get(key)
            if before is not None and T.sorts_before(first, before, sort_by)[0]:
                located = _Located(definition, table, files[name], index[name])
                detail = {"row": first.to_pylist()[0], "after": before.to_pylist()[0]}
                out += located.failures("rows_sorted", np.zeros(1, np.int64), [detail], None)
            # A copy: a slice would keep the whole chunk's buffers alive.
            self.last[key] = table.select(sort_by).take(pa.array([table.num_rows - 1]))
        for name in self.configs:
            if name not in part.sound:
                self.last.pop((name, rel.get(name, "")), None)
        return out

    def finish(self) -> list[Failure]:
        """RETURNS (list[Failure]): Every failure, once the last chunk has been added."""
        displaced = self._displaced()
        out = list(self.table_failures.values())
        out += [f for f, doc in self.failures if f.rule == "rows_sorted" or doc not in displaced]
        if displaced:
            for failure in self._recheck(displaced):
                if failure.index is None:
                    key = json.dumps(failure.to_json(), sort_keys=True, default=str)
                    if key in self.table_failures:
                        continue
                out.append(failure)
        out += self._check_assignment()
        return out

    def _displaced(self) -> set[str]:
        """RETURNS (set[str]): Doc keys that occur in more than one chunk."""
        if not self.seen:
            return set()
        counts = pc.value_counts(pa.concat_arrays(self.seen))
        many = pc.greater(counts.field("counts"), 1)
        return set(counts.field("values").filter(many).to_pylist())

    def _recheck(self, displaced: set[str]) -> list[Failure]:
        """Validate the rows of `displaced` documents, gathered from every file, together."""
        wanted = pa.array(sorted(displaced), pa.string())
        parts: dict[str, pa.Table] = {}
        files: dict[str, pa.DictionaryArray] = {}
        index: dict[str, NDArray[Any]] = {}
        splits: dict[str, pa.Array] = {}
        for name, config in self.configs.items():
            pieces, where, rels, split_of = [], [], [], []
            for path in config.paths:
                rel = path.relative_to(self.corpus_dir).as_posix()
                offset = 0
                for batch in open_parquet(path).iter_batches(batch_size=65536):
                    if "doc_id" not in batch.schema.names:
                        break
                    mask = _bools(pc.is_in(_doc_keys(batch.column("doc_id")), value_set=wanted))
                    rows = np.flatnonzero(mask)
                    if len(rows):
                        table = pa.Table.from_batches([batch.take(pa.array(rows))])
                        table = _promote(table, config.schema)
                        pieces.append(table)
                        where.append(offset + rows)
                        rels += [rel] * len(rows)
                        split_of += [layout.split_of_file(path)] * len(rows)
                    offset += batch.num_rows
            table = (
                pa.concat_tables(pieces, promote_options="permissive")
                if pieces
                else config.schema.empty_table()
            )
            parts[name] = table
            files[name] = _file_array(pa.array(rels, pa.string()))
            index[name] = np.concatenate(where) if where else np.zeros(0, np.int64)
            splits[name] = pa.array(split_of, pa.string())
        tables, nested, _ = self._tables(parts)
        part = _validate_part(
            tables,
            {n: splits[n] for n in tables},
            self.scheme,
            {n: files[n] for n in tables},
            index={n: index[n] for n in tables},
            nested=nested,
            skip=frozenset({"rows_sorted"}),
        )
        return part.failures

    def _check_assignment(self) -> list[Failure]:
        """The split assignment of every document, checked once (groups span documents)."""
        if not self.assignment:
            return []
        table = pa.concat_tables([t for t, _, _ in self.assignment], promote_options="permissive")
        rels = [rel for t, rel, _ in self.assignment for _ in range(t.num_rows)]
        split_of = [split for t, _, split in self.assignment for _ in range(t.num_rows)]
        name = T.SPLIT_ASSIGNMENT.name
        context = {}
        if self.documents_sound and "doc_id" in table.column_names:
            # Its one rule reading the documents ('document_exists') needs only their ids.
            doc_ids = table.column("doc_id")
            context["documents"] = pa.table(
                {"doc_id": doc_ids, "text": pa.nulls(len(doc_ids), pa.string())}
            )
        part = _validate_part(
            {name: table},
            {name: pa.array(split_of, pa.string())},
            self.scheme,
            {name: _file_array(pa.array(rels, pa.string()))},
            context=context,
        )
        self.rows[name] = part.rows.get(name, 0)
        return part.failures


def _constant_files(rel: str, n: int) -> pa.DictionaryArray:
    """RETURNS (pa.DictionaryArray): `rel` as the file of each of `n` rows."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([rel], pa.string())
    )
