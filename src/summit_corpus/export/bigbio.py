"""The `bigbio_kb` config: the corpus in BigBio's knowledge-base schema.

BigBio (BigScience Biomedical) harmonises information-extraction corpora into one schema,
`bigbio_kb`, that its tooling and many training scripts read. One example per document:

- `id`, `document_id`: the example id (the doc_id; '<doc_id>@<annotation_id>' for a human
  annotation) and the doc_id;
- `passages`: one passage of type 'text', the whole document text, `offsets` [[0, len]];
- `entities`: every span (QUOTE included), `type` its label, `text` and `offsets` as
  one-element lists (`[[start, end]]`: our spans are contiguous), `normalized` empty
  (the corpus links no knowledge base);
- `relations`: every relation, `arg1_id` its head span and `arg2_id` its tail;
- `events` and `coreferences`: empty (the scheme has neither: EVENTs are entities, and
  speakers are linked to the nearest named mention instead of a coreference chain).

Every id (example, passage, entity, relation) is unique across the whole dataset, as BigBio
requires: sub-ids are '<example id>/<span_id>' and so on. Offsets index the passage text,
which is the document text. Document labels are not part of the KB schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import features, io
from summit_corpus.core import tables as T
from summit_corpus.export.documents import (
    Annotations,
    ExportDocument,
    Relation,
    Span,
    annotations_of,
)

CONFIG = "bigbio_kb"
# The documents config's columns an example is made from: no tokens, which the schema lacks
# and which are most of what reading a documents row into Python costs.
DOCUMENT_COLUMNS = ("doc_id", "split", "text", "spans", "relations", "document_labels")
PASSAGE_TYPE = "text"
# What each column holds, for the dataset card.
FIELD_DESCRIPTIONS = {
    "id": "Example id: the doc_id (unique across the dataset, as every id here).",
    "document_id": "The doc_id.",
    "passages": "One passage of type 'text': the document text, `offsets` [[0, len(text)]].",
    "entities": "Every span (QUOTE included): `id` '<doc_id>/<span_id>', `type` its label, "
    "`text` [surface], `offsets` [[start, end]] into the passage text, `normalized` empty.",
    "events": "Empty: the scheme's EVENTs are entities, linked by relations.",
    "coreferences": "Empty: speakers link to the nearest named mention instead.",
    "relations": "Every relation: `type` its label, `arg1_id` the head entity's id, `arg2_id` "
    "the tail's, `normalized` empty.",
}


def kb_features() -> features.Features:
    """RETURNS (features.Features): BigBio's `kb_features`, field for field (as `datasets`
    writes them: its `Sequence` of a value is a `List`)."""
    string = features.value("string")
    strings = features.list_of(string)
    offsets = features.list_of(features.list_of(features.value("int32")))
    normalized = features.list_of({"db_name": string, "db_id": string})
    return {
        "id": string,
        "document_id": string,
        "passages": features.list_of(
            {"id": string, "type": string, "text": strings, "offsets": offsets}
        ),
        "entities": features.list_of(
            {
                "id": string,
                "type": string,
                "text": strings,
                "offsets": offsets,
                "normalized": normalized,
            }
        ),
        "events": features.list_of(
            {
                "id": string,
                "type": string,
                "trigger": {"text": strings, "offsets": offsets},
                "arguments": features.list_of({"role": string, "ref_id": string}),
            }
        ),
        "coreferences": features.list_of({"id": string, "entity_ids": strings}),
        "relations": features.list_of(
            {
                "id": string,
                "type": string,
                "arg1_id": string,
                "arg2_id": string,
                "normalized": normalized,
            }
        ),
    }


def kb_schema() -> pa.Schema:
    """RETURNS (pa.Schema): The Arrow schema of `kb_features` (features in its metadata, so
    `datasets` reads them from the file)."""
    return features.arrow_schema(kb_features())


def to_example(document: ExportDocument) -> dict[str, Any]:
    """RETURNS (dict[str, Any]): The `bigbio_kb` example of one document."""
    prefix = document.id
    return {
        "id": prefix,
        "document_id": document.doc_id,
        "passages": [
            {
                "id": f"{prefix}/passage",
                "type": PASSAGE_TYPE,
                "text": [document.text],
                "offsets": [[0, len(document.text)]],
            }
        ],
        "entities": [
            {
                "id": f"{prefix}/{span.span_id}",
                "type": span.label,
                "text": [span.text],
                "offsets": [[span.start, span.end]],
                "normalized": [],
            }
            for span in document.spans
        ],
        "events": [],
        "coreferences": [],
        "relations": [
            {
                "id": f"{prefix}/{relation.relation_id}",
                "type": relation.label,
                "arg1_id": f"{prefix}/{relation.head}",
                "arg2_id": f"{prefix}/{relation.tail}",
                "normalized": [],
            }
            for relation in document.relations
        ],
    }


def kb_table(documents: Iterable[ExportDocument]) -> pa.Table:
    """RETURNS (pa.Table): One `bigbio_kb` row per document, with the features' Arrow schema
    (features in its metadata, so `datasets` reads them from the file)."""
    schema = kb_schema()
    return pa.Table.from_pylist([to_example(d) for d in documents], schema=schema)


def kb_table_of_rows(rows: pa.Table) -> pa.Table:
    """The `bigbio_kb` examples of documents config rows, made column-wise in Arrow.

    The same table as `kb_table` of `documents_of_row(row, LAYER_BEST)` for every row (a test
    holds the two equal), without a Python object per span: publishing and validating the
    config build it for every document of the corpus.

    rows (pa.Table): Documents config rows with at least `DOCUMENT_COLUMNS`.
    RETURNS (pa.Table): One example per row, in the rows' order, with the features' schema.
    """
    schema = kb_schema()
    doc_ids = rows.column("doc_id").combine_chunks()
    texts = rows.column("text").combine_chunks()
    n = len(doc_ids)
    chosen = _best_layers(rows)
    passage = pa.StructArray.from_arrays(
        [
            pc.binary_join_element_wise(doc_ids, "passage", "/"),
            pa.array([PASSAGE_TYPE] * n, pa.string()),
            _singletons(texts),
            _singletons(_pairs(pa.array(np.zeros(n, np.int32)), pc.utf8_length(texts))),
        ],
        fields=list(schema.field("passages").type.value_type),
    )
    columns = {
        "id": doc_ids,
        "document_id": doc_ids,
        "passages": pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), passage),
        "entities": _entities(rows, doc_ids, chosen, schema),
        "events": _empty_lists(schema.field("events").type, n),
        "coreferences": _empty_lists(schema.field("coreferences").type, n),
        "relations": _relations(rows, doc_ids, chosen, schema),
    }
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _best_layers(rows: pa.Table) -> pa.Array:
    """RETURNS (pa.Array): Per row, 'adjudicated' when a span or document label of the row is,
    else 'prediction' (`documents_of_row`'s choice for LAYER_BEST)."""
    adjudicated = np.zeros(rows.num_rows, dtype=bool)
    for column in ("spans", "document_labels"):
        lists = rows.column(column).combine_chunks()
        layers = pc.struct_field(pc.list_flatten(lists), "layer")
        parents = pc.list_parent_indices(lists).to_numpy()
        hits = pc.equal(layers, T.LAYER_ADJUDICATED).to_numpy(zero_copy_only=False)
        adjudicated[parents[hits]] = True
    return pa.array(np.where(adjudicated, T.LAYER_ADJUDICATED, T.LAYER_PREDICTION))


def _items(
    rows: pa.Table, column: str, chosen: pa.Array, keys: Sequence[str]
) -> tuple[dict[str, pa.Array], npt.NDArray[np.int64]]:
    """The column's items of each row's chosen layer, sorted by row then `keys`.

    RETURNS (tuple[dict[str, pa.Array], NDArray]): The items' fields by name (and `_row`, the
        row index) and the list offsets that put them back into one list per row.
    """
    lists = rows.column(column).combine_chunks()
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    items = pa.Table.from_arrays(
        [*(pc.struct_field(flat, f.name) for f in flat.type), parents],
        names=[*(f.name for f in flat.type), "_row"],
    )
    items = items.filter(pc.equal(items.column("layer"), pc.take(chosen, parents)))
    order = [("_row", "ascending"), *((k, "ascending") for k in keys)]
    items = items.take(pc.sort_indices(items, sort_keys=order))
    counts = np.bincount(items.column("_row").to_numpy(), minlength=rows.num_rows)
    fields = {name: items.column(name).combine_chunks() for name in items.column_names}
    return fields, np.concatenate([[0], np.cumsum(counts)])


def _entities(rows: pa.Table, doc_ids: pa.Array, chosen: pa.Array, schema: pa.Schema) -> pa.Array:
    spans, offsets = _items(rows, "spans", chosen, ("start", "end", "label", "span_id"))
    prefix = pc.take(doc_ids, spans["_row"])
    entity = pa.StructArray.from_arrays(
        [
            pc.binary_join_element_wise(prefix, spans["span_id"], "/"),
            spans["label"],
            _singletons(spans["text"]),
            _singletons(_pairs(spans["start"], spans["end"])),
            _empty_lists(_NORMALIZED, len(spans["_row"])),
        ],
        fields=list(schema.field("entities").type.value_type),
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), entity)


def _relations(rows: pa.Table, doc_ids: pa.Array, chosen: pa.Array, schema: pa.Schema) -> pa.Array:
    relations, offsets = _items(rows, "relations", chosen, ("relation_id",))
    prefix = pc.take(doc_ids, relations["_row"])

    def ident(column: str) -> pa.Array:
        return pc.binary_join_element_wise(prefix, relations[column], "/")

    relation = pa.StructArray.from_arrays(
        [
            ident("relation_id"),
            relations["label"],
            ident("head_span_id"),
            ident("tail_span_id"),
            _empty_lists(_NORMALIZED, len(relations["_row"])),
        ],
        fields=list(schema.field("relations").type.value_type),
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), relation)


_NORMALIZED = pa.list_(pa.struct([("db_name", pa.string()), ("db_id", pa.string())]))


def _singletons(values: Any) -> pa.Array:
    """RETURNS (pa.Array): Each value as a one-element list."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pa.ListArray.from_arrays(pa.array(np.arange(len(values) + 1, dtype=np.int32)), values)


def _pairs(starts: Any, ends: Any) -> pa.Array:
    """RETURNS (pa.Array): [start, end] int32 lists, one per position."""
    start = pc.cast(starts, pa.int32()).to_numpy()
    end = pc.cast(ends, pa.int32()).to_numpy()
    values = np.empty(2 * len(start), dtype=np.int32)
    values[0::2], values[1::2] = start, end
    return pa.ListArray.from_arrays(
        pa.array(np.arange(0, 2 * len(start) + 1, 2, dtype=np.int32)), pa.array(values)
    )


def _empty_lists(list_type: pa.DataType, n: int) -> pa.Array:
    """RETURNS (pa.Array): n empty lists of the type (never null: the examples have [])."""
    return pa.ListArray.from_arrays(
        pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], list_type.value_type)
    )


def write_kb(path: Path, documents: Iterable[ExportDocument]) -> int:
    """Write documents as one `bigbio_kb` Parquet file.

    path (Path): The file to write.
    documents (Iterable[ExportDocument]): The documents, in order.
    RETURNS (int): Examples written.
    """
    table = kb_table(documents)
    io.write_parquet(path, table)
    return int(table.num_rows)


def annotations_of_example(example: dict[str, Any]) -> Annotations:
    """Read one example's spans and relations back (it has no document labels).

    example (dict[str, Any]): A `bigbio_kb` row.
    RETURNS (Annotations): Spans from the entities, relations from arg1_id/arg2_id.
    """
    text = "".join(example["passages"][0]["text"])
    spans = []
    for entity in example["entities"]:
        (start, end), *_ = entity["offsets"]
        spans.append(Span(entity["id"], start, end, entity["type"], text[start:end]))
    relations = [
        Relation(r["id"], r["arg1_id"], r["arg2_id"], r["type"]) for r in example["relations"]
    ]
    return annotations_of(spans, relations, [])


def check_examples(examples: Sequence[dict[str, Any]]) -> list[str]:
    """The consistency checks BigBio's test suite runs on a `bigbio_kb` dataset.

    Every id is unique across the dataset; each passage's text fits its offsets; each
    entity's offsets fall in one passage and slice exactly its `text`; each relation's and
    coreference's arguments are ids of the example's entities (or events).
    examples (Sequence[dict[str, Any]]): The examples (every split).
    RETURNS (list[str]): One line per problem; empty when the dataset passes.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for example in examples:
        parts = ("passages", "entities", "events", "coreferences", "relations")
        ids = [example["id"], *(item["id"] for part in parts for item in example[part])]
        for ident in ids:
            if ident in seen:
                problems.append(f"{example['id']}: id {ident!r} is not unique")
            seen.add(ident)
        passages = []
        for passage in example["passages"]:
            for (start, end), text in zip(passage["offsets"], passage["text"], strict=True):
                if end - start != len(text):
                    problems.append(f"{passage['id']}: offsets [{start}, {end}) != text length")
                passages.append((start, end, text))
        for entity in example["entities"]:
            if len(entity["offsets"]) != len(entity["text"]):
                problems.append(f"{entity['id']}: offsets and text differ in length")
            for (start, end), text in zip(entity["offsets"], entity["text"], strict=False):
                home = [p for p in passages if p[0] <= start and end <= p[1]]
                if not home or home[0][2][start - home[0][0] : end - home[0][0]] != text:
                    problems.append(f"{entity['id']}: text {text!r} is not at [{start}, {end})")
        targets = {e["id"] for e in example["entities"]} | {e["id"] for e in example["events"]}
        for relation in example["relations"]:
            for arg in (relation["arg1_id"], relation["arg2_id"]):
                if arg not in targets:
                    problems.append(f"{relation['id']}: argument {arg!r} is no entity or event")
        for chain in example["coreferences"]:
            problems += [
                f"{chain['id']}: {ref!r} is no entity"
                for ref in chain["entity_ids"]
                if ref not in targets
            ]
    return problems
