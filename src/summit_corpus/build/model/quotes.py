"""QUOTE (the scheme's `rules.quote`, `rule/quote.v8`): the text between paired quote marks.

`find_quotes` works on the text alone, one paragraph (line) at a time, over every
quotation-mark convention of news text:

- double marks: curly (“ ”), straight ("), and the two apostrophes of the NYT archive ('');
  an opening and a closing mark of any of them pair ("mixed pairs": “...", "...”);
- single marks (‘ ’, '), as headlines quote; a single mark inside an open double quotation
  is a nested quote and part of the outer one;
- a paragraph that opens a double quotation and does not close it: the quotation runs to the
  paragraph's end, whether the next paragraph opens it again (news style for a quotation over
  several paragraphs: the part in each paragraph is its own quotation) or not (a paragraph
  broken inside the quotation, a signature line after it); a double quotation that runs into
  a mark that can only open (“...“, or a straight mark after a space: a closing mark left
  out) ends there, a quotation of its own.

Whether a mark opens or closes is read from its neighbours: an opening mark has no letter or
digit on its left and no space on its right; a closing mark has no space on its left and no
letter or digit on its right. So an apostrophe ("Russia’s", "don't") is never a mark, nor is
a straight quote glued to "=" or ">" (markup: `datetime="2015-12-02">`). A single mark that
opens an elision ("‘bout", "'90s") opens nothing. A double mark after a comma or a full stop
and glued to the next word closes too (the space after it left out: `state,"Dana Cole`).

`quotes` then keeps the quotations that are someone's words, not titles (`titles`: a work
with its author, a title-case quotation (a book's subtitle may be longer) after a possessive
or a word such as "on", before what it is or its star, listed with a title, or defined by
its sentence) nor subheads
(`is_subhead`: a paragraph that is only a quotation in single marks), and snaps each inward
to token boundaries; once speakers are found, `is_label` tells the labels and titles that
nothing in the text attributes to anyone (a quotation the text names, "titled"/"called", is
attributed). What a crowd chants or a sign reads (`voiced_after`: "chants of", "read") is
someone's words, neither a title nor a label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc

from summit_corpus.build.model.sanitize import is_blank
from summit_corpus.build.model.spans import ModelSpan
from summit_corpus.core.scheme import QuoteRule, Scheme

_OPEN, _CLOSE, _BOTH = 1, 2, 3
# Characters after which an opening mark may stand (besides spaces and the line start).
_BEFORE_OPEN = frozenset("([{—–-/:;,…*>|_”’")
# Curly double marks say which they are, whatever their neighbours: “ opens (and may close,
# as some outlets write it: “abhorrent“ in a tweet) and ” closes.
_ALWAYS_OPENS = frozenset("“")
_ALWAYS_CLOSES = frozenset("”")


@dataclass(frozen=True, slots=True)
class Quotation:
    """A quotation found in the text.

    start (int): Offset of its first character (the opening mark excluded).
    end (int): Offset after its last character (the closing mark excluded).
    single (bool): Whether single marks enclose it.
    unclosed (bool): Whether it runs to its paragraph's end (continued in the next one).
    """

    start: int
    end: int
    single: bool = False
    unclosed: bool = False


@dataclass(frozen=True, slots=True)
class _Mark:
    at: int  # offset of the mark
    end: int  # offset after it
    single: bool
    role: int  # _OPEN, _CLOSE or _BOTH


def find_quotes(
    text: str,
    marks: Sequence[tuple[str, str]],
    single_marks: Sequence[tuple[str, str]] = (),
    elisions: Sequence[str] = (),
) -> list[Quotation]:
    """Find quotations, paragraph by paragraph.

    text (str): The document text.
    marks (Sequence[tuple[str, str]]): (opening, closing) double mark pairs from the scheme.
    single_marks (Sequence[tuple[str, str]]): (opening, closing) single mark pairs.
    elisions (Sequence[str]): Lowercase words a single mark shortens ("bout", "em", "90s").
    RETURNS (list[Quotation]): The quotations, surrounding blanks trimmed, in text order.
    """
    finder = _Finder(marks, single_marks, elisions)
    out: list[Quotation] = []
    for line in re.finditer(r"[^\n\r]+", text):
        out.extend(finder.line(text, line.start(), line.end()))
    return out


class _Finder:
    """The marks of one scheme, compiled."""

    def __init__(
        self,
        marks: Sequence[tuple[str, str]],
        single_marks: Sequence[tuple[str, str]],
        elisions: Sequence[str],
    ) -> None:
        self.double_open = {a for a, _ in marks}
        self.double_close = {b for _, b in marks}
        self.single_open = {a for a, _ in single_marks}
        self.single_close = {b for _, b in single_marks}
        every = sorted(
            self.double_open | self.double_close | self.single_open | self.single_close,
            key=lambda m: -len(m),
        )
        self.pattern = re.compile("|".join(re.escape(m) for m in every)) if every else None
        self.elision = (
            re.compile(rf"(?:{'|'.join(re.escape(e) for e in elisions)})\b", re.IGNORECASE)
            if elisions
            else None
        )

    def marks(self, text: str, start: int, end: int) -> list[_Mark]:
        """RETURNS (list[_Mark]): The marks of text[start:end] that may open or close."""
        out: list[_Mark] = []
        if self.pattern is None:
            return out
        for found in self.pattern.finditer(text, start, end):
            mark, at, after = found.group(), found.start(), found.end()
            before = text[at - 1] if at > start else " "
            following = text[after] if after < end else " "
            single = mark not in self.double_open and mark not in self.double_close
            opens = (mark in self.double_open or mark in self.single_open) and (
                _can_open(before, following) or mark in _ALWAYS_OPENS
            )
            if opens and single:
                opens = not following.isdigit() and (
                    self.elision is None or self.elision.match(text, after) is None
                )
            closes = (mark in self.double_close or mark in self.single_close) and (
                _can_close(before, following)
                or mark in _ALWAYS_CLOSES
                or (not single and before.isspace() and following.isspace())  # "... ''  said"
                # A double mark after a comma or a full stop with the space after it left
                # out ("... audiences,"Dana Cole said") closes (and may open: `said,"Look`).
                or (not single and before in ",.?!" and following.isalpha())
            )
            role = (_OPEN if opens else 0) | (_CLOSE if closes else 0)
            if role:
                out.append(_Mark(at, after, single, role))
        return out

    def line(self, text: str, start: int, end: int) -> list[Quotation]:
        """The quotations of one paragraph.

        RETURNS (list[Quotation]): Its quotations in order: those closed in it, one that runs
            into a new opening mark, and last at most one still open at its end.
        """
        marks = self.marks(text, start, end)
        out: list[Quotation] = []
        double: _Mark | None = None
        single: _Mark | None = None
        for mark in marks:
            if double is not None:
                if mark.single:
                    continue  # nested: part of the outer quotation
                if mark.role & _CLOSE:
                    _emit(text, double.end, mark.at, False, False, out)
                    double = None
                else:  # a mark that can only open: the open quotation ran to here
                    _emit(text, double.end, mark.at, False, True, out)
                    double = mark
            elif single is not None and mark.single:
                if mark.role & _CLOSE:
                    _emit(text, single.end, mark.at, True, False, out)
                    single = None
            elif mark.role & _OPEN:
                if mark.single:
                    single = mark
                else:
                    double, single = mark, None
        if double is not None:
            _emit(text, double.end, end, False, True, out)
        return out


def _can_open(before: str, following: str) -> bool:
    # A mark before ">" closes a markup attribute (`tweet-date="...">`), never a quotation.
    return (before.isspace() or before in _BEFORE_OPEN or before in "“‘\"'") and not (
        following.isspace() or is_blank(following) or following == ">"
    )


def _can_close(before: str, following: str) -> bool:
    return not (before.isspace() or is_blank(before)) and not following.isalnum()


def _emit(
    text: str, start: int, end: int, single: bool, unclosed: bool, out: list[Quotation]
) -> None:
    while start < end and is_blank(text[start]):
        start += 1
    while end > start and is_blank(text[end - 1]):
        end -= 1
    if start < end:
        out.append(Quotation(start, end, single, unclosed))


_WORD = re.compile(r"[^\W_][\w’'.&-]*")
_LAST_WORD = re.compile(r"([^\W_][\w’'.-]*|[^\w\s])\W*$")
# A comma after a quotation, inside its closing mark or after it, read from its last character.
_COMMA = r"(?:,[\s”\"'’]+|[^,][\s”\"'’]*,\s+)"
# After a work: its author ("“Title,” by Jane Doe", "by Outlet's Jane Doe").
_BY_AUTHOR = re.compile(_COMMA + r"by\s+(?:the\s+)?[A-Z]")
_NEXT_WORD = re.compile(r"[\s”\"'’]*([^\W_][\w-]*)")
# After a title's closing mark: what it is ("“Night Shift,” a drama", "an HBO series").
_APPOSITION = re.compile(_COMMA + r"an?\s")
# After a quotation that opens a sentence: what it is ("“Night Shift” is a drama", "“Tier
# two” was the lowest level"), a definition of the words, not the words.
_DEFINED = re.compile(r"[\s”\"'’]*(?:is|was)\s+(?:a|an|the)\s")
# Between two quotations of one list ("“Night Shift,” “Dawn” and “Dusk”").
_LIST_GAP = re.compile(r"[\s”“\"'’‘,]*(?:(?:and|or|,)[\s”“\"'’‘]*)?")


def is_title(text: str, quote: Quotation, rule: QuoteRule) -> bool:
    """Whether a quotation is a title, not someone's words: a work cited with its author
    ("“A Year in the Life,” by Jane Doe"); or in title case (every word capitalised but the
    small words), at most `rule.title_max_words` words (each part of a "Title: Subtitle"),
    right after a possessive ("NBC's") or one of `rule.title_after` ("on", "the podcast",
    "according to"), right before one of `rule.title_before` (the “Night Shift” star), or
    before what it is ("“Night Shift,” a drama"); or words a sentence opens with to define
    them ("“Tier two” is the lowest level").

    text (str): The document text.
    quote (Quotation): The quotation.
    rule (QuoteRule): The scheme's quote rule.
    RETURNS (bool): True for a title.
    """
    if _after_any(text, quote.start, rule.voiced_after):
        return False  # a chant, a sign's words: someone's words, never a title
    line_end = text.find("\n", quote.end)
    after = text[quote.end : len(text) if line_end < 0 else line_end]
    if _BY_AUTHOR.match(text[quote.end - 1] + after) is not None:
        return True
    if _DEFINED.match(after) is not None and _opens_sentence(text, quote):
        return True
    if not _title_shaped(text, quote, rule):
        return False
    following = _NEXT_WORD.match(after)
    if following is not None and following.group(1).lower() in rule.title_before:
        return True
    if _APPOSITION.match(text[quote.end - 1] + after) is not None:
        return True
    line_start = text.rfind("\n", 0, quote.start) + 1
    window = text[max(line_start, quote.start - 60) : quote.start - 1]
    before = _LAST_WORD.search(window)
    if before is None:
        return False
    word = before.group(1).lower()
    if word.endswith(("’s", "'s", "s’")) or word in rule.title_after:
        return True
    lowered = " ".join(_WORD.findall(window.lower())[-2:])
    return any(" " in p and lowered.endswith(p) for p in rule.title_after)


def _opens_sentence(text: str, quote: Quotation) -> bool:
    """Whether a quotation opens its sentence: only marks between it and the paragraph's
    start or the end of the sentence before."""
    line_start = text.rfind("\n", 0, quote.start) + 1
    before = text[line_start : quote.start].rstrip(" \t\xa0“”\"'‘’")
    return before == "" or before[-1] in ".?!"


def _title_shaped(text: str, quote: Quotation, rule: QuoteRule) -> bool:
    """Whether a quotation is in title case, its first word too ("a Trojan Horse" is
    words), at most `rule.title_max_words` words in each part of a "Title: Subtitle"."""
    words = _WORD.findall(text, quote.start, quote.end)
    parts = text[quote.start : quote.end].split(": ", 1)
    # A book's subtitle runs longer than a title ("Backfire: The Long Battle for the Soul of
    # the Firm"): after a "Title:", twice the words.
    longest = [rule.title_max_words, 2 * rule.title_max_words]
    if not words or any(len(_WORD.findall(p)) > n for p, n in zip(parts, longest, strict=False)):
        return False
    if words[0][0].isalpha() and not words[0][0].isupper():
        return False
    return _title_case(words, rule)


def titles(text: str, found: Sequence[Quotation], rule: QuoteRule) -> set[int]:
    """The titles among quotations (`is_title`), and the title-shaped ones listed with a
    title: “Night Shift,” “Dawn” and “Dusk” are three shows when one of them is.

    text (str): The document text.
    found (Sequence[Quotation]): The quotations, in text order.
    rule (QuoteRule): The scheme's quote rule.
    RETURNS (set[int]): Indices of the titles in `found`.
    """
    out = {i for i, quote in enumerate(found) if is_title(text, quote, rule)}
    # Quotation i and the next are items of one list (no sentence ends between them).
    listed = [
        i + 1 < len(found)
        and text[found[i].end - 1] not in ".?!"
        and _LIST_GAP.fullmatch(text, found[i].end, found[i + 1].start) is not None
        for i in range(len(found))
    ]
    shaped = {i for i, q in enumerate(found) if _title_shaped(text, q, rule)}
    grown = True
    while grown:
        grown = False
        for i in sorted(shaped - out):
            if (i > 0 and listed[i - 1] and i - 1 in out) or (listed[i] and i + 1 in out):
                out.add(i)
                grown = True
    return out


def _title_case(words: Sequence[str], rule: QuoteRule) -> bool:
    small = set(rule.title_small_words)
    content = [w for w in words if w.lower() not in small and w[0].isalpha()]
    return bool(content) and all(w[0].isupper() for w in content)


# How a speaker is found (`speakers._speaker`) when nothing in the text attributes the quote:
# no speaker at all, or one taken from position alone. ("unnamed": a speech verb with a
# subject that names no one, "“Okay,” I said", attributes it: not in this set.)
UNATTRIBUTED = frozenset({"none", "nearest_name", "previous_paragraph"})


def is_label(text: str, quote: ModelSpan, found_by: str, rule: QuoteRule) -> bool:
    """Whether a quotation nothing attributes (`found_by` in `UNATTRIBUTED`) is a label or a
    title, not someone's words: at most `rule.label_max_words` words with no speaker at all
    (scare quotes: the “undercard” debate), or, outside the headline, at most
    `rule.title_max_words` words in title case with no closing punctuation (“Three Amigos”,
    a show, a slogan on a sign).

    text (str): The document text.
    quote (ModelSpan): The QUOTE span.
    found_by (str): How its speaker was found.
    rule (QuoteRule): The scheme's quote rule.
    RETURNS (bool): True for a label or a title.
    """
    if found_by not in UNATTRIBUTED or _named(text, quote.start, rule):
        return False
    if _after_any(text, quote.start, rule.voiced_after):
        return False
    words = _WORD.findall(text, quote.start, quote.end)
    if found_by == "none" and len(words) <= rule.label_max_words:
        return True
    headline = text.find("\n", 0, quote.start) < 0  # on the first line, without a copy
    return (
        not headline
        and 0 < len(words) <= rule.title_max_words
        and text[quote.end - 1] not in ".,;:?!…"
        and _title_case(words, rule)
    )


def is_subhead(text: str, quote: Quotation) -> bool:
    """Whether a quotation in single marks is its whole paragraph: a subhead that quotes a
    phrase of the section it opens (‘A long night.’ on a line of its own), not a quotation.

    text (str): The document text.
    quote (Quotation): The quotation.
    RETURNS (bool): True for a subhead.
    """
    if not quote.single:
        return False
    start = text.rfind("\n", 0, quote.start) + 1
    end = text.find("\n", quote.end)
    marks = " \t\xa0'‘’.?!"
    return (
        text[start : quote.start].strip(marks) == ""
        and text[quote.end : len(text) if end < 0 else end].strip(marks) == ""
    )


def _named(text: str, start: int, rule: QuoteRule) -> bool:
    """Whether one of `rule.named_after` comes right before a quotation (an article between
    them allowed: "called an “inversion”")."""
    return _after_any(text, start, rule.named_after, articles=True)


def _after_any(text: str, start: int, cues: Sequence[str], articles: bool = False) -> bool:
    """Whether one of `cues` (a word or two, lowercase) comes right before offset `start` on
    its line; with `articles`, an article between them is allowed."""
    if not cues:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    words = _WORD.findall(text[max(line_start, start - 40) : start].lower())[-3:]
    if articles and words and words[-1] in ("a", "an", "the"):
        words = words[:-1]
    return bool(words) and (words[-1] in cues or " ".join(words[-2:]) in cues)


def quotes(doc: Doc, text: str, scheme: Scheme) -> list[ModelSpan]:
    """QUOTE spans: the quotations that are someone's words, snapped inward to tokens.

    doc (Doc): The parsed text.
    text (str): The document text.
    scheme (Scheme): The scheme (its `rules.quote`).
    RETURNS (list[ModelSpan]): The QUOTE spans, in text order.
    """
    rule = scheme.rules.quote
    out = []
    found = find_quotes(text, rule.marks, rule.single_marks, rule.elisions)
    skip = titles(text, found, rule)
    for i, quote in enumerate(found):
        if i in skip or is_subhead(text, quote):
            continue
        span = doc.char_span(quote.start, quote.end, alignment_mode="contract")
        if span is None or len(span) == 0:
            continue
        out.append(
            ModelSpan(span.start_char, span.end_char, "QUOTE", rule.name, span.start, span.end)
        )
    return out
