"""Predictions made valid or dropped: no model output can make a build fail.

Real web text is full of characters that spaCy keeps inside tokens or as tokens of their own:
non-breaking and thin spaces (U+00A0, U+2009), zero-width spaces (U+200B), soft hyphens
(U+00AD) and other format characters. A span the rules or NER produce may start or end on
one, or split a token. Every predicted span is therefore trimmed of Unicode whitespace
(`str.isspace`) and format characters (category Cf) at both ends and snapped inward to the
boundaries of the document's non-space tokens (those of the tokens table), until neither
changes it. A span left empty is dropped, and so is a relation whose head or tail was: a
dropped prediction is kept as a `Dropped` record with a snake_case reason, so that the build
can count and publish it instead of discarding it silently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from spacy.attrs import IDX, IS_SPACE, LENGTH
from spacy.tokens import Doc

from summit_corpus.build.model.spans import ModelSpan, Relation

# The reasons a prediction is dropped (the `reason` column of dropped_predictions).
EMPTY_AFTER_TRIM = "empty_after_trim"  # nothing but whitespace and format characters
NO_WHOLE_TOKEN = "no_whole_token"  # no whole non-space token inside the trimmed span
ENDPOINT_DROPPED = "endpoint_dropped"  # a relation whose head or tail span was dropped
REASONS = (EMPTY_AFTER_TRIM, NO_WHOLE_TOKEN, ENDPOINT_DROPPED)


@dataclass(frozen=True, slots=True)
class Dropped:
    """A prediction the model layer made and could not make valid.

    label (str): The span's or relation's label.
    source (str): Its source (model or versioned rule name).
    start (int): The span's start as predicted (a relation: its head span's).
    end (int): The span's end as predicted (a relation: its tail span's).
    reason (str): One of REASONS.
    kind (str): "span" or "relation".
    """

    label: str
    source: str
    start: int
    end: int
    reason: str
    kind: str = "span"


def is_blank(char: str) -> bool:
    """RETURNS (bool): Whether `char` is Unicode whitespace or a format character (Cf)."""
    return char.isspace() or unicodedata.category(char) == "Cf"


class Boundaries:
    """Start and end offsets of a Doc's non-space tokens, and every token's start.

    doc (Doc): The parsed document.
    """

    def __init__(self, doc: Doc) -> None:
        values = doc.to_array([IDX, LENGTH, IS_SPACE]).astype(np.int64)
        kept = values[:, 2] == 0
        self.starts: npt.NDArray[np.int64] = values[kept, 0]
        self.ends: npt.NDArray[np.int64] = values[kept, 0] + values[kept, 1]
        self.token_starts: npt.NDArray[np.int64] = values[:, 0]

    def snap(self, start: int, end: int) -> tuple[int, int]:
        """RETURNS (tuple[int, int]): The largest run of whole non-space tokens inside
        [start, end) as (start, end); start >= end when there is none."""
        first = int(np.searchsorted(self.starts, start, side="left"))
        last = int(np.searchsorted(self.ends, end, side="right")) - 1
        if first >= len(self.starts) or last < 0 or first > last:
            return start, start
        return int(self.starts[first]), int(self.ends[last])

    def tokens(self, start: int, end: int) -> tuple[int, int]:
        """RETURNS (tuple[int, int]): Doc token indices (first, end exclusive) of [start, end)."""
        first = int(np.searchsorted(self.token_starts, start, side="right")) - 1
        last = int(np.searchsorted(self.token_starts, end, side="left"))
        return max(first, 0), last


def clean_span(text: str, span: ModelSpan, bounds: Boundaries) -> ModelSpan | str:
    """Trim and snap one span.

    text (str): The document text.
    span (ModelSpan): The span as predicted.
    bounds (Boundaries): The document's token boundaries.
    RETURNS (ModelSpan | str): The valid span (the same object when nothing changed), or the
        reason it is dropped.
    """
    start, end = span.start, span.end
    while True:
        while start < end and is_blank(text[start]):
            start += 1
        while end > start and is_blank(text[end - 1]):
            end -= 1
        if start >= end:
            return EMPTY_AFTER_TRIM
        snapped = bounds.snap(start, end)
        if snapped[0] >= snapped[1]:
            return NO_WHOLE_TOKEN
        if snapped == (start, end):
            break
        start, end = snapped
    if (start, end) == (span.start, span.end):
        return span
    first, last = bounds.tokens(start, end)
    return replace(span, start=start, end=end, first=first, last=last)


def clean_spans(
    text: str, doc: Doc, spans: Sequence[ModelSpan]
) -> tuple[list[ModelSpan], list[Dropped], dict[tuple[int, int, str], ModelSpan]]:
    """Trim and snap every span.

    text (str): The document text.
    doc (Doc): Its parse.
    spans (Sequence[ModelSpan]): The predicted spans.
    RETURNS (tuple): The kept spans, the dropped ones, and the predicted span's key -> the
        kept span (for relations, whose ends are predicted spans).
    """
    bounds = Boundaries(doc)
    kept: list[ModelSpan] = []
    dropped: list[Dropped] = []
    kept_of: dict[tuple[int, int, str], ModelSpan] = {}
    for span in spans:
        result = clean_span(text, span, bounds)
        if isinstance(result, str):
            dropped.append(Dropped(span.label, span.source, span.start, span.end, result))
        else:
            kept.append(result)
            kept_of[span.key] = result
    return kept, dropped, kept_of


def clean_relations(
    relations: Sequence[Relation], kept_of: dict[tuple[int, int, str], ModelSpan]
) -> tuple[list[Relation], list[Dropped]]:
    """RETURNS (tuple): The relations with their ends replaced by the kept spans, and those
    whose head or tail was dropped, as Dropped records."""
    kept: list[Relation] = []
    dropped: list[Dropped] = []
    for label, head, tail, source in relations:
        new_head, new_tail = kept_of.get(head.key), kept_of.get(tail.key)
        if new_head is None or new_tail is None:
            dropped.append(
                Dropped(label, source, head.start, tail.end, ENDPOINT_DROPPED, "relation")
            )
        else:
            kept.append((label, new_head, new_tail, source))
    return kept, dropped
