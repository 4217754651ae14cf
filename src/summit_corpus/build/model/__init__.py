"""The model layer: rule sets that pre-annotate a parsed article, each versioned by its rule name.

One public verb, `annotate_doc`, pure: it takes a document's text and its spaCy `Doc` and
returns rows for the spans, relations and document_labels tables, all in the `prediction`
layer, each with its `source` (model name and version, or the rule's versioned name).
Each rule set is a module:

- `entities`: spaCy NER, mapped onto the scheme's labels (`spacy/<model>-<version>/ner`).
- `events`: EVENT, nouns naming a diplomatic encounter (`rule/event.v1`).
- `quotes`: QUOTE, the text between paired quote marks, every news convention (`rule/quote.v8`).
- `speakers`: `speaker` relations from a QUOTE to who said it, via the parse, and PERSON spans
  for speakers NER missed (`rule/speaker.v13`).
- `relations`: affiliation, participant, date, location from the parse (`rule/relations.v1`).
- `topics`: the document labels summit_status and topics (`rule/summit_status.v1`,
  `rule/topics.v1`), regular-expression cues from the scheme.

Every span starts at a token start and ends at a token end, so `text[start:end]` is the
span's text and no span splits a token: `sanitize` trims and snaps each prediction, or drops
it with a reason (the `dropped` rows, never silently). Span ids are `p0001`, `p0002`, ... in
(start, end, label) order; relation ids `pr0001`, ... in (label, head, tail) order: both
deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spacy.tokens import Doc

from summit_corpus.build.model.entities import entities, ner_source
from summit_corpus.build.model.events import events
from summit_corpus.build.model.quotes import find_quotes, is_label, quotes
from summit_corpus.build.model.relations import relations
from summit_corpus.build.model.sanitize import Dropped, clean_relations, clean_spans
from summit_corpus.build.model.spans import SPEAKER_LABELS, ModelSpan, PreAnnotations, Relation
from summit_corpus.build.model.speakers import speakers
from summit_corpus.build.model.topics import document_labels
from summit_corpus.core.scheme import Scheme
from summit_corpus.core.tables import LAYER_PREDICTION

__all__ = ["SPEAKER_LABELS", "PreAnnotations", "annotate_doc", "find_quotes", "ner_source"]


def annotate_doc(doc_id: str, text: str, doc: Doc, scheme: Scheme) -> PreAnnotations:
    """Pre-annotate one document: entities, events, quotes, relations and document labels.

    doc_id (str): The document's id.
    text (str): The document's clean text; `doc` must be `nlp(text)`.
    doc (Doc): The parsed text (full pipeline: tagger, parser, lemmatizer, NER).
    scheme (Scheme): The annotation scheme (label mapping and rule settings).
    RETURNS (PreAnnotations): Rows of the spans, relations and document_labels tables.
    """
    # The one join of the Doc's tokens: spaCy's doc.text rebuilds the string on every access,
    # so every rule below takes `text` instead.
    if doc.text != text:
        raise ValueError(f"doc '{doc_id}': the spaCy Doc's text is not the document text")
    found_entities = entities(doc, text, scheme, ner_source(scheme.spacy.model))
    found_events = events(doc, scheme, found_entities)
    found_quotes = quotes(doc, text, scheme)
    predicted = sorted(
        {s.key: s for s in (*found_entities, *found_events, *found_quotes)}.values(),
        key=lambda s: s.key,
    )
    found_speakers = speakers(doc, text, scheme, predicted, found_quotes)
    # Labels and titles nothing attributes are no quotes (known only once speakers are found).
    labels = {
        q.key
        for q in found_quotes
        if is_label(text, q, found_speakers.found_by[q.key], scheme.rules.quote)
    }
    replaced = {s.key for s in found_speakers.replaced} | labels
    predicted = sorted(
        [*(s for s in predicted if s.key not in replaced), *found_speakers.added],
        key=lambda s: s.key,
    )
    found_relations = [
        r
        for r in (*found_speakers.relations, *relations(doc, scheme, predicted))
        if scheme.allows_relation(r[0], r[1].label, r[2].label) and r[1].key not in labels
    ]
    # Trimmed and snapped to token boundaries, or dropped with a reason (sanitize.py).
    kept, dropped, kept_of = clean_spans(text, doc, predicted)
    kept_relations, dropped_relations = clean_relations(found_relations, kept_of)
    spans = sorted({s.key: s for s in kept}.values(), key=lambda s: s.key)
    ids = {s.key: f"p{n:04d}" for n, s in enumerate(spans, 1)}
    return PreAnnotations(
        _span_rows(doc_id, text, spans, ids),
        _relation_rows(doc_id, kept_relations, ids),
        _label_rows(doc_id, text, scheme),
        _dropped_rows(doc_id, text, [*dropped, *dropped_relations]),
    )


def _span_rows(
    doc_id: str, text: str, spans: Sequence[ModelSpan], ids: dict[tuple[int, int, str], str]
) -> tuple[dict[str, Any], ...]:
    return tuple(
        {
            "doc_id": doc_id,
            "span_id": ids[s.key],
            "start": s.start,
            "end": s.end,
            "text": text[s.start : s.end],
            "label": s.label,
            "layer": LAYER_PREDICTION,
            "source": s.source,
            "score": None,
            "annotator": None,
            "annotation_id": None,
        }
        for s in spans
    )


def _relation_rows(
    doc_id: str, found: Sequence[Relation], ids: dict[tuple[int, int, str], str]
) -> tuple[dict[str, Any], ...]:
    keyed = sorted({(lab, ids[h.key], ids[t.key], src) for lab, h, t, src in found})
    return tuple(
        {
            "doc_id": doc_id,
            "relation_id": f"pr{n:04d}",
            "head_span_id": head,
            "tail_span_id": tail,
            "label": label,
            "layer": LAYER_PREDICTION,
            "source": source,
            "score": None,
            "annotator": None,
            "annotation_id": None,
        }
        for n, (label, head, tail, source) in enumerate(keyed, 1)
    )


def _label_rows(doc_id: str, text: str, scheme: Scheme) -> tuple[dict[str, Any], ...]:
    return tuple(
        {
            "doc_id": doc_id,
            "name": name,
            "value": value,
            "layer": LAYER_PREDICTION,
            "source": source,
            "score": None,
            "annotator": None,
            "annotation_id": None,
        }
        for name, value, source in document_labels(text, scheme)
    )


def _dropped_rows(doc_id: str, text: str, dropped: Sequence[Dropped]) -> tuple[dict[str, Any], ...]:
    rows = {
        (d.kind, d.start, d.end, d.label, d.source): {
            "doc_id": doc_id,
            "kind": d.kind,
            "label": d.label,
            "start": d.start,
            "end": d.end,
            "text": text[d.start : d.end],
            "source": d.source,
            "reason": d.reason,
        }
        for d in dropped
    }
    return tuple(rows[k] for k in sorted(rows))
