"""`speaker` relations (the scheme's `rules.quote`, `rule/quote.v1`): who said each QUOTE.

The speaker is found through the dependency parse (see `_speaker`): the subject of a speech
verb the quote hangs on, else of the nearest speech verb in its sentences, else the speaker
of the quote it continues, else the nearest name. Pronouns and descriptions are resolved to
a named mention (see `_mention`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc, Token

from summit_corpus.build.model.spans import SPEAKER_LABELS, ModelSpan, Relation
from summit_corpus.build.segment import sentence_boundaries
from summit_corpus.core.scheme import Scheme

_SUBJECT_DEPS = {"nsubj", "nsubjpass"}


@dataclass(frozen=True, slots=True)
class _QuoteContext:
    """What the speaker search needs besides the quote itself."""

    verbs: frozenset[str]
    pronouns: frozenset[str]
    person_nouns: frozenset[str]
    window: int
    by_token: dict[int, ModelSpan]
    spans: tuple[ModelSpan, ...]
    quote_tokens: frozenset[int]
    sentence_of: list[int]  # token index -> sentence number
    # (start, end) token indices of each sentence: doc.sents rebuilds its spans on every call.
    sentences: tuple[tuple[int, int], ...]
    # The document text: spaCy's doc.text joins every token anew on each access.
    text: str


def speakers(
    doc: Doc,
    text: str,
    scheme: Scheme,
    quotes: Sequence[ModelSpan],
    by_token: dict[int, ModelSpan],
    spans: Sequence[ModelSpan],
) -> list[Relation]:
    if not quotes:
        return []
    rule = scheme.rules.quote
    # Sentences as doc.sents makes them, without a Token object per token.
    boundary = sentence_boundaries(doc)
    starts = np.flatnonzero(boundary).tolist()
    ctx = _QuoteContext(
        verbs=frozenset(rule.speech_verbs),
        pronouns=frozenset(rule.pronouns),
        person_nouns=frozenset(rule.person_nouns),
        window=rule.pronoun_quote_window,
        by_token=by_token,
        spans=tuple(spans),
        quote_tokens=frozenset(i for q in quotes for i in range(q.first, q.last)),
        sentence_of=(np.cumsum(boundary) - 1).tolist(),
        sentences=tuple(zip(starts, [*starts[1:], len(doc)], strict=True)),
        text=text,
    )
    out: list[Relation] = []
    previous: tuple[ModelSpan, ModelSpan] | None = (
        None  # (quote, speaker) of the last attributed quote
    )
    for quote in quotes:
        speaker = _speaker(doc, quote, ctx, previous)
        if speaker is not None:
            out.append(("speaker", quote, speaker, rule.name))
            previous = (quote, speaker)
    return out


def _speaker(
    doc: Doc, quote: ModelSpan, ctx: _QuoteContext, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """Find who said a quote.

    1. Walk up the parse from the quote's tokens: the first speech verb outside the quote
       with a subject (or, for "X quoted Y as saying", an object) gives the speaker.
    2. Else the nearest speech verb outside quotes in the quote's sentences and paragraph.
    3. Else, for a quote right after an attributed quote in the same paragraph (its sentence
       or the next one), that quote's speaker: a quotation continued after its attribution.
    4. Else the nearest PERSON or ORG span in the quote's sentences, outside quotes.
    Subjects become spans by `_mention` (names, pronouns, descriptions).
    """
    inside = range(quote.first, quote.last)
    seen: set[int] = set()
    for i in inside:
        for ancestor in doc[i].ancestors:
            if ancestor.i in inside or ancestor.i in seen:
                continue
            seen.add(ancestor.i)
            if _is_speech_verb(ancestor, ctx):
                found = _verb_speaker(doc, ancestor, ctx, previous)
                if found is not None:
                    return found
    lo, hi = _paragraph_sentences(doc, quote, ctx)
    candidates = [t for t in doc[lo:hi] if t.i not in ctx.quote_tokens and _is_speech_verb(t, ctx)]
    candidates.sort(key=lambda t: min(abs(t.i - quote.first), abs(t.i - quote.last)))
    for verb in candidates:
        found = _verb_speaker(doc, verb, ctx, previous)
        if found is not None:
            return found
    if previous is not None and _continues(doc, previous[0], quote, ctx):
        return previous[1]
    nearby = [
        s
        for s in ctx.spans
        if s.label in ("PERSON", "ORG")
        and lo <= s.first
        and s.last <= hi
        and not any(i in ctx.quote_tokens for i in range(s.first, s.last))
    ]
    nearby.sort(key=lambda s: min(abs(s.first - quote.last), abs(s.last - quote.first)))
    return nearby[0] if nearby else None


def _is_speech_verb(token: Token, ctx: _QuoteContext) -> bool:
    # A "verb" with a determiner is a noun the tagger got wrong ("the US warning about").
    return (
        token.lemma_.lower() in ctx.verbs
        and token.pos_ in ("VERB", "AUX")
        and not any(c.dep_ == "det" for c in token.children)
    )


def _paragraph_sentences(doc: Doc, span: ModelSpan, ctx: _QuoteContext) -> tuple[int, int]:
    """Token range of the sentences a span overlaps, cut to the span's paragraph (line)."""
    sents = [(a, b) for a, b in ctx.sentences if a < span.last and span.first < b]
    lo, hi = sents[0][0], sents[-1][1]
    text = ctx.text
    para_start = text.rfind("\n", 0, span.start) + 1
    para_end = text.find("\n", span.end)
    para_end = len(text) if para_end < 0 else para_end
    while lo < span.first and doc[lo].idx < para_start:
        lo += 1
    while hi > span.last and doc[hi - 1].idx >= para_end:
        hi -= 1
    return lo, hi


def _continues(doc: Doc, before: ModelSpan, quote: ModelSpan, ctx: _QuoteContext) -> bool:
    # "... border,” Psaki told reporters last week. “Russia now has ...": same paragraph, and
    # the quote starts in the sentence where the attributed quote ends or in the next one.
    if "\n" in ctx.text[before.end : quote.start]:
        return False
    gap = ctx.sentence_of[quote.first] - ctx.sentence_of[before.last - 1]
    return 0 <= gap <= 1


def _verb_speaker(
    doc: Doc, verb: Token, ctx: _QuoteContext, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    subjects: list[Token] = []
    if verb.lemma_.lower() == "quote":
        subjects += [c for c in verb.children if c.dep_ == "dobj"]
        subjects += [
            s
            for c in verb.children
            if c.dep_ in ("ccomp", "xcomp") and c.lemma_.lower() in ctx.verbs
            for s in c.children
            if s.dep_ in _SUBJECT_DEPS
        ]
    subjects += [c for c in verb.children if c.dep_ in _SUBJECT_DEPS]
    head = verb
    # "..., he said, adding that ...": a conjoined or participle verb shares its head's subject.
    while not subjects and head.dep_ in ("conj", "advcl", "xcomp") and head.head.i != head.i:
        head = head.head
        subjects += [c for c in head.children if c.dep_ in _SUBJECT_DEPS]
    if not subjects:
        # "according to X": the phrase's object speaks.
        for child in verb.children:
            if child.lower_ == "according":
                subjects += [t for t in child.subtree if t.dep_ == "pobj"]
    # Names before descriptions: "Russia's deputy foreign minister, Sergey Ryabkov stated".
    subjects.sort(key=lambda t: t.i not in ctx.by_token)
    for subject in subjects:
        found = _mention(doc, subject, ctx, previous)
        if found is not None:
            return found
    return None


def _mention(
    doc: Doc, token: Token, ctx: _QuoteContext, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """The span a subject token stands for.

    A name: its span. A pronoun: the previous quote's speaker when that quote is at most
    `window` sentences back, else the nearest PERSON before it; then the nearest earlier
    mention of that name (so the relation links the closest mention, as the guidelines ask).
    A description: a name in apposition or compound ("Kremlin spokesman Dmitry Peskov");
    else, for a person noun ("the Russian President", "Putin's press secretary"), the
    nearest PERSON before it outside its phrase; else a PERSON, ORG or GPE in its phrase
    ("Macron's office").
    """
    span = ctx.by_token.get(token.i)
    if span is not None and span.label in SPEAKER_LABELS:
        return span
    if token.lower_ in ctx.pronouns:
        referent: ModelSpan | None = None
        if previous is not None:
            back = ctx.sentence_of[token.i] - ctx.sentence_of[previous[0].first]
            if back <= ctx.window:
                referent = previous[1]
        if referent is None:
            people = [s for s in ctx.spans if s.label == "PERSON" and s.last <= token.i]
            referent = people[-1] if people else None
        return None if referent is None else _nearest_mention(doc, referent, token.i, ctx)
    phrase = {t.i for t in token.subtree}
    named = [
        ctx.by_token[t.i]
        for t in token.subtree
        if t.i in ctx.by_token and "poss" not in {a.dep_ for a in _path(t, token)}
    ]
    for candidate in named:
        if candidate.label == "PERSON":
            return candidate
    if token.lemma_.lower() in ctx.person_nouns:
        people = [
            s
            for s in ctx.spans
            if s.label == "PERSON" and s.last <= token.i and s.first not in phrase
        ]
        if people:
            return people[-1]
    inner = [ctx.by_token[t.i] for t in token.subtree if t.i in ctx.by_token]
    for label in SPEAKER_LABELS:
        for candidate in inner:
            if candidate.label == label:
                return candidate
    return None


def _path(token: Token, top: Token) -> list[Token]:
    """Tokens from `token` up to (not including) `top`."""
    out = []
    node = token
    while node.i != top.i and node.head.i != node.i:
        out.append(node)
        node = node.head
    return out


def _nearest_mention(doc: Doc, referent: ModelSpan, before: int, ctx: _QuoteContext) -> ModelSpan:
    """The last mention before token `before` of the person or organisation `referent` names:
    the same name or its last word ("Antony Blinken" ... "Blinken"), whatever label NER gave it."""
    name = ctx.text[referent.start : referent.end]
    surname = name.split()[-1]
    best = referent
    for span in ctx.spans:
        if span.label not in SPEAKER_LABELS or span.last > before or span.first < best.first:
            continue
        words = ctx.text[span.start : span.end]
        if words == name or words.split()[-1] == surname:
            best = span
    return best
