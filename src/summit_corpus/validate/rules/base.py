"""The row rule type: a named check (one bool per row) and the detail of its failing rows."""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.core import tables as T
from summit_corpus.validate.arrays import _np
from summit_corpus.validate.context import _Frame

# A rule check returns, per row, True (passes) or False (fails). `detail` describes the
# offending value of the failing rows (by row position) for the message.
Check = Callable[[_Frame], NDArray[Any]]
Detail = Callable[[_Frame, NDArray[Any]], list[Any]]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    check: Check
    detail: Detail
    column: str | None = None
    needs: tuple[str, ...] = ()  # other tables the rule reads; skipped when one is missing


# A rule that depends on the table's definition (its key, sort order or columns).
RuleMaker = Callable[[T.Table], _Rule]


def _values(column: str) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        return f.col(column).take(pa.array(rows)).to_pylist()

    return detail


def _offsets_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    out = []
    for r in rows:
        out.append(
            {"start": int(f.start[r]), "end": int(f.end[r]), "text_length": int(f.doclen[r])}
        )
    return out


def _flat(f: _Frame, column: str) -> tuple[NDArray[Any], pa.StructArray]:
    lists = f.col(column).combine_chunks()
    parents = _np(pc.list_parent_indices(lists))
    values = pc.list_flatten(lists)
    return parents, values
