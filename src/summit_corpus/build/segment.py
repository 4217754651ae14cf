"""Segment: a parsed spaCy `Doc` becomes sentence and token rows with exact offsets.

Whitespace-only tokens (spaCy's SPACE tokens for line breaks and runs of spaces) are not
rows of their own: their text is folded into the preceding token's `whitespace`, so that
`token.text + token.whitespace` over all tokens rebuilds the text from the first token on.
Sentences are trimmed to their first and last non-space token.

The work is columnar, for speed at scale: `arrays` reads one Doc's attributes into NumPy
arrays (`Doc.to_array`, no Token objects), and `tables` turns the arrays of a whole batch of
documents into the two Arrow tables at once, mapping spaCy's string hashes to strings once
per distinct value. `split` is the one-document view of the same code, as row dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from spacy.attrs import DEP, HEAD, IDX, IS_SPACE, LEMMA, ORTH, POS, SENT_START, TAG
from spacy.strings import StringStore
from spacy.tokens import Doc

from summit_corpus.core import tables

# The attributes read per token, in this order (string attributes first).
_ATTRS = (ORTH, LEMMA, POS, TAG, DEP, IDX, HEAD, IS_SPACE, SENT_START)
_STRING_COLUMNS = ("text", "lemma", "pos", "tag", "dep")


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Rows of tables.SENTENCES and tables.TOKENS for one document."""

    sentences: list[dict[str, Any]]
    tokens: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DocArrays:
    """One document's tokens and sentences as arrays; strings still as spaCy hashes.

    text (str): The document text (`doc.text`).
    hashes (np.ndarray): (n, 5) uint64: ORTH, LEMMA, POS, TAG, DEP of each non-space token.
    start (np.ndarray): Each non-space token's start offset.
    following (np.ndarray): Start of the next non-space token (`len(text)` after the last):
        a token's whitespace runs from its end to there.
    sentence_id (np.ndarray): Each non-space token's sentence number (sentences with no
        non-space token are not counted).
    head (np.ndarray): Each non-space token's head as a token_id (itself when the head is a
        space token).
    first (np.ndarray): Per sentence, the position of its first non-space token.
    last (np.ndarray): Per sentence, the position of its last non-space token.
    """

    text: str
    hashes: npt.NDArray[np.uint64]
    start: npt.NDArray[np.int64]
    following: npt.NDArray[np.int64]
    sentence_id: npt.NDArray[np.int64]
    head: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]
    last: npt.NDArray[np.int64]


def arrays(text: str, doc: Doc) -> DocArrays:
    """Read a parsed document's tokens and sentences into arrays.

    text (str): The document text; `doc` must be spaCy's parse of it, unchanged.
    doc (Doc): The parsed document (needs sentence boundaries).
    RETURNS (DocArrays): The non-space tokens and the sentences they make.
    """
    if len(doc) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return DocArrays(text, np.zeros((0, 5), np.uint64), *[empty] * 6)
    values = np.asarray(doc.to_array(list(_ATTRS)), dtype=np.uint64)
    signed = values.view(np.int64)
    kept = values[:, 7] == 0
    positions = np.flatnonzero(kept)
    sentence_of = np.cumsum(sentence_boundaries(doc, signed[:, 8])) - 1
    token_id = np.cumsum(kept) - 1
    start = signed[positions, 5]
    following = np.append(start[1:], len(text))
    heads = positions + signed[positions, 6]  # HEAD is relative
    head = np.where(kept[heads], token_id[heads], np.arange(len(positions)))
    raw_sentence = sentence_of[positions]
    new = np.ones(len(positions), dtype=bool)
    new[1:] = raw_sentence[1:] != raw_sentence[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(positions)) - 1
    return DocArrays(
        text=text,
        hashes=values[positions, :5],
        start=start,
        following=following,
        sentence_id=np.cumsum(new) - 1,
        head=head,
        first=first,
        last=last,
    )


def sentence_boundaries(
    doc: Doc, sent_start: npt.NDArray[np.int64] | None = None
) -> npt.NDArray[np.bool_]:
    """Where each sentence of `doc.sents` starts, without making a Span or Token per token.

    doc (Doc): A non-empty parsed document.
    sent_start (np.ndarray | None): `doc.to_array(SENT_START)` as int64, when already read.
    RETURNS (np.ndarray): One bool per token: True where a sentence starts.
    """
    if "sents" in doc.user_hooks or not doc.has_annotation("SENT_START"):
        # doc.sents itself: a custom sentence hook, or the error of a Doc with no sentences.
        hooked = np.zeros(len(doc), dtype=bool)
        hooked[[sent.start for sent in doc.sents]] = True
        return hooked
    if sent_start is None:
        sent_start = doc.to_array(SENT_START).view(np.int64)
    # As doc.sents: a sentence starts at token 0 and wherever SENT_START is 1.
    boundary: npt.NDArray[np.bool_] = np.asarray(sent_start == 1)
    boundary[0] = True
    return boundary


def tables_of(
    doc_ids: Sequence[str], parts: Sequence[DocArrays], strings: StringStore
) -> tuple[pa.Table, pa.Table]:
    """Build the sentences and tokens tables of a batch of documents.

    doc_ids (Sequence[str]): The documents' ids, one per part.
    parts (Sequence[DocArrays]): The documents' arrays, from `arrays`.
    strings (StringStore): The vocabulary's strings (`doc.vocab.strings`).
    RETURNS (tuple[pa.Table, pa.Table]): Rows of tables.SENTENCES and tables.TOKENS (their
        schemas), documents in the given order, rows in order within each; not sorted.
    """
    counts = np.array([len(p.start) for p in parts], dtype=np.int64)
    n = int(counts.sum())
    hashes = np.concatenate([p.hashes for p in parts]) if parts else np.zeros((0, 5), np.uint64)
    columns: dict[str, pa.Array] = {}
    lengths = np.zeros(n, dtype=np.int64)
    for j, name in enumerate(_STRING_COLUMNS):
        # Each distinct hash is looked up once per batch, not once per token.
        distinct, inverse = np.unique(hashes[:, j], return_inverse=True)
        words = [strings[h] for h in distinct.tolist()]
        columns[name] = pa.array(words, pa.string()).take(pa.array(inverse.reshape(-1)))
        if name == "text":
            lengths = np.array([len(w) for w in words], dtype=np.int64)[inverse.reshape(-1)]
    start = np.concatenate([p.start for p in parts]) if parts else np.zeros(0, np.int64)
    end = start + lengths
    whitespace: list[str] = []
    sentence_rows: dict[str, list[Any]] = {"start": [], "end": [], "text": []}
    offset = 0
    for part, count in zip(parts, counts.tolist(), strict=True):
        text = part.text
        ends = end[offset : offset + count]
        gaps = zip(ends.tolist(), part.following.tolist(), strict=True)
        whitespace += [text[e:f] for e, f in gaps]
        starts = part.start[part.first].tolist()
        stops = ends[part.last].tolist()
        sentence_rows["start"] += starts
        sentence_rows["end"] += stops
        sentence_rows["text"] += [text[a:b] for a, b in zip(starts, stops, strict=True)]
        offset += count
    ids = pa.array(list(doc_ids), pa.string())
    document = np.repeat(np.arange(len(parts)), counts)
    sentence_counts = [len(p.first) for p in parts]
    sentences = pa.Table.from_arrays(
        [
            ids.take(pa.array(np.repeat(np.arange(len(parts)), sentence_counts))),
            _int32([np.arange(c) for c in sentence_counts]),
            pa.array(sentence_rows["start"], pa.int32()),
            pa.array(sentence_rows["end"], pa.int32()),
            pa.array(sentence_rows["text"], pa.string()),
        ],
        schema=tables.SENTENCES.schema,
    )
    tokens = pa.Table.from_arrays(
        [
            ids.take(pa.array(document)),
            _int32([np.arange(c) for c in counts.tolist()]),
            _int32([p.sentence_id for p in parts]),
            pa.array(start.astype(np.int32)),
            pa.array(end.astype(np.int32)),
            *(columns[name] for name in _STRING_COLUMNS),
            _int32([p.head for p in parts]),
            pa.array(whitespace, pa.string()),
        ],
        schema=tables.TOKENS.schema,
    )
    return sentences, tokens


def split(doc_id: str, doc: Doc) -> Segmentation:
    """Split a parsed document into sentence and token rows.

    doc_id (str): The document's id.
    doc (Doc): spaCy's parse of the document's `text` (the whole text, unchanged).
    RETURNS (Segmentation): Rows in order; offsets index `doc.text`.
    """
    sentences, tokens = tables_of([doc_id], [arrays(doc.text, doc)], doc.vocab.strings)
    return Segmentation(sentences=sentences.to_pylist(), tokens=tokens.to_pylist())


def _int32(parts: Sequence[npt.NDArray[Any]]) -> pa.Array:
    joined = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    return pa.array(joined.astype(np.int32))
