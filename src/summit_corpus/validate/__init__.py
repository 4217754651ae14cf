"""Validate a corpus: every table, every cross-table rule, every failure.

The engine is pandera's pyarrow backend (`pandera.pyarrow`, which validates a `pa.Table`
directly). Two pandera schemas per table, both derived from `tables.py`:

- the *column schema* (`column_schema`): every column's presence, Arrow type and nullability,
  `ge` bounds, fixed `allowed` values, scheme vocabularies and `pattern`s, and no unknown
  columns. It runs on the table as read.
- the *rule schema* (`rule_schema`): one dataframe-level pandera `Check` per row rule (`RULES`),
  each returning one boolean per row. It runs once the table's columns have the right types,
  and its checks see the other tables through a `_Context` built once per corpus.

Cross-table rules are vectorised: foreign keys are looked up with `pc.index_in` on integer
keys (row order is kept, unlike a hash join), and the text at a row's offsets is cut out of
all documents' UTF-8 bytes at once (`_Docs.slices`), because `pc.utf8_slice_codeunits`
only takes one start/stop for the whole array. Offsets are Python `str` indices (code
points); `_Docs` maps them to byte positions.

Besides tables.ALL_TABLES, a published corpus folder is checked as published: the
documents config must have publish.documents_schema()'s columns, its split-assignment
columns are validated as the `split_assignment` table (split = file's split, leakage groups
in one split), its nested records must equal the flat configs' rows (`nested_matches_table`),
and the `ner` config must equal what `ner.ner_rows` makes from tokens and spans. The manifest
(`check_manifest`) is one rule among the others: every content rule fires on its own, also
when MANIFEST.json has been rewritten to match a corrupted file.

`validate_corpus` streams: one split file at a time, the files of every config are read
together in chunks of whole documents (`chunks.iter_chunks`, `docs_per_chunk` documents of the
documents config plus their rows of every other config), and each chunk is validated like a
small corpus, so peak memory depends on the chunk size, not on the number of documents. The
result is the one a run over whole tables gives (`validate_tables`; the tests compare them):
rows are reported by their index in their file, 'rows_sorted' also compares each chunk's first
row with the previous chunk's last, the split assignment (leakage groups span documents) is
collected for all documents and checked once, and the rows of any document seen in more than
one chunk (only in an invalid corpus: files out of order, a document in two splits, rows
filed under another split) are gathered from every file and checked together (`_Stream`).

A few rules need Python per *document* (SHA-256 of the text, rebuilding the raw file, parsing
stated times); no rule loops in Python per token, sentence or span row, except the greedy
overlap pass of `ner.ner_rows` (one step per entity span).

A failing row gives one `Failure` per rule it breaks, naming the table, the row's ids, the
rule and the offending value; nothing stops at the first failure. `ValidationReport.lines`
prints at most `limit` (default 20) failures per (table, rule) and then one line saying how
many more there are; `ValidationReport.to_json` keeps them all. The rule names are the keys of
`RULES` (stable; tests and users match on them); the messages are errors.Errors.E2xx.
"""

# numpy and pyarrow operators are typed as returning Any; the masks below are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import contextlib
import hashlib
import json
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandera.pyarrow as pdr
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray
from pandera.errors import SchemaErrorReason, SchemaErrors

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.core.chunks import DocumentChunk, iter_chunks
from summit_corpus.core.errors import Errors
from summit_corpus.core.io import sha256_file
from summit_corpus.publish.ner import ner_rows

# Tables the published documents config nests (publish.NESTED), checked against their flat
# configs by 'nested_matches_table'.
NESTED_TABLES = ("sentences", "tokens", "spans", "relations", "document_labels")
# Tables besides tables.ALL_TABLES that a published corpus has: the split assignment (columns
# of the documents config) and the ner config.
EXTRA_TABLES: tuple[T.Table, ...] = (T.SPLIT_ASSIGNMENT, T.NER)
DEFINITIONS: dict[str, T.Table] = {t.name: t for t in (*T.ALL_TABLES, *EXTRA_TABLES)}

# Hidden column carrying each row's position in the table, so a failing row found by a
# pandera check can be traced back to its ids.
ROW = "__row"

# Vocabulary-like constraints beyond flat label lists; read from the scheme when it has them.
RELATION_ENDPOINTS = "relation_endpoints"  # {relation label: (head labels, tail labels)}
LABEL_VALUES = "label_values"  # {document label name: allowed values}
SINGLE_CHOICE = "single_choice"  # document label names that take one value per annotation

DEFAULT_LIMIT = 20

# Every rule: name -> (message code in errors.Errors, what it checks). The names are stable
# (tests and users match on them); the README lists them from here.
RULES: dict[str, tuple[str, str]] = {
    # column schema (pandera built-ins)
    "column_present": ("E201", "every column of the table definition is present"),
    "unknown_column": ("E202", "no column outside the table definition"),
    "dtype": ("E203", "the column has the Arrow type of the table definition"),
    "not_null": ("E204", "no null in a column that is not nullable"),
    "min_value": ("E205", "integer column at least its `ge` bound"),
    "allowed_values": ("E206", "value from the column's fixed vocabulary"),
    "in_vocabulary": ("E207", "label from the annotation scheme's vocabulary"),
    "pattern": ("E208", "value matches the column's regular expression in full"),
    "vocabulary_missing": ("E209", "the scheme provides the vocabulary a column names"),
    # rule schema: one row at a time, own table
    "unique_key": ("E210", "the table's key (ids unique per document) identifies one row"),
    "start_before_end": ("E211", "start < end"),
    "text_sha256_matches": ("E212", "text_sha256 is the SHA-256 of the text"),
    "updates_in_text": ("E213", "update sections lie within the text, start < end"),
    "removed_line_numbers_unique": ("E214", "removed lines have distinct line numbers >= 1"),
    "update_sections_match_text": (
        "E249",
        "update sections are ordered, start a line, end at their last non-space character, "
        "leave only whitespace between them, and name the first line after their header",
    ),
    "nested_not_null": ("E215", "no null in a non-nullable field of a nested record"),
    "whitespace_is_space": ("E216", "a token's `whitespace` holds whitespace only"),
    "rows_sorted": ("E217", "rows are in the table's sort order within each file"),
    "stated_time_matches": (
        "E219",
        "published_at/updated_at are the UTC of the *_local time stated (null for a date only)",
    ),
    "source_rebuilds": (
        "E218",
        "text, removed lines and line ends rebuild the raw file (its source_sha256)",
    ),
    # rule schema: cross-table
    "document_exists": ("E220", "the row's doc_id is a document"),
    "offsets_in_text": ("E221", "0 <= start and end <= len(document text)"),
    "surface_matches_text": ("E222", "`text` equals the document text[start:end]"),
    "ids_consecutive": ("E223", "ids run 0, 1, 2, ... within each document"),
    "sentences_no_overlap": ("E224", "a sentence starts at or after the previous one's end"),
    "sentence_gaps_are_space": (
        "E225",
        "only whitespace before the first, between and after the last sentence",
    ),
    "sentence_exists": ("E226", "a token's sentence_id is a sentence of its document"),
    "token_in_sentence": ("E227", "a token lies inside its sentence"),
    "tokens_no_overlap": ("E228", "a token starts at or after the previous one's end"),
    "tokens_rebuild_text": (
        "E229",
        "tokens and their whitespace rebuild the text from the first token on",
    ),
    "head_token_exists": ("E230", "head_token_id is a token of the same document"),
    "head_in_sentence": ("E231", "a token's head lies in the token's sentence"),
    "span_on_token_boundaries": ("E232", "a span starts at a token start and ends at a token end"),
    "head_span_exists": ("E233", "a relation's head_span_id is a span of its document"),
    "tail_span_exists": ("E234", "a relation's tail_span_id is a span of its document"),
    "endpoint_same_layer": ("E235", "a relation's spans are in the relation's layer"),
    "endpoint_labels_allowed": ("E236", "the scheme allows the relation between these labels"),
    "value_of_label": ("E237", "a document label's value is one of that label's values"),
    "single_choice": ("E238", "a single-choice label has one value per annotation"),
    "annotation_exists": ("E239", "annotation_id is an annotation of the document"),
    "stale_flag_matches": (
        "E247",
        "an annotation is stale exactly when its text_sha256 is not the document's",
    ),
    "root_heads_itself": ("E248", "a ROOT token is its own head"),
    "document_in_one_split": ("E240", "a document is in one split only"),
    "split_matches_document": ("E241", "a row is in its document's split"),
    "assigned_split_matches_file": ("E242", "a document's `split` column names its file's split"),
    "group_in_one_split": ("E243", "a leakage group's documents share one split"),
    "group_size_matches": ("E244", "group_size is the number of documents in the group"),
    "nested_matches_table": (
        "E245",
        "the documents config's nested records equal the flat table's rows",
    ),
    "ner_matches_tables": ("E246", "the ner config equals the tokens and spans it is made from"),
    # corpus folder
    "table_present": ("E250", "the corpus has the core tables"),
    "parquet_readable": ("E251", "every data file is a readable Parquet file"),
    "split_name": ("E252", "data files are named <split>-*.parquet with a known split"),
    "manifest_present": ("E253", "MANIFEST.json exists and maps paths to SHA-256"),
    "manifest_hash_matches": ("E254", "every file's SHA-256 is the one in the manifest"),
    "manifest_lists_file": ("E255", "every file of the corpus is in the manifest"),
    "manifest_file_exists": ("E256", "every file in the manifest exists"),
    "check_error": ("E257", "a check ran without crashing"),
}


# --- report ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Failure:
    """One rule broken by one row (or by a file, for folder rules).

    table (str): Table name, or "manifest" / a table for folder rules.
    row (dict[str, Any]): The row's ids (its table key), or {"path": ...} for file rules.
    rule (str): Stable snake_case rule name, a key of `RULES`.
    value (Any): The offending value (JSON-serialisable).
    message (str): The full message, naming where, the rule, the value and what to do.
    column (str | None): The column the rule is about, where it is about one.
    file (str | None): The data file (relative to the corpus folder), where known.
    index (int | None): 0-based row number within `file` (or the in-memory table).
    """

    table: str
    row: dict[str, Any]
    rule: str
    value: Any
    message: str
    column: str | None = None
    file: str | None = None
    index: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "rule": self.rule,
            "value": self.value,
            "message": self.message,
            "column": self.column,
            "file": self.file,
            "index": self.index,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every failure found in a corpus.

    failures (tuple[Failure, ...]): All failures, sorted by table, rule, file and row.
    rows (dict[str, int]): Rows checked per table.
    """

    failures: tuple[Failure, ...]
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, dict[str, int]]:
        """RETURNS (dict[str, dict[str, int]]): table -> rule -> number of failures."""
        out: dict[str, dict[str, int]] = {}
        for (table_name, rule), n in sorted(
            Counter((f.table, f.rule) for f in self.failures).items()
        ):
            out.setdefault(table_name, {})[rule] = n
        return out

    def to_json(self) -> dict[str, Any]:
        """RETURNS (dict[str, Any]): ok, rows per table, counts and every failure (uncapped)."""
        return {
            "ok": self.ok,
            "rows": dict(sorted(self.rows.items())),
            "counts": self.counts(),
            "failures": [f.to_json() for f in self.failures],
        }

    def lines(self, limit: int | None = DEFAULT_LIMIT) -> list[str]:
        """One line per failure, at most `limit` per (table, rule), then a count of the rest.

        limit (int | None): Lines per (table, rule); None prints every failure.
        RETURNS (list[str]): The lines, ending with a summary line.
        """
        out: list[str] = []
        shown: Counter[tuple[str, str]] = Counter()
        totals = Counter((f.table, f.rule) for f in self.failures)
        for f in self.failures:
            key = (f.table, f.rule)
            shown[key] += 1
            if limit is None or shown[key] <= limit:
                out.append(f.message)
            elif shown[key] == limit + 1:
                out.append(
                    f"{f.table}: rule '{f.rule}': ... and {totals[key] - limit} more "
                    "(all of them with --format json)"
                )
        checked = sum(self.rows.values())
        if self.ok:
            out.append(f"corpus valid: {checked} rows in {len(self.rows)} tables, 0 failures")
        else:
            out.append(
                f"corpus INVALID: {len(self.failures)} failure(s) of {len(totals)} "
                f"(table, rule) pair(s) in {checked} rows"
            )
        return out


# --- the document texts, indexed by code point ---------------------------------------------
class _Docs:
    """All document texts as one UTF-8 byte buffer, addressable by (document, code point).

    doc_ids (pa.Array): Document ids (position = document index `d`).
    texts (pa.Array): Document texts (nulls are read as "").
    """

    def __init__(self, doc_ids: pa.Array, texts: pa.Array) -> None:
        self.doc_ids = doc_ids
        arr = pc.fill_null(texts, "").cast(pa.large_string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        n = len(arr)
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
        data = (
            np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
        )
        self.buf = data[offsets[0] : offsets[-1]]
        self.byte_base = offsets - offsets[0]
        self.length = np.asarray(pc.utf8_length(arr).to_numpy(zero_copy_only=False), dtype=np.int64)
        self.cp_base = np.concatenate([[0], np.cumsum(self.length)]).astype(np.int64)
        # Byte position of every code point (UTF-8 lead bytes), plus the end as sentinel, so
        # that code point i of document d starts at pos[cp_base[d] + i] (documents are
        # contiguous in `buf`, so i == len(text) lands on the next document's first byte).
        lead = (self.buf & 0xC0) != 0x80
        self.pos = np.concatenate([np.flatnonzero(lead), [len(self.buf)]]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.length)

    def index(self, doc_ids: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
        """RETURNS (np.ndarray): Each id's document index, -1 where it is not a document."""
        idx = pc.index_in(doc_ids, value_set=self.doc_ids)
        return _np(idx, fill=-1)

    def byte_offset(self, d: NDArray[Any], cp: NDArray[Any]) -> NDArray[Any]:
        return self.pos[self.cp_base[d] + cp]

    def slices(self, d: NDArray[Any], start: NDArray[Any], end: NDArray[Any]) -> pa.Array:
        """Cut text[start:end] of document d for every row, in one pass over the bytes.

        d (np.ndarray): Document index per row (must be valid).
        start (np.ndarray): Code point start per row, 0 <= start <= end <= len(text).
        end (np.ndarray): Code point end per row.
        RETURNS (pa.Array): large_string array of the slices.
        """
        if len(d) == 0:
            return pa.array([], pa.large_string())
        b0 = self.byte_offset(d, start)
        b1 = self.byte_offset(d, end)
        lengths = b1 - b0
        out_offsets = np.zeros(len(d) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_offsets[1:])
        total = int(out_offsets[-1])
        gather = np.repeat(b0 - out_offsets[:-1], lengths) + np.arange(total, dtype=np.int64)
        data = self.buf[gather]
        return pa.Array.from_buffers(
            pa.large_string(), len(d), [None, pa.py_buffer(out_offsets), pa.py_buffer(data)]
        )


def _np(values: pa.Array | pa.ChunkedArray, fill: int = -1) -> NDArray[Any]:
    """RETURNS (np.ndarray): An integer array as int64 numpy, nulls replaced by `fill`."""
    filled = pc.fill_null(values, fill) if values.null_count else values
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks() if filled.num_chunks != 1 else filled.chunk(0)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)


def _gather(values: NDArray[Any], where: NDArray[Any], fill: int = 0) -> NDArray[Any]:
    """RETURNS (np.ndarray): values[where], `fill` where `where` < 0 (also if `values` is empty:
    a chunk's rows may point into another table that has no rows in the chunk)."""
    if len(values) == 0:
        return np.full(len(where), fill, dtype=np.int64)
    return np.where(where >= 0, values[np.maximum(where, 0)], fill)


def _take(values: pa.Array | pa.ChunkedArray, where: NDArray[Any]) -> pa.Array | pa.ChunkedArray:
    """RETURNS: values[where], null where `where` < 0 (also if `values` is empty)."""
    if len(values) == 0:
        return pa.nulls(len(where), values.type)
    return values.take(pa.array(np.maximum(where, 0), pa.int64(), mask=where < 0))


def _valid(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    if not values.null_count:
        return np.ones(len(values), dtype=bool)
    return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)


def _is_space_or_empty(strings: pa.Array) -> NDArray[Any]:
    space = pc.fill_null(pc.utf8_is_space(strings), False)
    empty = pc.equal(pc.binary_length(strings), 0)
    return np.asarray(pc.or_(space, empty).to_numpy(zero_copy_only=False), dtype=bool)


def _equal(a: pa.Array | pa.ChunkedArray, b: pa.Array) -> NDArray[Any]:
    eq = pc.fill_null(pc.equal(a.cast(pa.large_string()), b), False)
    return np.asarray(eq.to_numpy(zero_copy_only=False), dtype=bool)


def _pair_key(hi: NDArray[Any], lo: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): One int64 per (document index, integer id) pair."""
    return (hi.astype(np.int64) << 32) | (lo.astype(np.int64) & 0xFFFFFFFF)


def _string_key(*columns: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """RETURNS: Per row, the string columns joined by a unit separator (null stays null)."""
    return pc.binary_join_element_wise(*columns, "\x1f")


def _lookup(query: NDArray[Any] | pa.Array, reference: NDArray[Any] | pa.Array) -> NDArray[Any]:
    """RETURNS (np.ndarray): Position of each query key in `reference` (first match), or -1."""
    if (
        isinstance(query, np.ndarray)
        and isinstance(reference, np.ndarray)
        and len(reference)
        and bool(np.all(reference[1:] > reference[:-1]))
    ):
        # Keys of rows in table order ascend (tokens by (document, token_id)): a binary
        # search finds each one without hashing the reference.
        at = np.minimum(np.searchsorted(reference, query), len(reference) - 1)
        return np.where(reference[at] == query, at, -1).astype(np.int64)
    q = pa.array(query) if isinstance(query, np.ndarray) else query
    r = pa.array(reference) if isinstance(reference, np.ndarray) else reference
    return _np(pc.index_in(q, value_set=r), fill=-1)


def _order(d: NDArray[Any], ids: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): Row order by (document, id); the identity when already sorted."""
    key = _pair_key(d, ids)
    if len(key) < 2 or bool(np.all(key[1:] >= key[:-1])):
        return np.arange(len(key), dtype=np.int64)
    return np.lexsort((ids, d)).astype(np.int64)


# --- the corpus context the rule checks see -------------------------------------------------
@dataclass(frozen=True)
class _Scheme:
    vocabularies: Mapping[str, Sequence[str]]
    relation_endpoints: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None
    label_values: Mapping[str, Sequence[str]] | None
    single_choice: Sequence[str] | None


class _Frame:
    """One table being validated, with the arrays its rules share (computed once, lazily)."""

    def __init__(self, name: str, table: pa.Table, ctx: _Context) -> None:
        self.name = name
        self.table = table
        self.ctx = ctx
        self.n = table.num_rows

    def col(self, name: str) -> pa.ChunkedArray:
        return self.table.column(name)

    @cached_property
    def d(self) -> NDArray[Any]:
        docs = self.ctx.docs
        if docs is None:
            return np.full(self.n, -1, dtype=np.int64)
        return docs.index(self.col("doc_id"))

    @cached_property
    def has_doc(self) -> NDArray[Any]:
        return self.d >= 0

    @cached_property
    def start(self) -> NDArray[Any]:
        return _np(self.col("start"))

    @cached_property
    def end(self) -> NDArray[Any]:
        return _np(self.col("end"))

    @cached_property
    def doclen(self) -> NDArray[Any]:
        docs = self.ctx.docs
        if docs is None:
            return np.zeros(self.n, dtype=np.int64)
        return np.where(self.has_doc, _gather(docs.length, self.d), 0)

    @cached_property
    def offsets_known(self) -> NDArray[Any]:
        """Rows whose offsets are non-null and whose document is known."""
        return self.has_doc & _valid(self.col("start")) & _valid(self.col("end"))

    @cached_property
    def offsets_ok(self) -> NDArray[Any]:
        """Rows whose offsets index their document's text with start <= end."""
        s, e = self.start, self.end
        return self.offsets_known & (s >= 0) & (s <= e) & (e <= self.doclen)

    def slices(self, start: NDArray[Any], end: NDArray[Any], ok: NDArray[Any]) -> pa.Array:
        """RETURNS (pa.Array): text[start:end] per row where `ok`, "" elsewhere."""
        docs = self.ctx.docs
        assert docs is not None
        d = np.where(ok, self.d, 0)
        s = np.where(ok, start, 0)
        e = np.where(ok, end, 0)
        if len(docs) == 0:
            return pa.array([""] * len(d), pa.large_string())
        return docs.slices(d, s, e)

    def ids(self, column: str) -> NDArray[Any]:
        return _np(self.col(column))


class _Context:
    """The tables of one corpus, cast to their definitions, and lookups across them."""

    def __init__(
        self,
        tables: Mapping[str, pa.Table],
        splits: Mapping[str, pa.Array] | None,
        scheme: _Scheme,
        files: Mapping[str, pa.DictionaryArray] | None = None,
        nested: Mapping[str, pa.Table] | None = None,
    ) -> None:
        self.tables = tables
        self.splits = splits
        self.scheme = scheme
        self.files = files or {}
        self.nested = nested or {}
        documents = tables.get("documents")
        self.docs = (
            _Docs(
                documents.column("doc_id").combine_chunks(),
                documents.column("text").combine_chunks(),
            )
            if documents is not None
            else None
        )
        self.frames: dict[str, _Frame] = {}

    def frame(self, name: str) -> _Frame | None:
        if name not in self.tables:
            return None
        if name not in self.frames:
            self.frames[name] = _Frame(name, self.tables[name], self)
        return self.frames[name]

    def same_file(self, name: str, n: int) -> NDArray[Any]:
        """RETURNS (np.ndarray): For rows 1..n-1, whether the row is in the previous row's file."""
        source: pa.Array | None = self.files.get(name)
        if source is None and self.splits is not None:
            source = self.splits.get(name)
        if source is None or n < 2:
            return np.ones(max(n - 1, 0), dtype=bool)
        codes = _codes(source)
        return np.asarray(codes[1:] == codes[:-1], dtype=bool)

    @cached_property
    def sentence_keys(self) -> NDArray[Any]:
        f = self.frame("sentences")
        assert f is not None
        return _pair_key(f.d, f.ids("sentence_id"))

    @cached_property
    def token_keys(self) -> NDArray[Any]:
        f = self.frame("tokens")
        assert f is not None
        return _pair_key(f.d, f.ids("token_id"))

    @cached_property
    def span_keys(self) -> pa.Array | pa.ChunkedArray:
        spans = self.tables["spans"]
        return _string_key(spans.column("doc_id"), spans.column("span_id"))

    @cached_property
    def annotation_keys(self) -> pa.Array | pa.ChunkedArray:
        ann = self.tables["annotations"]
        return _string_key(ann.column("doc_id"), ann.column("annotation_id"))


# --- row rules ------------------------------------------------------------------------------
# A rule check returns, per row, True (passes) or False (fails). `detail` describes the
# offending value of the failing rows (by row position) for the message.
Check = Callable[[_Frame], NDArray[Any]]
Detail = Callable[[_Frame, NDArray[Any]], list[Any]]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    check: Check
    detail: Detail
    column: str | None = None
    needs: tuple[str, ...] = ()  # other tables the rule reads; skipped when one is missing


def _values(column: str) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        return f.col(column).take(pa.array(rows)).to_pylist()

    return detail


def _offsets_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    out = []
    for r in rows:
        out.append(
            {"start": int(f.start[r]), "end": int(f.end[r]), "text_length": int(f.doclen[r])}
        )
    return out


def _surface_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    docs = f.ctx.docs
    assert docs is not None
    expected = docs.slices(f.d[rows], f.start[rows], f.end[rows])
    got = f.col("text").take(pa.array(rows)).to_pylist()
    return [
        {"text": g, "expected": e, "start": int(f.start[r]), "end": int(f.end[r])}
        for g, e, r in zip(got, expected.to_pylist(), rows, strict=True)
    ]


def _document_exists(f: _Frame) -> NDArray[Any]:
    return f.has_doc | ~_valid(f.col("doc_id"))


def _start_before_end(f: _Frame) -> NDArray[Any]:
    known = _valid(f.col("start")) & _valid(f.col("end"))
    return ~known | (f.start < f.end)


def _offsets_in_text(f: _Frame) -> NDArray[Any]:
    s, e = f.start, f.end
    return ~f.offsets_known | ((s >= 0) & (e <= f.doclen) & (s <= f.doclen))


def _surface_matches_text(f: _Frame) -> NDArray[Any]:
    ok = f.offsets_ok & _valid(f.col("text"))
    sliced = f.slices(f.start, f.end, ok)
    return ~ok | _equal(f.col("text"), sliced)


def _unique_key(definition: T.Table) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        # Dictionary codes make every key column an integer, so one lexsort finds duplicates
        # as equal neighbours (pandera's `unique=` is several times slower on a million rows).
        codes = []
        for name in definition.key:
            column = f.col(name)
            if pa.types.is_integer(column.type):
                codes.append(_np(column, fill=-(2**40)))
            else:
                encoded = pc.dictionary_encode(pc.fill_null(column, "\x00null")).combine_chunks()
                codes.append(
                    np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
                )
        if f.n < 2:
            return np.ones(f.n, dtype=bool)
        order = np.lexsort(tuple(reversed(codes)))
        same = np.ones(f.n - 1, dtype=bool)
        for c in codes:
            cs = c[order]
            same &= cs[1:] == cs[:-1]
        dup_sorted = np.zeros(f.n, dtype=bool)
        dup_sorted[1:] |= same
        dup_sorted[:-1] |= same
        dup = np.zeros(f.n, dtype=bool)
        dup[order] = dup_sorted
        return ~dup

    return check


def _key_detail(definition: T.Table) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        taken = f.table.select(list(definition.key)).take(pa.array(rows)).to_pylist()
        return [{"duplicate_key": row} for row in taken]

    return detail


def _ids_consecutive(id_column: str) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        ids = f.ids(id_column)
        order = _order(f.d, ids)
        ds, ids_s = f.d[order], ids[order]
        group_start = np.ones(f.n, dtype=bool)
        group_start[1:] = ds[1:] != ds[:-1]
        first = np.maximum.accumulate(np.where(group_start, np.arange(f.n), 0))
        rank = np.arange(f.n) - first
        ok_sorted = (ids_s == rank) | (ds < 0)
        ok = np.empty(f.n, dtype=bool)
        ok[order] = ok_sorted
        return ok | ~_valid(f.col(id_column))

    return check


@dataclass
class _Sequence:
    """Rows of one table in (document, id) order with their neighbours' offsets."""

    order: NDArray[Any]
    first: NDArray[Any]  # first row of its document (in sorted order)
    last: NDArray[Any]
    prev_end: NDArray[Any]  # previous row's end (0 for the first)
    next_start: NDArray[Any]  # next row's start (len(text) for the last)
    ok: NDArray[Any]  # rows (sorted) whose own offsets and document are fine


def _sequence(f: _Frame, id_column: str) -> _Sequence:
    cached = getattr(f, "_seq", None)
    if cached is not None:
        return cached
    ids = f.ids(id_column)
    order = _order(f.d, ids)
    ds = f.d[order]
    first = np.ones(f.n, dtype=bool)
    last = np.ones(f.n, dtype=bool)
    if f.n:
        first[1:] = ds[1:] != ds[:-1]
        last[:-1] = ds[1:] != ds[:-1]
    s, e = f.start[order], f.end[order]
    prev_end = np.zeros(f.n, dtype=np.int64)
    prev_end[1:] = e[:-1]
    prev_end[first] = 0
    next_start = np.zeros(f.n, dtype=np.int64)
    next_start[:-1] = s[1:]
    next_start[last] = f.doclen[order][last]
    ok_sorted = f.offsets_ok[order] & (s < e)
    # A neighbour with broken offsets would blame this row for its own fault.
    prev_ok = np.ones(f.n, dtype=bool)
    prev_ok[1:] = ok_sorted[:-1]
    prev_ok[first] = True
    next_ok = np.ones(f.n, dtype=bool)
    next_ok[:-1] = ok_sorted[1:]
    next_ok[last] = True
    seq = _Sequence(order, first, last, prev_end, next_start, ok_sorted & prev_ok & next_ok)
    f._seq = seq  # type: ignore[attr-defined]
    return seq


def _unsort(order: NDArray[Any], sorted_values: NDArray[Any]) -> NDArray[Any]:
    out = np.empty_like(sorted_values)
    out[order] = sorted_values
    return out


def _no_overlap(id_column: str) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        q = _sequence(f, id_column)
        s = f.start[q.order]
        bad = q.ok & ~q.first & (s < q.prev_end)
        return ~_unsort(q.order, bad)

    return check


def _overlap_detail(id_column: str) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        q = _sequence(f, id_column)
        where = np.empty(f.n, dtype=np.int64)
        where[q.order] = np.arange(f.n)
        return [
            {
                "start": int(f.start[r]),
                "end": int(f.end[r]),
                "previous_end": int(q.prev_end[where[r]]),
            }
            for r in rows
        ]

    return detail


def _sentence_gaps(f: _Frame) -> NDArray[Any]:
    q = _sequence(f, "sentence_id")
    s, e = f.start[q.order], f.end[q.order]
    ok_before = q.ok & (q.prev_end <= s)
    ok_after = q.ok & q.last
    good = np.ones(f.n, dtype=bool)
    if f.n:
        d_sorted = f.d[q.order]
        gap = _gap_slices(f, d_sorted, q.prev_end, s, ok_before)
        good &= ~ok_before | _is_space_or_empty(gap)
        tail = _gap_slices(f, d_sorted, e, q.next_start, ok_after & (e <= q.next_start))
        good &= ~ok_after | _is_space_or_empty(tail)
    return _unsort(q.order, good)


def _gap_slices(
    f: _Frame, d: NDArray[Any], start: NDArray[Any], end: NDArray[Any], ok: NDArray[Any]
) -> pa.Array:
    docs = f.ctx.docs
    assert docs is not None
    if len(docs) == 0:
        return pa.array([""] * len(d), pa.large_string())
    return docs.slices(np.where(ok, d, 0), np.where(ok, start, 0), np.where(ok, end, 0))


def _gap_detail(id_column: str) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        q = _sequence(f, id_column)
        where = np.empty(f.n, dtype=np.int64)
        where[q.order] = np.arange(f.n)
        out = []
        docs = f.ctx.docs
        assert docs is not None
        for r in rows:
            k = where[r]
            s, e = int(f.start[r]), int(f.end[r])
            d = np.array([f.d[r]])
            before = docs.slices(d, np.array([q.prev_end[k]]), np.array([s])).to_pylist()[0]
            item: dict[str, Any] = {"start": s, "end": e, "text_before": before}
            if q.last[k]:
                after = docs.slices(d, np.array([e]), np.array([q.next_start[k]])).to_pylist()[0]
                item["text_after"] = after
            out.append(item)
        return out

    return detail


def _sentence_exists(f: _Frame) -> NDArray[Any]:
    known = f.has_doc & _valid(f.col("sentence_id"))
    where = _lookup(_pair_key(f.d, f.ids("sentence_id")), f.ctx.sentence_keys)
    f._sentence_row = where  # type: ignore[attr-defined]
    return ~known | (where >= 0)


def _sentence_row(f: _Frame) -> NDArray[Any]:
    if not hasattr(f, "_sentence_row"):
        _sentence_exists(f)
    return f._sentence_row  # type: ignore[attr-defined]


def _token_in_sentence(f: _Frame) -> NDArray[Any]:
    where = _sentence_row(f)
    sentences = f.ctx.frame("sentences")
    assert sentences is not None
    found = where >= 0
    s_start = _gather(sentences.start, where)
    s_end = _gather(sentences.end, where)
    inside = (s_start <= f.start) & (f.end <= s_end)
    return ~(found & f.offsets_known) | inside


def _sentence_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    where = _sentence_row(f)
    sentences = f.ctx.frame("sentences")
    assert sentences is not None
    out = []
    for r in rows:
        w = where[r]
        item: dict[str, Any] = {"start": int(f.start[r]), "end": int(f.end[r])}
        item["sentence_id"] = int(f.ids("sentence_id")[r])
        if w >= 0:
            item["sentence_start"] = int(sentences.start[w])
            item["sentence_end"] = int(sentences.end[w])
        out.append(item)
    return out


def _tokens_rebuild_text(f: _Frame) -> NDArray[Any]:
    q = _sequence(f, "token_id")
    if f.n == 0:
        return np.ones(0, dtype=bool)
    e = f.end[q.order]
    s = f.start[q.order]
    d_sorted = f.d[q.order]
    ok_after = q.ok & (e <= q.next_start)
    after = _gap_slices(f, d_sorted, e, q.next_start, ok_after)
    ws = f.col("whitespace").take(pa.array(q.order))
    good = ~ok_after | _equal(ws, after)
    ok_lead = q.ok & q.first
    lead = _gap_slices(f, d_sorted, np.zeros(f.n, dtype=np.int64), s, ok_lead)
    good &= ~ok_lead | _is_space_or_empty(lead)
    return _unsort(q.order, good)


def _rebuild_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    q = _sequence(f, "token_id")
    where = np.empty(f.n, dtype=np.int64)
    where[q.order] = np.arange(f.n)
    docs = f.ctx.docs
    assert docs is not None
    out = []
    ws = f.col("whitespace").take(pa.array(rows)).to_pylist()
    for r, w in zip(rows, ws, strict=True):
        k = where[r]
        e = int(f.end[r])
        nxt = int(q.next_start[k])
        d = np.array([f.d[r]])
        text = docs.slices(d, np.array([e]), np.array([max(e, nxt)])).to_pylist()[0]
        item: dict[str, Any] = {"whitespace": w, "text_to_next_token": text}
        if q.first[k]:
            item["text_before_first_token"] = docs.slices(
                d, np.array([0]), np.array([int(f.start[r])])
            ).to_pylist()[0]
        out.append(item)
    return out


def _whitespace_is_space(f: _Frame) -> NDArray[Any]:
    ws = f.col("whitespace").combine_chunks()
    return _is_space_or_empty(ws) | ~_valid(ws)


def _head_row(f: _Frame) -> NDArray[Any]:
    if not hasattr(f, "_head_row"):
        f._head_row = _lookup(_pair_key(f.d, f.ids("head_token_id")), f.ctx.token_keys)  # type: ignore[attr-defined]
    return f._head_row  # type: ignore[attr-defined]


def _head_token_exists(f: _Frame) -> NDArray[Any]:
    known = f.has_doc & _valid(f.col("head_token_id"))
    return ~known | (_head_row(f) >= 0)


def _head_in_sentence(f: _Frame) -> NDArray[Any]:
    where = _head_row(f)
    sid = f.ids("sentence_id")
    found = where >= 0
    return ~found | (sid[np.maximum(where, 0)] == sid)


def _head_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    where = _head_row(f)
    sid = f.ids("sentence_id")
    head = f.ids("head_token_id")
    out = []
    for r in rows:
        item: dict[str, Any] = {"head_token_id": int(head[r]), "sentence_id": int(sid[r])}
        if where[r] >= 0:
            item["head_sentence_id"] = int(sid[where[r]])
        out.append(item)
    return out


def _span_on_token_boundaries(f: _Frame) -> NDArray[Any]:
    tokens = f.ctx.frame("tokens")
    assert tokens is not None
    s_ok = _member(_pair_key(f.d, f.start), _pair_key(tokens.d, tokens.start))
    e_ok = _member(_pair_key(f.d, f.end), _pair_key(tokens.d, tokens.end))
    return ~f.offsets_ok | (s_ok & e_ok)


def _member(query: NDArray[Any], reference: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): Whether each query value occurs in `reference`."""
    if len(reference) and bool(np.all(reference[1:] >= reference[:-1])):
        # Tokens in order: their start and end keys ascend, and a binary search beats a hash.
        at = np.minimum(np.searchsorted(reference, query), len(reference) - 1)
        return np.asarray(reference[at] == query, dtype=bool)
    return _bools(pc.is_in(pa.array(query), value_set=pa.array(reference)))


def _endpoint_row(f: _Frame, column: str) -> NDArray[Any]:
    attr = f"_{column}_row"
    if not hasattr(f, attr):
        keys = _string_key(f.col("doc_id"), f.col(column))
        setattr(f, attr, _lookup(keys, f.ctx.span_keys))
    return getattr(f, attr)


def _span_exists(column: str) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        known = f.has_doc & _valid(f.col(column))
        return ~known | (_endpoint_row(f, column) >= 0)

    return check


def _endpoint_same_layer(f: _Frame) -> NDArray[Any]:
    spans = f.ctx.tables["spans"]
    span_layer = spans.column("layer")
    good = np.ones(f.n, dtype=bool)
    layer = f.col("layer")
    for column in ("head_span_id", "tail_span_id"):
        where = _endpoint_row(f, column)
        found = where >= 0
        taken = _take(span_layer, where)
        same = np.asarray(
            pc.fill_null(pc.equal(taken, layer), True).to_numpy(zero_copy_only=False), dtype=bool
        )
        good &= ~found | same
    return good


def _endpoint_labels(f: _Frame, column: str) -> pa.Array:
    spans = f.ctx.tables["spans"]
    where = _endpoint_row(f, column)
    labels = _take(spans.column("label"), where)
    return pc.if_else(pa.array(where >= 0), labels, pa.scalar(None, pa.string()))


def _endpoint_labels_allowed(f: _Frame) -> NDArray[Any]:
    allowed = f.ctx.scheme.relation_endpoints or {}
    pairs = {
        f"{r}\x1f{h}\x1f{t}" for r, (heads, tails) in allowed.items() for h in heads for t in tails
    }
    key = _string_key(
        f.col("label"), _endpoint_labels(f, "head_span_id"), _endpoint_labels(f, "tail_span_id")
    )
    known_label = np.asarray(
        pc.is_in(f.col("label"), value_set=pa.array(sorted(allowed), pa.string())).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    ok = np.asarray(
        pc.fill_null(pc.is_in(key, value_set=pa.array(sorted(pairs), pa.string())), True).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    # A label the scheme does not know is `in_vocabulary`'s failure, not this rule's.
    return ~known_label | ok | ~_valid(key)


def _endpoint_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    rel = (
        f.table.select(["label", "layer", "head_span_id", "tail_span_id"])
        .take(pa.array(rows))
        .to_pylist()
    )
    heads = _endpoint_labels(f, "head_span_id").take(pa.array(rows)).to_pylist()
    tails = _endpoint_labels(f, "tail_span_id").take(pa.array(rows)).to_pylist()
    spans = f.ctx.tables["spans"]
    out = []
    for r, row, h, t in zip(rows, rel, heads, tails, strict=True):
        item = dict(row)
        item["head_label"], item["tail_label"] = h, t
        for column in ("head_span_id", "tail_span_id"):
            w = _endpoint_row(f, column)[r]
            if w >= 0:
                item[column.replace("_span_id", "_layer")] = spans.column("layer")[int(w)].as_py()
        out.append(item)
    return out


def _value_of_label(f: _Frame) -> NDArray[Any]:
    values = f.ctx.scheme.label_values or {}
    pairs = [f"{name}\x1f{v}" for name, vs in values.items() for v in vs]
    key = _string_key(f.col("name"), f.col("value"))
    known = np.asarray(
        pc.is_in(f.col("name"), value_set=pa.array(sorted(values), pa.string())).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    ok = pc.fill_null(pc.is_in(key, value_set=pa.array(sorted(pairs), pa.string())), True)
    return ~known | np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool)


def _single_choice(f: _Frame) -> NDArray[Any]:
    names = list(f.ctx.scheme.single_choice or ())
    if f.n == 0:
        return np.ones(0, dtype=bool)
    group = ["doc_id", "layer", "name", "annotation_id"]
    # Null keys (the model layer has no annotation id) never match in a join: fill them.
    table = pa.table(
        [pc.fill_null(f.col(c), "\x00") for c in group] + [pa.array(np.arange(f.n))],
        names=[*group, ROW],
    )
    table = table.filter(pc.is_in(table.column("name"), value_set=pa.array(names, pa.string())))
    counts = table.group_by(group, use_threads=False).aggregate([(ROW, "count")])
    many = counts.filter(pc.greater(counts.column(f"{ROW}_count"), 1))
    good = np.ones(f.n, dtype=bool)
    if many.num_rows:
        bad = table.join(many, keys=group, join_type="inner")
        good[_np(bad.column(ROW))] = False
    return good


def _annotation_exists(f: _Frame) -> NDArray[Any]:
    ann_id = f.col("annotation_id")
    known = _valid(ann_id) & f.has_doc
    where = _lookup(_string_key(f.col("doc_id"), ann_id), f.ctx.annotation_keys)
    return ~known | (where >= 0)


def _text_sha256_matches(f: _Frame) -> NDArray[Any]:
    # No SHA-256 kernel in Arrow: one hashlib call per document (documents are few; the
    # million-row tables never come here).
    texts = f.col("text").to_pylist()
    digests = [None if t is None else hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    eq = pc.equal(f.col("text_sha256"), pa.array(digests, pa.string()))
    return np.asarray(pc.fill_null(eq, True).to_numpy(zero_copy_only=False), dtype=bool)


def _sha_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    texts = f.col("text").take(pa.array(rows)).to_pylist()
    stored = f.col("text_sha256").take(pa.array(rows)).to_pylist()
    return [
        {"text_sha256": s, "sha256_of_text": hashlib.sha256(t.encode("utf-8")).hexdigest()}
        for s, t in zip(stored, texts, strict=True)
    ]


def _flat(f: _Frame, column: str) -> tuple[NDArray[Any], pa.StructArray]:
    lists = f.col(column).combine_chunks()
    parents = _np(pc.list_parent_indices(lists))
    values = pc.list_flatten(lists)
    return parents, values


def _updates_in_text(f: _Frame) -> NDArray[Any]:
    parents, values = _flat(f, "updates")
    good = np.ones(f.n, dtype=bool)
    if len(values) == 0:
        return good
    s = _np(pc.struct_field(values, "start"))
    e = _np(pc.struct_field(values, "end"))
    length = f.ctx.docs.length if f.ctx.docs is not None else np.zeros(f.n, dtype=np.int64)
    bad = (s < 0) | (e <= s) | (e > length[parents])
    good[parents[bad]] = False
    return good


def _updates_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    updates = f.col("updates").take(pa.array(rows)).to_pylist()
    length = f.ctx.docs.length if f.ctx.docs is not None else None
    return [
        {
            "updates": [{"start": u["start"], "end": u["end"]} for u in us],
            "text_length": int(length[r]) if length is not None else None,
        }
        for r, us in zip(rows, updates, strict=True)
    ]


def _update_sections_ok(text: str, updates: list[dict[str, Any]]) -> bool:
    """Whether a document's update sections are where ingest puts them (see module doc)."""
    from summit_corpus.build.ingest import split_lines

    line_starts, pos = {0}, 0
    lines = split_lines(text)
    for line, newline in lines:
        pos += len(line) + len(newline)
        line_starts.add(pos)
    for i, u in enumerate(updates):
        start, end = u["start"], u["end"]
        if not 0 <= start < end <= len(text):
            return True  # 'updates_in_text' reports it
        following = updates[i + 1]["start"] if i + 1 < len(updates) else len(text)
        if end > following or text[end:following].strip() or text[end - 1].isspace():
            return False
        # The section starts at its header line's first non-space character.
        line_start = start - (len(text[:start]) - len(text[:start].rstrip(" \t")))
        if line_start not in line_starts:
            return False
        heading = u.get("heading")
        if heading is not None:
            after = split_lines(text[start:])[1:]
            first = next((line.strip() for line, _ in after if line.strip()), None)
            if first != heading:
                return False
    return True


def _update_sections_match_text(f: _Frame) -> NDArray[Any]:
    # Per document in Python: update sections are a handful per article at most.
    good = np.ones(f.n, dtype=bool)
    texts = f.col("text").to_pylist()
    for i, updates in enumerate(f.col("updates").to_pylist()):
        if updates and texts[i] is not None:
            good[i] = _update_sections_ok(texts[i], updates)
    return good


def _removed_lines_unique(f: _Frame) -> NDArray[Any]:
    parents, values = _flat(f, "removed_lines")
    good = np.ones(f.n, dtype=bool)
    if len(values) == 0:
        return good
    line_no = _np(pc.struct_field(values, "line_no"), fill=0)
    key = _pair_key(parents, line_no)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    dup = np.zeros(len(ks), dtype=bool)
    dup[1:] = ks[1:] == ks[:-1]
    good[parents[order][dup]] = False
    good[parents[line_no < 1]] = False
    return good


def _removed_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    lines = f.col("removed_lines").take(pa.array(rows)).to_pylist()
    out = []
    for ls in lines:
        numbers = [x["line_no"] for x in ls]
        counts = Counter(numbers)
        out.append(
            {
                "line_no": sorted(
                    {n for n in numbers if counts[n] > 1 or n is None or n < 1}, key=str
                )
            }
        )
    return out


def _nested_not_null(definition: T.Table) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        good = np.ones(f.n, dtype=bool)
        for column in definition.columns:
            t = column.type
            if not (pa.types.is_list(t) and pa.types.is_struct(t.value_type)):
                continue
            parents, values = _flat(f, column.name)
            if values.null_count:
                good[parents[~_valid(values)]] = False
            for i in range(t.value_type.num_fields):
                sub = t.value_type.field(i)
                if sub.nullable:
                    continue
                child = pc.struct_field(values, sub.name)
                if child.null_count:
                    good[parents[~_valid(child)]] = False
        return good

    return check


def _nested_detail(definition: T.Table) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        out = []
        for r in rows:
            nulls = []
            for column in definition.columns:
                t = column.type
                if not (pa.types.is_list(t) and pa.types.is_struct(t.value_type)):
                    continue
                for i, item in enumerate(f.col(column.name)[int(r)].as_py() or []):
                    if item is None:
                        nulls.append(f"{column.name}[{i}]")
                        continue
                    for j in range(t.value_type.num_fields):
                        sub = t.value_type.field(j)
                        if not sub.nullable and item.get(sub.name) is None:
                            nulls.append(f"{column.name}[{i}].{sub.name}")
            out.append({"null_fields": nulls})
        return out

    return detail


def _rows_sorted(definition: T.Table) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        good = np.ones(f.n, dtype=bool)
        if f.n < 2 or not definition.sort_by:
            return good
        keys = f.table.select(list(definition.sort_by))
        less = T.sorts_before(keys.slice(1), keys.slice(0, f.n - 1), definition.sort_by)
        good[1:] = ~(less & f.ctx.same_file(f.name, f.n))
        return good

    return check


def _sort_detail(definition: T.Table) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        cols = list(definition.sort_by)
        here = f.table.select(cols).take(pa.array(rows)).to_pylist()
        before = f.table.select(cols).take(pa.array(rows - 1)).to_pylist()
        return [{"row": h, "after": b} for h, b in zip(here, before, strict=True)]

    return detail


def _bools(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _source_rebuilds(f: _Frame) -> NDArray[Any]:
    # The raw file's bytes are rebuilt in Python, one document at a time (documents are few,
    # and there is no vectorised form of the line bookkeeping).
    from summit_corpus.build.ingest import rebuild_raw

    columns = ["text", "removed_lines", "final_newline", "has_bom", "source_sha256"]
    good = np.ones(f.n, dtype=bool)
    for i, row in enumerate(f.table.select(columns).to_pylist()):
        if any(row[c] is None for c in columns):
            continue  # not_null reports it
        try:
            digest = hashlib.sha256(rebuild_raw(row)).hexdigest()
        except (KeyError, StopIteration, TypeError, ValueError):
            digest = None
        good[i] = digest == row["source_sha256"]
    return good


def _source_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    from summit_corpus.build.ingest import rebuild_raw

    out = []
    for row in f.table.take(pa.array(rows)).to_pylist():
        try:
            digest: str | None = hashlib.sha256(rebuild_raw(row)).hexdigest()
        except (KeyError, StopIteration, TypeError, ValueError) as error:
            digest = f"cannot rebuild: {error!r}"
        out.append({"source_sha256": row["source_sha256"], "sha256_of_rebuilt": digest})
    return out


def _assigned_split(f: _Frame) -> NDArray[Any]:
    splits = f.ctx.splits
    assert splits is not None
    return _bools(pc.fill_null(pc.equal(f.col("split"), splits[f.name]), True))


def _assigned_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    splits = f.ctx.splits
    assert splits is not None
    own = f.col("split").take(pa.array(rows)).to_pylist()
    files = pa.array(splits[f.name]).take(pa.array(rows)).to_pylist()
    return [{"split": a, "file_split": b} for a, b in zip(own, files, strict=True)]


def _group_in_one_split(f: _Frame) -> NDArray[Any]:
    t = pa.table({"group_id": f.col("group_id"), "split": f.col("split")})
    counts = t.group_by("group_id", use_threads=False).aggregate([("split", "count_distinct")])
    many = counts.filter(pc.greater(counts.column("split_count_distinct"), 1)).column("group_id")
    return ~_bools(pc.is_in(f.col("group_id"), value_set=many.combine_chunks()))


def _group_size_matches(f: _Frame) -> NDArray[Any]:
    t = pa.table({"group_id": f.col("group_id"), "n": pa.array(np.ones(f.n, dtype=np.int64))})
    counts = t.group_by("group_id", use_threads=False).aggregate([("n", "sum")])
    where = _lookup(f.col("group_id").combine_chunks(), counts.column("group_id").combine_chunks())
    size = _np(counts.column("n_sum"))[np.maximum(where, 0)] if f.n else np.zeros(0, np.int64)
    known = _valid(f.col("group_size")) & (where >= 0)
    return ~known | (_np(f.col("group_size")) == size)


def _group_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    taken = f.table.select(["group_id", "group_size", "split"]).take(pa.array(rows))
    return taken.to_pylist()


def _composite_key(table: pa.Table, columns: Sequence[str]) -> pa.Array:
    """RETURNS (pa.Array): One string per row from `columns` (nulls kept apart from values)."""
    parts = [
        pc.fill_null(pc.cast(table.column(c), pa.string()), "\x00null").combine_chunks()
        for c in columns
    ]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\x1f")


def _nested_partner(f: _Frame) -> tuple[NDArray[Any], pa.Table]:
    """RETURNS: Each flat row's record in the documents config (-1 if none), and the records."""
    cached = getattr(f, "_nested", None)
    if cached is not None:
        return cached
    nested = f.ctx.nested[f.name]
    key = list(T.table(f.name).key)
    docs = f.ctx.docs
    if docs is not None and len(key) == 2 and pa.types.is_integer(f.col(key[1]).type):
        # (doc_id, integer id): integer pair keys hash several times faster than strings.
        nested_d = docs.index(nested.column("doc_id"))
        mine = np.where(f.d >= 0, _pair_key(f.d, f.ids(key[1])), -1)
        theirs = np.where(nested_d >= 0, _pair_key(nested_d, _np(nested.column(key[1]))), -2)
        where: NDArray[Any]
        same = len(mine) == len(theirs) and bool(np.all(mine[1:] > mine[:-1]))
        if same and np.array_equal(mine, theirs):
            # Same unique keys in the same order (as published): row i is record i.
            where = np.arange(len(mine), dtype=np.int64)
        else:
            where = _lookup(mine, theirs)
    else:
        where = _lookup(_composite_key(f.table, key), _composite_key(nested, key))
    f._nested = (where, nested)  # type: ignore[attr-defined]
    return where, nested


def _nested_matches_flat(f: _Frame) -> NDArray[Any]:
    where, nested = _nested_partner(f)
    found = where >= 0
    take = pa.array(np.maximum(where, 0))
    good = found.copy()
    if len(nested) == 0:
        return good
    identity = len(where) == len(nested) and bool(np.all(where == np.arange(len(where))))
    for name in f.table.column_names:
        mine = f.col(name)
        theirs = nested.column(name) if identity else nested.column(name).take(take)
        both_null = _bools(pc.and_(pc.is_null(mine), pc.is_null(theirs)))
        good &= _bools(pc.equal(mine, theirs)) | both_null
    return good


def _nested_flat_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    where, nested = _nested_partner(f)
    out = []
    mine = f.table.take(pa.array(rows)).to_pylist()
    for r, row in zip(rows, mine, strict=True):
        w = int(where[r])
        if w < 0:
            out.append({"flat": row, "nested": None})
            continue
        other = nested.slice(w, 1).to_pylist()[0]
        diff = {k: {"flat": v, "nested": other.get(k)} for k, v in row.items() if other.get(k) != v}
        out.append(diff)
    return out


def _nested_counts(f: _Frame) -> NDArray[Any]:
    """Documents rows whose nested lists have another length than their flat rows."""
    good = np.ones(f.n, dtype=bool)
    doc_ids = f.col("doc_id").combine_chunks()
    for name, nested in f.ctx.nested.items():
        flat = f.ctx.tables.get(name)
        if flat is None:
            continue
        for table, sign in ((nested, 1), (flat, -1)):
            where = _lookup(table.column("doc_id").combine_chunks(), doc_ids)
            where = where[where >= 0]
            counts = np.bincount(where, minlength=f.n) if len(where) else np.zeros(f.n, np.int64)
            if sign == 1:
                diff = counts.astype(np.int64)
            else:
                diff -= counts
        good &= diff == 0
    return good


def _nested_count_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    out = []
    ids = f.col("doc_id").take(pa.array(rows)).to_pylist()
    for doc_id in ids:
        item = {}
        for name, nested in f.ctx.nested.items():
            flat = f.ctx.tables.get(name)
            if flat is None:
                continue
            n_nested = pc.sum(pc.equal(nested.column("doc_id"), doc_id)).as_py() or 0
            n_flat = pc.sum(pc.equal(flat.column("doc_id"), doc_id)).as_py() or 0
            if n_nested != n_flat:
                item[name] = {"nested": n_nested, "flat": n_flat}
        out.append(item)
    return out


def _ner_expected(f: _Frame) -> pa.Table:
    cached = getattr(f, "_ner", None)
    if cached is not None:
        return cached
    # The same function publish uses (ner.py, checked against a plain reference in
    # tests/test_ner.py): the rule catches a ner file that does not match the other configs.
    expected = ner_rows(f.ctx.tables, f.ctx.scheme.vocabularies["ner_tags"]).table
    f._ner = expected  # type: ignore[attr-defined]
    return expected


def _ner_matches(f: _Frame) -> NDArray[Any]:
    expected = _ner_expected(f)
    where = _lookup(f.col("id").combine_chunks(), expected.column("id").combine_chunks())
    found = where >= 0
    good = found.copy()
    take = pa.array(np.maximum(where, 0))
    if len(expected) == 0:
        return good
    for name in f.table.column_names:
        mine = f.col(name)
        theirs = expected.column(name).take(take)
        good &= (
            _bools(pc.equal(mine, theirs))
            if not pa.types.is_list(mine.type)
            else _lists_equal(mine, theirs)
        )
    return good


def _lists_equal(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> NDArray[Any]:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    b = b.combine_chunks() if isinstance(b, pa.ChunkedArray) else b
    same_len = _bools(pc.equal(pc.list_value_length(a), pc.list_value_length(b)))
    good = same_len.copy()
    pa_, pb = _np(pc.list_parent_indices(a)), _np(pc.list_parent_indices(b))
    va, vb = pc.list_flatten(a), pc.list_flatten(b)
    # Compare element-wise only where lengths agree (then flattened positions line up).
    ok_a = same_len[pa_] if len(pa_) else np.zeros(0, bool)
    ok_b = same_len[pb] if len(pb) else np.zeros(0, bool)
    va = va.filter(pa.array(ok_a))
    vb = vb.filter(pa.array(ok_b))
    parents = pa_[ok_a]
    differ = ~_bools(pc.equal(va, vb)) if len(va) else np.zeros(0, bool)
    good[parents[differ]] = False
    return good


def _ner_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    expected = _ner_expected(f)
    index = {k: i for i, k in enumerate(expected.column("id").to_pylist())}
    out = []
    for row in f.table.take(pa.array(rows)).to_pylist():
        i = index.get(row["id"])
        if i is None:
            out.append({"id": row["id"], "expected": None})
            continue
        want = expected.slice(i, 1).to_pylist()[0]
        out.append({k: {"got": v, "expected": want[k]} for k, v in row.items() if want[k] != v})
    return out


def _list_in_vocabulary(column: T.Column) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        vocab = f.ctx.scheme.vocabularies[column.vocabulary or ""]
        lists = f.col(column.name).combine_chunks()
        parents = _np(pc.list_parent_indices(lists))
        values = pc.list_flatten(lists)
        if pa.types.is_integer(values.type):
            v = _np(values, fill=-1)
            bad = (v < 0) | (v >= len(vocab))
        else:
            bad = ~_bools(pc.is_in(values, value_set=pa.array(list(vocab), values.type)))
        good = np.ones(f.n, dtype=bool)
        good[parents[bad]] = False
        return good

    return check


_STATED = (("published_at", "published_at_local"), ("updated_at", "updated_at_local"))


def _stated_utc(local: str | None) -> datetime | None:
    """RETURNS: The UTC instant of an ISO 8601 local time with offset; None for a bare date."""
    if local is None or len(local) <= 10:
        return None
    return datetime.fromisoformat(local).astimezone(UTC)


def _stated_time_matches(f: _Frame) -> NDArray[Any]:
    # One datetime parse per document (documents are few; Arrow cannot parse "+05:30").
    good = np.ones(f.n, dtype=bool)
    for utc_name, local_name in _STATED:
        utcs = f.col(utc_name).to_pylist()
        locals_ = f.col(local_name).to_pylist()
        for i, (utc, local) in enumerate(zip(utcs, locals_, strict=True)):
            try:
                expected = _stated_utc(local)
            except ValueError:
                good[i] = False
                continue
            good[i] &= utc == expected
    return good


def _stated_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    names = [n for pair in _STATED for n in pair]
    return f.table.select(names).take(pa.array(rows)).to_pylist()


def _stale_flag_matches(f: _Frame) -> NDArray[Any]:
    documents = f.ctx.tables["documents"]
    doc_sha = _take(documents.column("text_sha256"), f.d)
    changed = pc.not_equal(f.col("text_sha256"), doc_sha)
    same = _bools(pc.fill_null(pc.equal(f.col("stale"), changed), True))
    return ~f.has_doc | same


def _stale_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    documents = f.ctx.tables["documents"]
    doc_sha = documents.column("text_sha256").take(pa.array(np.maximum(f.d[rows], 0))).to_pylist()
    own = f.table.select(["stale", "text_sha256"]).take(pa.array(rows)).to_pylist()
    return [{**o, "document_text_sha256": d} for o, d in zip(own, doc_sha, strict=True)]


def _root_heads_itself(f: _Frame) -> NDArray[Any]:
    root = _bools(pc.equal(f.col("dep"), "ROOT"))
    return ~root | (f.ids("head_token_id") == f.ids("token_id"))


def _split_rules(name: str) -> list[_Rule]:
    def one_split(f: _Frame) -> NDArray[Any]:
        splits = f.ctx.splits
        assert splits is not None
        t = pa.table({"doc_id": f.col("doc_id"), "split": splits[name]})
        counts = t.group_by("doc_id", use_threads=False).aggregate([("split", "count_distinct")])
        many = counts.filter(pc.greater(counts.column("split_count_distinct"), 1)).column("doc_id")
        bad = np.asarray(
            pc.is_in(f.col("doc_id"), value_set=many.combine_chunks()).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
        return ~bad

    def split_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        splits = f.ctx.splits
        assert splits is not None
        own = pa.array(splits[name]).take(pa.array(rows)).to_pylist() if len(rows) else []
        doc_split = _doc_split(f)
        return [
            {"split": s, "document_split": doc_split[r] if doc_split is not None else None}
            for r, s in zip(rows, own, strict=True)
        ]

    def matches(f: _Frame) -> NDArray[Any]:
        splits = f.ctx.splits
        assert splits is not None
        doc_splits = splits["documents"]
        own = (
            pa.array(splits[name])
            if not isinstance(splits[name], pa.ChunkedArray)
            else splits[name]
        )
        where = np.maximum(f.d, 0)
        theirs = (
            pa.array(doc_splits).take(pa.array(where))
            if len(doc_splits)
            else pa.nulls(f.n, pa.string())
        )
        same = np.asarray(
            pc.fill_null(pc.equal(own, theirs), True).to_numpy(zero_copy_only=False), dtype=bool
        )
        return ~f.has_doc | same

    if name == "documents":
        return [_Rule("document_in_one_split", one_split, split_detail, "doc_id")]
    return [_Rule("split_matches_document", matches, split_detail, "doc_id", needs=("documents",))]


def _doc_split(f: _Frame) -> list[Any] | None:
    splits = f.ctx.splits
    if splits is None or "documents" not in splits or f.ctx.docs is None:
        return None
    doc_splits = pa.array(splits["documents"]).to_pylist()
    return [doc_splits[d] if d >= 0 else None for d in f.d]


def _offset_rules() -> list[_Rule]:
    return [
        _Rule("document_exists", _document_exists, _values("doc_id"), "doc_id", ("documents",)),
        _Rule("start_before_end", _start_before_end, _offsets_detail, "end"),
        _Rule("offsets_in_text", _offsets_in_text, _offsets_detail, "end", ("documents",)),
        _Rule(
            "surface_matches_text", _surface_matches_text, _surface_detail, "text", ("documents",)
        ),
    ]


def rules_for(definition: T.Table) -> list[_Rule]:
    """The row rules of one table (besides its column schema), in the order they run.

    definition (Table): The table's definition.
    RETURNS (list[_Rule]): Its rules; each has a stable `name` from `RULES`.
    """
    name = definition.name
    key_rule = _Rule("unique_key", _unique_key(definition), _key_detail(definition), None)
    rules: list[_Rule] = [key_rule] if definition.key else []
    if definition.sort_by:
        rules.append(_Rule("rows_sorted", _rows_sorted(definition), _sort_detail(definition)))
    for c in definition.columns:
        if c.vocabulary is not None and pa.types.is_list(c.type):
            rules.append(
                _Rule(
                    "in_vocabulary",
                    _list_in_vocabulary(c),
                    _values(c.name),
                    c.name,
                    (c.vocabulary,),
                )
            )
    if name in NESTED_TABLES:
        rules.append(
            _Rule(
                "nested_matches_table",
                _nested_matches_flat,
                _nested_flat_detail,
                None,
                (f"nested:{name}",),
            )
        )
    if name == "split_assignment":
        rules += [
            _Rule("document_exists", _document_exists, _values("doc_id"), "doc_id", ("documents",)),
            _Rule("group_in_one_split", _group_in_one_split, _group_detail, "group_id"),
            _Rule("group_size_matches", _group_size_matches, _group_detail, "group_size"),
            _Rule(
                "assigned_split_matches_file",
                _assigned_split,
                _assigned_detail,
                "split",
                ("splits",),
            ),
        ]
        return rules
    if name == "ner":
        rules += [
            _Rule("document_exists", _document_exists, _values("doc_id"), "doc_id", ("documents",)),
            _Rule(
                "ner_matches_tables",
                _ner_matches,
                _ner_detail,
                None,
                ("documents", "sentences", "tokens", "ner_tags"),
            ),
        ]
        return rules
    if name == "documents":
        rules += [
            _Rule("source_rebuilds", _source_rebuilds, _source_detail, "source_sha256"),
            _Rule("stated_time_matches", _stated_time_matches, _stated_detail, "published_at"),
            _Rule("nested_matches_table", _nested_counts, _nested_count_detail, None, ("nested",)),
            _Rule("text_sha256_matches", _text_sha256_matches, _sha_detail, "text_sha256"),
            _Rule("updates_in_text", _updates_in_text, _updates_detail, "updates"),
            _Rule(
                "update_sections_match_text",
                _update_sections_match_text,
                _updates_detail,
                "updates",
            ),
            _Rule(
                "removed_line_numbers_unique",
                _removed_lines_unique,
                _removed_detail,
                "removed_lines",
            ),
            _Rule(
                "nested_not_null", _nested_not_null(definition), _nested_detail(definition), None
            ),
        ]
        return rules
    if name != "documents" and "doc_id" in definition.names:
        if {"start", "end", "text"} <= set(definition.names):
            rules += _offset_rules()
        else:
            rules.append(
                _Rule(
                    "document_exists", _document_exists, _values("doc_id"), "doc_id", ("documents",)
                )
            )
    if name == "sentences":
        rules += [
            _Rule(
                "ids_consecutive",
                _ids_consecutive("sentence_id"),
                _values("sentence_id"),
                "sentence_id",
                ("documents",),
            ),
            _Rule(
                "sentences_no_overlap",
                _no_overlap("sentence_id"),
                _overlap_detail("sentence_id"),
                "start",
                ("documents",),
            ),
            _Rule(
                "sentence_gaps_are_space",
                _sentence_gaps,
                _gap_detail("sentence_id"),
                "start",
                ("documents",),
            ),
        ]
    elif name == "tokens":
        rules += [
            _Rule(
                "ids_consecutive",
                _ids_consecutive("token_id"),
                _values("token_id"),
                "token_id",
                ("documents",),
            ),
            _Rule(
                "tokens_no_overlap",
                _no_overlap("token_id"),
                _overlap_detail("token_id"),
                "start",
                ("documents",),
            ),
            _Rule("whitespace_is_space", _whitespace_is_space, _values("whitespace"), "whitespace"),
            _Rule(
                "tokens_rebuild_text",
                _tokens_rebuild_text,
                _rebuild_detail,
                "whitespace",
                ("documents",),
            ),
            _Rule(
                "sentence_exists",
                _sentence_exists,
                _values("sentence_id"),
                "sentence_id",
                ("documents", "sentences"),
            ),
            _Rule(
                "token_in_sentence",
                _token_in_sentence,
                _sentence_detail,
                "sentence_id",
                ("documents", "sentences"),
            ),
            _Rule(
                "head_token_exists",
                _head_token_exists,
                _head_detail,
                "head_token_id",
                ("documents",),
            ),
            _Rule(
                "head_in_sentence", _head_in_sentence, _head_detail, "head_token_id", ("documents",)
            ),
            _Rule("root_heads_itself", _root_heads_itself, _head_detail, "head_token_id"),
        ]
    elif name == "spans":
        rules.append(
            _Rule(
                "span_on_token_boundaries",
                _span_on_token_boundaries,
                _offsets_detail,
                "start",
                ("documents", "tokens"),
            )
        )
    elif name == "relations":
        rules += [
            _Rule(
                "head_span_exists",
                _span_exists("head_span_id"),
                _values("head_span_id"),
                "head_span_id",
                ("documents", "spans"),
            ),
            _Rule(
                "tail_span_exists",
                _span_exists("tail_span_id"),
                _values("tail_span_id"),
                "tail_span_id",
                ("documents", "spans"),
            ),
            _Rule(
                "endpoint_same_layer",
                _endpoint_same_layer,
                _endpoint_detail,
                "layer",
                ("documents", "spans"),
            ),
            _Rule(
                "endpoint_labels_allowed",
                _endpoint_labels_allowed,
                _endpoint_detail,
                "label",
                ("documents", "spans", RELATION_ENDPOINTS),
            ),
        ]
    elif name == "document_labels":
        rules += [
            _Rule("value_of_label", _value_of_label, _values("value"), "value", (LABEL_VALUES,)),
            _Rule("single_choice", _single_choice, _values("value"), "value", (SINGLE_CHOICE,)),
        ]
    elif name == "annotations":
        rules.append(
            _Rule("stale_flag_matches", _stale_flag_matches, _stale_detail, "stale", ("documents",))
        )
    if name in ("spans", "relations", "document_labels", "annotation_notes"):
        rules.append(
            _Rule(
                "annotation_exists",
                _annotation_exists,
                _values("annotation_id"),
                "annotation_id",
                ("documents", "annotations"),
            )
        )
    return rules


# --- pandera schemas ------------------------------------------------------------------------
def column_schema(
    definition: T.Table, vocabularies: Mapping[str, Sequence[str]] | None = None
) -> pdr.DataFrameSchema:
    """The pandera schema of a table's columns, derived from its definition.

    definition (Table): The table (tables.py).
    vocabularies (Mapping[str, Sequence[str]] | None): Scheme vocabularies by name; a column
        whose vocabulary is missing here gets no vocabulary check (`vocabulary_missing` is
        reported by `validate_tables`).
    RETURNS (pdr.DataFrameSchema): Types, nullability, bounds, vocabularies, patterns; strict.
    """
    columns = {}
    for c in definition.columns:
        checks = []
        if c.ge is not None:
            checks.append(pdr.Check.ge(c.ge, name="min_value"))
        if c.allowed is not None:
            checks.append(pdr.Check.isin(list(c.allowed), name="allowed_values"))
        if (
            c.vocabulary is not None
            and vocabularies is not None
            and c.vocabulary in vocabularies
            and not pa.types.is_list(c.type)  # lists: the 'in_vocabulary' row rule
        ):
            checks.append(pdr.Check.isin(list(vocabularies[c.vocabulary]), name="in_vocabulary"))
        if c.pattern is not None:
            checks.append(pdr.Check.str_matches(f"^(?:{c.pattern})$", name="pattern"))
        columns[c.name] = pdr.Column(c.type, checks=checks, nullable=c.nullable, required=True)
    return pdr.DataFrameSchema(columns, strict=True, name=definition.name)


def rule_schema(definition: T.Table, frame: _Frame, rules: Sequence[_Rule]) -> pdr.DataFrameSchema:
    """The pandera schema of a table's row rules: one dataframe check per rule.

    definition (Table): The table.
    frame (_Frame): The table and the corpus context the checks read.
    rules (Sequence[_Rule]): The rules to run.
    RETURNS (pdr.DataFrameSchema): Dataframe-level checks, each named after its rule.
    """
    checks = [
        pdr.Check(_as_check(rule, frame), native=True, name=rule.name, error=RULES[rule.name][1])
        for rule in rules
    ]
    return pdr.DataFrameSchema(checks=checks, name=definition.name)


def _as_check(rule: _Rule, frame: _Frame) -> Callable[[Any], pa.Array]:
    # A weak reference: pandera caches check functions (an lru_cache of 1,024 in its
    # narwhals backend), and a strong one would keep every chunk's tables alive in it.
    ref = weakref.ref(frame)

    def run(data: Any) -> pa.Array:
        # `data.table` is `frame.table` plus the row-number column; the rule reads the
        # frame so that arrays shared by several rules are computed once.
        live = ref()
        assert live is not None, "the frame outlives its schema's validation"
        return pa.array(rule.check(live), pa.bool_())

    return run


# --- running the schemas --------------------------------------------------------------------
def _where(definition: T.Table, row: Mapping[str, Any], file: str | None) -> str:
    ids = ", ".join(f"{k}={v!r}" for k, v in row.items())
    place = f" ({file})" if file else ""
    return f"{definition.name}{place} [{ids}]" if ids else f"{definition.name}{place}"


def _message(rule: str, where: str, value: Any, column: str | None) -> str:
    code = RULES[rule][0]
    template: str = getattr(Errors, code)
    return template.format(where=where, column=column or "", value=_short(value))


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class _Located:
    """How to name a table's rows: their key columns, file and index within the file."""

    definition: T.Table
    table: pa.Table
    files: pa.DictionaryArray | None  # per row, or None in memory
    index: NDArray[Any]  # per row: row number in its file (or in the table)

    def failures(
        self, rule: str, rows: NDArray[Any], values: Iterable[Any], column: str | None
    ) -> list[Failure]:
        if len(rows) == 0:
            return []
        key = [k for k in self.definition.key if k in self.table.column_names]
        ids = self.table.select(key).take(pa.array(rows)).to_pylist() if key else [{} for _ in rows]
        out = []
        for r, row, value in zip(rows, ids, values, strict=True):
            file = self.files[int(r)].as_py() if self.files is not None else None
            message = _message(rule, _where(self.definition, row, file), value, column)
            out.append(
                Failure(
                    self.definition.name,
                    row,
                    rule,
                    _jsonable(value),
                    message,
                    column,
                    file,
                    int(self.index[r]),
                )
            )
        return out


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _table_failure(
    table_name: str, rule: str, value: Any, column: str | None = None, file: str | None = None
) -> Failure:
    where = f"{table_name} ({file})" if file else table_name
    message = getattr(Errors, RULES[rule][0]).format(
        where=where, column=column or "", value=_short(value)
    )
    return Failure(table_name, {}, rule, _jsonable(value), message, column, file, None)


_REASONS = {
    SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME: "column_present",
    SchemaErrorReason.COLUMN_NOT_IN_SCHEMA: "unknown_column",
    SchemaErrorReason.WRONG_DATATYPE: "dtype",
    SchemaErrorReason.SERIES_CONTAINS_NULLS: "not_null",
}
_STRUCTURAL = {"column_present", "unknown_column", "dtype", "check_error"}


def _run_columns(
    located: _Located, vocabularies: Mapping[str, Sequence[str]] | None
) -> tuple[list[Failure], bool]:
    """Validate a table's columns with its pandera column schema.

    RETURNS (tuple[list[Failure], bool]): The failures, and whether the table's structure
        (columns present, types) is sound enough to run its row rules.
    """
    definition, table = located.definition, located.table
    failures: list[Failure] = []
    for c in definition.columns:
        if c.vocabulary is not None and (vocabularies is None or c.vocabulary not in vocabularies):
            failures.append(
                _table_failure(definition.name, "vocabulary_missing", c.vocabulary, c.name)
            )
    try:
        column_schema(definition, vocabularies).validate(table, lazy=True)
        return failures, True
    except SchemaErrors as errors:
        structural_ok = True
        for error in errors.schema_errors:
            column = (
                getattr(error.schema, "name", None)
                if isinstance(error.schema, pdr.Column)
                else None
            )
            rule = _REASONS.get(error.reason_code)
            if rule is None:
                check = error.check
                rule = getattr(check, "name", None) or str(check)
                if error.reason_code == SchemaErrorReason.CHECK_ERROR:
                    rule = "check_error"
            if rule not in RULES:
                rule = "check_error"
            if rule in _STRUCTURAL:
                structural_ok = False
                value: Any = _failure_values(error.failure_cases, column)
                if rule == "column_present":
                    # pandera names the missing column in its failure case, not its schema;
                    # its error text would print the table's rows into the message.
                    if column is None and isinstance(error.failure_cases, str):
                        column = error.failure_cases
                    value = column or str(error)
                elif rule == "unknown_column":
                    value = value[0] if value else str(error)
                elif rule == "check_error":
                    value = str(error)
                failures.append(_table_failure(definition.name, rule, value, column))
                continue
            assert column is not None
            col = table.column(column)
            if rule == "not_null":
                mask = pc.is_null(col)
            else:
                bad_values = pa.array(_failure_values(error.failure_cases, column), col.type)
                mask = pc.fill_null(pc.is_in(col, value_set=bad_values), False)
            rows = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))
            values = col.take(pa.array(rows)).to_pylist()
            failures += located.failures(rule, rows, values, column)
        return failures, structural_ok


def _failure_values(cases: Any, column: str | None) -> list[Any]:
    if isinstance(cases, pa.Table):
        name = (
            column if column is not None and column in cases.column_names else cases.column_names[0]
        )
        return cases.column(name).to_pylist()
    return [cases]


def _run_rules(located: _Located, frame: _Frame, rules: Sequence[_Rule]) -> list[Failure]:
    definition = located.definition
    if not rules:
        return []
    numbered = frame.table.append_column(ROW, pa.array(np.arange(frame.n, dtype=np.int64)))
    failures: list[Failure] = []
    by_name = {rule.name: rule for rule in rules}
    try:
        rule_schema(definition, frame, rules).validate(numbered, lazy=True)
    except SchemaErrors as errors:
        for error in errors.schema_errors:
            name = getattr(error.check, "name", None)
            rule = by_name.get(name) if isinstance(name, str) else None
            if rule is None or error.reason_code == SchemaErrorReason.CHECK_ERROR:
                failures.append(_table_failure(definition.name, "check_error", f"{name}: {error}"))
                continue
            cases = error.failure_cases
            assert isinstance(cases, pa.Table)
            rows = np.sort(_np(cases.column(ROW)))
            failures += located.failures(rule.name, rows, rule.detail(frame, rows), rule.column)
    return failures


# --- public API -----------------------------------------------------------------------------
def validate_tables(
    tables: Mapping[str, pa.Table],
    splits: Mapping[str, pa.Array | pa.ChunkedArray] | None = None,
    vocabularies: Mapping[str, Any] | None = None,
    *,
    files: Mapping[str, Sequence[str]] | None = None,
    nested: Mapping[str, pa.Table] | None = None,
) -> ValidationReport:
    """Validate in-memory tables of a corpus against their definitions and each other.

    tables (Mapping[str, pa.Table]): Table name (tables.ALL_TABLES) -> its rows. Tables left
        out are not checked, and rules that read them are skipped.
    splits (Mapping[str, pa.Array | pa.ChunkedArray] | None): Table name -> the split of each
        row (aligned with the table); None skips the split rules.
    vocabularies (Mapping[str, Any] | None): Scheme vocabularies ("span_labels",
        "relation_labels", "document_label_names", "document_label_values") and optionally
        "relation_endpoints" ({label: (heads, tails)}), "label_values" ({name: values}) and
        "single_choice" ([names]). None reads them from the annotation scheme.
    files (Mapping[str, Sequence[str]] | None): Table name -> the data file of each row, for
        messages and 'rows_sorted' (rows are sorted within each file).
    nested (Mapping[str, pa.Table] | None): Table name -> the records nested in the documents
        config, flattened with their doc_id (`nested_tables`), checked against the flat table.
    RETURNS (ValidationReport): Every failure.
    """
    row_files = {k: _file_array(v) for k, v in (files or {}).items()}
    part = _validate_part(tables, splits, _scheme(vocabularies), row_files, nested=nested)
    failures = sorted(part.failures, key=_failure_order)
    return ValidationReport(tuple(failures), part.rows)


def _failure_order(f: Failure) -> tuple[str, str, str, int]:
    return (f.table, f.rule, f.file or "", f.index if f.index is not None else -1)


@dataclass(frozen=True, slots=True)
class _Part:
    """What validating some rows of a corpus found.

    failures (list[Failure]): In the order found (not sorted).
    rows (dict[str, int]): Rows checked per table.
    sound (dict[str, pa.Table]): The tables whose structure let their row rules run,
        conformed to their definitions.
    """

    failures: list[Failure]
    rows: dict[str, int]
    sound: dict[str, pa.Table]


def _validate_part(
    tables: Mapping[str, pa.Table],
    splits: Mapping[str, pa.Array | pa.ChunkedArray] | None,
    scheme: _Scheme,
    files: Mapping[str, pa.DictionaryArray],
    *,
    index: Mapping[str, NDArray[Any]] | None = None,
    nested: Mapping[str, pa.Table] | None = None,
    context: Mapping[str, pa.Table] | None = None,
    skip: frozenset[str] = frozenset(),
) -> _Part:
    """Run the column schemas and row rules on some rows of a corpus: a whole corpus, a chunk
    of whole documents, or the rows of a few documents gathered from several files.

    tables, splits, nested: As in `validate_tables`.
    scheme (_Scheme): The vocabularies and label constraints.
    files (Mapping[str, pa.DictionaryArray]): Table name -> the data file of each row.
    index (Mapping[str, np.ndarray] | None): Table name -> each row's number in its file;
        tables left out count rows from the start of each file's run of rows.
    context (Mapping[str, pa.Table] | None): Conformed tables that rules may read but that are
        not validated themselves.
    skip (frozenset[str]): Names of row rules not to run.
    RETURNS (_Part): The failures, rows per table and the sound tables.
    """
    failures: list[Failure] = []
    sound: dict[str, pa.Table] = {}
    located_by_name: dict[str, _Located] = {}
    rows: dict[str, int] = {}
    for definition in (*T.ALL_TABLES, *EXTRA_TABLES):
        if definition.name not in tables:
            continue
        table = tables[definition.name]
        rows[definition.name] = table.num_rows
        row_files = files.get(definition.name)
        given = index.get(definition.name) if index is not None else None
        row_index = given if given is not None else _file_index(row_files, table.num_rows)
        located = _Located(definition, table, row_files, row_index)
        found, ok = _run_columns(located, scheme.vocabularies)
        failures += found
        if ok:
            cast = _conform(definition, table)
            sound[definition.name] = cast
            located_by_name[definition.name] = _Located(definition, cast, row_files, row_index)
    ctx_splits = None
    if splits is not None:
        ctx_splits = {
            k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v)
            for k, v in splits.items()
        }
    ctx = _Context(
        {**(context or {}), **sound}, ctx_splits, scheme, files, _sound_nested(nested, sound)
    )
    for name, located in located_by_name.items():
        frame = ctx.frame(name)
        assert frame is not None
        rules = [r for r in _applicable_rules(located.definition, ctx) if r.name not in skip]
        failures += _run_rules(located, frame, rules)
    # Frames and context refer to each other: break the cycle so that a chunk's arrays are
    # freed now, not at the next garbage collection.
    ctx.frames.clear()
    return _Part(failures, rows, sound)


def _applicable_rules(definition: T.Table, ctx: _Context) -> list[_Rule]:
    """RETURNS (list[_Rule]): The table's rules whose other tables and scheme parts exist."""
    scheme = ctx.scheme
    splits = ctx.splits

    def available(need: str) -> bool:
        if need == RELATION_ENDPOINTS:
            return scheme.relation_endpoints is not None
        if need == LABEL_VALUES:
            return scheme.label_values is not None
        if need == SINGLE_CHOICE:
            return scheme.single_choice is not None
        if need == "nested":
            return bool(ctx.nested)
        if need.startswith("nested:"):
            return need.split(":", 1)[1] in ctx.nested
        if need == "splits":
            return splits is not None and definition.name in splits
        if need in scheme.vocabularies:
            return True
        return need in ctx.tables

    rules = [r for r in rules_for(definition) if all(available(n) for n in r.needs)]
    if (
        splits is not None
        and definition.name in splits
        and "documents" in splits
        and "doc_id" in definition.names
        and definition.name != "split_assignment"
    ):
        rules += [r for r in _split_rules(definition.name) if all(available(n) for n in r.needs)]
    return rules


def count_failures_plain(
    tables: Mapping[str, pa.Table],
    splits: Mapping[str, pa.Array | pa.ChunkedArray] | None = None,
    vocabularies: Mapping[str, Any] | None = None,
    *,
    files: Mapping[str, Sequence[str]] | None = None,
    nested: Mapping[str, pa.Table] | None = None,
) -> dict[tuple[str, str], int]:
    """The same checks as `validate_tables`, run with pyarrow.compute alone (no pandera).

    The baseline of scripts/bench_validate.py, and a cross-check of the pandera path in the
    tests: both must count the same failing rows per (table, rule). Column rules are direct
    kernel calls; row rules call the same vectorised rule functions without pandera.

    tables, splits, vocabularies: As in `validate_tables`.
    RETURNS (dict[tuple[str, str], int]): (table, rule) -> failing rows, for rules that fail.
    """
    scheme = _scheme(vocabularies)
    counts: Counter[tuple[str, str]] = Counter()
    sound: dict[str, pa.Table] = {}
    for definition in (*T.ALL_TABLES, *EXTRA_TABLES):
        if definition.name not in tables:
            continue
        table = tables[definition.name]
        name = definition.name
        missing = [c for c in definition.names if c not in table.column_names]
        extra = [c for c in table.column_names if c not in definition.names]
        counts[(name, "column_present")] += len(missing)
        counts[(name, "unknown_column")] += len(extra)
        structural = bool(missing or extra)
        for c in definition.columns:
            if c.vocabulary is not None and c.vocabulary not in scheme.vocabularies:
                counts[(name, "vocabulary_missing")] += 1
            if c.name not in table.column_names:
                continue
            col = table.column(c.name)
            if not col.type.equals(c.type):
                counts[(name, "dtype")] += 1
                structural = True
                continue
            if not c.nullable:
                counts[(name, "not_null")] += col.null_count
            if c.ge is not None:
                counts[(name, "min_value")] += pc.sum(pc.less(col, c.ge)).as_py() or 0
            vocab = c.allowed
            rule = "allowed_values"
            if pa.types.is_list(c.type):
                vocab = None  # list columns: the 'in_vocabulary' row rule
            elif c.vocabulary is not None and c.vocabulary in scheme.vocabularies:
                vocab, rule = tuple(scheme.vocabularies[c.vocabulary]), "in_vocabulary"
            if vocab is not None:
                bad = pc.and_(
                    pc.invert(pc.is_in(col, value_set=pa.array(vocab, col.type))), pc.is_valid(col)
                )
                counts[(name, rule)] += pc.sum(pc.fill_null(bad, False)).as_py() or 0
            if c.pattern is not None:
                bad = pc.invert(pc.match_substring_regex(col, f"^(?:{c.pattern})$"))
                counts[(name, "pattern")] += pc.sum(pc.fill_null(bad, False)).as_py() or 0
        if not structural:
            sound[name] = _conform(definition, table)
    ctx_splits = None
    if splits is not None:
        ctx_splits = {
            k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v)
            for k, v in splits.items()
        }
    ctx_files = {k: _file_array(v) for k, v in (files or {}).items()}
    ctx = _Context(sound, ctx_splits, scheme, ctx_files, _sound_nested(nested, sound))
    for name in sound:
        frame = ctx.frame(name)
        assert frame is not None
        for row_rule in _applicable_rules(DEFINITIONS[name], ctx):
            counts[(name, row_rule.name)] += int(np.count_nonzero(~row_rule.check(frame)))
    return {k: v for k, v in sorted(counts.items()) if v}


def _conform(definition: T.Table, table: pa.Table) -> pa.Table:
    """Select the definition's columns in order, with its types (nulls stay, for the rules)."""
    columns = []
    for c in definition.columns:
        column = table.column(c.name)
        if not column.type.equals(c.type):
            # Where only nested nullability differs the cast can fail: keep the column as read.
            with contextlib.suppress(pa.ArrowInvalid, ValueError):
                column = pc.cast(column, c.type)
        columns.append(column)
    return pa.table(columns, names=definition.names)


def _codes(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """RETURNS (np.ndarray): An integer code per value (equal values, equal codes)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    return np.asarray(values.indices.to_numpy(zero_copy_only=False))


def _file_array(files: Sequence[str] | pa.Array) -> pa.DictionaryArray:
    """RETURNS (pa.DictionaryArray): The file of each row, dictionary-encoded."""
    if isinstance(files, pa.Array) and pa.types.is_dictionary(files.type):
        return files
    array = files if isinstance(files, pa.Array) else pa.array(list(files), pa.string())
    return pc.dictionary_encode(array)


def _file_index(files: pa.DictionaryArray | None, n: int) -> NDArray[Any]:
    """RETURNS (np.ndarray): Each row's number within its file (files are contiguous runs)."""
    if files is None:
        return np.arange(n, dtype=np.int64)
    codes = _codes(files)
    run_start = np.ones(n, dtype=bool)
    run_start[1:] = codes[1:] != codes[:-1]
    first = np.maximum.accumulate(np.where(run_start, np.arange(n), 0))
    return np.arange(n, dtype=np.int64) - first


def _sound_nested(
    nested: Mapping[str, pa.Table] | None, sound: Mapping[str, pa.Table]
) -> dict[str, pa.Table]:
    """RETURNS: The nested tables whose flat table is sound, conformed to its definition."""
    out: dict[str, pa.Table] = {}
    for name, table in (nested or {}).items():
        if name not in sound:
            continue
        definition = T.table(name)
        if set(definition.names) - set(table.column_names):
            continue  # 'dtype' of the documents config's nested column reports it
        out[name] = _conform(definition, table)
    return out


def nested_tables(documents_config: pa.Table) -> dict[str, pa.Table]:
    """Flatten the records the documents config nests into tables with their doc_id.

    documents_config (pa.Table): Rows of the published documents config.
    RETURNS (dict[str, pa.Table]): Table name -> records, in document order.
    """
    out: dict[str, pa.Table] = {}
    doc_ids = documents_config.column("doc_id").combine_chunks()
    for name in NESTED_TABLES:
        if name not in documents_config.column_names:
            continue
        lists = documents_config.column(name).combine_chunks()
        if not (pa.types.is_list(lists.type) and pa.types.is_struct(lists.type.value_type)):
            continue
        parents = pc.list_parent_indices(lists)
        values = pc.list_flatten(lists)
        struct_type = values.type
        columns = {"doc_id": doc_ids.take(parents)}
        for i in range(struct_type.num_fields):
            columns[struct_type.field(i).name] = pc.struct_field(values, [i])
        out[name] = pa.table(columns)
    return out


def _ner_tag_names(span_labels: Sequence[str]) -> list[str]:
    """RETURNS (list[str]): The ner config's tag names, as publish.ner_labels makes them."""
    from summit_corpus.publish import NER_EXCLUDED_LABELS

    labels = [x for x in span_labels if x not in NER_EXCLUDED_LABELS]
    return ["O", *(f"{p}-{x}" for x in labels for p in ("B", "I"))]


def _scheme(vocabularies: Mapping[str, Any] | None) -> _Scheme:
    if vocabularies is None:
        vocabularies = _scheme_vocabularies()
    flat = {
        k: list(v)
        for k, v in vocabularies.items()
        if k not in (RELATION_ENDPOINTS, LABEL_VALUES, SINGLE_CHOICE)
    }
    if "ner_tags" not in flat and "span_labels" in flat:
        flat["ner_tags"] = _ner_tag_names(flat["span_labels"])
    endpoints = vocabularies.get(RELATION_ENDPOINTS)
    label_values = vocabularies.get(LABEL_VALUES)
    single = vocabularies.get(SINGLE_CHOICE)
    return _Scheme(
        flat,
        {k: (list(h), list(t)) for k, (h, t) in endpoints.items()}
        if endpoints is not None
        else None,
        {k: list(v) for k, v in label_values.items()} if label_values is not None else None,
        list(single) if single is not None else None,
    )


def _scheme_vocabularies() -> dict[str, Any]:
    """RETURNS (dict[str, Any]): The vocabularies and label constraints of the annotation scheme."""
    from summit_corpus.core.scheme import load_scheme

    scheme = load_scheme()
    out: dict[str, Any] = dict(scheme.vocabularies())
    out.update(_scheme_constraints(scheme))
    return out


def _scheme_constraints(scheme: Any) -> dict[str, Any]:
    """Relation endpoint labels and document label values, where the scheme model has them."""
    out: dict[str, Any] = {}
    relations = getattr(scheme, "relation_labels", None)
    if relations:
        endpoints = {}
        for r in relations:
            head, tail = getattr(r, "head", None), getattr(r, "tail", None)
            if head is not None and tail is not None:
                endpoints[r.name] = (list(head), list(tail))
        if endpoints:
            out[RELATION_ENDPOINTS] = endpoints
    labels = getattr(scheme, "document_labels", None)
    if labels:
        values: dict[str, list[str]] = {}
        single: list[str] = []
        for label in labels:
            vs = getattr(label, "values", None)
            if vs is not None:
                values[label.name] = [getattr(v, "name", v) for v in vs]
            if getattr(label, "choice", None) == "single":
                single.append(label.name)
        if values:
            out[LABEL_VALUES] = values
        out[SINGLE_CHOICE] = single
    return out


def validate_corpus(
    corpus_dir: Path, vocabularies: Mapping[str, Any] | None = None, *, docs_per_chunk: int = 500
) -> ValidationReport:
    """Validate a corpus folder: every table file, every cross-table rule, the manifest.

    The data files are read in chunks of whole documents (`chunks.iter_chunks`, driven by the
    documents config, one split file at a time), so memory stays flat in the number of
    documents; the failures are the ones a run over the whole tables finds (see `_Stream`).

    corpus_dir (Path): The corpus folder (layout.py): data/<table>/<split>-*.parquet and
        MANIFEST.json.
    vocabularies (Mapping[str, Any] | None): As in `validate_tables`; None reads the scheme.
    docs_per_chunk (int): Documents validated together; bounds memory.
    RETURNS (ValidationReport): Every failure.
    """
    failures: list[Failure] = []
    configs = _inventory(corpus_dir, failures)
    if "documents" in configs:
        failures += _documents_config_columns(configs["documents"].schema.empty_table())
    stream = _Stream(corpus_dir, configs, _scheme(vocabularies))
    for file_name in sorted({p.name for c in configs.values() for p in c.paths}):
        group = {n: c.folder / file_name for n, c in configs.items() if file_name in c.names}
        for chunk in iter_chunks(group, "documents", docs_per_chunk):
            stream.add_chunk(file_name, chunk)
    failures += stream.finish()
    failures += check_manifest(corpus_dir)
    failures.sort(key=_failure_order)
    return ValidationReport(tuple(failures), stream.rows)


@dataclass(frozen=True, slots=True)
class _ConfigFiles:
    """The readable data files of one config.

    definition (T.Table): The config's table.
    folder (Path): data/<config>.
    paths (tuple[Path, ...]): Its readable Parquet files, sorted.
    schema (pa.Schema): Their schemas unified as `pa.concat_tables` would (permissive).
    """

    definition: T.Table
    folder: Path
    paths: tuple[Path, ...]
    schema: pa.Schema

    @property
    def names(self) -> set[str]:
        return {p.name for p in self.paths}


def _inventory(corpus_dir: Path, failures: list[Failure]) -> dict[str, _ConfigFiles]:
    """Find every config's data files and check what the folder rules check.

    Reads only Parquet footers: 'table_present', 'split_name', 'parquet_readable', and
    'dtype' when the files of one config cannot be read as one table.
    RETURNS (dict[str, _ConfigFiles]): Config name -> its readable files (configs with none
        are left out).
    """
    out: dict[str, _ConfigFiles] = {}
    for definition in (*T.ALL_TABLES, T.NER):
        folder = layout.config_dir(corpus_dir, definition.name)
        paths = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if not paths:
            if definition in T.CORE_TABLES:
                where = f"{layout.DATA}/{definition.name}/"
                failures.append(_table_failure(definition.name, "table_present", where))
            continue
        readable: list[Path] = []
        schemas: list[pa.Schema] = []
        for path in paths:
            rel = path.relative_to(corpus_dir).as_posix()
            if layout.split_of_file(path) not in T.SPLITS:
                failures.append(_table_failure(definition.name, "split_name", path.name, file=rel))
            try:
                # No columns: the footer is read and checked (same errors as a full read).
                pq.read_table(path, columns=[])
                schema = pq.read_schema(path)
            except Exception as error:  # noqa: BLE001 - any unreadable file is this rule's failure
                failures.append(
                    _table_failure(definition.name, "parquet_readable", str(error), file=rel)
                )
                continue
            readable.append(path)
            schemas.append(schema)
        if not readable:
            continue
        try:
            unified = pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            failures.append(_table_failure(definition.name, "dtype", str(error)))
            continue
        out[definition.name] = _ConfigFiles(definition, folder, tuple(readable), unified)
    return out


def _promote(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """RETURNS (pa.Table): `table` as `pa.concat_tables(..., promote_options="permissive")`
    makes it beside other files of the same config: the unified columns, missing ones null."""
    if table.schema.equals(schema):
        return table
    columns = []
    for field_ in schema:
        if field_.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field_.type))
            continue
        column = table.column(field_.name)
        if not column.type.equals(field_.type):
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = pc.cast(column, field_.type)
        columns.append(column)
    return pa.table(columns, names=schema.names)


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

    def __init__(self, corpus_dir: Path, configs: Mapping[str, _ConfigFiles], scheme: _Scheme):
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
                for batch in pq.ParquetFile(path).iter_batches(batch_size=65536):
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


def _documents_config_columns(table: pa.Table) -> list[Failure]:
    """The published documents config has exactly publish.documents_schema()'s columns.

    Only checked when the files carry more than the documents table (a published corpus);
    the documents table's own columns are checked by its pandera schema.
    """
    from summit_corpus.publish import documents_schema

    if set(table.column_names) <= set(T.DOCUMENTS.names):
        return []
    expected = documents_schema()
    own = set(T.DOCUMENTS.names)
    failures = []
    for wanted in expected:
        if wanted.name in own:
            continue
        if wanted.name not in table.column_names:
            failures.append(_table_failure("documents", "column_present", wanted.name, wanted.name))
        elif not _same_type(table.schema.field(wanted.name).type, wanted.type):
            got = str(table.schema.field(wanted.name).type)
            failures.append(_table_failure("documents", "dtype", got, wanted.name))
    for name in table.column_names:
        if name not in expected.names:
            failures.append(_table_failure("documents", "unknown_column", name, name))
    return failures


def _same_type(got: pa.DataType, want: pa.DataType) -> bool:
    """Whether two Arrow types are equal apart from nested fields' nullability (published
    files hold every field nullable, publish.file_schema) and list item names (Parquet
    readers call it 'element', Arrow 'item')."""
    if got.equals(want):
        return True
    if got.num_fields != want.num_fields or got.id != want.id:
        return False
    if got.num_fields == 0:
        return False
    names_matter = not (pa.types.is_list(got) or pa.types.is_large_list(got))
    for i in range(got.num_fields):
        a, b = got.field(i), want.field(i)
        if (names_matter and a.name != b.name) or not _same_type(a.type, b.type):
            return False
    return True


def check_manifest(corpus_dir: Path) -> list[Failure]:
    """Check MANIFEST.json against the files of the corpus folder.

    corpus_dir (Path): The corpus folder.
    RETURNS (list[Failure]): A missing or malformed manifest, changed, unlisted or missing files.
    """
    path = corpus_dir / layout.MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [_manifest_failure("manifest_present", layout.MANIFEST, str(error))]
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict):
        manifest = manifest["files"]
    if not isinstance(manifest, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()
    ):
        return [
            _manifest_failure(
                "manifest_present", layout.MANIFEST, "not an object of path -> sha256"
            )
        ]
    present = {
        p.relative_to(corpus_dir).as_posix(): p
        for p in sorted(corpus_dir.rglob("*"))
        if p.is_file() and p.relative_to(corpus_dir).as_posix() != layout.MANIFEST
    }
    failures = []
    for rel, file in present.items():
        if rel not in manifest:
            failures.append(_manifest_failure("manifest_lists_file", rel, rel))
            continue
        digest = sha256_file(file)
        if digest != manifest[rel]:
            failures.append(
                _manifest_failure(
                    "manifest_hash_matches", rel, {"manifest": manifest[rel], "file": digest}
                )
            )
    for rel in sorted(set(manifest) - set(present)):
        failures.append(_manifest_failure("manifest_file_exists", rel, rel))
    return failures


def _manifest_failure(rule: str, rel: str, value: Any) -> Failure:
    message = getattr(Errors, RULES[rule][0]).format(
        where=f"manifest ({rel})", column="", value=_short(value)
    )
    return Failure("manifest", {"path": rel}, rule, _jsonable(value), message, None, rel, None)
