"""Score the model layer against the human layer: precision, recall and F1 per label.

- Spans: exact match of (document, start, end, label).
- Quotes with their speaker: a predicted quote counts when its offsets and its speaker's
  offsets both equal the human ones (a quote without a speaker matches only a quote
  without one).
- Relations: exact match of (document, label, head offsets, tail offsets). Endpoints are
  compared by offsets only: a wrong endpoint label is already counted among the spans.
- Document labels: (document, name, value) per label name.

Only documents that have rows in the reference layer are scored, so documents nobody has
annotated yet do not turn every prediction into a false positive. `evaluate_tables` is pure;
`evaluate_corpus` reads the tables of a built corpus.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import CorpusError, Errors

KINDS = ("span", "quote+speaker", "relation", "document_label")
ALL = "(all)"


@dataclass(frozen=True, slots=True)
class Score:
    """Counts and P/R/F1 of one label.

    kind (str): One of KINDS.
    label (str): The label (or document label name); ALL for the micro-average of a kind.
    gold (int): Items in the reference layer.
    predicted (int): Items in the prediction layer.
    correct (int): Predicted items that are in the reference layer.
    """

    kind: str
    label: str
    gold: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The model layer scored against a reference layer.

    reference_layer (str): The human layer compared against.
    prediction_layer (str): The model layer.
    documents (tuple[str, ...]): The documents scored.
    scores (tuple[Score, ...]): One score per (kind, label), ALL rows included.
    """

    reference_layer: str
    prediction_layer: str
    documents: tuple[str, ...]
    scores: tuple[Score, ...]

    def score(self, kind: str, label: str = ALL) -> Score:
        """RETURNS (Score): The score of `label` in `kind` (zero counts if absent)."""
        for s in self.scores:
            if s.kind == kind and s.label == label:
                return s
        return Score(kind, label, 0, 0, 0)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist() if table.num_rows else []


def _scores(
    kind: str, gold: set[tuple[Any, ...]], pred: set[tuple[Any, ...]], label_at: int
) -> list[Score]:
    labels = sorted({item[label_at] for item in gold | pred})
    out = []
    for label in labels:
        g = {i for i in gold if i[label_at] == label}
        p = {i for i in pred if i[label_at] == label}
        out.append(Score(kind, label, len(g), len(p), len(g & p)))
    out.append(Score(kind, ALL, len(gold), len(pred), len(gold & pred)))
    return out


def evaluate_tables(
    spans: pa.Table,
    relations: pa.Table,
    document_labels: pa.Table,
    reference_layer: str = T.LAYER_ADJUDICATED,
    prediction_layer: str = T.LAYER_PREDICTION,
) -> Evaluation:
    """Score the prediction layer against the reference layer.

    spans (pa.Table): The spans table (both layers).
    relations (pa.Table): The relations table (both layers).
    document_labels (pa.Table): The document_labels table (both layers).
    reference_layer (str): The human layer to compare against.
    prediction_layer (str): The model layer.
    RETURNS (Evaluation): Scores per kind and label, over the documents the reference
        layer annotates.
    """
    span_rows = _rows(spans)
    rel_rows = _rows(relations)
    label_rows = _rows(document_labels)
    docs = sorted({r["doc_id"] for r in span_rows + label_rows if r["layer"] == reference_layer})
    wanted = set(docs)

    def layer_items(layer: str) -> tuple[set[tuple[Any, ...]], ...]:
        offsets: dict[tuple[str, str], tuple[int, int]] = {}
        span_items = set()
        quotes: dict[tuple[str, str], tuple[int, int]] = {}
        for r in span_rows:
            if r["layer"] != layer or r["doc_id"] not in wanted:
                continue
            offsets[(r["doc_id"], r["span_id"])] = (r["start"], r["end"])
            span_items.add((r["doc_id"], r["start"], r["end"], r["label"]))
            if r["label"] == "QUOTE":
                quotes[(r["doc_id"], r["span_id"])] = (r["start"], r["end"])
        rel_items = set()
        speakers: dict[tuple[str, str], set[tuple[int, int]]] = {}
        for r in rel_rows:
            if r["layer"] != layer or r["doc_id"] not in wanted:
                continue
            head = offsets.get((r["doc_id"], r["head_span_id"]))
            tail = offsets.get((r["doc_id"], r["tail_span_id"]))
            if head is None or tail is None:
                continue
            rel_items.add((r["doc_id"], r["label"], head, tail))
            if r["label"] == "speaker" and (r["doc_id"], r["head_span_id"]) in quotes:
                speakers.setdefault((r["doc_id"], r["head_span_id"]), set()).add(tail)
        quote_items = set()
        for key, (start, end) in quotes.items():
            found: list[tuple[int, int] | None] = [*sorted(speakers.get(key, set()))]
            found = found or [None]
            for speaker in found:
                quote_items.add((key[0], "QUOTE", start, end, speaker))
        label_items = {
            (r["doc_id"], r["name"], r["value"])
            for r in label_rows
            if r["layer"] == layer and r["doc_id"] in wanted
        }
        return span_items, quote_items, rel_items, label_items

    gold = layer_items(reference_layer)
    pred = layer_items(prediction_layer)
    scores = [
        *_scores("span", gold[0], pred[0], 3),
        *_scores("quote+speaker", gold[1], pred[1], 1),
        *_scores("relation", gold[2], pred[2], 1),
        *_scores("document_label", gold[3], pred[3], 1),
    ]
    return Evaluation(reference_layer, prediction_layer, tuple(docs), tuple(scores))


def evaluate_corpus(corpus: Path, reference_layer: str = T.LAYER_ADJUDICATED) -> Evaluation:
    """Read a built corpus's annotation tables and score its model layer.

    corpus (Path): The corpus folder (corpus/data/<table>/<split>-*.parquet).
    reference_layer (str): The human layer to compare against.
    RETURNS (Evaluation): The scores.
    RAISES (CorpusError): A table is missing, or the reference layer has no rows.
    """
    from summit_corpus.core.io import read_parquet_dir

    loaded = []
    for table in T.ANNOTATION_TABLES:
        folder = layout.config_dir(corpus, table.name)
        if not folder.is_dir() or not any(folder.glob("*.parquet")):
            raise CorpusError(Errors.E510.format(folder=folder, table=table.name))
        loaded.append(read_parquet_dir(folder, table.schema))
    spans, relations, document_labels = loaded
    result = evaluate_tables(spans, relations, document_labels, reference_layer=reference_layer)
    if not result.documents:
        raise CorpusError(Errors.E509.format(corpus=corpus, layer=reference_layer))
    return result


def render(evaluation: Evaluation, kinds: Iterable[str] = KINDS) -> str:
    """Render the scores as a Markdown table (for the terminal and the datasheet).

    evaluation (Evaluation): The scores.
    kinds (Iterable[str]): Which kinds to show, in order.
    RETURNS (str): A heading line and a Markdown table, ending with a newline.
    """
    lines = [
        f"Model layer ('{evaluation.prediction_layer}') against the '{evaluation.reference_layer}' "
        f"layer, {len(evaluation.documents)} document(s); exact match.",
        "",
        "| What | Label | Gold | Predicted | Correct | Precision | Recall | F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        for s in evaluation.scores:
            if s.kind != kind:
                continue
            lines.append(
                f"| {kind} | {s.label} | {s.gold} | {s.predicted} | {s.correct} | "
                f"{s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} |"
            )
    return "\n".join(lines) + "\n"
