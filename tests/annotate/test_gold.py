"""The gold human layer of the seeds: its YAML source resolves to exact Label Studio regions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from summit_corpus.annotate.gold import gold_rows, resolve_gold
from summit_corpus.build import pipeline
from summit_corpus.build.ingest import clean, discover
from summit_corpus.core.errors import SchemeError

GOLD_PATH = Path(__file__).resolve().parents[2] / "annotations" / "gold" / "seeds_gold.yaml"

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return {d.doc_id: d.text for d in (clean(raw) for raw in discover(SEEDS))}


@pytest.fixture(scope="module")
def resolved(documents: dict[str, str]) -> dict[str, list[dict]]:
    return resolve_gold(GOLD_PATH, documents)


def _gold_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "gold.yaml"
    path.write_text("version: 1\ndocuments:\n  d1:\n" + body, encoding="utf-8")
    return path


DOCS = {"d1": "Peskov said “no plans” and Peskov left."}


class TestResolveGold:
    def test_every_seed_is_annotated(self, resolved: dict[str, list[dict]], documents):
        """The gold file covers all five seeds, each with spans, relations and both labels."""
        assert sorted(resolved) == sorted(documents)
        for results in resolved.values():
            types = Counter(r["type"] for r in results)
            assert types["labels"] > 20 and types["relation"] > 5 and types["choices"] == 2

    def test_regions_slice_to_their_text(self, resolved, documents):
        """Every region's offsets slice the clean document text to the region's text."""
        for doc_id, results in resolved.items():
            for r in results:
                if r["type"] == "labels":
                    v = r["value"]
                    assert documents[doc_id][v["start"] : v["end"]] == v["text"]

    def test_regions_do_not_split_spacy_tokens(self, resolved, documents):
        """Every gold span starts at a token start and ends at a token end of the pipeline."""
        nlp = pipeline.load_nlp()
        for doc_id, results in resolved.items():
            doc = nlp.make_doc(documents[doc_id])  # the pipeline's own tokenizer
            starts = {t.idx for t in doc}
            ends = {t.idx + len(t.text) for t in doc}
            for r in results:
                if r["type"] == "labels":
                    assert r["value"]["start"] in starts, (doc_id, r)
                    assert r["value"]["end"] in ends, (doc_id, r)

    def test_every_quote_has_one_speaker(self, resolved):
        """Each gold QUOTE is the head of exactly one speaker relation."""
        for results in resolved.values():
            quotes = {
                r["id"]
                for r in results
                if r["type"] == "labels" and r["value"]["labels"] == ["QUOTE"]
            }
            speakers = Counter(
                r["from_id"]
                for r in results
                if r["type"] == "relation" and r["labels"] == ["speaker"]
            )
            assert quotes and all(speakers[q] == 1 for q in quotes)

    def test_results_have_label_studio_shape(self, resolved):
        """Results carry the from_name/to_name/type keys Label Studio's JSON export uses."""
        results = resolved["000_fa20e158ca33a4e8"]
        region = next(r for r in results if r["type"] == "labels")
        assert (region["from_name"], region["to_name"]) == ("label", "text")
        relation = next(r for r in results if r["type"] == "relation")
        assert relation["direction"] == "right" and {"from_id", "to_id", "labels"} <= set(relation)
        status = next(r for r in results if r.get("from_name") == "summit_status")
        assert status["type"] == "choices" and status["value"] == {"choices": ["proposed"]}

    def test_occurrence_picks_the_nth_whole_word_match(self, tmp_path: Path):
        """A span given by `occurrence` resolves to that whole-word match of its text."""
        path = _gold_file(
            tmp_path, "    spans:\n      - {id: a, label: PERSON, text: Peskov, occurrence: 2}\n"
        )
        region = resolve_gold(path, DOCS)["d1"][0]
        assert region["value"]["start"] == DOCS["d1"].rindex("Peskov")

    def test_missing_surface_fails_loudly(self, tmp_path: Path):
        """A context not in the text raises with rule 'gold_found', the doc and the span id."""
        path = _gold_file(
            tmp_path,
            "    spans:\n      - {id: a, label: PERSON, text: Putin, at: '[Putin] said'}\n",
        )
        with pytest.raises(SchemeError) as info:
            resolve_gold(path, DOCS)
        assert info.value.rule == "gold_found"
        assert "'d1'" in str(info.value) and "'a'" in str(info.value)

    def test_ambiguous_context_fails_loudly(self, tmp_path: Path):
        """A context found twice raises with rule 'gold_unique' and the count."""
        path = _gold_file(
            tmp_path, "    spans:\n      - {id: a, label: PERSON, text: Peskov, at: '[Peskov]'}\n"
        )
        with pytest.raises(SchemeError) as info:
            resolve_gold(path, DOCS)
        assert info.value.rule == "gold_unique" and "2 times" in str(info.value)

    def test_relation_against_the_scheme_fails(self, tmp_path: Path):
        """A speaker relation from a PERSON to a QUOTE breaks the scheme and is refused."""
        body = (
            "    spans:\n"
            "      - {id: p, label: PERSON, text: Peskov, occurrence: 1}\n"
            "      - {id: q, label: QUOTE, text: no plans, at: '“[no plans]”'}\n"
            "    relations:\n"
            "      - {label: speaker, head: p, tail: q}\n"
        )
        with pytest.raises(SchemeError) as info:
            resolve_gold(_gold_file(tmp_path, body), DOCS)
        assert info.value.rule == "gold_reference" and "may not link" in str(info.value)

    def test_unknown_document_fails(self, tmp_path: Path):
        """A gold document that is not in the corpus raises with rule 'gold_documents'."""
        path = _gold_file(tmp_path, "    spans: []\n")
        with pytest.raises(SchemeError) as info:
            resolve_gold(path, {"other": "text"})
        assert info.value.rule == "gold_documents"


class TestGoldRows:
    def test_rows_fit_the_tables(self, resolved):
        """Resolved gold becomes rows of the spans/relations/document_labels tables."""
        from summit_corpus.core import tables as T

        rows = gold_rows(resolved, T.LAYER_ADJUDICATED)
        assert T.SPANS.from_rows(rows["spans"]).num_rows == sum(
            1 for rs in resolved.values() for r in rs if r["type"] == "labels"
        )
        assert T.RELATIONS.from_rows(rows["relations"]).num_rows > 0
        assert T.DOCUMENT_LABELS.from_rows(rows["document_labels"]).num_rows >= 10
