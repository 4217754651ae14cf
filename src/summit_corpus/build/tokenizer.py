"""The pipeline's tokenizer rules for real web text: double quote marks glued to their words.

spaCy's English tokenizer splits a quote mark off a word only at the edges of a
whitespace-delimited chunk. Web text often leaves out the space around a mark: `said,“Look`,
`Gowdy:"I`, `paranoia,”Clinton`, `voters!”After`, `history”—and`. There the mark stays inside
one token, so the quotation's first or last word cannot be a span edge (the QUOTE loses a
word), and the parser sees `said,“Look` instead of the speech verb.

`split_glued_marks` makes every double mark of the scheme a token of its own wherever it
stands, with the punctuation glued to it on either side (`said` `,` `“` `Look`). Single marks
are left to spaCy: inside a word they are apostrophes ("Russia’s", "rock'n'roll").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

# Punctuation that stands glued before a mark (`said,“`, `Gowdy:"`, `voters!”`), and dashes
# glued after one (`history”—and`).
_BEFORE_MARK = ",:;!?—–"
_AFTER_MARK = "—–"


def glued_mark_infixes(marks: Sequence[tuple[str, str]]) -> list[str]:
    """The infix patterns that split double marks (and the punctuation glued to them) off words.

    marks (Sequence[tuple[str, str]]): The scheme's (opening, closing) double mark pairs.
    RETURNS (list[str]): Regular expressions for spaCy's `infix_finditer`.
    """
    every = sorted({m for pair in marks for m in pair}, key=lambda m: (-len(m), m))
    mark = "|".join(re.escape(m) for m in every)
    after = "|".join(f"(?<={re.escape(m)})" for m in every)
    return [
        mark,
        rf"[{re.escape(_BEFORE_MARK)}](?={mark})",
        # A full stop after a letter ("wrong.”He"), not a decimal point.
        rf"(?<=[^\W\d_])\.(?={mark})",
        rf"(?:{after})[{re.escape(_AFTER_MARK)}]",
    ]


def split_glued_marks(nlp: Language, marks: Sequence[tuple[str, str]]) -> None:
    """Add `glued_mark_infixes` to the pipeline's tokenizer (in place), after its own.

    nlp (Language): The loaded pipeline.
    marks (Sequence[tuple[str, str]]): The scheme's (opening, closing) double mark pairs.
    """
    from spacy.tokenizer import Tokenizer

    tokenizer = nlp.tokenizer
    if not isinstance(tokenizer, Tokenizer):  # a custom tokenizer has no infixes to extend
        raise TypeError(f"expected spaCy's rule-based Tokenizer, got {type(tokenizer).__name__}")
    own = tokenizer.infix_finditer.__self__.pattern  # the model's infixes, kept first
    tokenizer.infix_finditer = re.compile("|".join([own, *glued_mark_infixes(marks)])).finditer
