"""Segment: a parsed spaCy `Doc` becomes sentence and token rows with exact offsets.

Whitespace-only tokens (spaCy's SPACE tokens for line breaks and runs of spaces) are not
rows of their own: their text is folded into the preceding token's `whitespace`, so that
`token.text + token.whitespace` over all tokens rebuilds the text from the first token on.
Sentences are trimmed to their first and last non-space token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Rows of tables.SENTENCES and tables.TOKENS for one document."""

    sentences: list[dict[str, Any]]
    tokens: list[dict[str, Any]]


def split(doc_id: str, doc: Doc) -> Segmentation:
    """Split a parsed document into sentence and token rows.

    doc_id (str): The document's id.
    doc (Doc): spaCy's parse of the document's `text` (the whole text, unchanged).
    RETURNS (Segmentation): Rows in order; offsets index `doc.text`.
    """
    text = doc.text
    kept = [t for t in doc if not t.is_space]
    token_id = {t.i: n for n, t in enumerate(kept)}
    sentences: list[dict[str, Any]] = []
    sentence_of: dict[int, int] = {}
    for sent in doc.sents:
        words = [t for t in sent if not t.is_space]
        if not words:
            continue
        number = len(sentences)
        start, end = words[0].idx, words[-1].idx + len(words[-1].text)
        sentences.append(
            {
                "doc_id": doc_id,
                "sentence_id": number,
                "start": start,
                "end": end,
                "text": text[start:end],
            }
        )
        for t in words:
            sentence_of[t.i] = number
    tokens: list[dict[str, Any]] = []
    for n, t in enumerate(kept):
        start = t.idx
        end = start + len(t.text)
        following = kept[n + 1].idx if n + 1 < len(kept) else len(text)
        head = token_id.get(t.head.i, n)  # a head on a SPACE token: the token heads itself
        tokens.append(
            {
                "doc_id": doc_id,
                "token_id": n,
                "sentence_id": sentence_of[t.i],
                "start": start,
                "end": end,
                "text": t.text,
                "lemma": t.lemma_,
                "pos": t.pos_,
                "tag": t.tag_,
                "dep": t.dep_,
                "head_token_id": head,
                "whitespace": text[end:following],
            }
        )
    return Segmentation(sentences=sentences, tokens=tokens)
