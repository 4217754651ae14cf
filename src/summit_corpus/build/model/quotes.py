"""QUOTE (the scheme's `rules.quote`, `rule/quote.v1`): the text between paired quote marks.

`find_quotes` works on the text alone; `quotes` snaps each quotation inward to token
boundaries so that a QUOTE span never splits a token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.tokens import Doc

from summit_corpus.build.model.spans import ModelSpan
from summit_corpus.core.scheme import Scheme


def find_quotes(text: str, marks: Sequence[tuple[str, str]]) -> list[tuple[int, int]]:
    """Find quotations: the text between paired quote marks, paragraph by paragraph.

    text (str): The document text.
    marks (Sequence[tuple[str, str]]): (opening, closing) mark pairs from the scheme.
    RETURNS (list[tuple[int, int]]): (start, end) offsets of the text inside each pair, marks
        excluded, surrounding whitespace trimmed, in text order. An opening mark with no
        closing mark in its paragraph opens no quotation; quotes nested in a quote are part
        of the outer one.
    """
    closing = dict(marks)
    # Jump from one opening mark to the next instead of stepping through every character.
    openers = "".join(re.escape(mark) for mark in closing if len(mark) == 1)
    if not openers:
        return []
    opening = re.compile(f"[{openers}]")
    out = []
    i = 0
    while True:
        found = opening.search(text, i)
        if found is None:
            break
        i = found.start()
        if _opens(text, i):
            j = _closing_mark(text, i, closing[text[i]])
            if j is not None:
                start, end = i + 1, j
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if start < end:
                    out.append((start, end))
                i = j + 1
                continue
        i += 1
    return out


def _opens(text: str, i: int) -> bool:
    # An opening mark is not glued to a letter on its left (an apostrophe in "Russia’s" is).
    return i == 0 or not text[i - 1].isalnum()


_LINE_END = re.compile("[\n\r]")


def _closing_mark(text: str, i: int, close: str) -> int | None:
    # The first `close` after i on the same line that no letter follows.
    if len(close) != 1:
        return None
    line_end = _LINE_END.search(text, i + 1)
    stop = len(text) if line_end is None else line_end.start()
    j = text.find(close, i + 1, stop)
    while j >= 0:
        if not (j + 1 < len(text) and text[j + 1].isalpha()):
            return j
        j = text.find(close, j + 1, stop)
    return None


def quotes(doc: Doc, text: str, scheme: Scheme) -> list[ModelSpan]:
    rule = scheme.rules.quote
    out = []
    for start, end in find_quotes(text, rule.marks):
        # Snap inward to token boundaries so a quote never splits a token.
        span = doc.char_span(start, end, alignment_mode="contract")
        if span is None or len(span) == 0:
            continue
        out.append(
            ModelSpan(span.start_char, span.end_char, "QUOTE", rule.name, span.start, span.end)
        )
    return out
