"""PERSON spans the speaker rule makes (`rule/speaker.v13`): a name NER missed, cut at a
space other than a plain one, or took under another label becomes a PERSON span of the rule,
in the place of the span it replaces (listed in `Context.replaced`, which the model layer
drops from its predictions). Every span made here is indexed by token and by surname.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spacy.tokens import Token

from summit_corpus.build.model.spans import ModelSpan

if TYPE_CHECKING:
    from summit_corpus.build.model.mentions import Context


# Dependencies that join the words of one name ("Hillary Rodham Clinton").
_NAME_DEPS = {"compound", "flat"}


TITLE_WORDS = {"mr.", "mrs.", "ms.", "dr.", "mr", "mrs", "ms", "dr", "sen.", "rep.", "gov."}


def join_split_names(ctx: Context) -> None:
    """A PERSON that NER cut at a space other than a plain one ("Stu\\xa0Burguiere" gives
    'Stu') is the whole name: a PERSON span of this rule over both words, in its place."""
    doc = ctx.doc
    for span in [s for s in ctx.spans if s.label == "PERSON" and s.last + 1 < len(doc)]:
        gap, word = doc[span.last], doc[span.last + 1]
        if (
            gap.pos_ == "SPACE"
            and "\n" not in gap.text
            and word.pos_ == "PROPN"
            and word.text.isalpha()
            and word.text[:1].isupper()
            and word.i not in ctx.by_token
            and word.i not in ctx.quote_tokens
        ):
            end = word.idx + len(word)
            whole = ModelSpan(span.start, end, "PERSON", ctx.name, span.first, word.i + 1)
            _replace(span, whole, ctx)


def person_over(first: int, last: int, ctx: Context) -> ModelSpan | None:
    """A PERSON span of this rule over tokens `first` to `last` (exclusive), in place of the
    one span NER made of them and at most the word before ("Stated Cole" for 'Cole'); the
    span itself when it is that PERSON already; None when other spans or a quote hold them."""
    doc = ctx.doc
    if any(i in ctx.quote_tokens for i in range(first, last)):
        return None
    held = {ctx.by_token[i] for i in range(first, last) if i in ctx.by_token}
    if len(held) > 1:
        return None
    old = held.pop() if held else None
    if old is not None and old.first == first and old.last == last and old.label == "PERSON":
        return old
    if old is not None and not (first - 1 <= old.first and old.last <= last):
        return None
    start, end = doc[first].idx, doc[last - 1].idx + len(doc[last - 1])
    person = ModelSpan(start, end, "PERSON", ctx.name, first, last)
    if old is not None:
        for i in range(old.first, old.last):
            ctx.by_token.pop(i, None)
        _replace(old, person, ctx)
        return person
    for i in range(first, last):
        ctx.by_token[i] = person
    ctx.spans = sorted([*ctx.spans, person], key=lambda s: s.key)
    note_surname(person, ctx)
    ctx.added.append(person)
    return person


def add_name(token: Token, ctx: Context) -> ModelSpan | None:
    """A PERSON span for a proper-noun subject NER missed: the token with the proper nouns
    joined to it as one name; None when a word of it already belongs to a span."""
    first = last = token.i
    doc = ctx.doc
    # A word NER took into another span is no part of the name ("Democrat Elijah Cummings":
    # 'Democrat' a NORP).
    while (
        first > 0
        and doc[first - 1].pos_ == "PROPN"
        and doc[first - 1].head.i in range(first, last + 1)
        and doc[first - 1].dep_ in _NAME_DEPS
        and first - 1 not in ctx.by_token
    ):
        first -= 1
    while doc[first].lower_ in TITLE_WORDS and first < last:
        first += 1
    tokens = range(first, last + 1)
    if any(i in ctx.by_token or i in ctx.quote_tokens for i in tokens):
        return None
    words = [doc[i].text for i in tokens]
    # A name is written in title case on one line ("UPDATE", "BREAKING" are headings).
    if not all(w[:1].isupper() and not (len(w) > 1 and w.isupper()) for w in words):
        return None
    if "\n" in ctx.text[doc[first].idx : doc[last].idx]:
        return None
    start, end = doc[first].idx, doc[last].idx + len(doc[last])
    span = ModelSpan(start, end, "PERSON", ctx.name, first, last + 1)
    for i in tokens:
        ctx.by_token[i] = span
    ctx.spans.append(span)
    ctx.spans.sort(key=lambda s: s.key)
    note_surname(span, ctx)
    ctx.added.append(span)
    return span


def as_person(span: ModelSpan, ctx: Context) -> ModelSpan:
    """A PERSON span of this rule in place of `span` (which is dropped)."""
    person = ModelSpan(span.start, span.end, "PERSON", ctx.name, span.first, span.last)
    _replace(span, person, ctx)
    return person


def _replace(span: ModelSpan, person: ModelSpan, ctx: Context) -> None:
    """Put the PERSON span `person` of this rule in the place of `span` (dropped)."""
    for i in range(person.first, person.last):
        ctx.by_token[i] = person
    ctx.spans = sorted([*(s for s in ctx.spans if s.key != span.key), person], key=lambda s: s.key)
    note_surname(person, ctx)
    ctx.added.append(person)
    ctx.replaced.append(span)


def note_surname(span: ModelSpan, ctx: Context) -> None:
    """Add a PERSON span's last word to the surname index, once the index is made."""
    if span.label == "PERSON" and ctx.surname_at is not None:
        word = ctx.text[span.start : span.end].split()[-1]
        ctx.surname_at[word] = min(ctx.surname_at.get(word, span.last), span.last)
