"""What the model layer's rule sets pass between them: candidate spans and relations.

A `ModelSpan` is a prediction before it gets its id: character offsets into the document
text, its label, its source (model or versioned rule name) and its token range, so that
the rules can walk the parse from it. `PreAnnotations` is the layer of one document as
table rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Token

SPEAKER_LABELS = ("PERSON", "ORG", "GPE")


@dataclass(frozen=True, slots=True)
class PreAnnotations:
    """The model layer of one document, as table rows.

    spans (tuple[dict, ...]): Rows of tables.SPANS.
    relations (tuple[dict, ...]): Rows of tables.RELATIONS.
    document_labels (tuple[dict, ...]): Rows of tables.DOCUMENT_LABELS.
    dropped (tuple[dict, ...]): Rows of tables.DROPPED_PREDICTIONS: predictions that could
        not be made valid, with the reason.
    """

    spans: tuple[dict[str, Any], ...]
    relations: tuple[dict[str, Any], ...]
    document_labels: tuple[dict[str, Any], ...]
    dropped: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ModelSpan:
    """A predicted span: character offsets, label, source and token indices (end exclusive)."""

    start: int  # character offsets
    end: int
    label: str
    source: str
    first: int  # token indices, end exclusive
    last: int

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.label)


# (label, head, tail, source) of a predicted relation.
Relation = tuple[str, ModelSpan, ModelSpan, str]


def root(doc: Doc, span: ModelSpan) -> Token:
    """RETURNS (Token): The syntactic root of the span's tokens."""
    return doc[span.first : span.last].root


def paragraph(text: str, span: ModelSpan) -> tuple[int, int]:
    """RETURNS (tuple[int, int]): Offsets of the start and end of the line (paragraph) a span
    is in, its line break excluded."""
    end = text.find("\n", span.end)
    return text.rfind("\n", 0, span.start) + 1, len(text) if end < 0 else end
