"""Scoring the model layer against the human layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summit_corpus.annotate.evaluate import (
    ALL,
    Evaluation,
    evaluate_corpus,
    evaluate_tables,
    render,
)
from summit_corpus.annotate.gold import gold_rows, resolve_gold
from summit_corpus.build import pipeline
from summit_corpus.build.ingest import clean, discover
from summit_corpus.build.model import annotate_doc
from summit_corpus.cli import app
from summit_corpus.core import tables as T
from summit_corpus.core.errors import CorpusError
from summit_corpus.core.io import write_parquet
from summit_corpus.core.layout import split_file
from summit_corpus.core.scheme import load_scheme

GOLD_PATH = Path(__file__).resolve().parents[2] / "annotations" / "gold" / "seeds_gold.yaml"

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PRED, GOLD = T.LAYER_PREDICTION, T.LAYER_ADJUDICATED


def _span(doc: str, sid: str, start: int, end: int, label: str, layer: str) -> dict[str, Any]:
    return {
        "doc_id": doc, "span_id": sid, "start": start, "end": end, "text": "x" * (end - start),
        "label": label, "layer": layer, "source": "test", "score": None, "annotator": None,
        "annotation_id": None,
    }  # fmt: skip


def _rel(doc: str, rid: str, head: str, tail: str, label: str, layer: str) -> dict[str, Any]:
    return {
        "doc_id": doc, "relation_id": rid, "head_span_id": head, "tail_span_id": tail,
        "label": label, "layer": layer, "source": "test", "score": None, "annotator": None,
        "annotation_id": None,
    }  # fmt: skip


def _label(doc: str, name: str, value: str, layer: str) -> dict[str, Any]:
    return {
        "doc_id": doc, "name": name, "value": value, "layer": layer, "source": "test",
        "score": None, "annotator": None, "annotation_id": None,
    }  # fmt: skip


def _evaluate(spans, relations=(), labels=()) -> Evaluation:
    return evaluate_tables(
        T.SPANS.from_rows(list(spans)),
        T.RELATIONS.from_rows(list(relations)),
        T.DOCUMENT_LABELS.from_rows(list(labels)),
    )


# A gold quote q said by PERSON p; the prediction finds both spans.
GOLD_SPANS = [_span("d", "g1", 0, 5, "PERSON", GOLD), _span("d", "g2", 10, 20, "QUOTE", GOLD)]
PRED_SPANS = [_span("d", "p1", 0, 5, "PERSON", PRED), _span("d", "p2", 10, 20, "QUOTE", PRED)]


class TestEvaluateTables:
    def test_perfect_prediction_scores_one(self):
        """Identical layers give precision, recall and F1 of 1 for spans and quotes."""
        result = _evaluate(
            GOLD_SPANS + PRED_SPANS,
            [
                _rel("d", "r1", "g2", "g1", "speaker", GOLD),
                _rel("d", "p9", "p2", "p1", "speaker", PRED),
            ],
        )
        assert result.score("span").f1 == 1.0
        assert result.score("quote+speaker", "QUOTE").f1 == 1.0
        assert result.score("relation", "speaker").f1 == 1.0

    def test_boundary_error_is_a_miss(self):
        """A span one character short is both a false positive and a false negative."""
        result = _evaluate(GOLD_SPANS + [_span("d", "p1", 0, 4, "PERSON", PRED)])
        person = result.score("span", "PERSON")
        assert (person.gold, person.predicted, person.correct) == (1, 1, 0)
        assert result.score("span", "QUOTE").recall == 0.0

    def test_quote_with_wrong_speaker_counts_wrong(self):
        """A quote found with the wrong speaker is right as a span, wrong as quote+speaker."""
        spans = GOLD_SPANS + PRED_SPANS + [_span("d", "p3", 30, 35, "PERSON", PRED)]
        rels = [
            _rel("d", "r1", "g2", "g1", "speaker", GOLD),
            _rel("d", "p9", "p2", "p3", "speaker", PRED),
        ]
        result = _evaluate(spans, rels)
        assert result.score("span", "QUOTE").f1 == 1.0
        assert result.score("quote+speaker", "QUOTE").correct == 0

    def test_unannotated_documents_are_not_scored(self):
        """Predictions on a document without any human rows do not count as false positives."""
        result = _evaluate(GOLD_SPANS + PRED_SPANS + [_span("other", "p1", 0, 5, "ORG", PRED)])
        assert result.documents == ("d",)
        assert result.score("span").precision == 1.0

    def test_document_labels_per_name(self):
        """Document labels score per label name over (document, value)."""
        labels = [
            _label("d", "summit_status", "held", GOLD),
            _label("d", "summit_status", "proposed", PRED),
            _label("d", "topics", "sanctions", GOLD),
            _label("d", "topics", "sanctions", PRED),
        ]
        result = _evaluate(GOLD_SPANS, labels=labels)
        assert result.score("document_label", "summit_status").correct == 0
        assert result.score("document_label", "topics").f1 == 1.0

    def test_render_lists_every_score(self):
        """The rendered table has a row for each (kind, label) and the layer names."""
        result = _evaluate(GOLD_SPANS + PRED_SPANS)
        table = render(result)
        assert "'adjudicated'" in table and "| span | PERSON | 1 | 1 | 1 |" in table
        assert table.count("\n| ") == len(result.scores) + 1


class TestEvaluateCorpus:
    def test_missing_tables_name_the_folder(self, tmp_path: Path):
        """A folder without annotation tables raises with rule 'corpus_tables'."""
        with pytest.raises(CorpusError, match="corpus_tables"):
            evaluate_corpus(tmp_path)

    def test_no_human_layer_is_an_error(self, tmp_path: Path):
        """A corpus whose tables hold only predictions says there is nothing to score against."""
        write_parquet(split_file(tmp_path, "spans", "train"), T.SPANS.from_rows(PRED_SPANS))
        write_parquet(split_file(tmp_path, "relations", "train"), T.RELATIONS.empty())
        write_parquet(split_file(tmp_path, "document_labels", "train"), T.DOCUMENT_LABELS.empty())
        with pytest.raises(CorpusError, match="human_layer"):
            evaluate_corpus(tmp_path)

    def test_cli_prints_the_table(self, tmp_path: Path):
        """`corpus evaluate --corpus DIR` prints the score table and exits 0."""
        write_parquet(
            split_file(tmp_path, "spans", "train"), T.SPANS.from_rows(GOLD_SPANS + PRED_SPANS)
        )
        write_parquet(split_file(tmp_path, "relations", "train"), T.RELATIONS.empty())
        write_parquet(split_file(tmp_path, "document_labels", "train"), T.DOCUMENT_LABELS.empty())
        result = CliRunner().invoke(app, ["evaluate", "--corpus", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "| span | (all) | 2 | 2 | 2 |" in result.output


class TestSeedsAgainstGold:
    @pytest.fixture(scope="class")
    @classmethod
    def result(cls) -> Evaluation:
        scheme = load_scheme()
        nlp = pipeline.load_nlp()
        documents = {d.doc_id: d.text for d in (clean(raw) for raw in discover(SEEDS))}
        rows = gold_rows(resolve_gold(GOLD_PATH, documents, scheme), GOLD)
        for doc_id, text in documents.items():
            pre = annotate_doc(doc_id, text, nlp(text), scheme)
            rows["spans"] += pre.spans
            rows["relations"] += pre.relations
            rows["document_labels"] += pre.document_labels
        return _evaluate(rows["spans"], rows["relations"], rows["document_labels"])

    def test_every_seed_quote_is_found(self, result: Evaluation):
        """Every quotation of the gold layer is predicted with exact offsets."""
        quotes = result.score("span", "QUOTE")
        assert quotes.gold == 49 and quotes.recall == 1.0

    def test_model_layer_does_not_regress(self, result: Evaluation):
        """Scores stay at or above the levels measured when the rules were written."""
        assert result.score("span", ALL).f1 >= 0.90
        assert result.score("quote+speaker", "QUOTE").correct >= 44
        assert result.score("relation", "affiliation").f1 >= 0.75
