"""The same checks as `validate_tables` without pandera: the benchmark baseline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import tables as T
from summit_corpus.validate.context import DEFINITIONS, EXTRA_TABLES, _Context, _scheme
from summit_corpus.validate.run import _applicable_rules, _conform, _file_array, _sound_nested


def count_failures_plain(
    tables: Mapping[str, pa.Table],
    splits: Mapping[str, pa.Array | pa.ChunkedArray] | None = None,
    vocabularies: Mapping[str, Any] | None = None,
    *,
    files: Mapping[str, Sequence[str]] | None = None,
    nested: Mapping[str, pa.Table] | None = None,
) -> dict[tuple[str, str], int]:
    """The same checks as `validate_tables`, run with pyarrow.compute alone (no pandera).

    The baseline of scripts/bench_validate.py, and a cross-check of the pandera path in the
    tests: both must count the same failing rows per (table, rule). Column rules are direct
    kernel calls; row rules call the same vectorised rule functions without pandera.

    tables, splits, vocabularies: As in `validate_tables`.
    RETURNS (dict[tuple[str, str], int]): (table, rule) -> failing rows, for rules that fail.
    """
    scheme = _scheme(vocabularies)
    counts: Counter[tuple[str, str]] = Counter()
    sound: dict[str, pa.Table] = {}
    for definition in (*T.ALL_TABLES, *EXTRA_TABLES):
        if definition.name not in tables:
            continue
        table = tables[definition.name]
        name = definition.name
        missing = [c for c in definition.names if c not in table.column_names]
        extra = [c for c in table.column_names if c not in definition.names]
        counts[(name, "column_present")] += len(missing)
        counts[(name, "unknown_column")] += len(extra)
        structural = bool(missing or extra)
        for c in definition.columns:
            if c.vocabulary is not None and c.vocabulary not in scheme.vocabularies:
                counts[(name, "vocabulary_missing")] += 1
            if c.name not in table.column_names:
                continue
            col = table.column(c.name)
            if not col.type.equals(c.type):
                counts[(name, "dtype")] += 1
                structural = True
                continue
            if not c.nullable:
                counts[(name, "not_null")] += col.null_count
            if c.ge is not None:
                counts[(name, "min_value")] += pc.sum(pc.less(col, c.ge)).as_py() or 0
            vocab = c.allowed
            rule = "allowed_values"
            if pa.types.is_list(c.type):
                vocab = None  # list columns: the 'in_vocabulary' row rule
            elif c.vocabulary is not None and c.vocabulary in scheme.vocabularies:
                vocab, rule = tuple(scheme.vocabularies[c.vocabulary]), "in_vocabulary"
            if vocab is not None:
                bad = pc.and_(
                    pc.invert(pc.is_in(col, value_set=pa.array(vocab, col.type))), pc.is_valid(col)
                )
                counts[(name, rule)] += pc.sum(pc.fill_null(bad, False)).as_py() or 0
            if c.pattern is not None:
                bad = pc.invert(pc.match_substring_regex(col, f"^(?:{c.pattern})$"))
                counts[(name, "pattern")] += pc.sum(pc.fill_null(bad, False)).as_py() or 0
        if not structural:
            sound[name] = _conform(definition, table)
    ctx_splits = None
    if splits is not None:
        ctx_splits = {
            k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v)
            for k, v in splits.items()
        }
    ctx_files = {k: _file_array(v) for k, v in (files or {}).items()}
    ctx = _Context(sound, ctx_splits, scheme, ctx_files, _sound_nested(nested, sound))
    for name in sound:
        frame = ctx.frame(name)
        assert frame is not None
        for row_rule in _applicable_rules(DEFINITIONS[name], ctx):
            counts[(name, row_rule.name)] += int(np.count_nonzero(~row_rule.check(frame)))
    return {k: v for k, v in sorted(counts.items()) if v}
