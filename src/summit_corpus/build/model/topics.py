"""Document labels: summit_status (`rule/summit_status.v1`) and topics (`rule/topics.v1`).

Regular-expression cues from the scheme over the lowercased text: the summit status is the
value of the last cue found; a topic needs at least the scheme's `min_hits` cue matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from summit_corpus.core.scheme import Scheme


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


def document_labels(text: str, scheme: Scheme) -> list[tuple[str, str, str]]:
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
