"""The documents every export writes: one layer of annotation on one text.

An export reads the published `documents` config (one row per article with its sentences,
tokens, spans, relations and document labels nested) a row group at a time and turns each
row into `ExportDocument`s of the chosen layer. The format writers (spaCy, CoNLL, BRAT,
BigBio) take these values and nothing else, and each format's reader gives them back, so the
round-trip tests compare like with like.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import Errors, ExportError
from summit_corpus.core.io import open_parquet

# "best": the layer the `ner` config uses, per document (adjudicated where it has one, else the
# model layer); the other three choose one layer for every document.
LAYER_BEST = "best"
LAYER_CHOICES = (LAYER_BEST, *T.LAYERS)
# Spans of this label are quotations, not entities: no BIO tag, their own spaCy span group.
QUOTE = "QUOTE"
SPEAKER = "speaker"
# Separates doc_id and annotation_id in the id of a human-layer document (one per annotation).
ANNOTATION_SEP = "@"


@dataclass(frozen=True, slots=True)
class Token:
    """A token: offsets into the text, the whitespace after it, its sentence and tags."""

    start: int
    end: int
    text: str
    whitespace: str
    sentence_id: int
    tag: str
    pos: str
    lemma: str


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled span: `text == document.text[start:end]`."""

    span_id: str
    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Relation:
    """A directed relation from span `head` to span `tail` (span ids)."""

    relation_id: str
    head: str
    tail: str
    label: str


@dataclass(frozen=True, slots=True)
class DocumentLabel:
    """A document-level label: one chosen value of one label set."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class ExportDocument:
    """One layer of annotation on one document, as every export writes it.

    id (str): Unique id: the doc_id, or '<doc_id>@<annotation_id>' for a human annotation.
    doc_id (str): The document.
    split (str): Split the document is published in.
    layer (str): The annotation layer the spans, relations and labels come from.
    text (str): The document text; every offset indexes it.
    tokens (tuple[Token, ...]): Tokens in order.
    spans (tuple[Span, ...]): Spans, sorted by (start, end, label, span_id).
    relations (tuple[Relation, ...]): Relations, sorted by relation_id.
    labels (tuple[DocumentLabel, ...]): Document labels, sorted.
    """

    id: str
    doc_id: str
    split: str
    layer: str
    text: str
    tokens: tuple[Token, ...]
    spans: tuple[Span, ...]
    relations: tuple[Relation, ...]
    labels: tuple[DocumentLabel, ...]

    @property
    def entities(self) -> tuple[Span, ...]:
        """RETURNS (tuple[Span, ...]): The spans that are not quotations."""
        return tuple(s for s in self.spans if s.label != QUOTE)

    @property
    def quotes(self) -> tuple[Span, ...]:
        """RETURNS (tuple[Span, ...]): The quotation spans."""
        return tuple(s for s in self.spans if s.label == QUOTE)

    def sentences(self) -> list[list[int]]:
        """RETURNS (list[list[int]]): Token indices of each sentence, in order."""
        out: list[list[int]] = []
        previous: int | None = None
        for i, token in enumerate(self.tokens):
            if token.sentence_id != previous:
                out.append([])
                previous = token.sentence_id
            out[-1].append(i)
        return out

    def token_ranges(self, spans: Sequence[Span]) -> list[tuple[int, int]]:
        """RETURNS (list[tuple[int, int]]): Per span, [first, end) indices of the tokens it
        overlaps (first == end when it overlaps none)."""
        starts = [t.start for t in self.tokens]
        ends = [t.end for t in self.tokens]
        out = []
        for span in spans:
            lo = bisect.bisect_right(ends, span.start)
            hi = max(lo, bisect.bisect_left(starts, span.end))
            out.append((lo, hi))
        return out

    def tagged_entities(self) -> list[tuple[Span, int, int]]:
        """The entity spans a BIO tagging (and spaCy's `doc.ents`) can hold, as `ner` picks them.

        Longest span first (then earliest, then by label); a span touching a token an
        accepted span took is left out, as is one that covers no token.
        RETURNS (list[tuple[Span, int, int]]): (span, first token, end token), by position.
        """
        ranked = sorted(self.entities, key=lambda s: (-(s.end - s.start), s.start, s.label))
        taken = [False] * len(self.tokens)
        chosen: list[tuple[Span, int, int]] = []
        for span, (lo, hi) in zip(ranked, self.token_ranges(ranked), strict=True):
            if hi <= lo or any(taken[lo:hi]):
                continue
            taken[lo:hi] = [True] * (hi - lo)
            chosen.append((span, lo, hi))
        return sorted(chosen, key=lambda item: item[1])


@dataclass(frozen=True, slots=True)
class Annotations:
    """What an export must give back: spans, relations and labels, by offsets not ids.

    spans (frozenset): (start, end, label) of every span.
    relations (frozenset): ((head start, end, label), (tail start, end, label), label).
    labels (frozenset): (name, value) document labels.
    """

    spans: frozenset[tuple[int, int, str]]
    relations: frozenset[tuple[tuple[int, int, str], tuple[int, int, str], str]]
    labels: frozenset[tuple[str, str]]


def annotations_of(
    spans: Iterable[Span], relations: Iterable[Relation], labels: Iterable[DocumentLabel]
) -> Annotations:
    """Compare-by-value form of one document's annotations (ids differ between formats).

    spans (Iterable[Span]): The spans.
    relations (Iterable[Relation]): Relations between them, by span id.
    labels (Iterable[DocumentLabel]): Document labels.
    RETURNS (Annotations): The same content keyed by offsets and labels.
    """
    span_list = list(spans)
    by_id = {s.span_id: (s.start, s.end, s.label) for s in span_list}
    return Annotations(
        spans=frozenset(by_id[s.span_id] for s in span_list),
        relations=frozenset((by_id[r.head], by_id[r.tail], r.label) for r in relations),
        labels=frozenset((label.name, label.value) for label in labels),
    )


def _layer_of(row: Mapping[str, Any], layer: str) -> str:
    if layer != LAYER_BEST:
        return layer
    rows = [*row["spans"], *row["document_labels"]]
    has = any(r["layer"] == T.LAYER_ADJUDICATED for r in rows)
    return T.LAYER_ADJUDICATED if has else T.LAYER_PREDICTION


def _tokens(row: Mapping[str, Any]) -> tuple[Token, ...]:
    # A row read without its tokens (BigBio's schema has none) makes a document without them:
    # turning every token into Python objects is most of what reading a row costs.
    ordered = sorted(row.get("tokens") or (), key=lambda t: t["token_id"])
    return tuple(
        Token(
            t["start"],
            t["end"],
            t["text"],
            t["whitespace"],
            t["sentence_id"],
            t["tag"],
            t["pos"],
            t["lemma"],
        )
        for t in ordered
    )


def _document(
    row: Mapping[str, Any], layer: str, example_id: str, annotation: str | None
) -> ExportDocument:
    def mine(r: Mapping[str, Any]) -> bool:
        return bool(
            r["layer"] == layer and (annotation is None or r["annotation_id"] == annotation)
        )

    spans = sorted(
        (
            Span(s["span_id"], s["start"], s["end"], s["label"], s["text"])
            for s in row["spans"]
            if mine(s)
        ),
        key=lambda s: (s.start, s.end, s.label, s.span_id),
    )
    relations = sorted(
        (
            Relation(r["relation_id"], r["head_span_id"], r["tail_span_id"], r["label"])
            for r in row["relations"]
            if mine(r)
        ),
        key=lambda r: r.relation_id,
    )
    labels = sorted(
        {DocumentLabel(d["name"], d["value"]) for d in row["document_labels"] if mine(d)},
        key=lambda d: (d.name, d.value),
    )
    return ExportDocument(
        id=example_id,
        doc_id=row["doc_id"],
        split=row["split"],
        layer=layer,
        text=row["text"],
        tokens=_tokens(row),
        spans=tuple(spans),
        relations=tuple(relations),
        labels=tuple(labels),
    )


def documents_of_row(row: Mapping[str, Any], layer: str = LAYER_BEST) -> list[ExportDocument]:
    """The export documents of one `documents` config row.

    row (Mapping[str, Any]): A row of the documents config (nested spans, relations, ...).
    layer (str): 'best', 'prediction', 'human' or 'adjudicated'.
    RETURNS (list[ExportDocument]): One document; for 'human' one per annotation (none when
        the document has no row of that layer; 'best' always gives one).
    """
    if layer not in LAYER_CHOICES:
        raise ExportError(
            Errors.E902.format(name=layer, layers=", ".join(LAYER_CHOICES)), rule="export_layer"
        )
    chosen = _layer_of(row, layer)
    rows = [*row["spans"], *row["relations"], *row["document_labels"]]
    if chosen == T.LAYER_HUMAN:
        annotations = sorted({r["annotation_id"] for r in rows if r["layer"] == chosen})
        return [
            _document(row, chosen, f"{row['doc_id']}{ANNOTATION_SEP}{a}", a) for a in annotations
        ]
    if layer != LAYER_BEST and not any(r["layer"] == chosen for r in rows):
        return []
    return [_document(row, chosen, row["doc_id"], None)]


_COLUMNS = ("doc_id", "split", "text", "tokens", "spans", "relations", "document_labels")


def read_documents(
    corpus: Path, layer: str = LAYER_BEST, batch_rows: int = 100
) -> Iterator[ExportDocument]:
    """Stream the export documents of a published corpus, split by split, in doc_id order.

    corpus (Path): A corpus folder (with data/documents/*.parquet).
    layer (str): 'best', 'prediction', 'human' or 'adjudicated'.
    batch_rows (int): Documents read at a time (bounds memory).
    YIELDS (ExportDocument): The documents of the chosen layer.
    """
    files = sorted(layout.config_dir(corpus, "documents").glob("*.parquet"))
    if not files:
        raise ExportError(Errors.E903.format(path=corpus), rule="corpus_documents", path=corpus)
    order = {split: i for i, split in enumerate(T.SPLITS)}
    files.sort(key=lambda f: (order.get(layout.split_of_file(f), len(order)), f.name))
    for path in files:
        for batch in open_parquet(path).iter_batches(batch_size=batch_rows, columns=_COLUMNS):
            for row in batch.to_pylist():
                yield from documents_of_row(row, layer)


def by_split(documents: Iterable[ExportDocument]) -> dict[str, list[ExportDocument]]:
    """RETURNS (dict[str, list[ExportDocument]]): The documents grouped by split, in order."""
    out: dict[str, list[ExportDocument]] = {}
    for document in documents:
        out.setdefault(document.split, []).append(document)
    return out


def splits_in(documents: Sequence[ExportDocument]) -> list[str]:
    """RETURNS (list[str]): The splits the documents are in, in first-seen order."""
    return list(dict.fromkeys(d.split for d in documents))
