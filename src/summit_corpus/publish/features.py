"""Arrow schema -> Hugging Face features, and the schema a config's Parquet files carry.

tables.py is the one definition of every column; the `datasets` features of a published config
are derived from its Arrow schema here, declared explicitly (ClassLabel names included), and
`file_schema` checks that the features give back that schema with every field nullable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa


def arrow_to_feature(type_: pa.DataType, class_labels: Sequence[str] | None = None) -> Any:
    """The `datasets` feature for an Arrow type, declared explicitly.

    type_ (pa.DataType): Arrow type from tables.py.
    class_labels (Sequence[str] | None): Names of a ClassLabel for an integer (or list of
        integer) column; None keeps a plain value.
    RETURNS (Any): A `datasets` feature (Value, ClassLabel, List or a dict of features).
    """
    from datasets import ClassLabel, List, Value

    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return List(arrow_to_feature(type_.value_type, class_labels))
    if pa.types.is_struct(type_):
        return {
            type_.field(i).name: arrow_to_feature(type_.field(i).type)
            for i in range(type_.num_fields)
        }
    if class_labels is not None:
        if not pa.types.is_integer(type_):
            raise TypeError(f"a ClassLabel needs an integer column (got {type_})")
        return ClassLabel(names=list(class_labels))
    if pa.types.is_timestamp(type_):
        tz = f", tz={type_.tz}" if type_.tz else ""
        return Value(f"timestamp[{type_.unit}{tz}]")
    names = {
        pa.string(): "string",
        pa.large_string(): "large_string",
        pa.int8(): "int8",
        pa.int16(): "int16",
        pa.int32(): "int32",
        pa.int64(): "int64",
        pa.float32(): "float32",
        pa.float64(): "float64",
        pa.bool_(): "bool",
    }
    if type_ not in names:
        raise TypeError(f"no Hugging Face feature for Arrow type {type_}")
    return Value(names[type_])


def features_of(schema: pa.Schema, class_labels: Mapping[str, Sequence[str]] | None = None) -> Any:
    """The `datasets.Features` of a table schema.

    schema (pa.Schema): Arrow schema (from tables.py or a published config).
    class_labels (Mapping[str, Sequence[str]] | None): Column -> ClassLabel names.
    RETURNS (datasets.Features): One feature per column, in order.
    """
    from datasets import Features

    labels = class_labels or {}
    return Features({f.name: arrow_to_feature(f.type, labels.get(f.name)) for f in schema})


def _nullable(type_: pa.DataType) -> pa.DataType:
    """RETURNS (pa.DataType): `type_` with every nested field nullable."""
    if pa.types.is_list(type_):
        return pa.list_(_nullable(type_.value_type))
    if pa.types.is_struct(type_):
        return pa.struct(
            [
                pa.field(f.name, _nullable(f.type))
                for f in (type_.field(i) for i in range(type_.num_fields))
            ]
        )
    return type_


def file_schema(schema: pa.Schema, features: Any) -> pa.Schema:
    """The schema a config's Parquet files are written with: exactly `features.arrow_schema`.

    `datasets` casts every record batch whose schema differs from its features' Arrow schema
    (by nullability, timestamp unit or field order), and reads the features embedded in a
    file only where its fields are nullable. So the files hold the features' own schema (all
    fields nullable, the features in its metadata); tables.py's not-null rules are enforced
    by the validator, not by the file format.

    schema (pa.Schema): The config's schema from tables.py.
    features (datasets.Features): Its features (`features_of(schema, ...)`).
    RETURNS (pa.Schema): `features.arrow_schema`, checked to be `schema` with every field
        nullable (so tables.py stays the one definition).
    """
    written = features.arrow_schema
    wanted = pa.schema([pa.field(f.name, _nullable(f.type)) for f in schema])
    if not written.equals(wanted):
        raise TypeError(f"features of {schema.names} do not give its Arrow schema: {written}")
    return written
