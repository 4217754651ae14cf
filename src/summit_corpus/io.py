"""Writing files: atomically, deterministically.

Every Parquet, JSON and text output goes through `write_atomic` (temp file in the target
folder, fsync, rename), so a reader never sees half a file and a crash never leaves one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# Fixed writer settings: together with sorted rows they make the files byte-identical across
# runs and machines (no timestamps or paths are written by pyarrow).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 100_000,
    "version": "2.6",
    "data_page_version": "1.0",
}


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` holds either the old or the new bytes, never half.

    path (Path): Target file; its folder is created if missing.
    data (bytes): The complete new contents.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; published files are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def write_json(path: Path, value: Any) -> None:
    """Write JSON with sorted keys and a final newline (stable bytes for the same value)."""
    write_text(path, json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def parquet_bytes(table: pa.Table) -> bytes:
    """RETURNS (bytes): `table` as a Parquet file with the project's fixed writer settings."""
    sink = io.BytesIO()
    pq.write_table(table, sink, **PARQUET_OPTIONS)
    return sink.getvalue()


def write_parquet(path: Path, table: pa.Table) -> None:
    write_atomic(path, parquet_bytes(table))


def read_parquet_dir(folder: Path, schema: pa.Schema | None = None) -> pa.Table:
    """Read every `*.parquet` file in `folder` (sorted by name) as one table.

    folder (Path): A table's folder, e.g. corpus/data/tokens.
    schema (pa.Schema | None): Columns to select and cast to; None keeps the files' own.
    RETURNS (pa.Table): All rows; an empty table of `schema` if there are no files.
    """
    files = sorted(folder.glob("*.parquet"))
    parts = [pq.read_table(f) for f in files]
    if schema is not None:
        parts = [p.select(schema.names).cast(schema) for p in parts]
    if not parts:
        if schema is None:
            raise FileNotFoundError(f"{folder}: no *.parquet files")
        return schema.empty_table()
    return pa.concat_tables(parts)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_manifest(root: Path, files: Iterable[Path]) -> dict[str, str]:
    """RETURNS (dict[str, str]): POSIX path relative to `root` -> SHA-256, sorted by path."""
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(files)}
