"""spaCy `DocBin` export: one `.spacy` file per split, ready for `spacy train`.

Each `Doc` holds the published tokens exactly (`doc.text == text`; whitespace other than one
space after a token becomes a whitespace token, as spaCy's tokenizer makes them), their tags,
POS and lemmas, and the sentence starts. Annotations, each span with its span_id as `span.id_`:

- `doc.ents`: the entity spans the `ner` config tags (overlaps resolved the same way);
- `doc.spans["entities"]`: every entity span, overlapping ones included;
- `doc.spans["quotes"]`: the QUOTE spans; the group's `attrs["speakers"]` maps a quote's
  span id to its speakers' span ids, and `quote._.speaker` (registered when this module is
  imported) gives the speaker's span from `doc.spans["entities"]`;
- `doc.cats`: one category per document label value ('summit_status:held' 1.0, the
  other values of a label set the document has 0.0);
- `doc.user_data["summit_corpus"]`: id, doc_id, split, layer and every relation.

Everything is in the DocBin (span groups with their attrs, and user data), so
`DocBin(store_user_data=True).from_disk(path).get_docs(nlp.vocab)` gives it all back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import Doc, DocBin
from spacy.tokens import Span as SpacySpan
from spacy.vocab import Vocab

from summit_corpus.core.errors import Errors, ExportError
from summit_corpus.export.documents import (
    QUOTE,
    SPEAKER,
    Annotations,
    DocumentLabel,
    ExportDocument,
    Relation,
    Span,
    annotations_of,
)

ENTITIES_KEY = "entities"
QUOTES_KEY = "quotes"
USER_DATA_KEY = "summit_corpus"
SPACE_TAG, SPACE_POS = "_SP", "SPACE"


def _speakers(span: SpacySpan) -> list[SpacySpan]:
    doc = span.doc
    if QUOTES_KEY not in doc.spans or ENTITIES_KEY not in doc.spans:
        return []
    wanted = doc.spans[QUOTES_KEY].attrs.get("speakers", {}).get(span.id_, [])
    by_id = {s.id_: s for s in doc.spans[ENTITIES_KEY]}
    return [by_id[i] for i in wanted if i in by_id]


def _speaker(span: SpacySpan) -> SpacySpan | None:
    found = _speakers(span)
    return found[0] if found else None


def register_extensions() -> None:
    """Register `Span._.speaker` (first speaker or None) and `Span._.speakers` (all)."""
    SpacySpan.set_extension("speaker", getter=_speaker, force=True)
    SpacySpan.set_extension("speakers", getter=_speakers, force=True)


register_extensions()


def _words(document: ExportDocument) -> tuple[list[str], list[bool], list[int]]:
    """spaCy words and spaces for the tokens; RETURNS also each word's token index (-1: space)."""
    words: list[str] = []
    spaces: list[bool] = []
    origin: list[int] = []
    first = document.tokens[0].start if document.tokens else len(document.text)
    if first:
        words.append(document.text[:first])
        spaces.append(False)
        origin.append(-1)
    for i, token in enumerate(document.tokens):
        rest = token.whitespace
        words.append(token.text)
        spaces.append(rest.startswith(" "))
        origin.append(i)
        rest = rest[1:] if rest.startswith(" ") else rest
        if rest:
            words.append(rest)
            spaces.append(False)
            origin.append(-1)
    return words, spaces, origin


def _char_span(doc: Doc, document: ExportDocument, span: Span) -> SpacySpan:
    made = doc.char_span(span.start, span.end, label=span.label, span_id=span.span_id)
    if made is None:
        raise ExportError(
            Errors.E905.format(
                doc_id=document.id, span_id=span.span_id, start=span.start, end=span.end
            ),
            rule="span_on_tokens",
        )
    return made


def _cats(labels: Sequence[DocumentLabel], values: dict[str, tuple[str, ...]]) -> dict[str, float]:
    chosen = {(label.name, label.value) for label in labels}
    names = sorted({label.name for label in labels})
    cats: dict[str, float] = {}
    for name in names:
        for value in values.get(name, ()):
            cats[f"{name}:{value}"] = 1.0 if (name, value) in chosen else 0.0
    for name, value in sorted(chosen):  # a value the scheme does not list still goes in
        cats[f"{name}:{value}"] = 1.0
    return cats


def to_doc(
    vocab: Vocab, document: ExportDocument, label_values: dict[str, tuple[str, ...]] | None = None
) -> Doc:
    """Make the spaCy `Doc` of one export document.

    vocab (Vocab): The vocab of the pipeline that will read the docs (e.g. spacy.blank("en")).
    document (ExportDocument): Text, tokens and one layer of annotations.
    label_values (dict[str, tuple[str, ...]] | None): Each document label set's values (from
        the scheme), so that `doc.cats` names the values a document did not choose too.
    RETURNS (Doc): The doc (see the module docstring for where each annotation goes).
    """
    words, spaces, origin = _words(document)
    sentence_of = [document.tokens[i].sentence_id if i >= 0 else None for i in origin]
    # A sentence starts at a word whose sentence differs from the previous word's; whitespace
    # tokens belong to the sentence before them.
    starts: list[bool | int | None] = []
    last: int | None = None
    for k, sentence in enumerate(sentence_of):
        starts.append(k == 0 or (sentence is not None and last is not None and sentence != last))
        last = sentence if sentence is not None else last
    tags = [document.tokens[i].tag if i >= 0 else SPACE_TAG for i in origin]
    pos = [document.tokens[i].pos if i >= 0 else SPACE_POS for i in origin]
    lemmas = [document.tokens[i].lemma if i >= 0 else w for i, w in zip(origin, words, strict=True)]
    doc = Doc(
        vocab, words=words, spaces=spaces, sent_starts=starts, tags=tags, pos=pos, lemmas=lemmas
    )
    if doc.text != document.text:
        offset = next(
            (i for i, (a, b) in enumerate(zip(doc.text, document.text, strict=False)) if a != b),
            min(len(doc.text), len(document.text)),
        )
        raise ExportError(
            Errors.E904.format(doc_id=document.id, offset=offset), rule="tokens_rebuild_text"
        )
    doc.ents = [_char_span(doc, document, span) for span, _, _ in document.tagged_entities()]
    doc.spans[ENTITIES_KEY] = [_char_span(doc, document, s) for s in document.entities]
    doc.spans[QUOTES_KEY] = [_char_span(doc, document, s) for s in document.quotes]
    quote_ids = {s.span_id for s in document.quotes}
    speakers: dict[str, list[str]] = {}
    for relation in document.relations:
        if relation.label == SPEAKER and relation.head in quote_ids:
            speakers.setdefault(relation.head, []).append(relation.tail)
    doc.spans[QUOTES_KEY].attrs["speakers"] = speakers
    doc.cats = _cats(document.labels, label_values or {})
    doc.user_data[USER_DATA_KEY] = {
        "id": document.id,
        "doc_id": document.doc_id,
        "split": document.split,
        "layer": document.layer,
        "relations": [[r.relation_id, r.head, r.tail, r.label] for r in document.relations],
    }
    return doc


def write_docbin(
    path: Path,
    documents: Iterable[ExportDocument],
    vocab: Vocab | None = None,
    label_values: dict[str, tuple[str, ...]] | None = None,
) -> int:
    """Write the documents as one `.spacy` file.

    path (Path): The file to write.
    documents (Iterable[ExportDocument]): The documents, in order.
    vocab (Vocab | None): Vocab to make the docs with; None: spacy.blank("en")'s.
    label_values (dict[str, tuple[str, ...]] | None): Document label values (see `to_doc`).
    RETURNS (int): Docs written.
    """
    vocab = vocab if vocab is not None else spacy.blank("en").vocab
    docbin = DocBin(store_user_data=True)
    for document in documents:
        docbin.add(to_doc(vocab, document, label_values))
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)
    return len(docbin)


def read_docbin(path: Path, vocab: Vocab | None = None) -> list[Doc]:
    """RETURNS (list[Doc]): The docs of a `.spacy` file, user data included."""
    vocab = vocab if vocab is not None else spacy.blank("en").vocab
    return list(DocBin(store_user_data=True).from_disk(path).get_docs(vocab))


def annotations_of_doc(doc: Doc) -> Annotations:
    """Read one doc's annotations back (spans by span id, relations from the user data).

    doc (Doc): A doc made by `to_doc` (or read from its DocBin).
    RETURNS (Annotations): Its spans, relations and chosen document labels.
    """
    spans = [
        Span(s.id_, s.start_char, s.end_char, s.label_, s.text)
        for key in (ENTITIES_KEY, QUOTES_KEY)
        for s in doc.spans.get(key, [])
    ]
    data: dict[str, Any] = doc.user_data.get(USER_DATA_KEY, {})
    relations = [Relation(*map(str, r)) for r in data.get("relations", [])]
    labels = [
        DocumentLabel(*key.split(":", 1)) for key, score in sorted(doc.cats.items()) if score == 1.0
    ]
    return annotations_of(spans, relations, labels)


def speaker_pairs(doc: Doc) -> set[tuple[tuple[int, int], tuple[int, int]]]:
    """RETURNS (set): ((quote start, end), (speaker start, end)) for each quote's speakers."""
    return {
        ((q.start_char, q.end_char), (s.start_char, s.end_char))
        for q in doc.spans.get(QUOTES_KEY, [])
        for s in q._.speakers
    }


__all__ = [
    "ENTITIES_KEY",
    "QUOTE",
    "QUOTES_KEY",
    "USER_DATA_KEY",
    "annotations_of_doc",
    "read_docbin",
    "register_extensions",
    "speaker_pairs",
    "to_doc",
    "write_docbin",
]
