"""Read several doc_id-sorted Parquet files together, a bounded number of documents at a time.

Every table of the corpus is sorted by a key that starts with `doc_id`, and in a published
corpus a document's rows of every config sit in the file of that document's split. So the
files of one split can be walked side by side: a *driver* file (the documents config, one row
per document) is read `docs_per_chunk` rows at a time, and every other file gives, in file
order, its rows up to the chunk's last doc_id. A chunk then holds whole documents of every
file, and peak memory is one chunk plus one record batch per file, whatever the number of
documents.

Nothing is dropped: rows of other files left after the driver's last document (rows of unknown
documents) come in a final chunk with an empty driver table, so a validator still sees them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.core.io import open_parquet

DOC_ID = "doc_id"
# Rows per record batch read from a non-driver file. A document has hundreds of token rows, so
# this is a few documents' worth: small next to a chunk, large enough to keep reads vectorised.
BATCH_ROWS = 8192
# Rows per batch read from a non-driver file of which `only` some documents' rows are wanted:
# most of a batch is filtered out, so its cost is per batch. A rebuild writing the shard of
# 253 of 2,510 documents read the staged tokens (1.5 M rows) in 0.31 s instead of 0.42 s.
FILTERED_BATCH_ROWS = 65_536
# Documents a chunk holds by default: what the validator takes at a time (the build's writer
# takes half as many). Peak RSS of the build's main process after parsing (per-article cache
# warm, --workers 1, sampled every 0.5 s) with 500, 250 and 125: 328, 311 and 270 MiB at 500
# articles, 440, 338 and 307 at 2,500. Each extra chunk costs validation ~0.22 s (pandera's
# per-check overhead), so 250 keeps most of the saving for a few seconds at 20,000 articles.
DOCS_PER_CHUNK = 250


@dataclass(frozen=True, slots=True)
class DocumentChunk:
    """Rows of whole documents from several doc_id-sorted files.

    tables (dict[str, pa.Table]): Table/config name -> this chunk's rows, in file order (a
        contiguous run of the file's rows).
    first_rows (dict[str, int]): Name -> index in its file of the chunk's first row, so the
        row `i` of `tables[name]` is row `first_rows[name] + i` of the file.
    """

    tables: dict[str, pa.Table]
    first_rows: dict[str, int]


class Cursor:
    """A read position in one Parquet file; hands out the rows up to a doc_id in file order.

    only (pa.Array | None): When given, the sorted doc_ids whose rows are handed out: the
        others are dropped, and row groups whose doc_id range holds none of them are not
        decoded. `position` then counts the rows handed out, not rows of the file.
    """

    def __init__(
        self,
        path: Path,
        columns: Sequence[str] | None,
        batch_rows: int,
        only: pa.Array | None = None,
    ) -> None:
        self._file = open_parquet(path)
        names = self._file.schema_arrow.names
        wanted = _with_doc_id(columns, names)
        self.schema = (
            self._file.schema_arrow
            if wanted is None
            else pa.schema([self._file.schema_arrow.field(c) for c in wanted])
        )
        self._only = only if only is not None and DOC_ID in names else None
        groups = _groups_holding(self._file, self._only) if self._only is not None else None
        self._batches = self._file.iter_batches(
            batch_size=batch_rows, columns=wanted, row_groups=groups
        )
        self._pending: pa.RecordBatch | None = None
        self.position = 0  # index in the file of the next row handed out

    def _next_batch(self) -> pa.RecordBatch | None:
        while self._pending is None or self._pending.num_rows == 0:
            try:
                self._pending = next(self._batches)
            except StopIteration:
                self._pending = None
                return None
            if self._only is not None:
                inside = pc.is_in(self._pending.column(DOC_ID), value_set=self._only)
                self._pending = self._pending.filter(inside)
        return self._pending

    def take_rows(self, n: int) -> pa.Table:
        """RETURNS (pa.Table): The next `n` rows (fewer at the end of the file)."""
        parts: list[pa.RecordBatch] = []
        while n > 0 and (batch := self._next_batch()) is not None:
            part = batch.slice(0, n)
            parts.append(part)
            self._pending = batch.slice(part.num_rows)
            n -= part.num_rows
        return self._table(parts)

    def take_until(self, last_doc_id: str | None) -> pa.Table:
        """The rows from the current position, in file order, while doc_id <= `last_doc_id`.

        last_doc_id (str | None): Bound (string order, as Arrow sorts); None takes every row left.
        RETURNS (pa.Table): The rows taken; the cursor moves past them.
        """
        parts: list[pa.RecordBatch] = []
        while (batch := self._next_batch()) is not None:
            if last_doc_id is None:
                parts.append(batch)
                self._pending = None
                continue
            inside = pc.fill_null(pc.less_equal(batch.column(DOC_ID), last_doc_id), False)
            stop = pc.index(inside, False).as_py()
            if stop == -1:
                parts.append(batch)
                self._pending = None
                continue
            parts.append(batch.slice(0, stop))
            self._pending = batch.slice(stop)
            break
        return self._table(parts)

    def _table(self, parts: list[pa.RecordBatch]) -> pa.Table:
        table = pa.Table.from_batches([p for p in parts if p.num_rows], schema=self.schema)
        self.position += table.num_rows
        return table

    @property
    def exhausted(self) -> bool:
        return self._next_batch() is None


def _groups_holding(file: pq.ParquetFile, doc_ids: pa.Array) -> list[int]:
    """RETURNS (list[int]): The row groups of `file` whose doc_id statistics do not rule out
    every one of `doc_ids` (sorted): a group without statistics is always read."""
    wanted = doc_ids.to_pylist()
    column = file.schema_arrow.names.index(DOC_ID)
    groups = []
    for index in range(file.metadata.num_row_groups):
        stats = file.metadata.row_group(index).column(column).statistics
        if stats is None or not stats.has_min_max:
            groups.append(index)
            continue
        first = bisect.bisect_left(wanted, stats.min)
        if first < len(wanted) and wanted[first] <= stats.max:
            groups.append(index)
    return groups


def _with_doc_id(columns: Sequence[str] | None, names: Sequence[str]) -> list[str] | None:
    """RETURNS (list[str] | None): The columns to read, doc_id first if the file has it."""
    if columns is None:
        return None
    wanted = [c for c in columns if c in names]
    if DOC_ID in names and DOC_ID not in wanted:
        wanted.insert(0, DOC_ID)
    return wanted


def iter_chunks(
    files: Mapping[str, Path],
    driver: str,
    docs_per_chunk: int = DOCS_PER_CHUNK,
    columns: Mapping[str, Sequence[str]] | None = None,
    only: pa.Array | None = None,
) -> Iterator[DocumentChunk]:
    """Walk doc_id-sorted Parquet files together, `docs_per_chunk` driver rows at a time.

    Each chunk holds the driver's next `docs_per_chunk` rows and, from every other file, the
    rows (in file order, from where the last chunk stopped) whose doc_id sorts at or before the
    largest doc_id of those driver rows. When the driver is exhausted, the rows left in the
    other files come in one final chunk with an empty driver table. If every file is empty, one
    chunk of empty tables is yielded, so a consumer always sees each file's columns. Works with
    any row-group layout. For sorted files a chunk holds whole documents; for unsorted files
    every row is still yielded exactly once (a row out of order ends its file's chunk early,
    and what it holds back comes later, at worst in the final chunk).

    files (Mapping[str, Path]): Table/config name -> one Parquet file sorted by doc_id. A name
        that has no file is simply left out; it is then absent from the chunks too.
    driver (str): The name whose file sets the chunks (one row per document, e.g. "documents").
        If it is not in `files`, everything comes in the final chunk.
    docs_per_chunk (int): Driver rows per chunk (>= 1).
    columns (Mapping[str, Sequence[str]] | None): Name -> columns to read (doc_id is always
        read); names not in the mapping, or None, read every column. Columns a file lacks are
        skipped, so a consumer can check for them.
    only (pa.Array | None): Sorted doc_ids: when given, only their rows are read (a rebuild
        that takes the other documents' shards); row groups that hold none are not decoded,
        and `first_rows` count the rows read. None reads every row.
    YIELDS (DocumentChunk): The chunks, in file order.
    """
    if docs_per_chunk < 1:
        raise ValueError(f"'docs_per_chunk' must be >= 1 (got {docs_per_chunk!r})")
    wanted = columns or {}
    other_rows = BATCH_ROWS if only is None else FILTERED_BATCH_ROWS
    cursors = {
        name: Cursor(
            path,
            wanted.get(name),
            docs_per_chunk if name == driver else other_rows,
            only,
        )
        for name, path in files.items()
    }
    lead = cursors.get(driver)
    others = {name: c for name, c in cursors.items() if name != driver}
    yielded = False
    while lead is not None and not lead.exhausted:
        first = {name: c.position for name, c in cursors.items()}
        head = lead.take_rows(docs_per_chunk)
        # Max, not last: an unsorted driver must not hold back rows of its own documents.
        bound = pc.max(head.column(DOC_ID)).as_py() if DOC_ID in head.column_names else None
        tables = {driver: head} | {
            # No doc_id bound (null or missing ids): hold the other files back for later chunks.
            name: c.take_until(bound) if bound is not None else c.take_rows(0)
            for name, c in others.items()
        }
        yielded = True
        yield DocumentChunk(tables=tables, first_rows=first)
    if not yielded or any(not c.exhausted for c in others.values()):
        first = {name: c.position for name, c in cursors.items()}
        tables = {name: c.take_until(None) for name, c in cursors.items()}
        yield DocumentChunk(tables=tables, first_rows=first)


def release_unused_memory() -> None:
    """Hand the memory freed by a finished stage back to the operating system.

    Arrow's allocator (mimalloc or jemalloc) and glibc's malloc keep freed pages for reuse, so
    a process's resident set stays at the high-water mark of the stage that just finished and
    the next stage's allocations stack on top of it. Called between the build's stages
    (after publishing, after validation): on a 992-article corpus the resident set before
    validation fell from 536 to 407 MiB. Harmless where a call is not available.
    """
    from summit_corpus.core import allocator

    pa.default_memory_pool().release_unused()
    allocator.trim()


@contextmanager
def arrow_returns_memory() -> Iterator[bool]:
    """Inside, Arrow allocates from jemalloc with its decay at 0, which hands freed pages back
    to the kernel at once; the previous default pool is back after. Where pyarrow has no
    jemalloc (Windows, some builds) nothing changes.

    Arrow's default pool (mimalloc) keeps what the publisher and the validator free, and
    fragments: over the 41 chunks of a 20,000-article corpus the publisher's peak resident set
    grew by 375 MiB while Arrow's live bytes grew by about 100.

    YIELDS (bool): Whether jemalloc is in use.
    """
    try:
        pa.jemalloc_set_decay_ms(0)  # before its first allocation: arenas take it when made
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield False
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield True
    finally:
        pa.set_memory_pool(previous)
