"""A corpus folder's data files as read, and the folder rules on them.

`_inventory` reads only Parquet footers ('table_present', 'split_name', 'parquet_readable',
'dtype' across a config's files); `_documents_config_columns` checks the published documents
config's columns against publish.documents_schema().
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.validate.report import Failure, _table_failure


@dataclass(frozen=True, slots=True)
class ConfigFiles:
    """The readable data files of one config.

    definition (T.Table): The config's table.
    folder (Path): data/<config>.
    paths (tuple[Path, ...]): Its readable Parquet files, sorted.
    schema (pa.Schema): Their schemas unified as `pa.concat_tables` would (permissive).
    """

    definition: T.Table
    folder: Path
    paths: tuple[Path, ...]
    schema: pa.Schema

    @property
    def names(self) -> set[str]:
        return {p.name for p in self.paths}


def _inventory(
    corpus_dir: Path, failures: list[Failure], skip: set[str] | frozenset[str] = frozenset()
) -> dict[str, ConfigFiles]:
    """Find every config's data files and check what the folder rules check.

    Reads only Parquet footers: 'table_present', 'split_name', 'parquet_readable', and
    'dtype' when the files of one config cannot be read as one table. Files in `skip`
    (paths relative to the corpus folder: ones that differ from the manifest) are not read.
    RETURNS (dict[str, ConfigFiles]): Config name -> its readable files (configs with none
        are left out).
    """
    out: dict[str, ConfigFiles] = {}
    for definition in (*T.ALL_TABLES, T.NER):
        folder = layout.config_dir(corpus_dir, definition.name)
        paths = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if not paths:
            if definition in T.CORE_TABLES:
                where = f"{layout.DATA}/{definition.name}/"
                failures.append(_table_failure(definition.name, "table_present", where))
            continue
        readable: list[Path] = []
        schemas: list[pa.Schema] = []
        for path in paths:
            rel = path.relative_to(corpus_dir).as_posix()
            if rel in skip:
                continue
            if layout.split_of_file(path) not in T.SPLITS:
                failures.append(_table_failure(definition.name, "split_name", path.name, file=rel))
            try:
                # No columns: the footer is read and checked (same errors as a full read).
                pq.read_table(path, columns=[])
                schema = pq.read_schema(path)
            except Exception as error:  # noqa: BLE001 - any unreadable file is this rule's failure
                failures.append(
                    _table_failure(definition.name, "parquet_readable", str(error), file=rel)
                )
                continue
            readable.append(path)
            schemas.append(schema)
        if not readable:
            continue
        try:
            unified = pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            failures.append(_table_failure(definition.name, "dtype", str(error)))
            continue
        out[definition.name] = ConfigFiles(definition, folder, tuple(readable), unified)
    return out


def _promote(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """RETURNS (pa.Table): `table` as `pa.concat_tables(..., promote_options="permissive")`
    makes it beside other files of the same config: the unified columns, missing ones null."""
    if table.schema.equals(schema):
        return table
    columns = []
    for field_ in schema:
        if field_.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field_.type))
            continue
        column = table.column(field_.name)
        if not column.type.equals(field_.type):
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = pc.cast(column, field_.type)
        columns.append(column)
    return pa.table(columns, names=schema.names)


def _documents_config_columns(table: pa.Table) -> list[Failure]:
    """The published documents config has exactly publish.documents_schema()'s columns.

    Only checked when the files carry more than the documents table (a published corpus);
    the documents table's own columns are checked by its pandera schema.
    """
    from summit_corpus.publish.configs import documents_schema

    if set(table.column_names) <= set(T.DOCUMENTS.names):
        return []
    expected = documents_schema()
    own = set(T.DOCUMENTS.names)
    failures = []
    for wanted in expected:
        if wanted.name in own:
            continue
        if wanted.name not in table.column_names:
            failures.append(_table_failure("documents", "column_present", wanted.name, wanted.name))
        elif not _same_type(table.schema.field(wanted.name).type, wanted.type):
            got = str(table.schema.field(wanted.name).type)
            failures.append(_table_failure("documents", "dtype", got, wanted.name))
    for name in table.column_names:
        if name not in expected.names:
            failures.append(_table_failure("documents", "unknown_column", name, name))
    return failures


def _same_type(got: pa.DataType, want: pa.DataType) -> bool:
    """Whether two Arrow types are equal apart from nested fields' nullability (published
    files hold every field nullable, publish.file_schema) and list item names (Parquet
    readers call it 'element', Arrow 'item')."""
    if got.equals(want):
        return True
    if got.num_fields != want.num_fields or got.id != want.id:
        return False
    if got.num_fields == 0:
        return False
    names_matter = not (pa.types.is_list(got) or pa.types.is_large_list(got))
    for i in range(got.num_fields):
        a, b = got.field(i), want.field(i)
        if (names_matter and a.name != b.name) or not _same_type(a.type, b.type):
            return False
    return True
