"""Relations between predicted spans (the scheme's `rules.relations`, `rule/relations.v1`).

From the parse (`speaker`, QUOTE -> its speaker, is `speakers`'): `affiliation` (PERSON ->
the ORG, GPE or NORP in the person's title) and `participant`, `date` and `location` of an
EVENT. Every relation is kept only if the scheme allows its labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Doc, Token

from summit_corpus.build.model.spans import ModelSpan, Relation, root
from summit_corpus.core.scheme import Scheme

# Dependency labels a title may hang on; a path through any other label leaves the person's
# noun phrase ("the presidents of Russia ..., Vladimir Putin" is not a title).
_TITLE_DEPS = {"compound", "amod", "nmod", "poss", "appos", "case", "npadvmod", "punct"}
_SUBJECT_DEPS = {"nsubj", "nsubjpass"}
_EVENT_VERBS = {"take", "hold", "have", "begin", "start"}


def relations(doc: Doc, scheme: Scheme, spans: Sequence[ModelSpan]) -> list[Relation]:
    """The affiliation and event relations among the spans, as the scheme allows them."""
    by_token: dict[int, ModelSpan] = {}
    for span in spans:
        if span.label != "QUOTE":
            for i in range(span.first, span.last):
                by_token[i] = span
    out: list[Relation] = []
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


def _affiliations(doc: Doc, person: ModelSpan, by_token: dict[int, ModelSpan]) -> list[ModelSpan]:
    """ORG/GPE/NORP spans in the title of a PERSON mention: in front of the name in its noun
    phrase ("Kremlin spokesperson Dmitry Peskov") or in an apposition ("Russia's deputy foreign
    minister, Sergey Ryabkov"), reached only through title-like dependencies."""
    name = root(doc, person)
    heads = [name]
    if name.dep_ == "appos":
        heads.append(name.head)
    heads += [c for c in name.children if c.dep_ == "appos"]
    found: dict[tuple[int, int, str], ModelSpan] = {}
    for head in heads:
        for token in head.subtree:
            other = by_token.get(token.i)
            if other is None or other is person or other.label not in ("ORG", "GPE", "NORP"):
                continue
            if token.i != root(doc, other).i:
                continue
            if _title_path(token, heads, person, by_token):
                found[other.key] = other
    return list(found.values())


def _title_path(
    token: Token, heads: list[Token], person: ModelSpan, by_token: dict[int, ModelSpan]
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


def _event_links(
    doc: Doc, event: ModelSpan, by_token: dict[int, ModelSpan]
) -> Iterable[tuple[str, ModelSpan]]:
    """participant / date / location links of an EVENT span from the parse."""
    head = root(doc, event)
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
