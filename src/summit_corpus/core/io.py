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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# Fixed writer settings: together with sorted rows they make the files byte-identical across
# runs and machines (no timestamps or paths are written by pyarrow).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    # zstd's own default: level 6 took 1.9 s of CPU to write a 2,500-article corpus, level 3
    # 1.3 s, for 1 % more bytes (31.2 MB instead of 30.8); reading costs the same.
    "compression_level": 3,
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
    tmp = stage_atomic(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stage_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to a temp file beside `path`, fsynced, for the caller to `os.replace`.

    The temp file is named `.<name>.<pid>.<random>.tmp`, so a later build can tell one whose
    writer was killed (`swap.remove_dead_temps`) from one being written.

    path (Path): Target file; its folder is created if missing.
    data (bytes): The complete new contents.
    RETURNS (Path): The temp file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; published files are for everyone to read
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def load_yaml(text: str) -> Any:
    """RETURNS (Any): The YAML document `text`, read safely by libyaml's C parser where the
    PyYAML install has it (the pure-Python one is ten times slower on the scheme).
    RAISES (yaml.YAMLError): `text` is not YAML."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


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


def open_parquet(path: Path) -> pq.ParquetFile:
    """RETURNS (pq.ParquetFile): `path` opened for reading a batch at a time (`iter_batches`).

    Without pre-buffering: pyarrow's pre-buffer (on by default) caches the bytes of every row
    group it has read until the file is closed, so a reader walking a file batch by batch holds
    all of its compressed bytes by the end (the 20,000-article staged tokens: 100 MiB).
    """
    return pq.ParquetFile(path, pre_buffer=False)


class RowGroupWriter:
    """Append rows to one Parquet file in row groups of a fixed number of rows.

    Groups are cut from the stream of appended rows whatever sizes the appends had, each
    written as one contiguous chunk, so the file's bytes depend only on its rows: a corpus
    written chunk by chunk is byte-identical to one written in one piece. The file appears
    at `path` only when `close` succeeds (it is written beside it under a temporary name).

    path (Path): The Parquet file to write.
    schema (pa.Schema): Its schema (with any metadata to store).
    row_group_rows (int): Rows per row group (the last one may hold fewer).
    options (Mapping[str, Any] | None): pyarrow ParquetWriter options; None: PARQUET_OPTIONS.
    """

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        row_group_rows: int,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        settings = dict(PARQUET_OPTIONS if options is None else options)
        settings.pop("row_group_size", None)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = schema
        self.row_group_rows = row_group_rows
        self.rows = 0
        self._tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        self._writer = pq.ParquetWriter(self._tmp, schema, **settings)
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write(self, rows: pa.Table) -> None:
        """Append rows (cast to the file's schema); full row groups are written out at once."""
        if rows.num_rows == 0:
            return
        self._pending.append(rows.cast(self.schema))
        self._pending_rows += rows.num_rows
        self.rows += rows.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush(final=False)

    def close(self) -> Path:
        """Write the remaining rows, close the file and move it to `path`.

        RETURNS (Path): The written file.
        """
        self._flush(final=True)
        self._writer.close()
        os.chmod(self._tmp, 0o644)
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Close and delete the unfinished file (nothing to do once `close` has succeeded)."""
        if self._writer.is_open:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def _flush(self, final: bool) -> None:
        if not self._pending:
            return
        pending = pa.concat_tables(self._pending)
        self._pending, self._pending_rows = [], 0
        size, offset = self.row_group_rows, 0
        while pending.num_rows - offset >= size or (final and offset < pending.num_rows):
            group = pending.slice(offset, size).combine_chunks()
            self._writer.write_table(group, row_group_size=size)
            offset += group.num_rows
        if offset < pending.num_rows:
            rest = pending.slice(offset)
            self._pending, self._pending_rows = [rest], rest.num_rows


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


def package_folder(name: str) -> Path | None:
    """The folder of an installed package, found without importing it (for a file it ships,
    where its import costs more than reading the file).

    name (str): A top-level package name.
    RETURNS (Path | None): Its folder; None when it is not installed or not a package.
    """
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


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


def pid_alive(pid: int) -> bool:
    """RETURNS (bool): Whether a process with this id is running. A zombie (exited, not yet
    reaped by its parent) counts as dead: it holds no lock and writes nothing."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
