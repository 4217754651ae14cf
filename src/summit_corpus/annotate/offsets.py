"""Offsets (pure): place an exported region in its document's text.

What Label Studio 1.23.2 does with offsets (checked against the running server and the
bundled frontend, see annotations/README.md):
- The server stores task text and results verbatim: text with emoji, CRLF, tabs, double spaces,
  `&` and `<b>` comes back from the API and the export byte for byte, and `start`/`end` are
  stored as sent.
- The frontend counts `start`/`end` for `<Text>` in code points (it spreads each DOM text node
  with `[...text]`), the same as Python `str` indices; `\\r` and `\\n` count one each. The
  text is not HTML-sanitised (feature flag `fflag_fix_leap_466_text_sanitization` is on and
  frozen in 1.23.2), so `&` and `<` do not shift later offsets.
- A region's `text` is the browser selection: line breaks come back as a literal backslash-n and
  runs of whitespace may collapse. The corpus therefore takes span text from the document and
  only compares it with the region's `text` after normalising both.
- Older exports carried UTF-16 offsets (an emoji counts two). A region that does not match in
  code points but matches in UTF-16 code units is converted, and the conversion is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from summit_corpus.annotate.identity import annotation_name
from summit_corpus.annotate.values import Problem

_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    # The browser selection writes line breaks as a literal backslash-n and may collapse
    # whitespace; compare on a form where neither matters.
    return _SPACE.sub(" ", text.replace("\\r", " ").replace("\\n", " ")).strip()


def _utf16_to_codepoints(text: str) -> list[int] | None:
    """RETURNS (list[int] | None): UTF-16 offset -> code-point offset (None if no astral chars)."""
    if text.isascii() or max(map(ord, text)) < 0x10000:
        return None
    table = []
    for i, c in enumerate(text):
        table.append(i)
        if ord(c) >= 0x10000:
            table.append(-1)  # the low surrogate: not a character boundary
    table.append(len(text))
    return table


def resolve_offsets(
    text: str, start: Any, end: Any, region_text: Any
) -> tuple[int, int, str] | None:
    """Place a region in the document: code-point offsets, else UTF-16 offsets converted.

    text (str): The task's (document's) text.
    start (Any): The region's `start` as exported.
    end (Any): The region's `end` as exported.
    region_text (Any): The region's `text` as exported (None: not checked).
    RETURNS (tuple[int, int, str] | None): (start, end, 'codepoint' | 'utf16'), or None when
        the region does not fit the text either way.
    """
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        return None
    # fast path: the region's text is the exact slice (true for most regions)
    if 0 <= start < end <= len(text) and (region_text is None or text[start:end] == region_text):
        return (start, end, "codepoint")
    want = _normalise(region_text) if isinstance(region_text, str) else None

    def fits(s: int, e: int) -> bool:
        if not 0 <= s < e <= len(text):
            return False
        return want is None or _normalise(text[s:e]) == want

    if fits(start, end):
        return (start, end, "codepoint")
    table = _utf16_to_codepoints(text)
    if table is not None and 0 <= start < end <= len(table) - 1:
        s, e = table[start], table[end]
        if s >= 0 and e >= 0 and fits(s, e):
            return (s, e, "utf16")
    return None


def region_problems(export: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Check every region of an export against its own task's text.

    export (Sequence[Mapping]): Label Studio's JSON export.
    RETURNS (list[Problem]): One problem per region that does not fit.
    """
    found = []
    for task in export:
        text = (task.get("data") or {}).get("text")
        doc_id = (task.get("data") or {}).get("doc_id")
        for annotation in task.get("annotations") or []:
            for index, item in enumerate(annotation.get("result") or []):
                if not isinstance(item, Mapping) or item.get("type") != "labels":
                    continue
                value = item.get("value") or {}
                if (
                    not isinstance(text, str)
                    or resolve_offsets(
                        text, value.get("start"), value.get("end"), value.get("text")
                    )
                    is None
                ):
                    found.append(
                        Problem(
                            task.get("id"),
                            annotation_name(str(doc_id), annotation),
                            str(item.get("id", f"#{index}")),
                            doc_id,
                            "region_text_matches",
                            f"[{value.get('start')}, {value.get('end')}) "
                            f"{value.get('text')!r} does not match the task text",
                        )
                    )
    return found
