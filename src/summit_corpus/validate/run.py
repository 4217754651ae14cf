"""Running the schemas and rules on tables, and turning pandera's errors into failures.

`_validate_part` validates some rows of a corpus (a whole corpus, a chunk of whole documents,
or the rows of a few documents gathered from several files): each table's column schema, then
the row rules of the tables whose structure is sound (`_applicable_rules`: those whose other
tables and scheme parts exist). `validate_tables` is the public entry point for in-memory
tables.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandera.pyarrow as pdr
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pandera.errors import SchemaErrorReason, SchemaErrors

from summit_corpus.core import tables as T
from summit_corpus.validate.arrays import _codes, _np
from summit_corpus.validate.context import (
    EXTRA_TABLES,
    LABEL_VALUES,
    NESTED_TABLES,
    RELATION_ENDPOINTS,
    ROW,
    SINGLE_CHOICE,
    _Context,
    _Frame,
    _Scheme,
    _scheme,
)
from summit_corpus.validate.report import (
    RULES,
    Failure,
    ValidationReport,
    _jsonable,
    _message,
    _table_failure,
    _where,
)
from summit_corpus.validate.rules import rules_for
from summit_corpus.validate.rules.base import _Rule
from summit_corpus.validate.rules.splits import _split_rules
from summit_corpus.validate.schemas import column_schema, rule_schema


@dataclass(frozen=True, slots=True)
class _Located:
    """How to name a table's rows: their key columns, file and index within the file."""

    definition: T.Table
    table: pa.Table
    files: pa.DictionaryArray | None  # per row, or None in memory
    index: NDArray[Any]  # per row: row number in its file (or in the table)

    def failures(
        self, rule: str, rows: NDArray[Any], values: Iterable[Any], column: str | None
    ) -> list[Failure]:
        if len(rows) == 0:
            return []
        key = [k for k in self.definition.key if k in self.table.column_names]
        ids = self.table.select(key).take(pa.array(rows)).to_pylist() if key else [{} for _ in rows]
        out = []
        for r, row, value in zip(rows, ids, values, strict=True):
            file = self.files[int(r)].as_py() if self.files is not None else None
            message = _message(rule, _where(self.definition, row, file), value, column)
            out.append(
                Failure(
                    self.definition.name,
                    row,
                    rule,
                    _jsonable(value),
                    message,
                    column,
                    file,
                    int(self.index[r]),
                )
            )
        return out


_REASONS = {
    SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME: "column_present",
    SchemaErrorReason.COLUMN_NOT_IN_SCHEMA: "unknown_column",
    SchemaErrorReason.WRONG_DATATYPE: "dtype",
    SchemaErrorReason.SERIES_CONTAINS_NULLS: "not_null",
}


_STRUCTURAL = {"column_present", "unknown_column", "dtype", "check_error"}


def _run_columns(
    located: _Located, vocabularies: Mapping[str, Sequence[str]] | None
) -> tuple[list[Failure], bool]:
    """Validate a table's columns with its pandera column schema.

    RETURNS (tuple[list[Failure], bool]): The failures, and whether the table's structure
        (columns present, types) is sound enough to run its row rules.
    """
    definition, table = located.definition, located.table
    failures: list[Failure] = []
    for c in definition.columns:
        if c.vocabulary is not None and (vocabularies is None or c.vocabulary not in vocabularies):
            failures.append(
                _table_failure(definition.name, "vocabulary_missing", c.vocabulary, c.name)
            )
    try:
        column_schema(definition, vocabularies).validate(table, lazy=True)
        return failures, True
    except SchemaErrors as errors:
        structural_ok = True
        for error in errors.schema_errors:
            column = (
                getattr(error.schema, "name", None)
                if isinstance(error.schema, pdr.Column)
                else None
            )
            rule = _REASONS.get(error.reason_code)
            if rule is None:
                check = error.check
                rule = getattr(check, "name", None) or str(check)
                if error.reason_code == SchemaErrorReason.CHECK_ERROR:
                    rule = "check_error"
            if rule not in RULES:
                rule = "check_error"
            if rule in _STRUCTURAL:
                structural_ok = False
                value: Any = _failure_values(error.failure_cases, column)
                if rule == "column_present":
                    # pandera names the missing column in its failure case, not its schema;
                    # its error text would print the table's rows into the message.
                    if column is None and isinstance(error.failure_cases, str):
                        column = error.failure_cases
                    value = column or str(error)
                elif rule == "unknown_column":
                    value = value[0] if value else str(error)
                elif rule == "check_error":
                    value = str(error)
                failures.append(_table_failure(definition.name, rule, value, column))
                continue
            assert column is not None
            col = table.column(column)
            if rule == "not_null":
                mask = pc.is_null(col)
            else:
                bad_values = pa.array(_failure_values(error.failure_cases, column), col.type)
                mask = pc.fill_null(pc.is_in(col, value_set=bad_values), False)
            rows = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))
            values = col.take(pa.array(rows)).to_pylist()
            failures += located.failures(rule, rows, values, column)
        return failures, structural_ok


def _failure_values(cases: Any, column: str | None) -> list[Any]:
    if isinstance(cases, pa.Table):
        name = (
            column if column is not None and column in cases.column_names else cases.column_names[0]
        )
        return cases.column(name).to_pylist()
    return [cases]


def _run_rules(located: _Located, frame: _Frame, rules: Sequence[_Rule]) -> list[Failure]:
    definition = located.definition
    if not rules:
        return []
    numbered = frame.table.append_column(ROW, pa.array(np.arange(frame.n, dtype=np.int64)))
    failures: list[Failure] = []
    by_name = {rule.name: rule for rule in rules}
    try:
        rule_schema(definition, frame, rules).validate(numbered, lazy=True)
    except SchemaErrors as errors:
        for error in errors.schema_errors:
            name = getattr(error.check, "name", None)
            rule = by_name.get(name) if isinstance(name, str) else None
            if rule is None or error.reason_code == SchemaErrorReason.CHECK_ERROR:
                failures.append(_table_failure(definition.name, "check_error", f"{name}: {error}"))
                continue
            cases = error.failure_cases
            assert isinstance(cases, pa.Table)
            rows = np.sort(_np(cases.column(ROW)))
            failures += located.failures(rule.name, rows, rule.detail(frame, rows), rule.column)
    return failures


def validate_tables(
    tables: Mapping[str, pa.Table],
    splits: Mapping[str, pa.Array | pa.ChunkedArray] | None = None,
    vocabularies: Mapping[str, Any] | None = None,
    *,
    files: Mapping[str, Sequence[str]] | None = None,
    nested: Mapping[str, pa.Table] | None = None,
) -> ValidationReport:
    """Validate in-memory tables of a corpus against their definitions and each other.

    tables (Mapping[str, pa.Table]): Table name (tables.ALL_TABLES) -> its rows. Tables left
        out are not checked, and rules that read them are skipped.
    splits (Mapping[str, pa.Array | pa.ChunkedArray] | None): Table name -> the split of each
        row (aligned with the table); None skips the split rules.
    vocabularies (Mapping[str, Any] | None): Scheme vocabularies ("span_labels",
        "relation_labels", "document_label_names", "document_label_values") and optionally
        "relation_endpoints" ({label: (heads, tails)}), "label_values" ({name: values}) and
        "single_choice" ([names]). None reads them from the annotation scheme.
    files (Mapping[str, Sequence[str]] | None): Table name -> the data file of each row, for
        messages and 'rows_sorted' (rows are sorted within each file).
    nested (Mapping[str, pa.Table] | None): Table name -> the records nested in the documents
        config, flattened with their doc_id (`nested_tables`), checked against the flat table.
    RETURNS (ValidationReport): Every failure.
    """
    row_files = {k: _file_array(v) for k, v in (files or {}).items()}
    part = _validate_part(tables, splits, _scheme(vocabularies), row_files, nested=nested)
    failures = sorted(part.failures, key=_failure_order)
    return ValidationReport(tuple(failures), part.rows)


def _failure_order(f: Failure) -> tuple[str, str, str, int]:
    return (f.table, f.rule, f.file or "", f.index if f.index is not None else -1)


@dataclass(frozen=True, slots=True)
class _Part:
    """What validating some rows of a corpus found.

    failures (list[Failure]): In the order found (not sorted).
    rows (dict[str, int]): Rows checked per table.
    sound (dict[str, pa.Table]): The tables whose structure let their row rules run,
        conformed to their definitions.
    """

    failures: list[Failure]
    rows: dict[str, int]
    sound: dict[str, pa.Table]


def _validate_part(
    tables: Mapping[str, pa.Table],
    splits: Mapping[str, pa.Array | pa.ChunkedArray] | None,
    scheme: _Scheme,
    files: Mapping[str, pa.DictionaryArray],
    *,
    index: Mapping[str, NDArray[Any]] | None = None,
    nested: Mapping[str, pa.Table] | None = None,
    context: Mapping[str, pa.Table] | None = None,
    skip: frozenset[str] = frozenset(),
) -> _Part:
    """Run the column schemas and row rules on some rows of a corpus: a whole corpus, a chunk
    of whole documents, or the rows of a few documents gathered from several files.

    tables, splits, nested: As in `validate_tables`.
    scheme (_Scheme): The vocabularies and label constraints.
    files (Mapping[str, pa.DictionaryArray]): Table name -> the data file of each row.
    index (Mapping[str, np.ndarray] | None): Table name -> each row's number in its file;
        tables left out count rows from the start of each file's run of rows.
    context (Mapping[str, pa.Table] | None): Conformed tables that rules may read but that are
        not validated themselves.
    skip (frozenset[str]): Names of row rules not to run.
    RETURNS (_Part): The failures, rows per table and the sound tables.
    """
    failures: list[Failure] = []
    sound: dict[str, pa.Table] = {}
    located_by_name: dict[str, _Located] = {}
    rows: dict[str, int] = {}
    for definition in (*T.ALL_TABLES, *EXTRA_TABLES):
        if definition.name not in tables:
            continue
        table = tables[definition.name]
        rows[definition.name] = table.num_rows
        row_files = files.get(definition.name)
        given = index.get(definition.name) if index is not None else None
        row_index = given if given is not None else _file_index(row_files, table.num_rows)
        located = _Located(definition, table, row_files, row_index)
        found, ok = _run_columns(located, scheme.vocabularies)
        failures += found
        if ok:
            cast = _conform(definition, table)
            sound[definition.name] = cast
            located_by_name[definition.name] = _Located(definition, cast, row_files, row_index)
    ctx_splits = None
    if splits is not None:
        ctx_splits = {
            k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v)
            for k, v in splits.items()
        }
    ctx = _Context(
        {**(context or {}), **sound}, ctx_splits, scheme, files, _sound_nested(nested, sound)
    )
    for name, located in located_by_name.items():
        frame = ctx.frame(name)
        assert frame is not None
        rules = [r for r in _applicable_rules(located.definition, ctx) if r.name not in skip]
        failures += _run_rules(located, frame, rules)
    # Frames and context refer to each other: break the cycle so that a chunk's arrays are
    # freed now, not at the next garbage collection.
    ctx.frames.clear()
    return _Part(failures, rows, sound)


def _applicable_rules(definition: T.Table, ctx: _Context) -> list[_Rule]:
    """RETURNS (list[_Rule]): The table's rules whose other tables and scheme parts exist."""
    scheme = ctx.scheme
    splits = ctx.splits

    def available(need: str) -> bool:
        if need == RELATION_ENDPOINTS:
            return scheme.relation_endpoints is not None
        if need == LABEL_VALUES:
            return scheme.label_values is not None
        if need == SINGLE_CHOICE:
            return scheme.single_choice is not None
        if need == "nested":
            return bool(ctx.nested)
        if need.startswith("nested:"):
            return need.split(":", 1)[1] in ctx.nested
        if need == "splits":
            return splits is not None and definition.name in splits
        if need in scheme.vocabularies:
            return True
        return need in ctx.tables

    rules = [r for r in rules_for(definition) if all(available(n) for n in r.needs)]
    if (
        splits is not None
        and definition.name in splits
        and "documents" in splits
        and "doc_id" in definition.names
        and definition.name != "split_assignment"
    ):
        rules += [r for r in _split_rules(definition.name) if all(available(n) for n in r.needs)]
    return rules


def _conform(definition: T.Table, table: pa.Table) -> pa.Table:
    """Select the definition's columns in order, with its types (nulls stay, for the rules)."""
    columns = []
    for c in definition.columns:
        column = table.column(c.name)
        if not column.type.equals(c.type):
            # Where only nested nullability differs the cast can fail: keep the column as read.
            with contextlib.suppress(pa.ArrowInvalid, ValueError):
                column = pc.cast(column, c.type)
        columns.append(column)
    return pa.table(columns, names=definition.names)


def _file_array(files: Sequence[str] | pa.Array) -> pa.DictionaryArray:
    """RETURNS (pa.DictionaryArray): The file of each row, dictionary-encoded."""
    if isinstance(files, pa.Array) and pa.types.is_dictionary(files.type):
        return files
    array = files if isinstance(files, pa.Array) else pa.array(list(files), pa.string())
    return pc.dictionary_encode(array)


def _file_index(files: pa.DictionaryArray | None, n: int) -> NDArray[Any]:
    """RETURNS (np.ndarray): Each row's number within its file (files are contiguous runs)."""
    if files is None:
        return np.arange(n, dtype=np.int64)
    codes = _codes(files)
    run_start = np.ones(n, dtype=bool)
    run_start[1:] = codes[1:] != codes[:-1]
    first = np.maximum.accumulate(np.where(run_start, np.arange(n), 0))
    return np.arange(n, dtype=np.int64) - first


def _sound_nested(
    nested: Mapping[str, pa.Table] | None, sound: Mapping[str, pa.Table]
) -> dict[str, pa.Table]:
    """RETURNS: The nested tables whose flat table is sound, conformed to its definition."""
    out: dict[str, pa.Table] = {}
    for name, table in (nested or {}).items():
        if name not in sound:
            continue
        definition = T.table(name)
        if set(definition.names) - set(table.column_names):
            continue  # 'dtype' of the documents config's nested column reports it
        out[name] = _conform(definition, table)
    return out


def nested_tables(documents_config: pa.Table) -> dict[str, pa.Table]:
    """Flatten the records the documents config nests into tables with their doc_id.

    documents_config (pa.Table): Rows of the published documents config.
    RETURNS (dict[str, pa.Table]): Table name -> records, in document order.
    """
    out: dict[str, pa.Table] = {}
    doc_ids = documents_config.column("doc_id").combine_chunks()
    for name in NESTED_TABLES:
        if name not in documents_config.column_names:
            continue
        lists = documents_config.column(name).combine_chunks()
        if not (pa.types.is_list(lists.type) and pa.types.is_struct(lists.type.value_type)):
            continue
        parents = pc.list_parent_indices(lists)
        values = pc.list_flatten(lists)
        struct_type = values.type
        columns = {"doc_id": doc_ids.take(parents)}
        for i in range(struct_type.num_fields):
            columns[struct_type.field(i).name] = pc.struct_field(values, [i])
        out[name] = pa.table(columns)
    return out
