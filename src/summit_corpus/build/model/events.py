"""EVENT (the scheme's `rules.event`, `rule/event.v1`): nouns naming a diplomatic encounter.

A noun whose lemma or lowercase form is one of the scheme's event nouns, outside any
entity, with the premodifiers that hang on it ("OSCE ministerial meeting"); "conference"
only with one of the scheme's conference modifiers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from spacy.attrs import LEMMA, LOWER, POS
from spacy.symbols import NOUN, PROPN
from spacy.tokens import Doc, Token

from summit_corpus.build.model.spans import ModelSpan
from summit_corpus.core.scheme import Scheme

# Premodifiers that never belong to an EVENT span (determiners, quantifiers, ordinals).
_NOT_MODIFIER_POS = {"DET", "PRON", "NUM", "ADP", "CCONJ", "SCONJ", "PART", "PUNCT", "AUX", "SYM"}
_NOT_MODIFIER_WORDS = {"another", "other", "next", "last", "first", "second", "third", "such"}


def events(doc: Doc, scheme: Scheme, entities: Sequence[ModelSpan]) -> list[ModelSpan]:
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
        out.append(
            ModelSpan(span.start_char, span.end_char, "EVENT", rule.name, first, token.i + 1)
        )
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
