"""Mentions for the speaker rule (`rule/speaker.v13`): which span a subject token stands for.

`speakers` decides where a quote's speaker is said (`speakers._speaker`); this module turns
the token found there into a span: a name is its span; a proper noun NER missed becomes a
PERSON span of the rule; a pronoun or a description ("the senator") is the most recent named
source before it (the subject of a speech or source verb, or a quote's speaker), linked at its
nearest mention. A place or outlet that only modifies a description ("the Vermont senator")
is never the speaker, nor is a title the parser takes for the subject ("Gov.", an ORG 'Navy
Capt'): the person named after it is. A plural ("Democrats") never becomes a PERSON; the
surname of a person named before does, whatever the tagger or NER took it for.
`Context` holds what the search needs about one document.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import DEP, HEAD, LEMMA, POS
from spacy.symbols import AUX, VERB
from spacy.tokens import Doc, Token

from summit_corpus.build.model.persons import TITLE_WORDS, add_name, as_person, note_surname
from summit_corpus.build.model.spans import SPEAKER_LABELS, ModelSpan
from summit_corpus.build.segment import sentence_boundaries
from summit_corpus.core.scheme import Scheme

SUBJECT_DEPS = {"nsubj", "nsubjpass"}


# A verb on one of these dependencies shares the subject of the clause it hangs on.
_SHARED_SUBJECT = {"conj", "advcl", "xcomp", "acl", "dobj", "pobj", "prep", "pcomp", "acomp"}


# What the parser makes of a subject after its verb ("said master of ceremonies X").
_INVERTED_SUBJECT_DEPS = {"attr", "npadvmod", "appos"}


# Dependencies that lead out of a subject's own phrase to other people's names.
_NOT_THE_PHRASE_DEPS = {"poss", "prep", "pobj", "relcl", "acl", "advcl", "ccomp", "conj"}


@dataclass(slots=True)
class Context:
    """What the speaker search needs besides the quote itself."""

    doc: Doc
    text: str
    name: str  # the rule's versioned name
    verbs: frozenset[str]
    source_verbs: frozenset[str]
    pronouns: frozenset[str]
    person_nouns: frozenset[str]
    by_token: dict[int, ModelSpan]
    spans: list[ModelSpan]
    quote_tokens: frozenset[int]
    # (start, end) token indices of each sentence: doc.sents rebuilds its spans on every call.
    sentences: tuple[tuple[int, int], ...]
    sentence_of: list[int]
    # Named sources in text order: (token index, span), read by pronouns and descriptions.
    source_at: list[int] = field(default_factory=list)
    source_span: list[ModelSpan] = field(default_factory=list)
    added: list[ModelSpan] = field(default_factory=list)
    # The last word of each PERSON -> the token after its first mention (`_known_surname`);
    # None until first asked for.
    surname_at: dict[str, int] | None = None
    replaced: list[ModelSpan] = field(default_factory=list)


def make_context(
    doc: Doc, text: str, scheme: Scheme, spans: Sequence[ModelSpan], quotes: Sequence[ModelSpan]
) -> Context:
    rule = scheme.rules.speaker
    by_token: dict[int, ModelSpan] = {}
    for span in spans:
        if span.label != "QUOTE":
            for i in range(span.first, span.last):
                by_token[i] = span
    # Sentences as doc.sents makes them, without a Token object per token.
    boundary = sentence_boundaries(doc)
    starts = np.flatnonzero(boundary).tolist()
    return Context(
        doc=doc,
        text=text,
        name=rule.name,
        verbs=frozenset(rule.speech_verbs),
        source_verbs=frozenset(rule.source_verbs),
        pronouns=frozenset(rule.pronouns),
        person_nouns=frozenset(rule.person_nouns),
        by_token=by_token,
        spans=[s for s in spans if s.label in SPEAKER_LABELS],
        quote_tokens=frozenset(i for q in quotes for i in range(q.first, q.last)),
        sentences=tuple(zip(starts, [*starts[1:], len(doc)], strict=True)),
        sentence_of=(np.cumsum(boundary) - 1).tolist(),
    )


def _verb_indices(doc: Doc, lemmas: frozenset[str]) -> list[int]:
    """Indices of the VERB and AUX tokens whose lemma is in `lemmas`, read as columns."""
    if len(doc) == 0:
        return []
    values = doc.to_array([POS, LEMMA])
    verb = (values[:, 0] == VERB) | (values[:, 0] == AUX)
    strings = doc.vocab.strings
    found = [h for h in np.unique(values[verb, 1]).tolist() if strings[h].lower() in lemmas]
    hits: list[int] = np.flatnonzero(verb & np.isin(values[:, 1], found)).tolist()
    return hits


def collect_sources(ctx: Context) -> None:
    """The named sources outside quotes, in text order: the named subjects of speech and
    source verbs, and of main clauses."""
    for i in _verb_indices(ctx.doc, ctx.verbs | ctx.source_verbs):
        if i in ctx.quote_tokens:
            continue
        for subject in _subjects(ctx.doc[i], ctx):
            span = named(subject, ctx)
            if span is not None:
                add_source(ctx, subject.i, span)
                break
    # The named subject of a main clause is a source whatever its verb ("Trump proposed
    # barring ...", "Obama spoke at the White House"): a he/she after it is most often them.
    have = set(ctx.source_at)
    for i in _main_clause_subjects(ctx.doc):
        span = ctx.by_token.get(i)
        if i in have or i in ctx.quote_tokens or span is None or span.label not in SPEAKER_LABELS:
            continue
        add_source(ctx, i, span)


def _main_clause_subjects(doc: Doc) -> list[int]:
    """Indices of the subjects (nsubj, nsubjpass) of sentence roots, read as columns."""
    if len(doc) == 0:
        return []
    values = doc.to_array([DEP, HEAD]).astype(np.int64)
    strings = doc.vocab.strings
    dep = values[:, 0]
    subject = np.isin(dep, [strings["nsubj"], strings["nsubjpass"]])
    heads = np.arange(len(doc)) + values[:, 1]
    found: list[int] = np.flatnonzero(subject & (dep[heads] == strings["ROOT"])).tolist()
    return found


def add_source(ctx: Context, at: int, span: ModelSpan) -> None:
    where = bisect_left(ctx.source_at, at)
    ctx.source_at.insert(where, at)
    ctx.source_span.insert(where, span)


def is_speech_verb(token: Token, ctx: Context) -> bool:
    # A "verb" with a determiner is a noun the tagger got wrong ("the US warning about").
    return (
        token.pos_ in ("VERB", "AUX")
        and token.lemma_.lower() in ctx.verbs
        and not any(c.dep_ == "det" for c in token.children)
    )


def _subjects(verb: Token, ctx: Context) -> list[Token]:
    """The tokens that stand for who speaks through `verb`, best first."""
    subjects: list[Token] = []
    if verb.lower_ == "according":  # "according to X": the phrase's object speaks
        return [t for t in verb.subtree if t.dep_ == "pobj"][:1]
    if verb.lemma_.lower() == "quote":
        subjects += [c for c in verb.children if c.dep_ == "dobj"]
        subjects += [
            s
            for c in verb.children
            if c.dep_ in ("ccomp", "xcomp") and c.lemma_.lower() in ctx.verbs
            for s in c.children
            if s.dep_ in SUBJECT_DEPS
        ]
    subjects += [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
    head = verb
    # "..., he said, adding that ...": a conjoined or participle verb shares its head's subject.
    # "... in a statement saying": a participle on a noun shares the clause's subject.
    steps = 0
    while not subjects and head.dep_ in _SHARED_SUBJECT and head.head.i != head.i and steps < 4:
        # A participle on a name is that name's ("voters believing that"), not the clause's.
        if head.dep_ == "acl" and head.head.i in ctx.by_token:
            break
        head, steps = head.head, steps + 1
        if head.pos_ in ("VERB", "AUX"):
            subjects += [c for c in head.children if c.dep_ in SUBJECT_DEPS]
    if not subjects:
        for child in verb.children:
            if child.lower_ == "according":
                subjects += [t for t in child.subtree if t.dep_ == "pobj"][:1]
    # What is said is never who says it (the parser takes "Thanks, Clarkston" for a subject),
    # and the subject is on the verb's line (spaCy runs a sentence over a line break and
    # can take a heading's "6:50 p.m. / With her husband, Bill Clinton" for one).
    subjects = [t for t in subjects if t.i not in ctx.quote_tokens and same_line(t, verb, ctx)]
    if not subjects:
        # "“...,” said master of ceremonies X": the inverted subject, parsed as an attribute.
        subjects += [
            c
            for c in verb.rights
            if c.dep_ in _INVERTED_SUBJECT_DEPS and c.i not in ctx.quote_tokens
        ][:1]
    if not subjects:
        # "“...,” Conway notes.": the parser took the name and the verb for one noun and hung
        # the name on the verb as its compound.
        subjects += [
            c
            for c in verb.lefts
            if c.dep_ == "compound" and c.pos_ == "PROPN" and c.i not in ctx.quote_tokens
        ][:1]
    if not subjects:
        subjects += _name_left_of(verb, ctx)
    if not subjects:
        subjects += _name_right_of(verb, ctx)
    # Names before descriptions: "Russia's deputy foreign minister, Sergey Ryabkov stated";
    # a person before another name ("said Army Capt. X": NER takes "Army Capt" for an ORG).
    subjects.sort(
        key=lambda t: (
            t.i not in ctx.by_token and t.pos_ != "PROPN",
            t.i not in ctx.by_token or ctx.by_token[t.i].label != "PERSON",
        )
    )
    return subjects


def _name_left_of(verb: Token, ctx: Context) -> list[Token]:
    """A person named right before a verb that has no subject in the parse ("Trump, in
    Kentucky, said": the parser hung Trump on the sentence before; "“...,” Gene Sperling, a
    Clinton adviser, said": it took Sperling into the quote): the first PERSON of the words
    between the verb and the nearest quote, other verb, line or sentence end to its left."""
    # The paragraph, not spaCy's sentence: it may start one at the verb.
    found: list[Token] = []
    for i in range(verb.i - 1, -1, -1):
        token = ctx.doc[i]
        if i not in ctx.by_token and _known_surname(token, ctx):
            # "“...” Will wrote": a surname the tagger took for a verb, right before it.
            return found or [token]
        span = ctx.by_token.get(i)
        person = span is not None and span.label == "PERSON"
        # A name the tagger took for a verb is still a name ("“...,” Will described").
        if (
            (not person and token.pos_ in ("VERB", "AUX"))
            or "\n" in token.text
            or token.text in ".?!"
        ):
            break
        if i in ctx.quote_tokens:
            break
        if span is not None and person:
            found = [ctx.doc[span.last - 1]]
    return found


def _name_right_of(verb: Token, ctx: Context) -> list[Token]:
    """The name right after a verb that follows a closing mark and has no subject in the
    parse ("“...,” said Oversight ranking Democrat Elijah Cummings (D-Md.).": the parser hung
    the name on another word): the last word of the first PERSON, else of the last run of
    proper nouns, among the words between the verb and the next punctuation, quote or line
    end."""
    doc = ctx.doc
    before = verb.i - 1
    while before >= 0 and doc[before].pos_ == "PUNCT" and before not in ctx.quote_tokens:
        before -= 1
    if before < 0 or before not in ctx.quote_tokens or before < verb.i - 3:
        return []
    run: list[Token] = []
    for token in doc[verb.i + 1 : verb.i + 9]:
        if token.pos_ in ("PUNCT", "SPACE") or token.i in ctx.quote_tokens:
            # The name ends the phrase ("said X, a ...", "said X."), not a clause after it.
            return run[-1:]
        if token.pos_ in ("SCONJ", "ADP", "PRON", "AUX"):
            return []
        span = ctx.by_token.get(token.i)
        if span is not None and span.label == "PERSON":
            return [doc[span.last - 1]]
        if span is None and (token.pos_ == "PROPN" or _known_surname(token, ctx)):
            run = [*run, token] if run and run[-1].i == token.i - 1 else [token]
        else:
            run = []
    return []


def same_line(a: Token, b: Token, ctx: Context) -> bool:
    low, high = sorted((a.idx, b.idx))
    return "\n" not in ctx.text[low:high]


def verb_speaker(verb: Token, ctx: Context) -> ModelSpan | None:
    subjects = _subjects(verb, ctx)
    for subject in subjects:
        found = mention(subject, ctx)
        if found is not None:
            return found
    # The parser may take a date for the subject ("Saturday at the convention Sen. X said",
    # "X, in Kentucky, said Tuesday"): then the person named right before the verb speaks.
    if subjects and all(_is_date(t, ctx) for t in subjects):
        for subject in _name_left_of(verb, ctx):
            return mention(subject, ctx)
    return None


def _is_date(token: Token, ctx: Context) -> bool:
    span = ctx.by_token.get(token.i)
    return span is not None and span.label in ("DATE", "TIME")


def mention(token: Token, ctx: Context) -> ModelSpan | None:
    """The span a subject token stands for: a name, else the named source a pronoun or a
    description refers to."""
    found = named(token, ctx)
    if found is not None:
        return found
    if token.lower_ in ctx.pronouns:
        return _referent(token.i, ctx)
    if _is_description(token, ctx):
        # "Biden called Putin a killer. The Russian President responded": the person the
        # description names is the last one mentioned outside its phrase.
        phrase = {t.i for t in token.subtree}
        people = [
            s
            for s in ctx.spans
            if s.label == "PERSON" and s.last <= token.i and s.first not in phrase
        ]
        return people[-1] if people else _referent(token.i, ctx)
    return None


def _is_description(token: Token, ctx: Context) -> bool:
    # The tagger often calls a capitalised title a proper noun ("The Russian President").
    return token.pos_ in ("NOUN", "PROPN") and (
        token.lemma_.lower() in ctx.person_nouns or token.lower_ in ctx.person_nouns
    )


def named(token: Token, ctx: Context) -> ModelSpan | None:
    """The name a subject token is or holds, without resolving pronouns or descriptions.

    A span whose root is the token (PERSON, ORG or GPE); a PERSON in apposition or compound
    ("Kremlin spokesman Dmitry Peskov"); a proper noun NER missed, as a new PERSON span; an
    owner of the phrase's head ("Macron's office"); an ORG or GPE in the phrase of a head
    that is no person noun ("the Kremlin press service"), never the modifier of a person
    noun ("the Vermont senator": no name of a speaker).
    """
    span = ctx.by_token.get(token.i)
    if span is None or span.label != "PERSON":
        titled = _person_after_title(token, span, ctx)
        if titled is not None:
            return titled
    if (
        span is not None
        and span.label in ("ORG", "GPE")
        and span.last - span.first == 1
        and _known_surname(token, ctx)
    ):
        # "Bill Skelly ... Skelly said" with the second 'Skelly' an ORG: the person again.
        return as_person(span, ctx)
    if span is not None and span.label in SPEAKER_LABELS:
        return span
    if span is not None and span.label == "NORP" and token.pos_ == "PROPN":
        return _relabel(span, ctx)
    if (
        span is None
        and (
            looks_like_name(token, ctx)
            # A headline names a person before the story does ("Sanders declares ...").
            or _known_surname(token, ctx, anywhere=ctx.text.find("\n", 0, token.idx) < 0)
        )
        and not _is_title(token)
    ):
        added = add_name(token, ctx)
        if added is not None:
            return added
    # A name inside the subject's own phrase ("Kremlin spokesman Dmitry Peskov"), not one
    # an owner, a preposition or a clause brings in ("the critics of Obama").
    # Nor the person a description is of ("a Clinton adviser", "Trump's spokesman").
    description = _is_description(token, ctx)
    inner = [
        ctx.by_token[t.i]
        for t in token.subtree
        if t.i in ctx.by_token
        and not {a.dep_ for a in _path(t, token)} & _NOT_THE_PHRASE_DEPS
        and not (description and _path(t, token)[-1:] and _path(t, token)[-1].dep_ == "compound")
    ]
    for candidate in inner:
        if candidate.label == "PERSON":
            return candidate
    if _is_description(token, ctx) or token.lower_ in ctx.pronouns or span is not None:
        return None
    # "Macron's office said": the owner speaks.
    for child in token.children:
        owner = ctx.by_token.get(child.i)
        if child.dep_ == "poss" and owner is not None and owner.label in SPEAKER_LABELS:
            return owner
    # "the Kremlin press service said"; but a person noun's modifier is no speaker ("the
    # Vermont senator", "Fox executives").
    for candidate in (ctx.by_token[t.i] for t in token.subtree if t.i in ctx.by_token):
        if candidate.label in ("ORG", "GPE") and token.pos_ in ("PROPN", "NOUN"):
            return candidate
    return None


def _person_after_title(token: Token, span: ModelSpan | None, ctx: Context) -> ModelSpan | None:
    """The person a title before their name stands for, when the parser takes the title for
    the subject: an abbreviated title ("former Pennsylvania Gov. and DNC Chairman Ed
    Rendell") or a place or organisation NER took with it ("Navy Capt. Jeff Davis": an ORG
    'Navy Capt'). The first PERSON within a few proper nouns (and titles) after it, on its
    line."""
    if span is None and not _is_title(token):
        return None
    doc = ctx.doc
    end = token.i + 1 if span is None else span.last
    for i in range(end, min(end + 7, len(doc))):
        found = ctx.by_token.get(i)
        if found is not None and found.label == "PERSON":
            return found if same_line(doc[i], token, ctx) else None
        if i in ctx.quote_tokens or not (
            doc[i].pos_ in ("PROPN", "NOUN", "ADJ", "CCONJ")
            or doc[i].text == "."
            or doc[i].text[:1].isdigit()
        ):
            return None
    return None


def _known_surname(token: Token, ctx: Context, anywhere: bool = False) -> bool:
    """Whether a capitalised word is the last word of a PERSON named before it ("Bill
    Skelly" ... "said Skelly"), whatever the tagger took it for (an adverb, a verb); with
    `anywhere`, of a PERSON named anywhere in the text."""
    text = token.text
    if not text[:1].isupper() or not text.isalpha():
        return False
    if ctx.surname_at is None:  # made once; the spans added later are noted as they come
        ctx.surname_at = {}
        for span in ctx.spans:
            note_surname(span, ctx)
    at = ctx.surname_at.get(text)
    return at is not None and (anywhere or at <= token.i)


def surname_named_later(token: Token, ctx: Context) -> bool:
    """Whether a word in no span is the surname of a person the text names, before or after
    it (a headline's "Pence blames ..." before the story's "Mike Pence")."""
    return token.i not in ctx.by_token and _known_surname(token, ctx, anywhere=True)


def _is_title(token: Token) -> bool:
    """An abbreviated title ("Gov.", "Capt.", "Sen."), no name."""
    text = token.text
    return token.lower_ in TITLE_WORDS or (
        text.endswith(".") and text[:1].isupper() and text[:-1].isalpha() and len(text) <= 6
    )


def looks_like_name(token: Token, ctx: Context) -> bool:
    """A proper noun, or a capitalised singular noun the tagger took for a common one
    ("Trump asked"), that is no title or description."""
    if _is_description(token, ctx):
        return False
    if token.pos_ == "PROPN":
        return True
    return (
        token.pos_ == "NOUN"
        and token.tag_ == "NN"
        and token.text[:1].isupper()
        and not any(c.dep_ == "det" for c in token.children)
    )


def _relabel(span: ModelSpan, ctx: Context) -> ModelSpan | None:
    """A NORP span of proper nouns that speaks ("Cuban said") is a person's name: it becomes
    a PERSON span of this rule (the NORP span is dropped)."""
    doc = ctx.doc
    # A plural ("Democrats", "Americans") is a group, never one person's name.
    if not all(
        doc[i].pos_ == "PROPN" and doc[i].tag_ != "NNPS" for i in range(span.first, span.last)
    ):
        return None
    return as_person(span, ctx)


def _referent(before: int, ctx: Context) -> ModelSpan | None:
    """The most recent named source before token `before` that may be a person (not a GPE,
    not an ORG written as an acronym: an outlet, an agency), else the nearest PERSON before
    it; at its nearest mention before `before`."""
    where = bisect_left(ctx.source_at, before)
    # He or she is a person: not a country, nor an outlet or agency written as an acronym.
    while where and _not_a_person(ctx.source_span[where - 1], ctx):
        where -= 1
    referent: ModelSpan | None = ctx.source_span[where - 1] if where else None
    if referent is None:
        people = [s for s in ctx.spans if s.label == "PERSON" and s.last <= before]
        referent = people[-1] if people else None
    return None if referent is None else _nearest_mention(referent, before, ctx)


def _not_a_person(span: ModelSpan, ctx: Context) -> bool:
    words = ctx.text[span.start : span.end]
    return span.label == "GPE" or (span.label == "ORG" and words.isupper() and len(words) > 1)


def _path(token: Token, top: Token) -> list[Token]:
    """Tokens from `token` up to (not including) `top`."""
    out = []
    node = token
    while node.i != top.i and node.head.i != node.i:
        out.append(node)
        node = node.head
    return out


def _nearest_mention(referent: ModelSpan, before: int, ctx: Context) -> ModelSpan:
    """The last mention before token `before` of the person or organisation `referent` names:
    the same name or its last word ("Antony Blinken" ... "Blinken"), whatever label NER gave it."""
    name = ctx.text[referent.start : referent.end]
    surname = name.split()[-1]
    best = referent
    for span in ctx.spans:
        if span.last > before or span.first < best.first:
            continue
        words = ctx.text[span.start : span.end]
        if words == name or words.split()[-1] == surname:
            best = span
    return best
