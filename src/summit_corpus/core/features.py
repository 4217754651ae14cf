"""Hugging Face features, in the form `datasets` itself writes them, without importing it.

tables.py is the one definition of every column; the features of a published config are
derived from its Arrow schema here, declared explicitly (ClassLabel names included). A feature
is held as `datasets.Features.to_dict()` gives it (`{"dtype": "string", "_type": "Value"}`, a
plain dict of features for a struct, `{"feature": ..., "_type": "List"}`, `{"names": [...],
"_type": "ClassLabel"}`), which is also what a Parquet file's `huggingface` metadata holds and
what `datasets.Features.from_dict` reads back. So a build, the validator and the exports make
and read features with no `datasets` import (half a second of every command that publishes or
validates); `tests/core/test_features.py` holds them equal, byte for byte, to what `datasets`
gives for every published config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

Feature = dict[str, Any]
Features = dict[str, Feature]

_VALUE, _LIST, _CLASS_LABEL = "Value", "List", "ClassLabel"
# Arrow type <-> the `dtype` of a `datasets.Value`.
_DTYPES = {
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
_TYPES = {dtype: type_ for type_, dtype in _DTYPES.items()}
# A ClassLabel is stored as int64, as `datasets` stores it.
_CLASS_LABEL_TYPE = pa.int64()


def value(dtype: str) -> Feature:
    """RETURNS (Feature): A `datasets.Value` of `dtype` ("string", "int32", ...)."""
    return {"dtype": dtype, "_type": _VALUE}


def list_of(feature: Feature | Features) -> Feature:
    """RETURNS (Feature): A `datasets.List` of `feature` (a dict of features: of records)."""
    return {"feature": feature, "_type": _LIST}


def class_label(names: Sequence[str]) -> Feature:
    """RETURNS (Feature): A `datasets.ClassLabel` with `names`."""
    return {"names": list(names), "_type": _CLASS_LABEL}


def kind(feature: Feature) -> str:
    """RETURNS (str): "Value", "List" or "ClassLabel"; "struct" for a dict of features."""
    return str(feature.get("_type", "struct"))


def class_label_names(feature: Feature) -> list[str] | None:
    """RETURNS (list[str] | None): The names of a ClassLabel or of a list of ClassLabels;
    None for any other feature."""
    inner = feature["feature"] if kind(feature) == _LIST else feature
    return list(inner["names"]) if kind(inner) == _CLASS_LABEL else None


def arrow_to_feature(type_: pa.DataType, class_labels: Sequence[str] | None = None) -> Feature:
    """The feature of an Arrow type, declared explicitly.

    type_ (pa.DataType): Arrow type from tables.py.
    class_labels (Sequence[str] | None): Names of a ClassLabel for an integer (or list of
        integer) column; None keeps a plain value.
    RETURNS (Feature): A Value, ClassLabel, List or a dict of features.
    """
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return list_of(arrow_to_feature(type_.value_type, class_labels))
    if pa.types.is_struct(type_):
        return {
            type_.field(i).name: arrow_to_feature(type_.field(i).type)
            for i in range(type_.num_fields)
        }
    if class_labels is not None:
        if not pa.types.is_integer(type_):
            raise TypeError(f"a ClassLabel needs an integer column (got {type_})")
        return class_label(class_labels)
    if pa.types.is_timestamp(type_):
        tz = f", tz={type_.tz}" if type_.tz else ""
        return value(f"timestamp[{type_.unit}{tz}]")
    if type_ not in _DTYPES:
        raise TypeError(f"no Hugging Face feature for Arrow type {type_}")
    return value(_DTYPES[type_])


def features_of(
    schema: pa.Schema, class_labels: Mapping[str, Sequence[str]] | None = None
) -> Features:
    """The features of a table schema.

    schema (pa.Schema): Arrow schema (from tables.py or a published config).
    class_labels (Mapping[str, Sequence[str]] | None): Column -> ClassLabel names.
    RETURNS (Features): One feature per column, in order.
    """
    labels = class_labels or {}
    return {f.name: arrow_to_feature(f.type, labels.get(f.name)) for f in schema}


def arrow_type(feature: Feature | Features) -> pa.DataType:
    """RETURNS (pa.DataType): The Arrow type `datasets` stores `feature` as (every nested
    field nullable)."""
    what = kind(feature)
    if what == "struct":
        return pa.struct([pa.field(name, arrow_type(inner)) for name, inner in feature.items()])
    if what == _LIST:
        return pa.list_(arrow_type(feature["feature"]))
    if what == _CLASS_LABEL:
        return _CLASS_LABEL_TYPE
    dtype = str(feature["dtype"])
    if dtype.startswith("timestamp["):
        unit, _, tz = dtype[len("timestamp[") : -1].partition(", tz=")
        return pa.timestamp(unit, tz or None)
    return _TYPES[dtype]


def arrow_schema(features: Features) -> pa.Schema:
    """RETURNS (pa.Schema): `datasets.Features(features).arrow_schema`: every field nullable,
    the features in the `huggingface` metadata (so `datasets` reads them from the file)."""
    metadata = {"info": {"features": features}}
    return pa.schema([pa.field(name, arrow_type(f)) for name, f in features.items()]).with_metadata(
        {"huggingface": json.dumps(metadata)}
    )


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


def file_schema(schema: pa.Schema, features: Features) -> pa.Schema:
    """The schema a config's Parquet files are written with: exactly the features' schema.

    `datasets` casts every record batch whose schema differs from its features' Arrow schema
    (by nullability, timestamp unit or field order), and reads the features embedded in a
    file only where its fields are nullable. So the files hold the features' own schema (all
    fields nullable, the features in its metadata); tables.py's not-null rules are enforced
    by the validator, not by the file format.

    schema (pa.Schema): The config's schema from tables.py.
    features (Features): Its features (`features_of(schema, ...)`).
    RETURNS (pa.Schema): `arrow_schema(features)`, checked to be `schema` with every field
        nullable (so tables.py stays the one definition).
    """
    written = arrow_schema(features)
    wanted = pa.schema([pa.field(f.name, _nullable(f.type)) for f in schema])
    if not written.equals(wanted):
        raise TypeError(f"features of {schema.names} do not give its Arrow schema: {written}")
    return written


def to_datasets(features: Features) -> Any:
    """RETURNS (datasets.Features): The same features as `datasets` objects (imports it)."""
    from datasets import Features as DatasetsFeatures

    return DatasetsFeatures.from_dict(features)
