"""`speaker` relations (the scheme's `rules.speaker`, `rule/speaker.v13`): who said each QUOTE.

`_speaker` tries, in order, where news says who speaks: the verb the quote hangs on in the
parse ("X said", "said X, a ...", "X told reporters", "X, who ..., said", "“...,” X shot
back"; of a report another speech verb reports, "X said Y called it “...”", the outermost),
a name and a colon right before it ("Bush: “...”"), the attributed quote it goes on from,
the nearest speech verb or "according to X" in its sentences, a colon that introduces it
(headlines, transcripts), a signature line after it ("- Sanders."), the paragraph before,
the subject of its main clause, a credit line after it ("Dana Cole, Institute for Fair
Wages."), and last a name near it (right after its closing
mark, else the first before it). In the headline, the name the headline opens with
speaks ("Maddox: Endorsements prove Corbin ‘...’") unless a speech verb's subject does.
A quote no one named says, though a speech verb attributes it ("“Okay,” I said"), is found
"unnamed". `mentions` turns the subject found into a span (names,
pronouns, descriptions), and each quote's `found_by` says which of these found it, for
`quotes.is_label`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from summit_corpus.build.model.mentions import (
    SUBJECT_DEPS,
    Context,
    add_source,
    collect_sources,
    is_speech_verb,
    make_context,
    mention,
    same_line,
    surname_named_later,
    verb_speaker,
)
from summit_corpus.build.model.persons import add_name, join_split_names
from summit_corpus.build.model.reported import outer_speaker
from summit_corpus.build.model.spans import ModelSpan, Relation, paragraph
from summit_corpus.build.model.speaker_lines import (
    colon_speaker,
    credit_line_speaker,
    inverted_name,
    name_colon_before,
    signature_speaker,
)
from summit_corpus.core.scheme import Scheme


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
    ctx = make_context(doc, text, scheme, spans, quotes)
    join_split_names(ctx)
    collect_sources(ctx)
    out: list[Relation] = []
    found_by: dict[tuple[int, int, str], str] = {}
    previous: tuple[ModelSpan, ModelSpan] | None = None  # the last attributed quote
    for quote in quotes:
        speaker, how = _speaker(quote, ctx, previous)
        found_by[quote.key] = how
        if speaker is not None:
            out.append(("speaker", quote, speaker, ctx.name))
            previous = (quote, speaker)
            add_source(ctx, quote.first, speaker)
    return Speakers(out, ctx.added, ctx.replaced, found_by)


def _speaker(
    quote: ModelSpan, ctx: Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> tuple[ModelSpan | None, str]:
    """Find who said a quote, and how (one of `HOW`).

    1. `parse`: walk up the parse from the quote's tokens: the first speech verb outside the
       quote with a subject (or, for "X quoted Y as saying", an object) gives the speaker
       (a passive one's agent, "X was asked by Y": `_agent`; when that verb comes before
       the quote, the outermost speech verb whose reported clause holds it:
       `reported.outer_speaker`);
       else the verb the quote is the clausal complement of, whatever the verb. `colon`: a
       PERSON and a colon right before the opening mark ("Bush: “...”"; in the headline,
       the name it opens with: "Cole Thanks Ruiz: ‘...’").
    2. `continues`: a quote right after an attributed quote in its paragraph (its sentence
       or the next) goes on with that quote's words.
    3. `nearby_verb`: the nearest speech verb outside quotes in the quote's sentences and
       paragraph, or an "according to X" there.
    4. `continues`: a quote further on in an attributed quote's paragraph, no one else named
       between.
    5. `colon`, `signature`, `previous_paragraph`, `main_clause`, `credit_line`: the name
       before a colon that introduces the quote ("Fallin: Trump Is ‘...’", transcripts); a
       signature line after it ("- Sanders."); the paragraph before; the main clause's
       subject; a line after it that opens with a person's name and says who they are
       ("Dana Cole, Institute for Fair Wages.").
    6. `continues`: a quote that opens a sentence later in an attributed quote's paragraph,
       though a name stands between. `nearest_name`: a PERSON right after the closing mark,
       else the first PERSON before the quote in its sentences, else the nearest one (then
       an ORG).
    """
    # spaCy may run a sentence over a line break; the attribution is in the quote's paragraph.
    para_start, para_end = paragraph(ctx.text, quote)
    opener = _headline_opener(quote, ctx)
    found = _right_after(quote, ctx)
    if found is not None:
        return found, "parse"
    found = _parse_speaker(quote, ctx, para_start, para_end)
    if found is not None:
        # "Cruz: Trump Would Put Liberals On Court, ‘...’": the headline's "Name:" speaks.
        if opener is not None and ctx.text[_end(opener) : _end(opener) + 1] == ":":
            return _headline(opener, ctx, found, "parse")
        return found, "parse"
    lo, hi = _paragraph_sentences(quote, ctx)
    # "Clinton: “...” Bush: “...”": a name and a colon right before the opening mark say who
    # speaks, though an attributed quote comes just before.
    found = name_colon_before(quote, ctx)
    if found is not None:
        # "Dana Cole Praises Luis Ruiz: ‘...’": in the headline, its opening name speaks.
        return _headline(opener, ctx, found, "colon")
    if opener is not None and previous is not None:  # a quote before it in the headline
        return _headline(opener, ctx, previous[1], "continues")
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
        ("colon", colon_speaker),
        ("signature", signature_speaker),
        ("previous_paragraph", _previous_paragraph_speaker),
        ("main_clause", _main_clause_speaker),
        ("credit_line", credit_line_speaker),
    ):
        found = step(quote, lo, ctx, previous)
        if found is not None:
            return _headline(opener, ctx, found, how)
    if previous is not None and _goes_on_past_a_name(previous, quote, ctx):
        return previous[1], "continues"
    found = _nearby_name(quote, lo, hi, ctx)
    if found is not None:
        # "Pence blames media for Trump's ‘...’ flap": a headline's words are its subject's.
        return _headline(opener, ctx, found, "nearest_name")
    return None, "unnamed" if _unnamed_speech(quote, lo, hi, ctx) else "none"


# What the text before a quote that opens a sentence ends with (a full stop, or a quote's close).
_SENTENCE_ENDS = (".", "?", "!", "”", "’", '"')


def _goes_on_past_a_name(
    previous: tuple[ModelSpan, ModelSpan], quote: ModelSpan, ctx: Context
) -> bool:
    """Whether a quote nothing attributes, that opens a sentence in the paragraph of the
    attributed quote `previous`, goes on with its words though a name stands between ("“...,”
    said Ana Ruiz, 44. She grew up near Lake Tova. “...”": the name only tells of her)."""
    before = previous[0]
    # The attributed quote's own words stop the stripping: the text before it is never read.
    return (
        _one_paragraph(before, quote, ctx)
        and ctx.text[before.start : quote.start].rstrip(" \t\xa0“\"'‘")[-1:] in _SENTENCE_ENDS
    )


def _one_paragraph(before: ModelSpan, quote: ModelSpan, ctx: Context) -> bool:
    """Whether no line break stands between the quote `before` and `quote`."""
    return "\n" not in ctx.text[before.end : quote.start]


def _unnamed_speech(quote: ModelSpan, lo: int, hi: int, ctx: Context) -> bool:
    """Whether a speech verb in the quote's sentences has a subject that names no one ("“Okay,”
    I said", "most said they were “very worried”", "Someone called it a “quiet revolution”"):
    the text attributes the quote, to no one a relation can point to."""
    return any(
        t.i not in ctx.quote_tokens
        and is_speech_verb(t, ctx)
        and any(c.dep_ in SUBJECT_DEPS and c.i not in ctx.quote_tokens for c in t.children)
        for t in ctx.doc[lo:hi]
    )


def _headline_opener(quote: ModelSpan, ctx: Context) -> ModelSpan | Token | None:
    """What a headline opens with, when the quote is in the headline (the text's first line)
    after it: a PERSON ("Sanders: Endorsements prove Clinton ‘...’", "McCain Challenger Kelli
    Ward: ..." with 'McCain Challenger' an ORG), an ORG ("DNC issues ‘...’"), or the first
    word when it is the surname of a person the text names (NER misses names in headlines:
    "Pence blames ..."; `_headline` makes it a PERSON span). None otherwise."""
    text = ctx.text
    if text.find("\n", 0, quote.start) >= 0:
        return None
    start = len(text) - len(text.lstrip(" \t\xa0"))
    spans = [s for s in ctx.spans if s.last <= quote.first]
    for n, span in enumerate(spans):
        if span.start > start:
            break
        if span.start != start or span.label not in ("PERSON", "ORG"):
            return None
        after = spans[n + 1] if n + 1 < len(spans) else None
        if span.label == "ORG" and after is not None and after.label == "PERSON":
            return after if text[span.end : after.start] == " " else span
        return span
    first = ctx.doc.char_span(start, start + 1, alignment_mode="expand")
    if first is None or first.start >= quote.first or not surname_named_later(first[0], ctx):
        return None
    return first[0]


def _end(opener: ModelSpan | Token) -> int:
    return opener.end if isinstance(opener, ModelSpan) else opener.idx + len(opener)


def _headline(
    opener: ModelSpan | Token | None, ctx: Context, found: ModelSpan, how: str
) -> tuple[ModelSpan, str]:
    """The headline's opener as the speaker (made a PERSON span if it is a word), else
    `found`, found `how`."""
    if opener is None:
        return found, how
    span = opener if isinstance(opener, ModelSpan) else add_name(opener, ctx)
    return (found, how) if span is None else (span, "headline")


def _right_after(quote: ModelSpan, ctx: Context) -> ModelSpan | None:
    """The speaker of the attribution right after a quotation that ends in a comma, a
    question or an exclamation mark ("“...,” Trump said, after Quick said ...", "“...?”
    asked Dunn, now a partner ..."): a PERSON and a speech verb, or a speech verb and the
    person its noun phrase names ("said Cruz constituent Dan Golvach": Golvach), with only
    punctuation before them. The parse may hang the quotation on another clause's verb."""
    doc, text = ctx.doc, ctx.text
    if text[quote.end - 1 : quote.end] not in (",", "?", "!"):
        return None
    # A fragment after a word ("what Judge Ray called “distasteful,” Santilli wrote") is part
    # of a sentence that goes on, not a quotation the words after it attribute.
    before = text[text.rfind("\n", 0, quote.start) + 1 : quote.start].rstrip(" \t\xa0“\"'‘")
    if before and before[-1] not in ".?!:;,—–-”’\"')":
        return None
    at = quote.last
    while (
        at < min(len(doc), quote.last + 3)
        and (doc[at].is_punct or doc[at].pos_ == "PUNCT")
        and "\n" not in doc[at].text
    ):
        at += 1
    if at == quote.last or at >= len(doc) - 1:
        return None
    span = ctx.by_token.get(at)
    if span is not None and span.label == "PERSON":
        verb = span.last
        if verb < len(doc) and doc[verb].text == ",":
            # "“...,” Trump, the front-runner, said when Boyle asked him": the verb after
            # the name's apposition.
            verb = _verb_after_apposition(span, ctx)
        if verb >= len(doc) or not is_speech_verb(doc[verb], ctx):
            return None
        # "“...,” Trump said: “...”": the verb introduces the next quotation.
        return None if doc[verb + 1 : verb + 2].text == ":" else span
    if not is_speech_verb(doc[at], ctx):
        return None
    found = None
    for token in doc[at + 1 : at + 8]:
        named = ctx.by_token.get(token.i)
        if named is not None and named.label == "PERSON":
            found = named
        elif token.pos_ not in ("PROPN", "NOUN", "ADJ", "PART") and named is None:
            break
    return found


def _verb_after_apposition(span: ModelSpan, ctx: Context) -> int:
    """The index of the verb that ends the apposition after a name ("Trump, the front-runner
    in South Carolina after winning New Hampshire, said"): the first verb after a comma, on
    the name's line, with no quote and no other clause's subject before it; the text's
    length when there is none (the parse may take the name for the apposition instead)."""
    doc = ctx.doc
    for token in doc[span.last + 1 : span.last + 40]:
        if token.i in ctx.quote_tokens or token.dep_ in SUBJECT_DEPS or "\n" in token.text:
            break
        if token.pos_ == "VERB" and doc[token.i - 1].text == ",":
            return token.i
    return len(doc)


def _parse_speaker(
    quote: ModelSpan, ctx: Context, para_start: int, para_end: int
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
            if is_speech_verb(ancestor, ctx):
                found = _agent(ancestor, ctx) or verb_speaker(ancestor, ctx)
                if found is not None:
                    return outer_speaker(ancestor, found, quote, ctx, para_start, para_end)
    governing = _governing_verb(quote, ctx, para_start, para_end)
    return None if governing is None else verb_speaker(governing, ctx)


def _agent(verb: Token, ctx: Context) -> ModelSpan | None:
    """Who speaks through a passive speech verb with an agent: "Corbin was asked by host
    Dana Maddox, “...”" is Maddox's question, not Corbin's (the passive subject)."""
    if not any(c.dep_ == "nsubjpass" for c in verb.children):
        return None
    for c in verb.children:
        if c.dep_ == "agent":
            for t in c.children:
                if t.dep_ == "pobj" and t.i not in ctx.quote_tokens:
                    return mention(t, ctx)
    return None


def _governing_verb(quote: ModelSpan, ctx: Context, para_start: int, para_end: int) -> Token | None:
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
    quote: ModelSpan, lo: int, ctx: Context, previous: tuple[ModelSpan, ModelSpan] | None
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
    colon = text[end - 1 : end] == ":"
    all_quotation = _all_quotation(quote, ctx)
    # The paragraph before is read token by token only when one of its two rules needs it.
    paragraph = (
        ctx.doc.char_span(prev_start, end, alignment_mode="expand")
        if colon or all_quotation
        else None
    )
    tokens = [] if paragraph is None else list(paragraph)
    verbs = [t for t in tokens if t.i not in ctx.quote_tokens and is_speech_verb(t, ctx)]
    if colon and tokens and tokens[-1].text == ":":
        # "Stated Cole: / “...”": the inverted verb's name speaks.
        found = inverted_name(tokens[-1].i, ctx)
        if found is not None:
            return found
    if colon:
        # A speech verb's subject, else the subject of the clause that ends at the colon
        # ("Trump issued the following statement:"): the paragraph's root, or a verb that
        # hangs on a word outside it (spaCy runs the sentence on into the quotation).
        roots = [
            t
            for t in tokens
            if t.pos_ in ("VERB", "AUX")
            and (t.dep_ == "ROOT" or not prev_start <= t.head.idx < end)
        ]
        for verb in [*reversed(verbs), *reversed(roots)]:
            found = verb_speaker(verb, ctx)
            if found is not None:
                return found
    if previous is not None and prev_start <= previous[0].start < end:
        return previous[1]
    # "Sanders said the plan would fail. / “It will not pay for itself.”": a paragraph that is
    # all quotation, after one that reports someone's speech, goes on with their words.
    if all_quotation:
        for verb in reversed(verbs):
            found = verb_speaker(verb, ctx)
            if found is not None:
                return found
        # "Viguerie is upbeat about Cruz's chances. / “Not only can Ted Cruz win ...”": with
        # no speech verb there, the named subject of the paragraph's last main clause.
        return _last_main_subject(tokens, ctx)
    return None


def _last_main_subject(tokens: Sequence[Token], ctx: Context) -> ModelSpan | None:
    """The PERSON or ORG that is the subject of the last sentence root among `tokens`."""
    for root in reversed([t for t in tokens if t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX")]):
        for subject in (c for c in root.children if c.dep_ in SUBJECT_DEPS):
            found = mention(subject, ctx)
            if found is not None and found.label in ("PERSON", "ORG"):
                return found
        return None
    return None


def _all_quotation(quote: ModelSpan, ctx: Context) -> bool:
    """Whether the quote is its whole paragraph but for the marks."""
    text = ctx.text
    start, end = paragraph(text, quote)
    marks = " \t\xa0“”\"'‘’"
    return text[start : quote.start].strip(marks) == "" and text[quote.end : end].strip(marks) == ""


def _main_clause_speaker(
    quote: ModelSpan, lo: int, ctx: Context, previous: tuple[ModelSpan, ModelSpan] | None
) -> ModelSpan | None:
    """A quote that hangs on no verb of saying: the named subject of the main clause it is in
    ("Cruz chided Trump for ... the “natural born” standard", "Trump opened with a call for
    the party to “embrace” him"), whose words or view the quote most often is; never the
    subject of the quote's own clause ("Rubio was “a lightweight”": Rubio is the target)."""
    top = ctx.doc[quote.first]
    while top.head.i != top.i and same_line(top.head, top, ctx):
        top = top.head
    if top.i in ctx.quote_tokens or top.pos_ not in ("VERB", "AUX"):
        return None
    inside = range(quote.first, quote.last)
    if top.lemma_ == "be" and any(ctx.doc[i].head.i == top.i for i in inside):
        return None  # the quote is what the subject is said to be
    for subject in (c for c in top.children if c.dep_ in SUBJECT_DEPS):
        found = mention(subject, ctx)
        if found is not None and found.label in ("PERSON", "ORG"):
            return found
    return None


def _nearby_verb_speaker(quote: ModelSpan, lo: int, hi: int, ctx: Context) -> ModelSpan | None:
    doc = ctx.doc
    candidates = [
        t
        for t in doc[lo:hi]
        if t.i not in ctx.quote_tokens and (is_speech_verb(t, ctx) or t.lower_ == "according")
    ]
    # Speech verbs first: "Peskov said, according to RIA" (the outlet only relays).
    candidates.sort(
        key=lambda t: (
            t.lower_ == "according",
            min(abs(t.i - quote.first), abs(t.i - quote.last)),
        )
    )
    for verb in candidates:
        found = _agent(verb, ctx) or verb_speaker(verb, ctx)
        if found is not None:
            return found
    return None


def _nearby_name(quote: ModelSpan, lo: int, hi: int, ctx: Context) -> ModelSpan | None:
    nearby = [
        s
        for s in ctx.spans
        if s.label in ("PERSON", "ORG")
        and lo <= s.first
        and s.last <= hi
        and not any(i in ctx.quote_tokens for i in range(s.first, s.last))
    ]
    # A name right after the closing mark ("“...,” X, a ...") is the speaker; else the first
    # person named before the quote in its sentence is most often the one whose words or view
    # it is (the subject: "X said because Y is popular, “...”"), not the nearest ("X praised
    # Y's speech at Z, which X claims affirmed “...”").
    nearby.sort(
        key=lambda s: (
            s.label != "PERSON",
            not quote.last <= s.first <= quote.last + 2,
            s.first > quote.first,
            s.first if s.first < quote.first else s.first - quote.last,
        )
    )
    return nearby[0] if nearby else None


def _paragraph_sentences(span: ModelSpan, ctx: Context) -> tuple[int, int]:
    """Token range of the sentences a span overlaps, and of those its neighbouring tokens
    (the marks) start, cut to the span's paragraph (line): a sentence that begins right
    after a closing mark ("... ,” the Texan said.") or ends at an opening one ("He said: “")
    is the quote's too."""
    doc, text = ctx.doc, ctx.text
    lo_token, hi_token = max(span.first - 2, 0), min(span.last + 2, len(doc))
    sents = [(a, b) for a, b in ctx.sentences if a < hi_token and lo_token < b]
    lo, hi = sents[0][0], sents[-1][1]
    para_start, para_end = paragraph(text, span)
    while lo < span.first and doc[lo].idx < para_start:
        lo += 1
    while hi > span.last and doc[hi - 1].idx >= para_end:
        hi -= 1
    return lo, hi


def _continues(
    previous: tuple[ModelSpan, ModelSpan], quote: ModelSpan, ctx: Context, within: int = 0
) -> bool:
    """Whether `quote` goes on with the attributed quote `previous` (quote, speaker); with
    `within`, only when it starts at most that many sentences after it."""
    before, speaker = previous
    # "... border,” Psaki told reporters last week. “Russia now has ...": same paragraph, and
    # the quote starts in the sentence where the attributed quote ends or in the next one.
    # Further on in the paragraph too, unless someone else is named between ("... ,” Woolson
    # said. They also lie in a media market dead zone. “That’s a tough area.”).
    if not _one_paragraph(before, quote, ctx):
        return False
    gap = ctx.sentence_of[quote.first] - ctx.sentence_of[before.last - 1]
    if within:
        return 0 <= gap <= within
    if 0 <= gap <= 1:
        return True
    # A name in the speaker's own phrase is no one else ("said Dana Cole, a Democrat who flew
    # to Ohio with the family of Ruiz. “...”": Ruiz is who Cole is).
    phrase = (
        {t.i for t in ctx.doc[speaker.last - 1].subtree}
        if before.last <= speaker.first < quote.first
        else set()
    )
    return gap > 1 and not any(
        s.label == "PERSON"
        and before.last <= s.first
        and s.last <= quote.first
        and ctx.text[s.start : s.end] not in ctx.text[speaker.start : speaker.end]
        and s.first not in phrase
        for s in ctx.spans
    )
