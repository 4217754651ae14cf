"""chunks.iter_chunks: doc_id-sorted files walked together, whole documents per chunk."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from summit_corpus.core.chunks import DocumentChunk, arrow_returns_memory, iter_chunks


def write(path: Path, rows: list[dict[str, object]], row_group_size: int = 3) -> Path:
    """Write `rows` (doc_id first) as a Parquet file with small row groups."""
    schema = pa.schema([("doc_id", pa.string()), ("n", pa.int64())])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=row_group_size)
    return path


def docs(*ids: str) -> list[dict[str, object]]:
    return [{"doc_id": d, "n": i} for i, d in enumerate(ids)]


def rows_of(chunks: list[DocumentChunk], name: str) -> list[tuple[int, str, int]]:
    """RETURNS: (row index in file, doc_id, n) for every row of `name` across the chunks."""
    out = []
    for chunk in chunks:
        if name not in chunk.tables:
            continue
        table = chunk.tables[name]
        for i, row in enumerate(table.to_pylist()):
            out.append((chunk.first_rows[name] + i, row["doc_id"], row["n"]))
    return out


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Five documents; tokens with 0-4 rows per document (d2 has none)."""
    tokens = docs(*["d0"] * 3, "d1", *["d3"] * 4, *["d4"] * 4)
    return {
        "documents": write(tmp_path / "documents.parquet", docs("d0", "d1", "d2", "d3", "d4")),
        "tokens": write(tmp_path / "tokens.parquet", tokens, row_group_size=2),
    }


class TestIterChunks:
    @pytest.mark.parametrize("per_chunk", [1, 2, 3, 5, 10])
    def test_every_row_once_in_file_order(self, files: dict[str, Path], per_chunk: int) -> None:
        """Every row of every file comes exactly once, with its index in the file."""
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=per_chunk))
        for name, path in files.items():
            expected = [
                (i, r["doc_id"], r["n"]) for i, r in enumerate(pq.read_table(path).to_pylist())
            ]
            assert rows_of(chunks, name) == expected

    @pytest.mark.parametrize("per_chunk", [1, 2, 3])
    def test_chunks_hold_whole_documents(self, files: dict[str, Path], per_chunk: int) -> None:
        """A chunk's token rows belong to exactly the chunk's documents."""
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=per_chunk))
        assert len(chunks) == -(-5 // per_chunk)
        for chunk in chunks:
            doc_ids = set(chunk.tables["documents"].column("doc_id").to_pylist())
            assert len(doc_ids) == min(per_chunk, chunk.tables["documents"].num_rows)
            assert set(chunk.tables["tokens"].column("doc_id").to_pylist()) <= doc_ids

    def test_only_the_documents_asked_for_are_read(
        self, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With `only`, the chunks hold those documents' rows alone, and a row group whose
        doc_id range holds none of them is not decoded."""
        decoded: list[list[int] | None] = []
        iter_batches = pq.ParquetFile.iter_batches

        def spy(self: pq.ParquetFile, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            decoded.append(kwargs.get("row_groups"))  # type: ignore[arg-type]
            return iter_batches(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
        only = pa.array(["d3", "d4"])
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=1, only=only))
        assert [c.tables["documents"].column("doc_id").to_pylist() for c in chunks] == [
            ["d3"],
            ["d4"],
        ]
        tokens = [d for c in chunks for d in c.tables["tokens"].column("doc_id").to_pylist()]
        assert tokens == ["d3"] * 4 + ["d4"] * 4
        # documents: groups of 3 (d0-d2, then d3 d4); tokens: of 2 (d0 d0, d0 d1, then d3 ...).
        assert decoded == [[1], [2, 3, 4, 5]]

    def test_orphan_rows_come_in_final_chunk(self, tmp_path: Path) -> None:
        """Rows of documents after the driver's last one come in a chunk with no driver rows."""
        files = {
            "documents": write(tmp_path / "d.parquet", docs("d0", "d1")),
            "tokens": write(tmp_path / "t.parquet", docs("d0", "d1", "d1", "d9", "d9")),
        }
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=1))
        assert len(chunks) == 3
        last = chunks[-1]
        assert last.tables["documents"].num_rows == 0
        assert last.tables["tokens"].column("doc_id").to_pylist() == ["d9", "d9"]
        assert last.first_rows == {"documents": 2, "tokens": 3}

    def test_orphan_rows_between_documents_stay_in_their_chunk(self, tmp_path: Path) -> None:
        """A row of an unknown document sorting between two documents comes with the later one."""
        files = {
            "documents": write(tmp_path / "d.parquet", docs("d0", "d2")),
            "tokens": write(tmp_path / "t.parquet", docs("d0", "d1", "d2")),
        }
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=1))
        assert [c.tables["tokens"].column("doc_id").to_pylist() for c in chunks] == [
            ["d0"],
            ["d1", "d2"],
        ]

    def test_columns_are_selected_with_doc_id(self, tmp_path: Path) -> None:
        """Only the requested columns are read, plus doc_id; names not mapped read all columns."""
        files = {
            "documents": write(tmp_path / "d.parquet", docs("d0", "d1")),
            "tokens": write(tmp_path / "t.parquet", docs("d0", "d1")),
        }
        chunk = next(iter_chunks(files, "documents", columns={"documents": ["n", "missing"]}))
        assert chunk.tables["documents"].column_names == ["doc_id", "n"]
        assert chunk.tables["tokens"].column_names == ["doc_id", "n"]
        chunk = next(iter_chunks(files, "documents", columns={"tokens": []}))
        assert chunk.tables["tokens"].column_names == ["doc_id"]

    def test_empty_files_give_one_empty_chunk(self, tmp_path: Path) -> None:
        """Empty files give one chunk of empty tables that keep the files' columns."""
        files = {
            "documents": write(tmp_path / "d.parquet", []),
            "tokens": write(tmp_path / "t.parquet", []),
        }
        chunks = list(iter_chunks(files, "documents"))
        assert len(chunks) == 1
        assert {n: t.num_rows for n, t in chunks[0].tables.items()} == {"documents": 0, "tokens": 0}
        assert chunks[0].tables["tokens"].column_names == ["doc_id", "n"]

    def test_empty_other_file(self, tmp_path: Path) -> None:
        """An empty non-driver file gives an empty table in every chunk."""
        files = {
            "documents": write(tmp_path / "d.parquet", docs("d0", "d1")),
            "tokens": write(tmp_path / "t.parquet", []),
        }
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=1))
        assert [c.tables["tokens"].num_rows for c in chunks] == [0, 0]

    def test_missing_driver_gives_everything_in_one_chunk(self, tmp_path: Path) -> None:
        """Without the driver file every other row still comes, in one final chunk."""
        files = {"tokens": write(tmp_path / "t.parquet", docs("d0", "d1"))}
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=1))
        assert [c.tables["tokens"].num_rows for c in chunks] == [2]

    def test_unsorted_file_still_yields_every_row(self, tmp_path: Path) -> None:
        """Rows out of doc_id order are still delivered exactly once."""
        files = {
            "documents": write(tmp_path / "d.parquet", docs("d0", "d1", "d2")),
            "tokens": write(tmp_path / "t.parquet", docs("d2", "d0", "d1", "d0")),
        }
        chunks = list(iter_chunks(files, "documents", docs_per_chunk=1))
        got = rows_of(chunks, "tokens")
        assert [r[0] for r in got] == [0, 1, 2, 3]

    def test_rejects_chunk_size_below_one(self, files: dict[str, Path]) -> None:
        """A chunk must hold at least one document."""
        with pytest.raises(ValueError, match="'docs_per_chunk' must be >= 1"):
            next(iter_chunks(files, "documents", docs_per_chunk=0))


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
class TestReleaseUnusedMemory:
    def test_freed_arrow_memory_leaves_the_process(self) -> None:
        """Memory of many small Arrow arrays, freed and released, no longer counts as resident
        (the allocator alone keeps most of it: 353 of 357 MiB when measured)."""
        import numpy as np

        from summit_corpus.core.chunks import release_unused_memory

        base = _resident_mib()
        parts = [pa.array(np.arange(2000, dtype=np.int64)) for _ in range(20_000)]
        assert _resident_mib() - base > 200  # ~320 MB of small buffers
        del parts
        release_unused_memory()
        assert _resident_mib() - base < 100


def test_a_file_walked_in_chunks_holds_one_row_group_of_bytes_not_the_whole_file(
    tmp_path: Path,
) -> None:
    """The cursors read without pyarrow's pre-buffer, which would keep the bytes of every row
    group read so far until the file is closed: by a file's last chunk, the whole file."""
    groups, group_rows = 16, 4096
    ids = [f"d{i:06d}" for i in range(groups * group_rows)]
    noise = [bytes(pa.py_buffer(f"{i:08d}".encode() * 32)) for i in range(len(ids))]
    table = pa.table({"doc_id": ids, "blob": pa.array(noise, pa.binary())})
    path = tmp_path / "documents.parquet"
    pq.write_table(table, path, row_group_size=group_rows, compression="none")
    group_bytes = pq.ParquetFile(path).metadata.row_group(0).total_byte_size
    before = pa.total_allocated_bytes()
    held = 0
    for chunk in iter_chunks({"documents": path}, "documents", docs_per_chunk=group_rows // 2):
        del chunk
        held = max(held, pa.total_allocated_bytes() - before)
    assert held < 3 * group_bytes < groups * group_bytes


def test_while_a_build_runs_arrow_allocates_from_a_pool_that_hands_freed_pages_back() -> None:
    before = pa.default_memory_pool().backend_name
    with arrow_returns_memory() as returning:
        inside = pa.default_memory_pool().backend_name
        buffer = pa.allocate_buffer(1 << 20)
    del buffer  # freed into the pool it came from, after the default is back
    assert returning == (inside == "jemalloc")
    assert pa.default_memory_pool().backend_name == before
