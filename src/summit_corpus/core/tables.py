"""The corpus's tables, defined once.

Every other view of a table derives from the `Table` objects here: the Arrow schema the
Parquet files are written with, the pandera schema that validates them (`validate/schemas.py`), the
Hugging Face features of the published configs (`core/features.py`) and the column lists in the
dataset card. A column added here is written, checked and published everywhere.

Offsets (`start`, `end`) are Python `str` indices into the document's `text`, end exclusive.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# `layer` values: which layer of annotation a row belongs to.
LAYER_PREDICTION = "prediction"  # the model layer (spaCy NER, quote rules)
LAYER_HUMAN = "human"  # one row per annotator's annotation, as typed in Label Studio
LAYER_ADJUDICATED = "adjudicated"  # the one human answer per document (see annotate/iaa.py)
LAYERS = (LAYER_PREDICTION, LAYER_HUMAN, LAYER_ADJUDICATED)

SPLITS = ("train", "validation", "test")

OFFSET = pa.int32()
# Milliseconds, the coarsest unit Parquet stores (values are whole seconds): a unit Parquet
# cannot keep would come back as another type and make every reader cast.
TIMESTAMP = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table and the value rules that hold for it.

    name (str): Column name.
    type (pa.DataType): Arrow type; the pandera dtype and the HF feature derive from it.
    description (str): What the column means; goes into the dataset card.
    nullable (bool): Whether a null is allowed. False wherever a null would be a bug.
    ge (int | None): Smallest allowed value, for integer columns.
    allowed (tuple[str, ...] | None): Fixed vocabulary of the column.
    vocabulary (str | None): Name of a vocabulary read from the annotation scheme at run time
        (e.g. "span_labels"); resolved by `validate/` and `publish/`.
    pattern (str | None): Regular expression every non-null value must match in full.
    """

    name: str
    type: pa.DataType
    description: str
    nullable: bool = False
    ge: int | None = None
    allowed: tuple[str, ...] | None = None
    vocabulary: str | None = None
    pattern: str | None = None

    def arrow_field(self) -> pa.Field:
        return pa.field(self.name, self.type, nullable=self.nullable)


@functools.cache
def _empty_table(definition: Table) -> pa.Table:
    return definition.schema.empty_table()


@dataclass(frozen=True, slots=True)
class Table:
    """A table of the corpus.

    name (str): Table name; also its folder under `corpus/data/`.
    description (str): One sentence for the dataset card.
    columns (tuple[Column, ...]): Columns in order.
    key (tuple[str, ...]): Columns whose values together identify a row (checked unique).
    sort_by (tuple[str, ...]): Order rows are written in, for deterministic files.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    sort_by: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> pa.Schema:
        """RETURNS (pa.Schema): The Arrow schema every Parquet file of the table is written with."""
        return pa.schema([c.arrow_field() for c in self.columns])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table '{self.name}' has no column '{name}'")

    def from_rows(self, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
        """Build a table from row dicts, typed and ordered by this definition.

        rows (Sequence[Mapping[str, Any]]): Rows with at least every column's key.
        RETURNS (pa.Table): The rows, cast to `self.schema` and sorted by `self.sort_by`.
        """
        table = pa.Table.from_pylist(list(rows), schema=self.schema)
        return self.sorted(table)

    def empty(self) -> pa.Table:
        """RETURNS (pa.Table): No rows, this schema (made once: Arrow takes ~0.5 ms to make one)."""
        return _empty_table(self)

    def sorted(self, table: pa.Table) -> pa.Table:
        """RETURNS (pa.Table): `table` in `sort_by` order (a stable sort; rows already in order
        come back as they are, without the copy a sort makes)."""
        if not self.sort_by or table.num_rows == 0 or is_sorted(table, self.sort_by):
            return table
        return table.sort_by([(c, "ascending") for c in self.sort_by])

    def conform(self, table: pa.Table) -> pa.Table:
        """Select and cast `table`'s columns to this definition (extra columns are an error)."""
        extra = set(table.column_names) - set(self.names)
        if extra:
            raise ValueError(f"table '{self.name}' has unknown columns {sorted(extra)!r}")
        return table.select(self.names).cast(self.schema)


def sorts_before(cur: pa.Table, prev: pa.Table, keys: Sequence[str]) -> np.ndarray[Any, Any]:
    """Per row, whether `cur`'s row sorts strictly before `prev`'s row in `keys` order, as
    Arrow sorts (ascending, nulls last).

    cur (pa.Table): Rows with the key columns.
    prev (pa.Table): As many rows, compared row by row.
    keys (Sequence[str]): The sort key, most significant first.
    RETURNS (np.ndarray): One bool per row.
    """
    less: pa.Array = pa.array(np.zeros(cur.num_rows, dtype=bool))
    equal: pa.Array = pa.array(np.ones(cur.num_rows, dtype=bool))
    for name in keys:
        c, p = cur.column(name), prev.column(name)
        lt = pc.fill_null(pc.less(c, p), False)
        eq = pc.fill_null(pc.equal(c, p), False)
        if c.null_count or p.null_count:  # nulls sort last
            cv, pv = pc.is_valid(c), pc.is_valid(p)
            lt = pc.or_(lt, pc.and_(cv, pc.invert(pv)))
            eq = pc.or_(eq, pc.and_(pc.invert(cv), pc.invert(pv)))
        less = pc.or_(less, pc.and_(equal, lt))
        equal = pc.and_(equal, eq)
    out: np.ndarray[Any, Any] = np.asarray(less.to_numpy(zero_copy_only=False), dtype=bool)
    return out


def is_sorted(table: pa.Table, keys: Sequence[str]) -> bool:
    """Whether `table`'s rows are in ascending order of `keys` (ties allowed).

    One linear pass of neighbour comparisons: most tables reach a sort already in order
    (staged rows, chunks of sorted files), and checking is much cheaper than sorting.
    A key column with nulls answers False (the sort decides where nulls go).
    """
    if table.num_rows < 2:
        return True
    if any(table.column(key).null_count for key in keys):
        return False
    rows = table.select(list(keys))
    later, earlier = rows.slice(1), rows.slice(0, table.num_rows - 1)
    return not sorts_before(later, earlier, keys).any()


def _c(name: str, type_: pa.DataType, description: str, **rules: Any) -> Column:
    return Column(name, type_, description, **rules)


DOC_ID = _c(
    "doc_id",
    pa.string(),
    "Stable document id: the raw file's path under seeds/ without its extension.",
    pattern=r"[A-Za-z0-9_.\-/]+",
)
SHA256 = r"[0-9a-f]{64}"

REMOVED_LINE = pa.struct(
    [
        pa.field("line_no", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("newline", pa.string(), nullable=False),
    ]
)
UPDATE_SECTION = pa.struct(
    [
        pa.field("timestamp", pa.string(), nullable=True),
        pa.field("start", OFFSET, nullable=False),
        pa.field("end", OFFSET, nullable=False),
        pa.field("heading", pa.string(), nullable=True),
    ]
)

DOCUMENTS = Table(
    name="documents",
    description="One row per raw article: clean body text, the metadata the text states, "
    "provenance, and every line removed from the raw file.",
    key=("doc_id",),
    sort_by=("doc_id",),
    columns=(
        DOC_ID,
        _c("source_file", pa.string(), "Raw file's path relative to the seeds folder."),
        _c("source_sha256", pa.string(), "SHA-256 of the raw file's bytes.", pattern=SHA256),
        _c("text_sha256", pa.string(), "SHA-256 of `text` encoded as UTF-8.", pattern=SHA256),
        _c("text", pa.string(), "Clean body text; every offset in the corpus indexes it."),
        _c("title", pa.string(), "Headline, when the raw file states one.", nullable=True),
        _c(
            "standfirst",
            pa.string(),
            "Standfirst (summary under the headline), when stated.",
            nullable=True,
        ),
        _c("published_at", TIMESTAMP, "Publication time as stated, in UTC.", nullable=True),
        _c(
            "published_at_local",
            pa.string(),
            "Publication time as stated, ISO 8601 with the stated UTC offset.",
            nullable=True,
        ),
        _c("updated_at", TIMESTAMP, "Last update time as stated, in UTC.", nullable=True),
        _c(
            "updated_at_local",
            pa.string(),
            "Last update time as stated, ISO 8601 with the stated UTC offset.",
            nullable=True,
        ),
        _c("byline", pa.list_(pa.string()), "Authors named by the byline (empty if none)."),
        _c(
            "credits",
            pa.list_(pa.string()),
            "Agencies credited ('With reporting by ...'), empty if none.",
        ),
        _c(
            "updates",
            pa.list_(UPDATE_SECTION),
            "Dated update sections: ISO 8601 date as stated (no time is invented) and the "
            "section's offsets in `text`.",
        ),
        _c(
            "removed_lines",
            pa.list_(REMOVED_LINE),
            "Raw lines kept out of `text`: 1-based line number, the line without its "
            "terminator, the reason, and the terminator that followed it.",
        ),
        _c(
            "final_newline",
            pa.string(),
            "Line terminator that followed the last line kept in `text` ('' if none); "
            "with `removed_lines` it rebuilds the raw file.",
        ),
        _c("has_bom", pa.bool_(), "Whether the raw file began with a UTF-8 byte order mark."),
    ),
)

SENTENCES = Table(
    name="sentences",
    description="Sentences from spaCy's parser, as offsets into the document text.",
    key=("doc_id", "sentence_id"),
    sort_by=("doc_id", "sentence_id"),
    columns=(
        DOC_ID,
        _c("sentence_id", pa.int32(), "0-based sentence index within the document.", ge=0),
        _c("start", OFFSET, "Offset of the sentence's first character.", ge=0),
        _c("end", OFFSET, "Offset after the sentence's last character.", ge=1),
        _c("text", pa.string(), "The sentence: text[start:end]."),
    ),
)

TOKENS = Table(
    name="tokens",
    description="Tokens from spaCy's English pipeline (whitespace-only tokens are folded "
    "into the preceding token's `whitespace`).",
    key=("doc_id", "token_id"),
    sort_by=("doc_id", "token_id"),
    columns=(
        DOC_ID,
        _c("token_id", pa.int32(), "0-based token index within the document.", ge=0),
        _c("sentence_id", pa.int32(), "Sentence the token belongs to.", ge=0),
        _c("start", OFFSET, "Offset of the token's first character.", ge=0),
        _c("end", OFFSET, "Offset after the token's last character.", ge=1),
        _c("text", pa.string(), "The token: text[start:end]."),
        _c("lemma", pa.string(), "spaCy lemma."),
        _c("pos", pa.string(), "Universal POS tag."),
        _c("tag", pa.string(), "Fine-grained (Penn Treebank) tag."),
        _c("dep", pa.string(), "Dependency label."),
        _c(
            "head_token_id",
            pa.int32(),
            "token_id of the syntactic head (itself at the root).",
            ge=0,
        ),
        _c(
            "whitespace",
            pa.string(),
            "Text between this token and the next one (or the end of the text).",
        ),
    ),
)

_PROVENANCE = (
    _c("layer", pa.string(), "Annotation layer the row belongs to.", allowed=LAYERS),
    _c(
        "source",
        pa.string(),
        "Who made the row: model name and version, rule name, or 'label-studio'.",
    ),
    _c("score", pa.float64(), "Model confidence, where the model has one.", nullable=True),
    _c("annotator", pa.string(), "Pseudonymous annotator id (human layers).", nullable=True),
    _c(
        "annotation_id",
        pa.string(),
        "Annotation the row came from (human layers): its server-independent name, ann-<16 hex>.",
        nullable=True,
    ),
)

SPANS = Table(
    name="spans",
    description="Labelled character spans: entities, events, dates and quotations.",
    key=("doc_id", "span_id"),
    sort_by=("doc_id", "layer", "start", "end", "span_id"),
    columns=(
        DOC_ID,
        _c("span_id", pa.string(), "Span id, unique within the document."),
        _c("start", OFFSET, "Offset of the span's first character.", ge=0),
        _c("end", OFFSET, "Offset after the span's last character.", ge=1),
        _c("text", pa.string(), "The span: text[start:end]."),
        _c(
            "label", pa.string(), "Span label from the annotation scheme.", vocabulary="span_labels"
        ),
        *_PROVENANCE,
    ),
)

RELATIONS = Table(
    name="relations",
    description="Directed, labelled relations between two spans of the same document and layer.",
    key=("doc_id", "relation_id"),
    sort_by=("doc_id", "layer", "relation_id"),
    columns=(
        DOC_ID,
        _c("relation_id", pa.string(), "Relation id, unique within the document."),
        _c("head_span_id", pa.string(), "span_id of the relation's head (from)."),
        _c("tail_span_id", pa.string(), "span_id of the relation's tail (to)."),
        _c(
            "label",
            pa.string(),
            "Relation label from the annotation scheme.",
            vocabulary="relation_labels",
        ),
        *_PROVENANCE,
    ),
)

DOCUMENT_LABELS = Table(
    name="document_labels",
    description="Document-level labels (single and multiple choice), one row per chosen value.",
    key=("doc_id", "layer", "name", "value", "annotation_id"),
    sort_by=("doc_id", "layer", "name", "value", "annotation_id"),
    columns=(
        DOC_ID,
        _c(
            "name",
            pa.string(),
            "Label set name from the scheme.",
            vocabulary="document_label_names",
        ),
        _c("value", pa.string(), "Chosen value.", vocabulary="document_label_values"),
        *_PROVENANCE,
    ),
)

ANNOTATIONS = Table(
    name="annotations",
    description="One row per Label Studio annotation (including skipped ones): who, when, "
    "how long, and its flags.",
    key=("doc_id", "annotation_id"),
    sort_by=("doc_id", "annotation_id"),
    columns=(
        DOC_ID,
        _c(
            "annotation_id",
            pa.string(),
            "Server-independent annotation name, ann-<16 hex>: a hash of document, annotator "
            "and creation time, or the import_id the corpus gave it when pushing it.",
        ),
        _c("task_id", pa.int64(), "Label Studio task id."),
        _c(
            "text_sha256",
            pa.string(),
            "SHA-256 of the text the task was made from.",
            pattern=SHA256,
        ),
        _c("annotator", pa.string(), "Pseudonymous annotator id.", nullable=True),
        _c("was_cancelled", pa.bool_(), "Whether the annotator skipped the task."),
        _c("ground_truth", pa.bool_(), "Whether the annotation is marked as ground truth."),
        _c("lead_time", pa.float64(), "Seconds the annotator spent.", nullable=True),
        _c("created_at", TIMESTAMP, "When the annotation was created (UTC).", nullable=True),
        _c("updated_at", TIMESTAMP, "When the annotation was last updated (UTC).", nullable=True),
        _c("stale", pa.bool_(), "Whether the document text changed since the task was made."),
    ),
)

ANNOTATION_NOTES = Table(
    name="annotation_notes",
    description="Everything typed in Label Studio that is not a span, relation or choice: "
    "free-text notes and results the converter does not know, kept as raw JSON.",
    key=("doc_id", "annotation_id", "result_index"),
    sort_by=("doc_id", "annotation_id", "result_index"),
    columns=(
        DOC_ID,
        _c(
            "annotation_id",
            pa.string(),
            "Server-independent annotation name, ann-<16 hex>: a hash of document, annotator "
            "and creation time, or the import_id the corpus gave it when pushing it.",
        ),
        _c("result_index", pa.int32(), "Position of the result in the annotation.", ge=0),
        _c(
            "kind",
            pa.string(),
            "Why it is here.",
            allowed=("note", "unmapped", "mismatch", "stale"),
        ),
        _c("from_name", pa.string(), "Label Studio control name.", nullable=True),
        _c("text", pa.string(), "The note's text, for free-text notes.", nullable=True),
        _c("raw_json", pa.string(), "The result exactly as exported, as JSON."),
        _c("annotator", pa.string(), "Pseudonymous annotator id.", nullable=True),
    ),
)

SPLIT_ASSIGNMENT = Table(
    name="split_assignment",
    description="Each document's split and leakage group (made by splits.py, published as "
    "columns of the documents config).",
    key=("doc_id",),
    sort_by=("doc_id",),
    columns=(
        DOC_ID,
        _c("split", pa.string(), "Split the document is published in.", allowed=SPLITS),
        _c(
            "group_id",
            pa.string(),
            "Leakage group: doc_id of the group's anchor (its smallest doc_id). Near-duplicates "
            "and articles reporting the same story share a group and a split.",
        ),
        _c("group_size", pa.int32(), "Documents in the group.", ge=1),
        _c(
            "story_key",
            pa.string(),
            "Dated event the lead states, 'YYYY-MM-DD/<event>', null when it states none.",
            nullable=True,
        ),
        _c(
            "near_duplicate_of",
            pa.string(),
            "Smallest doc_id sorting before this one that this text near-duplicates.",
            nullable=True,
        ),
        _c(
            "near_duplicate_jaccard",
            pa.float64(),
            "Word-shingle Jaccard similarity with `near_duplicate_of`.",
            nullable=True,
        ),
        _c(
            "grouped_by",
            pa.list_(pa.string()),
            "Rules that linked this document to others of its group: 'near_duplicate', "
            "'story_key', 'same_story' (a reader's link in schemas/splits.yaml); empty if alone.",
        ),
    ),
)

NER = Table(
    name="ner",
    description="One row per sentence: tokens and BIO entity tags, the shape CoNLL-2003 "
    "users expect (made by publish.py from tokens and spans).",
    key=("doc_id", "sentence_id"),
    sort_by=("doc_id", "sentence_id"),
    columns=(
        _c("id", pa.string(), "Sentence id: '<doc_id>/<sentence_id>'."),
        DOC_ID,
        _c("sentence_id", pa.int32(), "0-based sentence index within the document.", ge=0),
        _c("tokens", pa.list_(pa.string()), "The sentence's tokens, in order."),
        _c(
            "whitespace",
            pa.list_(pa.string()),
            "The text after each token up to the next token (after the sentence's last token: "
            "up to the next sentence), so ''.join(t + w) over a document's sentences rebuilds "
            "its text; spaCy's `spaces` is `w.startswith(' ')`, the rest a whitespace token.",
        ),
        _c(
            "ner_tags",
            pa.list_(pa.int64()),
            "BIO tag of each token (a ClassLabel over the scheme's entity labels).",
            vocabulary="ner_tags",
        ),
        _c(
            "layer",
            pa.string(),
            "Annotation layer the tags come from: 'adjudicated' where the document has one, "
            "else 'prediction'.",
            allowed=LAYERS,
        ),
    ),
)

# Internal: made by the per-article stage, staged and cached with the article's rows, read by
# the split assignment; never published (it is not in ALL_TABLES).
FINGERPRINTS = Table(
    name="fingerprints",
    description="Each article's near-duplicate fingerprint (splits.py), computed where the "
    "article is parsed so that a rebuild reuses it from the cache.",
    key=("doc_id",),
    sort_by=("doc_id",),
    columns=(
        DOC_ID,
        _c(
            "shingle_hashes",
            pa.list_(pa.uint64()),
            "Sorted distinct 64-bit hashes of the text's word shingles.",
        ),
        _c(
            "band_values",
            pa.list_(pa.uint64()),
            "The MinHash values the LSH bands compare, in band order.",
        ),
    ),
)

# Made by the per-article stage (the model layer's predictions it could not make valid),
# staged and cached with the article's rows; published as one file beside the data
# (layout.DROPPED_PREDICTIONS), not as a config, and counted by the build and the datasheet.
DROPPED_PREDICTIONS = Table(
    name="dropped_predictions",
    description="Predictions of the model layer that were dropped, each with the reason.",
    key=("doc_id", "kind", "start", "end", "label", "source"),
    sort_by=("doc_id", "kind", "start", "end", "label", "source"),
    columns=(
        DOC_ID,
        _c(
            "kind",
            pa.string(),
            "What was dropped: a 'span' or a 'relation'.",
            allowed=("span", "relation"),
        ),
        _c("label", pa.string(), "The prediction's label."),
        _c("start", OFFSET, "The span's start as predicted (a relation: its head's).", ge=0),
        _c("end", OFFSET, "The span's end as predicted (a relation: its tail's).", ge=0),
        _c("text", pa.string(), "text[start:end] of the document."),
        _c("source", pa.string(), "Model name and version, or rule name, that predicted it."),
        _c("reason", pa.string(), "Why it was dropped (snake_case)."),
    ),
)

CORE_TABLES: tuple[Table, ...] = (DOCUMENTS, SENTENCES, TOKENS)
ANNOTATION_TABLES: tuple[Table, ...] = (SPANS, RELATIONS, DOCUMENT_LABELS)
HUMAN_TABLES: tuple[Table, ...] = (ANNOTATIONS, ANNOTATION_NOTES)
ALL_TABLES: tuple[Table, ...] = CORE_TABLES + ANNOTATION_TABLES + HUMAN_TABLES
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}


def table(name: str) -> Table:
    """RETURNS (Table): The table called `name`."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no table '{name}' (tables: {sorted(TABLES_BY_NAME)})") from None


def concat(definition: Table, parts: Iterable[pa.Table]) -> pa.Table:
    """Concatenate parts of one table, sorted by its definition (empty parts allowed)."""
    parts = [p for p in parts if p.num_rows]
    if not parts:
        return definition.empty()
    return definition.sorted(pa.concat_tables(parts).cast(definition.schema))
