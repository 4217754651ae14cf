"""The pandera schemas (pyarrow backend, `pandera.pyarrow`, which validates a `pa.Table`).

Two schemas per table, both derived from `tables.py`:

- the *column schema* (`column_schema`): every column's presence, Arrow type and nullability,
  `ge` bounds, fixed `allowed` values, scheme vocabularies and `pattern`s, and no unknown
  columns. It runs on the table as read.
- the *rule schema* (`rule_schema`): one dataframe-level pandera `Check` per row rule
  (`rules.rules_for`), each returning one boolean per row. It runs once the table's columns
  have the right types, and its checks see the other tables through a `_Context`.
"""

from __future__ import annotations

import functools
import importlib
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandera.pyarrow as pdr
import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import tables as T
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.report import RULES
from summit_corpus.validate.rules.base import _Rule

# pandera's optional engine that its column dtype check imports on every call (0.35).
_PYSPARK_ENGINE = "pandera.engines.pyspark_engine"


def _remember_missing_pyspark() -> None:
    """Without pyspark, pandera's column dtype check (`ColumnBackend.check_dtype`) tries to
    import its pyspark engine on every column of every table it validates, and each failed try
    runs the import system again (finders, the module's bytecode, `import pyspark`): 8 % of
    validating a corpus. A name that is None in `sys.modules` fails to import at once (the
    import system's own record of a module that is not there), so one failed try is kept.
    Called as the first schema is made, not on import, so commands that never validate do not
    pay for the try (nor import pyspark where it is installed).
    """
    if _PYSPARK_ENGINE in sys.modules:
        return
    try:
        importlib.import_module(_PYSPARK_ENGINE)
    except ImportError:
        sys.modules[_PYSPARK_ENGINE] = None  # type: ignore[assignment]


def column_schema(
    definition: T.Table, vocabularies: Mapping[str, Sequence[str]] | None = None
) -> pdr.DataFrameSchema:
    """The pandera schema of a table's columns, derived from its definition.

    definition (Table): The table (tables.py).
    vocabularies (Mapping[str, Sequence[str]] | None): Scheme vocabularies by name; a column
        whose vocabulary is missing here gets no vocabulary check (`vocabulary_missing` is
        reported by `validate_tables`).
    RETURNS (pdr.DataFrameSchema): Types, nullability, bounds, vocabularies, patterns; strict.
    """
    known = None if vocabularies is None else tuple((k, tuple(v)) for k, v in vocabularies.items())
    return _column_schema(definition, known)


# A corpus is validated a chunk of documents at a time, each table of each chunk against the
# same schema: made once, not once per chunk (4 ms each, 0.46 s of validating 2,500 articles).
# pandera copies a schema's components before it validates, so a schema is safe to reuse.
@functools.lru_cache(maxsize=64)
def _column_schema(
    definition: T.Table, vocabularies: tuple[tuple[str, tuple[str, ...]], ...] | None
) -> pdr.DataFrameSchema:
    _remember_missing_pyspark()
    by_name = None if vocabularies is None else dict(vocabularies)
    columns = {}
    for c in definition.columns:
        checks = []
        if c.ge is not None:
            checks.append(pdr.Check.ge(c.ge, name="min_value"))
        if c.allowed is not None:
            checks.append(pdr.Check.isin(list(c.allowed), name="allowed_values"))
        if (
            c.vocabulary is not None
            and by_name is not None
            and c.vocabulary in by_name
            and not pa.types.is_list(c.type)  # lists: the 'in_vocabulary' row rule
        ):
            checks.append(pdr.Check.isin(list(by_name[c.vocabulary]), name="in_vocabulary"))
        if c.pattern is not None:
            checks.append(pdr.Check.str_matches(f"^(?:{c.pattern})$", name="pattern"))
        columns[c.name] = pdr.Column(c.type, checks=checks, nullable=c.nullable, required=True)
    return pdr.DataFrameSchema(columns, strict=True, name=definition.name)


def rule_schema(definition: T.Table, frame: _Frame, rules: Sequence[_Rule]) -> pdr.DataFrameSchema:
    """The pandera schema of a table's row rules: one dataframe check per rule.

    definition (Table): The table.
    frame (_Frame): The table and the corpus context the checks read.
    rules (Sequence[_Rule]): The rules to run.
    RETURNS (pdr.DataFrameSchema): Dataframe-level checks, each named after its rule.
    """
    checks = [
        pdr.Check(_as_check(rule, frame), native=True, name=rule.name, error=RULES[rule.name][1])
        for rule in rules
    ]
    return pdr.DataFrameSchema(checks=checks, name=definition.name)


def _as_check(rule: _Rule, frame: _Frame) -> Callable[[Any], pa.Array | bool]:
    # A weak reference: pandera caches check functions (an lru_cache of 1,024 in its
    # narwhals backend), and a strong one would keep every chunk's tables alive in it.
    ref = weakref.ref(frame)

    def run(data: Any) -> pa.Array | bool:
        # `data.table` is `frame.table` plus the row-number column; the rule reads the
        # frame so that arrays shared by several rules are computed once.
        live = ref()
        assert live is not None, "the frame outlives its schema's validation"
        passed = pa.array(rule.check(live), pa.bool_())
        # A rule that holds on every row answers True: for a boolean column pandera joins it
        # to the whole table and filters the failures out of it, which is most of a passing
        # rule's cost (1.4 of 5.2 s validating 2,500 articles). A failing rule keeps the
        # column, from which the rows that fail are read.
        if passed.null_count == 0 and pc.all(passed).as_py() is not False:
            return True
        return passed

    return run
