"""Speakers the layout of lines names, for the speaker rule (`rule/speaker.v13`).

News often says who speaks by where a name stands on a line rather than by a verb: a colon
after a name before the quote ("Bush: “...”", and the inverted "Stated Cole: “...”"), a colon
that introduces the quote in a headline or a transcript, a line after the quotation that
signs it ("- Sanders.") or credits it ("Dana Cole, Institute for Fair Wages."). `speakers`
tries these among its other places (`speakers._speaker`).
"""

from __future__ import annotations

import re

from summit_corpus.build.model.mentions import Context, looks_like_name, same_line
from summit_corpus.build.model.persons import add_name, person_over
from summit_corpus.build.model.spans import SPEAKER_LABELS, ModelSpan, paragraph

# The line after a quotation that signs it ("- Sanders.") or credits it ("Dana Cole, a voter.").
_SIGNATURE_LINE = re.compile(r"\n\s*[-–—―]\s*([^\n]{1,60}?)\.?[ \t]*(?=\n|$)")
_CREDIT_LINE = re.compile(r"\n\s*(?:[-–—―]\s*)?([^\n]{1,100})(?=\n|$)")


def _line_after_quote(quote: ModelSpan, text: str, line: re.Pattern[str]) -> re.Match[str] | None:
    """RETURNS (re.Match | None): `line` matched from the end of the line the quotation ends
    (its newline), when only closing marks and a full stop follow the quotation there; None
    otherwise. Its offsets are the text's."""
    start = text.find("\n", quote.end)
    if start < 0 or text[quote.end : start].strip(" \t\xa0”\"'’.") != "":
        return None
    return line.match(text, start)


def signature_speaker(
    quote: ModelSpan, lo: int, ctx: Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """A quotation signed on the next line ("“...” / - Sanders."): the name of a paragraph
    that is a dash and a name only."""
    line = _line_after_quote(quote, ctx.text, _SIGNATURE_LINE)
    if line is None:
        return None
    name = ctx.doc.char_span(line.start(1), line.end(1), alignment_mode="expand")
    if name is None:
        return None
    spans = {ctx.by_token[t.i] for t in name if t.i in ctx.by_token}
    named = [sp for sp in spans if sp.label in SPEAKER_LABELS]
    if len(named) == 1 and named[0].start <= name.start_char + 1:
        return named[0]
    return add_name(name[-1], ctx) if all(t.pos_ == "PROPN" for t in name) else None


def credit_line_speaker(
    quote: ModelSpan, lo: int, ctx: Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """A quotation credited on the next line to a person named first there and then who
    they are ("“...” / Dana Cole, Institute for Fair Wages." or "- Dana Cole, a voter."):
    that person."""
    text = ctx.text
    line = _line_after_quote(quote, text, _CREDIT_LINE)
    if line is None:
        return None
    at = line.start(1)
    token = ctx.doc.char_span(at, at + 1, alignment_mode="expand")
    span = None if token is None else ctx.by_token.get(token.start)
    # NER may take the dash glued to the name into it ("-Dana Cole, a voter.").
    if span is None or span.label != "PERSON" or text[span.start : at].strip("-–—― \t\xa0"):
        return None
    return span if text[span.end : span.end + 1] in (",", ".") else None


def colon_speaker(
    quote: ModelSpan, lo: int, ctx: Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """ "X: ... “quote”" (headlines, transcripts, and paragraphs that introduce a quote with a
    colon): the name right before the first colon of the quote's sentences or of its
    paragraph's first words, before the quote."""
    doc = ctx.doc
    para_start, _ = paragraph(ctx.text, quote)
    first = doc.char_span(para_start, quote.start, alignment_mode="expand")
    transcript = [] if first is None else [t.i for t in first[:4] if t.text == ":"][:1]
    # The colon nearest the quote, with no other quotation between ("Clinton: “...” Bush: “...”").
    nearest = []
    for i in range(quote.first - 1, lo, -1):
        if i in ctx.quote_tokens:
            break
        if doc[i].text == ":":
            nearest = [i]
            break
    for i in [*nearest, *transcript]:
        if doc[i].text == ":" and i > 0:
            before = doc[i - 1]
            span = ctx.by_token.get(before.i)
            if span is not None:
                return span if span.label in SPEAKER_LABELS else None
            return add_name(before, ctx) if looks_like_name(before, ctx) else None
    return None


def name_colon_before(quote: ModelSpan, ctx: Context) -> ModelSpan | None:
    """The PERSON named right before a colon and the quote's opening mark ("Bush: “...”")."""
    doc = ctx.doc
    at = quote.first - 1
    while at >= 0 and doc[at].is_quote and at >= quote.first - 2:
        at -= 1
    if at < 1 or doc[at].text != ":" or not same_line(doc[at], doc[quote.first], ctx):
        return None
    inverted = inverted_name(at, ctx)
    if inverted is not None:
        return inverted
    span = ctx.by_token.get(at - 1)
    return span if span is not None and span.label == "PERSON" else None


# Past forms of speech verbs that no suffix rule gives.
_IRREGULAR_PAST = {"said": "say", "told": "tell", "wrote": "write", "spoke": "speak"}


def _speech_form(word: str, ctx: Context) -> bool:
    """Whether a word is a form of a speech verb, by its letters alone ("Stated", "Added",
    "Continued", "Replied"): the tagger reads a verb that opens a line as a name."""
    lower = word.lower()
    forms = {lower, _IRREGULAR_PAST.get(lower, lower)}
    for suffix, stem in (("ied", "y"), ("ed", ""), ("d", ""), ("es", ""), ("s", "")):
        if lower.endswith(suffix):
            forms.add(lower[: -len(suffix)] + stem)
    return bool(forms & ctx.verbs)


def inverted_name(colon: int, ctx: Context) -> ModelSpan | None:
    """The name in a line that opens with a speech verb and a name before a colon ("Stated
    Dana Cole:", "Continued Cole: “...”"): that person, a PERSON span of its words alone
    (NER often takes the verb into the name, or the two for a title)."""
    doc = ctx.doc
    start = colon
    while start > 0 and colon - start < 5 and not doc[start - 1].is_space:
        if "\n" in doc[start - 1].text or doc[start - 1].is_punct:
            break
        start -= 1
    before = ctx.text[: doc[start].idx].rstrip(" \t\xa0")
    if colon - start < 2 or (before and not before.endswith("\n")):
        return None
    verb, words = doc[start], doc[start + 1 : colon]
    if not _speech_form(verb.text, ctx) or not verb.text[:1].isupper():
        return None
    if not all(t.text[:1].isupper() and t.text.isalpha() and not t.is_stop for t in words):
        return None
    return person_over(words.start, words.end, ctx)
