"""The ner config's BIO tags (src/summit_corpus/ner.py) against a plain reference."""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from summit_corpus.core import tables as T
from summit_corpus.core.scheme import load_scheme
from summit_corpus.publish import ner_labels
from summit_corpus.publish.datasheet import read_corpus
from summit_corpus.publish.ner import NER_LAYERS, ner_rows


def reference_ner(
    tables: Mapping[str, pa.Table], tag_names: Sequence[str]
) -> tuple[list[dict[str, Any]], int]:
    """The ner rows the plain way: a Python loop over each document's tokens per span.

    tables (Mapping[str, pa.Table]): Needs sentences and tokens; spans and document_labels
        when present (a document with adjudicated rows in either uses the adjudicated layer).
    tag_names (Sequence[str]): BIO tag names ('O' first), from `ner_labels`.
    RETURNS (NerResult): The table and the number of overlapping spans left out (the longer
        span wins, then the earlier one).
    """
    index = {name: i for i, name in enumerate(tag_names)}
    sentences = T.SENTENCES.sorted(tables[T.SENTENCES.name])
    tokens = T.TOKENS.sorted(tables[T.TOKENS.name])
    spans = tables.get(T.SPANS.name, T.SPANS.empty())
    labels = tables.get(T.DOCUMENT_LABELS.name, T.DOCUMENT_LABELS.empty())
    entity = {name[2:] for name in tag_names if name != "O"}

    has_layer: dict[str, set[str]] = {}
    for source in (spans, labels):
        for doc_id, layer in zip(
            source.column("doc_id").to_pylist(), source.column("layer").to_pylist(), strict=True
        ):
            has_layer.setdefault(doc_id, set()).add(layer)

    by_doc: dict[str, list[tuple[int, int, str, str]]] = {}
    for row in spans.select(["doc_id", "start", "end", "label", "layer", "span_id"]).to_pylist():
        if row["label"] in entity:
            by_doc.setdefault(row["doc_id"], []).append(
                (row["start"], row["end"], row["label"], row["layer"])
            )

    tok = tokens.select(["doc_id", "sentence_id", "start", "end", "text", "whitespace"]).to_pydict()
    doc_tokens: dict[str, list[int]] = {}
    for i, doc_id in enumerate(tok["doc_id"]):
        doc_tokens.setdefault(doc_id, []).append(i)

    tags = [0] * len(tok["doc_id"])
    layer_of: dict[str, str] = {}
    dropped = 0
    for doc_id, rows in doc_tokens.items():
        layer = next((x for x in NER_LAYERS if x in has_layer.get(doc_id, set())), NER_LAYERS[-1])
        layer_of[doc_id] = layer
        chosen = [s for s in by_doc.get(doc_id, []) if s[3] == layer]
        chosen.sort(key=lambda s: (-(s[1] - s[0]), s[0], s[2]))
        # Tokens are sorted and do not overlap: the ones a span touches are found by bisection
        # (token end > span start and token start < span end), not by a scan of the document.
        starts = [tok["start"][i] for i in rows]
        ends = [tok["end"][i] for i in rows]
        for start, end, label, _ in chosen:
            covered = rows[bisect.bisect_right(ends, start) : bisect.bisect_left(starts, end)]
            if not covered or any(tags[i] for i in covered):
                dropped += bool(covered)
                continue
            tags[covered[0]] = index[f"B-{label}"]
            for before, i in zip(covered, covered[1:], strict=False):
                # a span across a sentence break begins again in the next sentence
                same = tok["sentence_id"][before] == tok["sentence_id"][i]
                tags[i] = index[f"I-{label}" if same else f"B-{label}"]

    per_sentence: dict[tuple[str, int], list[int]] = {}
    for i, (doc_id, sid) in enumerate(zip(tok["doc_id"], tok["sentence_id"], strict=True)):
        per_sentence.setdefault((doc_id, sid), []).append(i)
    out = []
    for doc_id, sid in zip(
        sentences.column("doc_id").to_pylist(),
        sentences.column("sentence_id").to_pylist(),
        strict=True,
    ):
        members = per_sentence.get((doc_id, sid), [])
        out.append(
            {
                "id": f"{doc_id}/{sid}",
                "doc_id": doc_id,
                "sentence_id": sid,
                "tokens": [tok["text"][i] for i in members],
                "whitespace": [tok["whitespace"][i] for i in members],
                "ner_tags": [tags[i] for i in members],
                "layer": layer_of.get(doc_id, NER_LAYERS[-1]),
            }
        )
    return out, dropped


@pytest.fixture(scope="module")
def tag_names() -> tuple[str, ...]:
    return ner_labels(load_scheme())


@pytest.fixture(scope="module")
def seeds_tables(built_corpus: Path) -> dict[str, pa.Table]:
    tables, _ = read_corpus(built_corpus)
    return tables


def _shuffled_spans(tables: Mapping[str, pa.Table], seed: int) -> dict[str, pa.Table]:
    """The same corpus with spans moved, widened and relabelled at random (many overlaps)."""
    rng = random.Random(seed)
    spans = tables["spans"].to_pylist()
    labels = [x for x in load_scheme().vocabularies()["span_labels"] if x != "QUOTE"]
    lengths = dict(
        zip(
            tables["documents"].column("doc_id").to_pylist(),
            pc.utf8_length(tables["documents"].column("text")).to_pylist(),
            strict=True,
        )
    )
    for row in spans:
        start = rng.randrange(lengths[row["doc_id"]])
        row["start"], row["end"] = start, min(lengths[row["doc_id"]], start + rng.randrange(1, 60))
        row["label"] = rng.choice(labels)
    return dict(tables) | {"spans": T.SPANS.from_rows(spans)}


class TestNerRows:
    def test_seeds_match_the_reference(self, seeds_tables, tag_names):
        """On the seeds (human and model layers), the array version gives the reference's rows."""
        expected, dropped = reference_ner(seeds_tables, tag_names)
        result = ner_rows(seeds_tables, tag_names)
        assert result.table.to_pylist() == expected
        assert result.dropped_overlaps == dropped

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_random_overlapping_spans_match_the_reference(self, seeds_tables, tag_names, seed):
        """With spans scattered at random, tags and the dropped count still equal the reference."""
        tables = _shuffled_spans(seeds_tables, seed)
        expected, dropped = reference_ner(tables, tag_names)
        result = ner_rows(tables, tag_names)
        assert dropped > 0
        assert result.table.to_pylist() == expected
        assert result.dropped_overlaps == dropped

    def test_spans_across_sentence_breaks_still_give_valid_iob2(self, seeds_tables, tag_names):
        """A span dragged over a sentence break never puts I- at a sentence's start, and an I-X
        only follows B-X or I-X."""
        tables = _shuffled_spans(seeds_tables, 4)
        for row in ner_rows(tables, tag_names).table.to_pylist():
            names = [tag_names[t] for t in row["ner_tags"]]
            for previous, name in zip(["O", *names], names, strict=False):
                if name.startswith("I-"):
                    assert previous in (f"B-{name[2:]}", name), (row["id"], names)

    def test_a_document_with_adjudicated_rows_uses_only_them(self, seeds_tables, tag_names):
        """Documents with an adjudicated layer are tagged from it, the others from the model."""
        result = ner_rows(seeds_tables, tag_names).table
        spans = seeds_tables["spans"]
        adjudicated = set(
            spans.filter(pc.equal(spans.column("layer"), NER_LAYERS[0]))
            .column("doc_id")
            .to_pylist()
        )
        for doc_id, layer in zip(
            result.column("doc_id").to_pylist(), result.column("layer").to_pylist(), strict=True
        ):
            assert layer == (NER_LAYERS[0] if doc_id in adjudicated else NER_LAYERS[-1])


class TestNerWhitespace:
    def test_tokens_and_whitespace_rebuild_every_document_text(self, seeds_tables, tag_names):
        """''.join(token + whitespace) over a document's ner rows is its text, exactly."""
        rows = ner_rows(seeds_tables, tag_names).table.to_pylist()
        texts = dict(
            zip(
                seeds_tables["documents"].column("doc_id").to_pylist(),
                seeds_tables["documents"].column("text").to_pylist(),
                strict=True,
            )
        )
        rebuilt: dict[str, str] = {}
        for row in rows:
            pieces = (t + w for t, w in zip(row["tokens"], row["whitespace"], strict=True))
            rebuilt[row["doc_id"]] = rebuilt.get(row["doc_id"], "") + "".join(pieces)
        assert rebuilt == texts

    def test_a_spacy_doc_from_a_row_has_the_sentence_text(self, seeds_tables, tag_names):
        """Words plus whitespace tokens give a Doc whose text is the sentence with what follows
        it, including the no-break spaces and blank lines that `spaces` booleans lose."""
        import spacy
        from spacy.tokens import Doc

        vocab = spacy.blank("en").vocab
        sentences = {
            (r["doc_id"], r["sentence_id"]): r["text"]
            for r in seeds_tables["sentences"].to_pylist()
        }
        odd = 0
        for row in ner_rows(seeds_tables, tag_names).table.to_pylist():
            words, spaces = [], []
            for token, after in zip(row["tokens"], row["whitespace"], strict=True):
                words.append(token)
                spaces.append(after.startswith(" "))
                rest = after[1:] if after.startswith(" ") else after
                if rest:
                    words.append(rest)
                    spaces.append(False)
                    odd += 1
            doc = Doc(vocab, words=words, spaces=spaces)
            text = sentences[(row["doc_id"], row["sentence_id"])]
            assert doc.text.startswith(text) and not doc.text[len(text) :].strip()
        assert odd > 0
