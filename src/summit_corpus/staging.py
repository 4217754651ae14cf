"""Staging: the build's tables written to disk batch by batch, so memory stays flat.

Each table goes to one Parquet file whose row groups hold a fixed number of rows, cut from the
stream of batches regardless of how the batches were sized, so the staged bytes depend only on
the rows (not on --workers, the engine or the batch size).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from summit_corpus.tables import Table

ROW_GROUP_ROWS = 65_536
# Staging files are read back once by the same build: fast compression, not small files.
_OPTIONS = {"compression": "zstd", "compression_level": 1, "use_dictionary": True}


class StagingWriter:
    """Append rows to per-table Parquet files in fixed-size row groups.

    folder (Path): Where the staging files go (`<table>.parquet`).
    definitions (Sequence[Table]): The tables that will be written.
    row_group_rows (int): Rows per row group (the last group of a file may hold fewer).
    """

    def __init__(
        self, folder: Path, definitions: Sequence[Table], row_group_rows: int = ROW_GROUP_ROWS
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.row_group_rows = row_group_rows
        self.definitions = {d.name: d for d in definitions}
        self.rows = {d.name: 0 for d in definitions}
        self._pending: dict[str, list[pa.Table]] = {d.name: [] for d in definitions}
        self._pending_rows = {d.name: 0 for d in definitions}
        self._writers = {
            d.name: pq.ParquetWriter(self.path(d.name), d.schema, **_OPTIONS) for d in definitions
        }

    def path(self, name: str) -> Path:
        """RETURNS (Path): The staging file of table `name`."""
        return self.folder / f"{name}.parquet"

    def write(self, name: str, rows: pa.Table) -> None:
        """Append rows to table `name` (written out whenever a full row group is buffered).

        name (str): Table name.
        rows (pa.Table): Rows conforming to the table's schema.
        """
        if rows.num_rows == 0:
            return
        self._pending[name].append(rows.cast(self.definitions[name].schema))
        self._pending_rows[name] += rows.num_rows
        self.rows[name] += rows.num_rows
        if self._pending_rows[name] >= self.row_group_rows:
            self._flush(name, final=False)

    def close(self) -> dict[str, Path]:
        """Write the remaining rows and close every file.

        RETURNS (dict[str, Path]): Table name -> staging file.
        """
        for name in self._writers:
            self._flush(name, final=True)
            self._writers[name].close()
        return {name: self.path(name) for name in self._writers}

    def abort(self) -> None:
        """Close the files without writing buffered rows (the caller deletes the folder)."""
        for writer in self._writers.values():
            writer.close()

    def _flush(self, name: str, final: bool) -> None:
        pending = pa.concat_tables(self._pending[name]) if self._pending[name] else None
        self._pending[name], self._pending_rows[name] = [], 0
        if pending is None:
            return
        size, offset = self.row_group_rows, 0
        while pending.num_rows - offset >= size or (final and offset < pending.num_rows):
            # One contiguous chunk per row group: page boundaries then depend on rows only.
            group = pending.slice(offset, size).combine_chunks()
            self._writers[name].write_table(group, row_group_size=size)
            offset += group.num_rows
        if offset < pending.num_rows:
            rest = pending.slice(offset)
            self._pending[name], self._pending_rows[name] = [rest], rest.num_rows


def read_staged(path: Path, definition: Table) -> pa.Table:
    """RETURNS (pa.Table): A staged table, typed by its definition and sorted by its sort key."""
    return definition.sorted(pq.read_table(path, schema=definition.schema))
