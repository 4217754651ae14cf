"""Reported speech for the speaker rule (`rule/speaker.v13`): whose account a quotation is
when one speech verb reports another ("Ruiz said Diaz called it “...”": Ruiz's), found by
climbing the parse from the verb the quote hangs on (`speakers._parse_speaker`).
"""

from __future__ import annotations

from spacy.tokens import Token

from summit_corpus.build.model.mentions import (
    SUBJECT_DEPS,
    Context,
    is_speech_verb,
    verb_speaker,
)
from summit_corpus.build.model.spans import ModelSpan

# The edges up from a speech verb to a speech verb that reports its clause (`outer_speaker`).
_REPORTED_CLAUSE = frozenset({"ccomp", "xcomp", "acomp", "conj", "advcl"})
# Of those, the edges a clause with a subject of its own does not climb.
_OWN_SUBJECT_STOPS = frozenset({"conj", "advcl"})


def outer_speaker(
    verb: Token, found: ModelSpan, quote: ModelSpan, ctx: Context, para_start: int, para_end: int
) -> ModelSpan:
    """The speaker of the outermost speech verb whose reported clause holds `verb`, when
    `verb` comes before the quote: "Israel said Clinton called on members to be “...”",
    "Ross said Obama had told leaders ''...''", "Yepez said Perez was right to urge leaders
    “...”" and "Clinton said Trump is to blame and accused him of “...”" are the reporter's
    account, the words theirs (the others only the ones they tell of); so is "CNN, Cruz
    said, called it “...”". A speech verb after the opening mark ("... that “...,”
    Lewandowski added") attributes the quote itself and stays."""
    if verb.i > quote.first:
        return found
    # "CNN, Cruz said, called it “...”": a report set in the clause, before the quote.
    subjects = [c.i for c in verb.children if c.dep_ in SUBJECT_DEPS]
    for child in verb.children:
        if (
            child.dep_ == "parataxis"
            and subjects
            and min(subjects) < child.i < verb.i
            and child.i not in ctx.quote_tokens
            and is_speech_verb(child, ctx)
        ):
            found = verb_speaker(child, ctx) or found
    # Up the parse through the clauses that carry what is reported (a clausal complement, a
    # controlled verb, a conjunct or a participle that shares its subject: "..., stating
    # that they are “...”"): each speech verb whose clausal complement holds the path
    # reports what the ones below it say. An adverbial clause or a conjunct with a subject
    # of its own ("..., while Cruz said “...”", "..., and Clinton praised them ''...''") is
    # someone's own saying and stops the climb.
    below, token = verb, verb.head
    while token.i != below.i and below.dep_ in _REPORTED_CLAUSE:
        if not para_start <= token.idx < para_end or token.i in ctx.quote_tokens:
            break
        if below.dep_ in _OWN_SUBJECT_STOPS and any(c.dep_ in SUBJECT_DEPS for c in below.children):
            break
        if _after_a_closing_mark(token, ctx):
            # "Comey cannot say that “...,” Lewandowski added, saying it should be “...”":
            # the verb attributes the quotation before it, whatever the parse hangs it on.
            return (verb_speaker(token, ctx) or found) if is_speech_verb(token, ctx) else found
        if below.dep_ == "ccomp" and is_speech_verb(token, ctx):
            found = verb_speaker(token, ctx) or found
        below, token = token, token.head
    return found


def _after_a_closing_mark(verb: Token, ctx: Context) -> bool:
    """Whether a verb and its subject come right after a quotation's closing mark and a
    comma ("“...,” Lewandowski added")."""
    subjects = [c for c in verb.children if c.dep_ in SUBJECT_DEPS]
    first = min([verb.i, *(s.left_edge.i for s in subjects)])
    before = ctx.text[: ctx.doc[first].idx].rstrip(" \t\xa0")
    return before.endswith((",”", ',"', ",’", ",''", "?”", "!”", '?"', '!"'))
