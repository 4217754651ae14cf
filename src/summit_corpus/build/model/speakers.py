"""`speaker` relations (the scheme's `rules.speaker`, `rule/speaker.v3`): who said each QUOTE.

The speaker is found through the dependency parse (`_speaker`): the subject of the speech
verb the quote hangs on, else of the nearest speech verb in its sentences ("X said", "said X,
a ...", "X told reporters", "X, who ..., said", "according to X"), else the speaker of the
quote it continues, else the nearest name in its sentences. A subject becomes a span by
`_Resolver.mention`: a name is its span; a proper noun NER missed becomes a PERSON span of
this rule; a pronoun or a description ("the senator") is the most recent named source before
it (the subject of a speech or source verb, or a quote's speaker), linked at its nearest
mention. A place or outlet that only modifies a description ("the Vermont senator") is never
the speaker.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import DEP, HEAD, LEMMA, POS
from spacy.symbols import AUX, VERB
from spacy.tokens import Doc, Token

from summit_corpus.build.model.spans import SPEAKER_LABELS, ModelSpan, Relation
from summit_corpus.build.segment import sentence_boundaries
from summit_corpus.core.scheme import Scheme

_SUBJECT_DEPS = {"nsubj", "nsubjpass"}
# A verb on one of these dependencies shares the subject of the clause it hangs on.
_SHARED_SUBJECT = {"conj", "advcl", "xcomp", "acl", "dobj", "pobj", "prep", "pcomp", "acomp"}
# What the parser makes of a subject after its verb ("said master of ceremonies X").
_INVERTED_SUBJECT_DEPS = {"attr", "npadvmod", "appos"}
# Dependencies that lead out of a subject's own phrase to other people's names.
_NOT_THE_PHRASE_DEPS = {"poss", "prep", "pobj", "relcl", "acl", "advcl", "ccomp", "conj"}
# Dependencies that join the words of one name ("Hillary Rodham Clinton").
_NAME_DEPS = {"compound", "flat"}
_TITLE_WORDS = {"mr.", "mrs.", "ms.", "dr.", "mr", "mrs", "ms", "dr", "sen.", "rep.", "gov."}


@dataclass(frozen=True, slots=True)
class Speakers:
    """The speaker relations of a document and the PERSON spans the rule added for them.

    relations (list[Relation]): ("speaker", quote, speaker, rule name) tuples.
    added (list[ModelSpan]): Names NER missed (or took for a NORP: "Cuban said") that are
        the subject of a speech verb, as PERSON spans of this rule.
    replaced (list[ModelSpan]): The NORP spans those PERSON spans replace.
    found_by (dict): Quote key -> how its speaker was found (`_speaker`), "none" if not.
    """

    relations: list[Relation]
    added: list[ModelSpan]
    replaced: list[ModelSpan] = field(default_factory=list)
    found_by: dict[tuple[int, int, str], str] = field(default_factory=dict)


@dataclass(slots=True)
class _Context:
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
    replaced: list[ModelSpan] = field(default_factory=list)


def speakers(
    doc: Doc, text: str, scheme: Scheme, spans: Sequence[ModelSpan], quotes: Sequence[ModelSpan]
) -> Speakers:
    """Find the speaker of every QUOTE span.

    doc (Doc): The parsed text.
    text (str): The document text.
    scheme (Scheme): The scheme (its `rules.speaker`).
    spans (Sequence[ModelSpan]): Every predicted span, sorted by key.
    quotes (Sequence[ModelSpan]): The QUOTE spans, in text order.
    RETURNS (Speakers): The speaker relations and the PERSON spans added for them.
    """
    if not quotes:
        return Speakers([], [], [], {})
    ctx = _context(doc, text, scheme, spans, quotes)
    _collect_sources(ctx)
    out: list[Relation] = []
    found_by: dict[tuple[int, int, str], str] = {}
    previous: tuple[ModelSpan, ModelSpan] | None = None  # the last attributed quote
    for quote in quotes:
        speaker, how = _speaker(quote, ctx, previous)
        found_by[quote.key] = how
        if speaker is not None:
            out.append(("speaker", quote, speaker, ctx.name))
            previous = (quote, speaker)
            _add_source(ctx, quote.first, speaker)
    return Speakers(out, ctx.added, ctx.replaced, found_by)


def _context(
    doc: Doc, text: str, scheme: Scheme, spans: Sequence[ModelSpan], quotes: Sequence[ModelSpan]
) -> _Context:
    rule = scheme.rules.speaker
    by_token: dict[int, ModelSpan] = {}
    for span in spans:
        if span.label != "QUOTE":
            for i in range(span.first, span.last):
                by_token[i] = span
    # Sentences as doc.sents makes them, without a Token object per token.
    boundary = sentence_boundaries(doc)
    starts = np.flatnonzero(boundary).tolist()
    return _Context(
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


def _collect_sources(ctx: _Context) -> None:
    """The named sources outside quotes, in text order: the named subjects of speech and
    source verbs, and of main clauses."""
    for i in _verb_indices(ctx.doc, ctx.verbs | ctx.source_verbs):
        if i in ctx.quote_tokens:
            continue
        for subject in _subjects(ctx.doc[i], ctx):
            span = _named(subject, ctx)
            if span is not None:
                _add_source(ctx, subject.i, span)
                break
    # The named subject of a main clause is a source whatever its verb ("Trump proposed
    # barring ...", "Obama spoke at the White House"): a he/she after it is most often them.
    have = set(ctx.source_at)
    for i in _main_clause_subjects(ctx.doc):
        span = ctx.by_token.get(i)
        if i in have or i in ctx.quote_tokens or span is None or span.label not in SPEAKER_LABELS:
            continue
        _add_source(ctx, i, span)


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


def _add_source(ctx: _Context, at: int, span: ModelSpan) -> None:
    where = bisect_left(ctx.source_at, at)
    ctx.source_at.insert(where, at)
    ctx.source_span.insert(where, span)


def _speaker(
    quote: ModelSpan, ctx: _Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> tuple[ModelSpan | None, str]:
    """Find who said a quote, and how (one of `HOW`).

    1. `parse`: walk up the parse from the quote's tokens: the first speech verb outside the
       quote with a subject (or, for "X quoted Y as saying", an object) gives the speaker;
       else the verb the quote is the clausal complement of, whatever the verb.
    2. `continues`: a quote right after an attributed quote in its paragraph (its sentence
       or the next) goes on with that quote's words.
    3. `nearby_verb`: the nearest speech verb outside quotes in the quote's sentences and
       paragraph, or an "according to X" there.
    4. `continues`: a quote further on in an attributed quote's paragraph, no one else named
       between.
    5. `colon`, `signature`, `previous_paragraph`, `main_clause`: the name before a colon
       that introduces the quote ("Fallin: Trump Is ‘...’", transcripts); a signature line
       after it ("- Sanders."); the paragraph before; the main clause's subject.
    6. `nearest_name`: the nearest PERSON (then ORG) span in the quote's sentences.
    """
    text = ctx.text
    # spaCy may run a sentence over a line break; the attribution is in the quote's paragraph.
    para_start = text.rfind("\n", 0, quote.start) + 1
    para_end = text.find("\n", quote.end)
    para_end = len(text) if para_end < 0 else para_end
    found = _parse_speaker(quote, ctx, para_start, para_end)
    if found is not None:
        return found, "parse"
    lo, hi = _paragraph_sentences(quote, ctx)
    # Right after an attributed quote, the quotation goes on: before a verb nearby that is
    # someone else's ("“...,” Lieberman told the Journal, after de Blasio stated ... “...”").
    if previous is not None and _continues(previous, quote, ctx, within=1):
        return previous[1], "continues"
    found = _nearby_verb_speaker(quote, lo, hi, ctx)
    if found is not None:
        return found, "nearby_verb"
    if previous is not None and _continues(previous, quote, ctx):
        return previous[1], "continues"
    for how, step in (
        ("colon", _colon_speaker),
        ("signature", _signature_speaker),
        ("previous_paragraph", _previous_paragraph_speaker),
        ("main_clause", _main_clause_speaker),
    ):
        found = step(quote, lo, ctx, previous)
        if found is not None:
            return found, how
    found = _nearby_name(quote, lo, hi, ctx)
    return found, "none" if found is None else "nearest_name"


def _parse_speaker(
    quote: ModelSpan, ctx: _Context, para_start: int, para_end: int
) -> ModelSpan | None:
    """The subject of the speech verb the quote hangs on in the parse, else of the verb it
    is the clausal complement of."""
    doc = ctx.doc
    inside = range(quote.first, quote.last)
    seen: set[int] = set()
    for i in inside:
        for ancestor in doc[i].ancestors:
            if ancestor.i in inside or ancestor.i in seen:
                continue
            if not para_start <= ancestor.idx < para_end:
                break
            seen.add(ancestor.i)
            if _is_speech_verb(ancestor, ctx):
                found = _verb_speaker(ancestor, ctx)
                if found is not None:
                    return found
    governing = _governing_verb(quote, ctx, para_start, para_end)
    return None if governing is None else _verb_speaker(governing, ctx)


def _governing_verb(
    quote: ModelSpan, ctx: _Context, para_start: int, para_end: int
) -> Token | None:
    """The verb a quote is the clausal complement of, whatever the verb: news attributes a
    quotation with any verb of saying, not only the scheme's ("“...,” Bennett shot back",
    "he boomed: “...”"). None when the quote hangs on no verb that way."""
    inside = range(quote.first, quote.last)
    for i in inside:
        token = ctx.doc[i]
        head = token.head
        if head.i in inside or head.i == token.i or token.dep_ not in ("ccomp", "parataxis"):
            continue
        if (
            head.pos_ in ("VERB", "AUX")
            and para_start <= head.idx < para_end
            and head.i not in ctx.quote_tokens
        ):
            return head
    # The parser may hang the attribution on the quote instead ("Hillary shot back, “I
    # suppose ...”": 'shot' a clausal complement of 'suppose').
    for i in inside:
        for child in ctx.doc[i].children:
            if (
                child.i not in inside
                and child.dep_ in ("ccomp", "parataxis")
                and child.pos_ in ("VERB", "AUX")
                and child.i not in ctx.quote_tokens
                and para_start <= child.idx < para_end
            ):
                return child
    return None


def _previous_paragraph_speaker(
    quote: ModelSpan, lo: int, ctx: _Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """A quote that opens its paragraph and has no attribution there: the speaker of the
    paragraph before, when it ends with a colon ("Reporter X says:") or with an attributed
    quote (a quotation that goes on in the next paragraph, news style)."""
    text = ctx.text
    start = text.rfind("\n", 0, quote.start) + 1
    if start == 0 or text[start : quote.start].strip(" \t\xa0“\"'‘") != "":
        return None
    end = start - 1
    while end > 0 and text[end - 1].isspace():
        end -= 1
    prev_start = text.rfind("\n", 0, end) + 1
    paragraph = ctx.doc.char_span(prev_start, end, alignment_mode="expand")
    tokens = [] if paragraph is None else list(paragraph)
    verbs = [t for t in tokens if t.i not in ctx.quote_tokens and _is_speech_verb(t, ctx)]
    if text[end - 1 : end] == ":":
        # A speech verb's subject, else the subject of the clause that ends at the colon
        # ("Trump issued the following statement:").
        roots = [t for t in tokens if t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX")]
        for verb in [*reversed(verbs), *reversed(roots)]:
            found = _verb_speaker(verb, ctx)
            if found is not None:
                return found
    if previous is not None and prev_start <= previous[0].start < end:
        return previous[1]
    # "Sanders said the plan would fail. / “It will not pay for itself.”": a paragraph that is
    # all quotation, after one that reports someone's speech, goes on with their words.
    if _all_quotation(quote, ctx):
        for verb in reversed(verbs):
            found = _verb_speaker(verb, ctx)
            if found is not None:
                return found
    return None


def _all_quotation(quote: ModelSpan, ctx: _Context) -> bool:
    """Whether the quote is its whole paragraph but for the marks."""
    text = ctx.text
    start = text.rfind("\n", 0, quote.start) + 1
    end = text.find("\n", quote.end)
    end = len(text) if end < 0 else end
    marks = " \t\xa0“”\"'‘’"
    return text[start : quote.start].strip(marks) == "" and text[quote.end : end].strip(marks) == ""


def _main_clause_speaker(
    quote: ModelSpan, lo: int, ctx: _Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """A quote that hangs on no verb of saying: the named subject of the main clause it is in
    ("Cruz chided Trump for ... the “natural born” standard", "Trump opened with a call for
    the party to “embrace” him"), whose words or view the quote most often is; never the
    subject of the quote's own clause ("Rubio was “a lightweight”": Rubio is the target)."""
    top = ctx.doc[quote.first]
    while top.head.i != top.i and _same_line(top.head, top, ctx):
        top = top.head
    if top.i in ctx.quote_tokens or top.pos_ not in ("VERB", "AUX"):
        return None
    inside = range(quote.first, quote.last)
    if top.lemma_ == "be" and any(ctx.doc[i].head.i == top.i for i in inside):
        return None  # the quote is what the subject is said to be
    for subject in (c for c in top.children if c.dep_ in _SUBJECT_DEPS):
        found = _mention(subject, ctx)
        if found is not None and found.label in ("PERSON", "ORG"):
            return found
    return None


def _signature_speaker(
    quote: ModelSpan, lo: int, ctx: _Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """A quotation signed on the next line ("“...” / - Sanders."): the name of a paragraph
    that is a dash and a name only."""
    text = ctx.text
    start = text.find("\n", quote.end)
    if start < 0 or text[quote.end : start].strip(" \t\xa0”\"'’.") != "":
        return None
    line = re.match(r"\n\s*[-–—―]\s*([^\n]{1,60}?)\.?[ \t]*(?=\n|$)", text[start:])
    if line is None:
        return None
    name = ctx.doc.char_span(start + line.start(1), start + line.end(1), alignment_mode="expand")
    if name is None:
        return None
    spans = {ctx.by_token[t.i] for t in name if t.i in ctx.by_token}
    named = [sp for sp in spans if sp.label in SPEAKER_LABELS]
    if len(named) == 1 and named[0].start <= name.start_char + 1:
        return named[0]
    return _add_name(name[-1], ctx) if all(t.pos_ == "PROPN" for t in name) else None


def _colon_speaker(
    quote: ModelSpan, lo: int, ctx: _Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """ "X: ... “quote”" (headlines, transcripts, and paragraphs that introduce a quote with a
    colon): the name right before the first colon of the quote's sentences or of its
    paragraph's first words, before the quote."""
    doc = ctx.doc
    para_start = ctx.text.rfind("\n", 0, quote.start) + 1
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
            return _add_name(before, ctx) if _looks_like_name(before, ctx) else None
    return None


def _nearby_verb_speaker(quote: ModelSpan, lo: int, hi: int, ctx: _Context) -> ModelSpan | None:
    doc = ctx.doc
    candidates = [
        t
        for t in doc[lo:hi]
        if t.i not in ctx.quote_tokens and (_is_speech_verb(t, ctx) or t.lower_ == "according")
    ]
    # Speech verbs first: "Peskov said, according to RIA" (the outlet only relays).
    candidates.sort(
        key=lambda t: (
            t.lower_ == "according",
            min(abs(t.i - quote.first), abs(t.i - quote.last)),
        )
    )
    for verb in candidates:
        found = _verb_speaker(verb, ctx)
        if found is not None:
            return found
    return None


def _nearby_name(quote: ModelSpan, lo: int, hi: int, ctx: _Context) -> ModelSpan | None:
    nearby = [
        s
        for s in ctx.spans
        if s.label in ("PERSON", "ORG")
        and lo <= s.first
        and s.last <= hi
        and not any(i in ctx.quote_tokens for i in range(s.first, s.last))
    ]
    nearby.sort(
        key=lambda s: (
            s.label != "PERSON",
            min(abs(s.first - quote.last), abs(s.last - quote.first)),
        )
    )
    return nearby[0] if nearby else None


def _is_speech_verb(token: Token, ctx: _Context) -> bool:
    # A "verb" with a determiner is a noun the tagger got wrong ("the US warning about").
    return (
        token.pos_ in ("VERB", "AUX")
        and token.lemma_.lower() in ctx.verbs
        and not any(c.dep_ == "det" for c in token.children)
    )


def _paragraph_sentences(span: ModelSpan, ctx: _Context) -> tuple[int, int]:
    """Token range of the sentences a span overlaps, and of those its neighbouring tokens
    (the marks) start, cut to the span's paragraph (line): a sentence that begins right
    after a closing mark ("... ,” the Texan said.") or ends at an opening one ("He said: “")
    is the quote's too."""
    doc, text = ctx.doc, ctx.text
    lo_token, hi_token = max(span.first - 2, 0), min(span.last + 2, len(doc))
    sents = [(a, b) for a, b in ctx.sentences if a < hi_token and lo_token < b]
    lo, hi = sents[0][0], sents[-1][1]
    para_start = text.rfind("\n", 0, span.start) + 1
    para_end = text.find("\n", span.end)
    para_end = len(text) if para_end < 0 else para_end
    while lo < span.first and doc[lo].idx < para_start:
        lo += 1
    while hi > span.last and doc[hi - 1].idx >= para_end:
        hi -= 1
    return lo, hi


def _continues(
    previous: tuple[ModelSpan, ModelSpan], quote: ModelSpan, ctx: _Context, within: int = 0
) -> bool:
    """Whether `quote` goes on with the attributed quote `previous` (quote, speaker); with
    `within`, only when it starts at most that many sentences after it."""
    before, speaker = previous
    # "... border,” Psaki told reporters last week. “Russia now has ...": same paragraph, and
    # the quote starts in the sentence where the attributed quote ends or in the next one.
    # Further on in the paragraph too, unless someone else is named between ("... ,” Woolson
    # said. They also lie in a media market dead zone. “That’s a tough area.”).
    if "\n" in ctx.text[before.end : quote.start]:
        return False
    gap = ctx.sentence_of[quote.first] - ctx.sentence_of[before.last - 1]
    if within:
        return 0 <= gap <= within
    if 0 <= gap <= 1:
        return True
    return gap > 1 and not any(
        s.label == "PERSON"
        and before.last <= s.first
        and s.last <= quote.first
        and ctx.text[s.start : s.end] not in ctx.text[speaker.start : speaker.end]
        for s in ctx.spans
    )


def _subjects(verb: Token, ctx: _Context) -> list[Token]:
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
            if s.dep_ in _SUBJECT_DEPS
        ]
    subjects += [c for c in verb.children if c.dep_ in _SUBJECT_DEPS]
    head = verb
    # "..., he said, adding that ...": a conjoined or participle verb shares its head's subject.
    # "... in a statement saying": a participle on a noun shares the clause's subject.
    steps = 0
    while not subjects and head.dep_ in _SHARED_SUBJECT and head.head.i != head.i and steps < 4:
        head, steps = head.head, steps + 1
        if head.pos_ in ("VERB", "AUX"):
            subjects += [c for c in head.children if c.dep_ in _SUBJECT_DEPS]
    if not subjects:
        for child in verb.children:
            if child.lower_ == "according":
                subjects += [t for t in child.subtree if t.dep_ == "pobj"][:1]
    # What is said is never who says it (the parser takes "Thanks, Clarkston" for a subject),
    # and the subject is on the verb's line (spaCy runs a sentence over a line break and
    # can take a heading's "6:50 p.m. / With her husband, Bill Clinton" for one).
    subjects = [t for t in subjects if t.i not in ctx.quote_tokens and _same_line(t, verb, ctx)]
    if not subjects:
        # "“...,” said master of ceremonies X": the inverted subject, parsed as an attribute.
        subjects += [
            c
            for c in verb.rights
            if c.dep_ in _INVERTED_SUBJECT_DEPS and c.i not in ctx.quote_tokens
        ][:1]
    if not subjects:
        subjects += _name_left_of(verb, ctx)
    # Names before descriptions: "Russia's deputy foreign minister, Sergey Ryabkov stated".
    subjects.sort(key=lambda t: t.i not in ctx.by_token and t.pos_ != "PROPN")
    return subjects


def _name_left_of(verb: Token, ctx: _Context) -> list[Token]:
    """A person named right before a verb that has no subject in the parse ("Trump, in
    Kentucky, said": the parser hung Trump on the sentence before; "“...,” Gene Sperling, a
    Clinton adviser, said": it took Sperling into the quote): the first PERSON of the words
    between the verb and the nearest quote, other verb, line or sentence end to its left."""
    # The paragraph, not spaCy's sentence: it may start one at the verb.
    found: list[Token] = []
    for i in range(verb.i - 1, -1, -1):
        token = ctx.doc[i]
        if token.pos_ in ("VERB", "AUX") or "\n" in token.text or token.text in ".?!":
            break
        if i in ctx.quote_tokens:
            break
        span = ctx.by_token.get(i)
        if span is not None and span.label == "PERSON":
            found = [ctx.doc[span.last - 1]]
    return found


def _same_line(a: Token, b: Token, ctx: _Context) -> bool:
    low, high = sorted((a.idx, b.idx))
    return "\n" not in ctx.text[low:high]


def _verb_speaker(verb: Token, ctx: _Context) -> ModelSpan | None:
    for subject in _subjects(verb, ctx):
        found = _mention(subject, ctx)
        if found is not None:
            return found
    return None


def _mention(token: Token, ctx: _Context) -> ModelSpan | None:
    """The span a subject token stands for: a name, else the named source a pronoun or a
    description refers to."""
    named = _named(token, ctx)
    if named is not None:
        return named
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


def _is_description(token: Token, ctx: _Context) -> bool:
    # The tagger often calls a capitalised title a proper noun ("The Russian President").
    return token.pos_ in ("NOUN", "PROPN") and (
        token.lemma_.lower() in ctx.person_nouns or token.lower_ in ctx.person_nouns
    )


def _named(token: Token, ctx: _Context) -> ModelSpan | None:
    """The name a subject token is or holds, without resolving pronouns or descriptions.

    A span whose root is the token (PERSON, ORG or GPE); a PERSON in apposition or compound
    ("Kremlin spokesman Dmitry Peskov"); a proper noun NER missed, as a new PERSON span; an
    owner of the phrase's head ("Macron's office"); an ORG or GPE in the phrase of a head
    that is no person noun ("the Kremlin press service"), never the modifier of a person
    noun ("the Vermont senator": no name of a speaker).
    """
    span = ctx.by_token.get(token.i)
    if span is not None and span.label in SPEAKER_LABELS:
        return span
    if span is not None and span.label == "NORP" and token.pos_ == "PROPN":
        return _relabel(span, ctx)
    if span is None and _looks_like_name(token, ctx):
        added = _add_name(token, ctx)
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


def _looks_like_name(token: Token, ctx: _Context) -> bool:
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


def _relabel(span: ModelSpan, ctx: _Context) -> ModelSpan | None:
    """A NORP span of proper nouns that speaks ("Cuban said") is a person's name: it becomes
    a PERSON span of this rule (the NORP span is dropped)."""
    doc = ctx.doc
    if not all(doc[i].pos_ == "PROPN" for i in range(span.first, span.last)):
        return None
    person = ModelSpan(span.start, span.end, "PERSON", ctx.name, span.first, span.last)
    for i in range(span.first, span.last):
        ctx.by_token[i] = person
    ctx.spans.append(person)
    ctx.spans.sort(key=lambda s: s.key)
    ctx.added.append(person)
    ctx.replaced.append(span)
    return person


def _add_name(token: Token, ctx: _Context) -> ModelSpan | None:
    """A PERSON span for a proper-noun subject NER missed: the token with the proper nouns
    joined to it as one name; None when a word of it already belongs to a span."""
    first = last = token.i
    doc = ctx.doc
    while (
        first > 0
        and doc[first - 1].pos_ == "PROPN"
        and doc[first - 1].head.i in range(first, last + 1)
        and doc[first - 1].dep_ in _NAME_DEPS
    ):
        first -= 1
    while doc[first].lower_ in _TITLE_WORDS and first < last:
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
    ctx.added.append(span)
    return span


def _referent(before: int, ctx: _Context) -> ModelSpan | None:
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


def _not_a_person(span: ModelSpan, ctx: _Context) -> bool:
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


def _nearest_mention(referent: ModelSpan, before: int, ctx: _Context) -> ModelSpan:
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
