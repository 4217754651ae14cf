"""The document labels' rules: a value belongs to its label, a single-choice label has one
value per annotation.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _np, _string_key
from summit_corpus.validate.context import LABEL_VALUES, ROW, SINGLE_CHOICE, _Frame
from summit_corpus.validate.rules.base import _Rule, _values


def _value_of_label(f: _Frame) -> NDArray[Any]:
    values = f.ctx.scheme.label_values or {}
    pairs = [f"{name}\x1f{v}" for name, vs in values.items() for v in vs]
    key = _string_key(f.col("name"), f.col("value"))
    known = np.asarray(
        pc.is_in(f.col("name"), value_set=pa.array(sorted(values), pa.string())).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    ok = pc.fill_null(pc.is_in(key, value_set=pa.array(sorted(pairs), pa.string())), True)
    return ~known | np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool)


def _single_choice(f: _Frame) -> NDArray[Any]:
    names = list(f.ctx.scheme.single_choice or ())
    if f.n == 0:
        return np.ones(0, dtype=bool)
    group = ["doc_id", "layer", "name", "annotation_id"]
    # Null keys (the model layer has no annotation id) never match in a join: fill them.
    table = pa.table(
        [pc.fill_null(f.col(c), "\x00") for c in group] + [pa.array(np.arange(f.n))],
        names=[*group, ROW],
    )
    table = table.filter(pc.is_in(table.column("name"), value_set=pa.array(names, pa.string())))
    counts = table.group_by(group, use_threads=False).aggregate([(ROW, "count")])
    many = counts.filter(pc.greater(counts.column(f"{ROW}_count"), 1))
    good = np.ones(f.n, dtype=bool)
    if many.num_rows:
        bad = table.join(many, keys=group, join_type="inner")
        good[_np(bad.column(ROW))] = False
    return good


LABEL_RULES: tuple[_Rule, ...] = (
    _Rule("value_of_label", _value_of_label, _values("value"), "value", (LABEL_VALUES,)),
    _Rule("single_choice", _single_choice, _values("value"), "value", (SINGLE_CHOICE,)),
)
