"""The documents' rules, which need Python per document (documents are few): SHA-256 of the
text, rebuilding the raw file, parsing stated times, and update sections where ingest puts
them (ordered, starting a line, ending at their last non-space character, only whitespace
between them, naming the first line after their header).
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.core import tables as T
from summit_corpus.validate.arrays import _np, _pair_key
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import RuleMaker, _flat, _Rule
from summit_corpus.validate.rules.nested import (
    _nested_count_detail,
    _nested_counts,
    _nested_detail,
    _nested_not_null,
)


def _text_sha256_matches(f: _Frame) -> NDArray[Any]:
    # No SHA-256 kernel in Arrow: one hashlib call per document (documents are few; the
    # million-row tables never come here).
    texts = f.col("text").to_pylist()
    digests = [None if t is None else hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    eq = pc.equal(f.col("text_sha256"), pa.array(digests, pa.string()))
    return np.asarray(pc.fill_null(eq, True).to_numpy(zero_copy_only=False), dtype=bool)


def _sha_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    texts = f.col("text").take(pa.array(rows)).to_pylist()
    stored = f.col("text_sha256").take(pa.array(rows)).to_pylist()
    return [
        {"text_sha256": s, "sha256_of_text": hashlib.sha256(t.encode("utf-8")).hexdigest()}
        for s, t in zip(stored, texts, strict=True)
    ]


def _updates_in_text(f: _Frame) -> NDArray[Any]:
    parents, values = _flat(f, "updates")
    good = np.ones(f.n, dtype=bool)
    if len(values) == 0:
        return good
    s = _np(pc.struct_field(values, "start"))
    e = _np(pc.struct_field(values, "end"))
    length = f.ctx.docs.length if f.ctx.docs is not None else np.zeros(f.n, dtype=np.int64)
    bad = (s < 0) | (e <= s) | (e > length[parents])
    good[parents[bad]] = False
    return good


def _updates_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    updates = f.col("updates").take(pa.array(rows)).to_pylist()
    length = f.ctx.docs.length if f.ctx.docs is not None else None
    return [
        {
            "updates": [{"start": u["start"], "end": u["end"]} for u in us],
            "text_length": int(length[r]) if length is not None else None,
        }
        for r, us in zip(rows, updates, strict=True)
    ]


def _update_sections_ok(text: str, updates: list[dict[str, Any]]) -> bool:
    """Whether a document's update sections are where ingest puts them (see this module's doc)."""
    from summit_corpus.build.ingest import split_lines

    line_starts, pos = {0}, 0
    lines = split_lines(text)
    for line, newline in lines:
        pos += len(line) + len(newline)
        line_starts.add(pos)
    for i, u in enumerate(updates):
        start, end = u["start"], u["end"]
        if not 0 <= start < end <= len(text):
            return True  # 'updates_in_text' reports it
        following = updates[i + 1]["start"] if i + 1 < len(updates) else len(text)
        if end > following or text[end:following].strip() or text[end - 1].isspace():
            return False
        # The section starts at its header line's first non-space character.
        line_start = start - (len(text[:start]) - len(text[:start].rstrip(" \t")))
        if line_start not in line_starts:
            return False
        heading = u.get("heading")
        if heading is not None:
            after = split_lines(text[start:])[1:]
            first = next((line.strip() for line, _ in after if line.strip()), None)
            if first != heading:
                return False
    return True


def _update_sections_match_text(f: _Frame) -> NDArray[Any]:
    # Per document in Python: update sections are a handful per article at most.
    good = np.ones(f.n, dtype=bool)
    texts = f.col("text").to_pylist()
    for i, updates in enumerate(f.col("updates").to_pylist()):
        if updates and texts[i] is not None:
            good[i] = _update_sections_ok(texts[i], updates)
    return good


def _removed_lines_unique(f: _Frame) -> NDArray[Any]:
    parents, values = _flat(f, "removed_lines")
    good = np.ones(f.n, dtype=bool)
    if len(values) == 0:
        return good
    line_no = _np(pc.struct_field(values, "line_no"), fill=0)
    key = _pair_key(parents, line_no)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    dup = np.zeros(len(ks), dtype=bool)
    dup[1:] = ks[1:] == ks[:-1]
    good[parents[order][dup]] = False
    good[parents[line_no < 1]] = False
    return good


def _removed_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    lines = f.col("removed_lines").take(pa.array(rows)).to_pylist()
    out = []
    for ls in lines:
        numbers = [x["line_no"] for x in ls]
        counts = Counter(numbers)
        out.append(
            {
                "line_no": sorted(
                    {n for n in numbers if counts[n] > 1 or n is None or n < 1}, key=str
                )
            }
        )
    return out


def _source_rebuilds(f: _Frame) -> NDArray[Any]:
    # The raw file's bytes are rebuilt in Python, one document at a time (documents are few,
    # and there is no vectorised form of the line bookkeeping).
    from summit_corpus.build.ingest import rebuild_raw

    columns = ["text", "removed_lines", "final_newline", "has_bom", "source_sha256"]
    good = np.ones(f.n, dtype=bool)
    for i, row in enumerate(f.table.select(columns).to_pylist()):
        if any(row[c] is None for c in columns):
            continue  # not_null reports it
        try:
            digest = hashlib.sha256(rebuild_raw(row)).hexdigest()
        except (KeyError, StopIteration, TypeError, ValueError):
            digest = None
        good[i] = digest == row["source_sha256"]
    return good


def _source_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    from summit_corpus.build.ingest import rebuild_raw

    out = []
    for row in f.table.take(pa.array(rows)).to_pylist():
        try:
            digest: str | None = hashlib.sha256(rebuild_raw(row)).hexdigest()
        except (KeyError, StopIteration, TypeError, ValueError) as error:
            digest = f"cannot rebuild: {error!r}"
        out.append({"source_sha256": row["source_sha256"], "sha256_of_rebuilt": digest})
    return out


_STATED = (("published_at", "published_at_local"), ("updated_at", "updated_at_local"))


def _stated_utc(local: str | None) -> datetime | None:
    """RETURNS: The UTC instant of an ISO 8601 local time with offset; None for a bare date."""
    if local is None or len(local) <= 10:
        return None
    return datetime.fromisoformat(local).astimezone(UTC)


def _stated_time_matches(f: _Frame) -> NDArray[Any]:
    # One datetime parse per document (documents are few; Arrow cannot parse "+05:30").
    good = np.ones(f.n, dtype=bool)
    for utc_name, local_name in _STATED:
        utcs = f.col(utc_name).to_pylist()
        locals_ = f.col(local_name).to_pylist()
        for i, (utc, local) in enumerate(zip(utcs, locals_, strict=True)):
            try:
                expected = _stated_utc(local)
            except ValueError:
                good[i] = False
                continue
            good[i] &= utc == expected
    return good


def _stated_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    names = [n for pair in _STATED for n in pair]
    return f.table.select(names).take(pa.array(rows)).to_pylist()


def _nested_not_null_rule(definition: T.Table) -> _Rule:
    return _Rule("nested_not_null", _nested_not_null(definition), _nested_detail(definition), None)


# The documents' own rules; 'nested_not_null' reads the definition's nested columns.
DOCUMENT_RULES: tuple[_Rule | RuleMaker, ...] = (
    _Rule("source_rebuilds", _source_rebuilds, _source_detail, "source_sha256"),
    _Rule("stated_time_matches", _stated_time_matches, _stated_detail, "published_at"),
    _Rule("nested_matches_table", _nested_counts, _nested_count_detail, None, ("nested",)),
    _Rule("text_sha256_matches", _text_sha256_matches, _sha_detail, "text_sha256"),
    _Rule("updates_in_text", _updates_in_text, _updates_detail, "updates"),
    _Rule("update_sections_match_text", _update_sections_match_text, _updates_detail, "updates"),
    _Rule("removed_line_numbers_unique", _removed_lines_unique, _removed_detail, "removed_lines"),
    _nested_not_null_rule,
)
