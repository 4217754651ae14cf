"""The corpus context the rule checks see.

`_Context` holds the tables of one corpus (or of one chunk), cast to their definitions, and the
lookups across them; `_Frame` is one table being validated, with the arrays its rules share
(computed once, lazily); `_Scheme` holds the vocabularies and label constraints, read from the
annotation scheme unless given (`_scheme`).
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from summit_corpus.core import tables as T
from summit_corpus.validate.arrays import _codes, _gather, _np, _pair_key, _string_key, _valid
from summit_corpus.validate.texts import _Docs

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


def _ner_tag_names(span_labels: Sequence[str]) -> list[str]:
    """RETURNS (list[str]): The ner config's tag names, as publish.ner_labels makes them."""
    from summit_corpus.publish.configs import NER_EXCLUDED_LABELS

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
