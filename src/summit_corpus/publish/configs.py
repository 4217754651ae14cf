"""The published configs: their names, schemas and features, and their rows per split.

`documents` (the default) holds one row per article with its sentences, tokens, spans,
relations and document labels nested as lists of records; `ner` holds one row per sentence
with BIO tags; each flat table given is a config of its own. Everything here is pure: tables in,
tables out, no I/O (the writer writes them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import tables as T
from summit_corpus.core.errors import Errors, PublishError
from summit_corpus.core.features import Features, arrow_schema, features_of
from summit_corpus.export.bigbio import kb_features, kb_table_of_rows
from summit_corpus.publish.ner import NerResult, ner_rows

DEFAULT_CONFIG = "documents"
NER_CONFIG = "ner"
# BigBio's knowledge-base schema, one row per document (export/bigbio.py).
BIGBIO_CONFIG = "bigbio_kb"
# Nested into the documents config, in this order.
NESTED: tuple[T.Table, ...] = (T.SENTENCES, T.TOKENS, T.SPANS, T.RELATIONS, T.DOCUMENT_LABELS)
# Published flat, in this order, when given.
FLAT: tuple[T.Table, ...] = (*NESTED, T.ANNOTATIONS, T.ANNOTATION_NOTES)
# A QUOTE contains entity spans and crosses sentences; BIO tags cannot nest, so quotes stay
# out of the ner config (they are in the spans config and nested in documents).
NER_EXCLUDED_LABELS = ("QUOTE",)


class SchemeLike(Protocol):
    """What publishing needs of the annotation scheme (scheme.Scheme has it)."""

    version: str

    def vocabularies(self) -> dict[str, tuple[str, ...]]: ...


def _record_type(definition: T.Table) -> pa.StructType:
    return pa.struct([c.arrow_field() for c in definition.columns if c.name != "doc_id"])


def documents_schema() -> pa.Schema:
    """RETURNS (pa.Schema): The documents config: documents columns, the split assignment
    (minus doc_id) and one list of records per nested table."""
    assignment = [c.arrow_field() for c in T.SPLIT_ASSIGNMENT.columns if c.name != "doc_id"]
    nested = [pa.field(d.name, pa.list_(_record_type(d)), nullable=False) for d in NESTED]
    return pa.schema([*T.DOCUMENTS.schema, *assignment, *nested])


def _conform(definition: T.Table, table: pa.Table, config: str) -> pa.Table:
    if sorted(table.column_names) != sorted(definition.names):
        raise PublishError(
            Errors.E703.format(
                config=config,
                table=definition.name,
                got=table.column_names,
                expected=definition.names,
            ),
            rule="publish_columns",
        )
    return definition.sorted(definition.conform(table))


def _nest(doc_ids: pa.Array | pa.ChunkedArray, rows: pa.Table, definition: T.Table) -> pa.Array:
    """One list of records per document, in `doc_ids` order (rows sorted by doc_id first)."""
    position = pc.index_in(rows.column("doc_id"), value_set=doc_ids)
    if position.null_count:
        unknown = rows.column("doc_id").filter(pc.is_null(position))[0].as_py()
        raise PublishError(
            Errors.E704.format(config=definition.name, doc_id=unknown), rule="publish_assignment"
        )
    counts = np.bincount(
        np.asarray(position.to_numpy(zero_copy_only=False), dtype=np.int64),
        minlength=len(doc_ids),
    )
    offsets = np.zeros(len(doc_ids) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    record = _record_type(definition)
    values = pa.StructArray.from_arrays(
        [rows.column(f.name).combine_chunks() for f in record], fields=list(record)
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=pa.list_(record))


def documents_config(tables: Mapping[str, pa.Table], assignment: pa.Table) -> pa.Table:
    """The documents config: one row per document with everything about it.

    tables (Mapping[str, pa.Table]): Table name -> table (documents required).
    assignment (pa.Table): tables.SPLIT_ASSIGNMENT rows for the same documents.
    RETURNS (pa.Table): Rows of `documents_schema()`, sorted by doc_id.
    """
    documents = _conform(T.DOCUMENTS, tables[T.DOCUMENTS.name], DEFAULT_CONFIG)
    assignment = _conform(T.SPLIT_ASSIGNMENT, assignment, DEFAULT_CONFIG)
    doc_ids = documents.column("doc_id").combine_chunks()
    if not assignment.column("doc_id").combine_chunks().equals(doc_ids):
        ids = doc_ids.to_pylist()
        missing = sorted(set(ids) - set(assignment.column("doc_id").to_pylist()))
        raise PublishError(
            Errors.E704.format(config=DEFAULT_CONFIG, doc_id=(missing or ["?"])[0]),
            rule="publish_assignment",
        )
    columns = {name: documents.column(name) for name in documents.column_names}
    for field in T.SPLIT_ASSIGNMENT.columns[1:]:
        columns[field.name] = assignment.column(field.name)
    for definition in NESTED:
        given = tables.get(definition.name)
        rows = definition.empty() if given is None else _conform(definition, given, DEFAULT_CONFIG)
        columns[definition.name] = pa.chunked_array([_nest(doc_ids, rows, definition)])
    schema = documents_schema()
    return pa.table([columns[f.name] for f in schema], schema=schema)


def ner_labels(scheme: SchemeLike) -> tuple[str, ...]:
    """RETURNS (tuple[str, ...]): The ner config's BIO tag names: 'O', then B-/I- per entity
    label in scheme order (labels in NER_EXCLUDED_LABELS left out)."""
    labels = [x for x in scheme.vocabularies()["span_labels"] if x not in NER_EXCLUDED_LABELS]
    return ("O", *(f"{p}-{x}" for x in labels for p in ("B", "I")))


def ner_config(tables: Mapping[str, pa.Table], tag_names: Sequence[str]) -> NerResult:
    """One row per sentence with BIO tags from the best layer each document has.

    tables (Mapping[str, pa.Table]): Needs sentences and tokens; spans and document_labels
        when present (a document with adjudicated rows in either uses the adjudicated layer).
    tag_names (Sequence[str]): BIO tag names ('O' first), from `ner_labels`.
    RETURNS (NerResult): The table and the number of overlapping spans left out (the longer
        span wins, then the earlier one).
    """
    return ner_rows(tables, tag_names)


def bigbio_rows(documents: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """The bigbio_kb config's rows per split, from the documents config's.

    documents (Mapping[str, pa.Table]): Split -> documents config rows.
    RETURNS (dict[str, pa.Table]): Split -> one `bigbio_kb` example per document, from the
        layer the ner config uses (adjudicated where a document has one, else prediction).
    """
    return {split: kb_table_of_rows(rows) for split, rows in documents.items()}


def split_rows(table: pa.Table, assignment: pa.Table, config: str) -> dict[str, pa.Table]:
    """Cut a table with a doc_id column into its documents' splits.

    table (pa.Table): Rows with `doc_id`, already sorted.
    assignment (pa.Table): tables.SPLIT_ASSIGNMENT (at least the table's documents).
    config (str): Config name, for the error message.
    RETURNS (dict[str, pa.Table]): Split -> rows, only splits with rows, in SPLITS order.
    """
    doc_ids = table.column("doc_id")
    position = pc.index_in(doc_ids, value_set=assignment.column("doc_id"))
    if position.null_count:
        unknown = doc_ids.filter(pc.is_null(position))[0].as_py()
        raise PublishError(
            Errors.E704.format(config=config, doc_id=unknown), rule="publish_assignment"
        )
    splits = pc.take(assignment.column("split"), position)
    parts = {s: table.filter(pc.equal(splits, s)) for s in T.SPLITS}
    return {s: t for s, t in parts.items() if t.num_rows}


@dataclass(frozen=True, slots=True)
class ConfigData:
    """One published config: its description, schema and features, and rows per split.

    splits (dict[str, int]): Split -> rows, only splits with rows, in SPLITS order.
    """

    name: str
    description: str
    features: Features
    schema: pa.Schema
    splits: dict[str, int]

    @property
    def num_rows(self) -> int:
        return sum(self.splits.values())


def _config_specs(
    names: Sequence[str], scheme: SchemeLike
) -> list[tuple[str, str, pa.Schema, Features]]:
    """(name, description, schema, features) of every config, in publishing order."""
    tag_names = ner_labels(scheme)
    documents = documents_schema()
    specs = [
        (
            DEFAULT_CONFIG,
            "One row per article: metadata, text, split and leakage group, and nested lists of "
            "its sentences, tokens, spans, relations and document labels (offsets index `text`).",
            documents,
            features_of(documents),
        ),
        (
            NER_CONFIG,
            T.NER.description,
            T.NER.schema,
            features_of(T.NER.schema, {"ner_tags": tag_names}),
        ),
    ]
    kb = kb_features()
    specs.append(
        (
            BIGBIO_CONFIG,
            "One row per article in BigBio's knowledge-base schema (`bigbio_kb`): the text as "
            "one passage, every span as an entity, every relation with arg1_id/arg2_id, from "
            "the layer the `ner` config uses.",
            arrow_schema(kb),
            kb,
        )
    )
    for definition in FLAT:
        if definition.name in names:
            specs.append(
                (
                    definition.name,
                    definition.description,
                    definition.schema,
                    features_of(definition.schema),
                )
            )
    return specs


def _check_names(names: Sequence[str]) -> None:
    known = [t.name for t in (T.DOCUMENTS, *FLAT)]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise PublishError(Errors.E706.format(tables=unknown, known=known), rule="publish_table")


def config_rows(
    tables: Mapping[str, pa.Table], assignment: pa.Table, tag_names: Sequence[str]
) -> tuple[dict[str, dict[str, pa.Table]], NerResult]:
    """Every config's rows per split for some documents (pure: no I/O).

    tables (Mapping[str, pa.Table]): Table name -> the rows of these documents (documents,
        sentences and tokens needed; the flat tables given are published).
    assignment (pa.Table): tables.SPLIT_ASSIGNMENT of at least these documents.
    tag_names (Sequence[str]): The ner config's BIO tag names (`ner_labels`).
    RETURNS (tuple[dict[str, dict[str, pa.Table]], NerResult]): Config -> split -> rows (only
        splits with rows), in publishing order, and the ner build's counts.
    """
    _check_names(list(tables))
    doc_ids = tables[T.DOCUMENTS.name].column("doc_id")
    mine = T.SPLIT_ASSIGNMENT.sorted(
        assignment.filter(pc.is_in(assignment.column("doc_id"), value_set=doc_ids))
    )
    out: dict[str, dict[str, pa.Table]] = {}
    documents = documents_config(tables, mine)
    out[DEFAULT_CONFIG] = split_rows(documents, mine, DEFAULT_CONFIG)
    ner = ner_config(tables, tag_names)
    out[NER_CONFIG] = split_rows(ner.table, mine, NER_CONFIG)
    out[BIGBIO_CONFIG] = bigbio_rows(out[DEFAULT_CONFIG])
    for definition in FLAT:
        if definition.name in tables:
            rows = _conform(definition, tables[definition.name], definition.name)
            out[definition.name] = split_rows(rows, mine, definition.name)
    return out, ner


def build_configs(
    tables: Mapping[str, pa.Table], assignment: pa.Table, scheme: SchemeLike
) -> tuple[list[ConfigData], dict[str, dict[str, pa.Table]], NerResult]:
    """Every config's rows and features for a corpus held in memory (pure: no I/O).

    tables (Mapping[str, pa.Table]): Table name -> table; documents, sentences, tokens needed.
    assignment (pa.Table): From splits.assign_splits on the same documents.
    scheme (SchemeLike): The annotation scheme (ClassLabel names).
    RETURNS (tuple[list[ConfigData], dict[str, dict[str, pa.Table]], NerResult]): Configs in
        publishing order, config -> split -> rows, and the ner build's counts.
    """
    rows, ner = config_rows(tables, assignment, ner_labels(scheme))
    configs = [
        ConfigData(
            name,
            description,
            features,
            schema,
            {split: t.num_rows for split, t in rows.get(name, {}).items()},
        )
        for name, description, schema, features in _config_specs(list(tables), scheme)
    ]
    return configs, rows, ner
