"""Build: deterministic, atomic, and loud about bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from summit_corpus.build import corpus as build
from summit_corpus.build import ingest
from summit_corpus.cli import app
from summit_corpus.core import io, layout, tables
from summit_corpus.core.errors import BuildError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def manifest(corpus: Path) -> dict[str, str]:
    return io.file_manifest(corpus, [p for p in corpus.rglob("*") if p.is_file()])


def leftovers(folder: Path) -> list[str]:
    """Temporary build folders left beside the corpus (the article cache and the builds' lock
    file are not ones)."""
    names = [p.name for p in folder.iterdir() if p.name.startswith(".corpus.")]
    return [name for name in names if name != ".corpus.lock"]


def copy_seeds(tmp_path: Path, count: int = 2) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for path in sorted(SEEDS.iterdir())[:count]:
        shutil.copy(path, seeds / path.name)
    return seeds


class TestBuiltCorpus:
    def test_every_table_is_written_with_its_declared_schema(self, built_corpus: Path) -> None:
        """Flat tables are Parquet files whose Arrow schema is the one in tables.py with every
        field nullable (publish.file_schema: the validator enforces not-null)."""
        for table in (tables.SENTENCES, tables.TOKENS, tables.SPANS):
            nullable = pa.schema([f.with_nullable(True) for f in table.schema])
            files = sorted(layout.config_dir(built_corpus, table.name).glob("*.parquet"))
            assert files, table.name
            for f in files:
                assert pq.read_schema(f).remove_metadata().equals(nullable), f

    def test_offsets_slice_to_surface_strings(self, built_corpus: Path) -> None:
        """text[start:end] == surface for every sentence, token and span."""
        docs = io.read_parquet_dir(layout.config_dir(built_corpus, "documents"))
        text = dict(zip(docs["doc_id"].to_pylist(), docs["text"].to_pylist(), strict=True))
        for name in ("sentences", "tokens", "spans"):
            rows = io.read_parquet_dir(layout.config_dir(built_corpus, name)).to_pylist()
            assert rows
            for row in rows:
                assert text[row["doc_id"]][row["start"] : row["end"]] == row["text"]

    def test_raw_files_are_rebuilt_from_document_rows(self, built_corpus: Path) -> None:
        """Nothing of a raw file is lost: each seed comes back byte for byte."""
        docs = io.read_parquet_dir(layout.config_dir(built_corpus, "documents"))
        for row in docs.to_pylist():
            assert ingest.rebuild_raw(row) == (SEEDS / row["source_file"]).read_bytes()

    def test_manifest_lists_every_file_with_its_hash(self, built_corpus: Path) -> None:
        """MANIFEST.json holds the SHA-256 of every other file of the corpus folder."""
        import json

        recorded = json.loads((built_corpus / layout.MANIFEST).read_text())
        actual = manifest(built_corpus)
        actual.pop(layout.MANIFEST)
        assert recorded == actual


class TestAddedArticles:
    def test_crlf_bom_emoji_article_builds_with_exact_offsets(self, tmp_path: Path) -> None:
        """An article with a BOM, CRLF endings and emoji is built, rebuilt and sliced exactly."""
        seeds = copy_seeds(tmp_path, 1)
        raw = (
            "\ufeffKremlin spokesman Dmitry Peskov said on Monday \U0001f600 that talks were "
            "\u201cpossible\u201d.\r\n\r\nAdvertisement\r\n\r\nPresident Joe Biden told "
            "reporters: \u201cWe will meet.\u201d\r\n"
        ).encode()
        (seeds / "emoji_crlf.txt").write_bytes(raw)
        out = tmp_path / "corpus"
        build.build_corpus(seeds, out, annotations=None, progress=False)
        docs = {r["doc_id"]: r for r in io.read_parquet_dir(out / "data" / "documents").to_pylist()}
        row = docs["emoji_crlf"]
        assert row["has_bom"] and "\r\n\r\nPresident" in row["text"]
        assert ingest.rebuild_raw(row) == raw
        for name in ("sentences", "tokens", "spans"):
            rows = io.read_parquet_dir(out / "data" / name).to_pylist()
            mine = [r for r in rows if r["doc_id"] == "emoji_crlf"]
            assert mine, name
            assert all(row["text"][r["start"] : r["end"]] == r["text"] for r in mine)
        quotes = [
            r["text"]
            for r in io.read_parquet_dir(out / "data" / "spans").to_pylist()
            if r["doc_id"] == "emoji_crlf" and r["label"] == "QUOTE"
        ]
        assert quotes == ["possible", "We will meet."]


class TestDeterminismAndAtomicity:
    def test_two_builds_are_byte_identical(self, tmp_path: Path) -> None:
        """The same inputs give the same bytes in every file."""
        seeds = copy_seeds(tmp_path)
        first, second = tmp_path / "a", tmp_path / "b"
        build.build_corpus(seeds, first, annotations=None, progress=False)
        build.build_corpus(seeds, second, annotations=None, progress=False)
        assert manifest(first) == manifest(second)

    @pytest.mark.parametrize(
        ("name", "data", "rule"),
        [
            ("empty.txt", b"", "not_empty"),  # an empty file
            ("latin1.txt", b"Caf\xe9 in Moscow.\n", "utf8"),  # not UTF-8
            ("photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "not_binary"),  # binary .txt
        ],
    )
    def test_bad_input_fails_and_leaves_the_previous_corpus(
        self, tmp_path: Path, name: str, data: bytes, rule: str
    ) -> None:
        """A rejected file fails the build, names the file, and the old corpus is untouched."""
        seeds = copy_seeds(tmp_path)
        out = tmp_path / "corpus"
        build.build_corpus(seeds, out, annotations=None, progress=False)
        before = manifest(out)
        (seeds / name).write_bytes(data)
        with pytest.raises(BuildError) as caught:
            build.build_corpus(seeds, out, annotations=None, progress=False)
        assert any(name in line and rule in line for line in caught.value.problems)
        assert manifest(out) == before
        assert leftovers(tmp_path) == []

    def test_same_content_builds_both_files_in_one_split(self, tmp_path: Path) -> None:
        """Two files with the same bytes are both documents, named together in one notice,
        and linked as near-duplicates: one group, so one split."""
        seeds = copy_seeds(tmp_path, 1)
        original = next(seeds.iterdir())
        shutil.copy(original, seeds / "copy.txt")
        summary = build.build_corpus(seeds, tmp_path / "out", annotations=None, progress=False)
        (notice,) = summary.same_content
        assert "copy.txt" in notice and original.name in notice and "unique_content" in notice
        assert notice in str(summary)
        files = sorted(layout.config_dir(tmp_path / "out", "documents").glob("*.parquet"))
        assert len(files) == 1  # one split
        documents = pq.read_table(files[0]).to_pylist()
        assert len(documents) == 2
        assert len({d["group_id"] for d in documents}) == 1

    def test_crash_mid_build_leaves_the_previous_corpus(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An interrupt (Ctrl-C) after the new tables are written does not touch the corpus."""
        seeds = copy_seeds(tmp_path)
        out = tmp_path / "corpus"
        build.build_corpus(seeds, out, annotations=None, progress=False)
        before = manifest(out)

        def interrupt(corpus: Path) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(build, "write_manifest", interrupt)
        with pytest.raises(KeyboardInterrupt):
            build.build_corpus(seeds, out, annotations=None, progress=False)
        assert manifest(out) == before
        assert leftovers(tmp_path) == []


class TestMemoryBounds:
    def test_the_command_and_the_library_take_the_same_chunk_of_documents(self) -> None:
        """`corpus build` states its default without importing the build (a fast --help), so
        the two defaults are compared here."""
        import inspect

        from summit_corpus import cli
        from summit_corpus.core.chunks import DOCS_PER_CHUNK

        option = inspect.signature(cli.build).parameters["chunk_documents"].default
        library = inspect.signature(build.build_corpus).parameters["chunk_documents"].default
        assert option.default == library == DOCS_PER_CHUNK

    def test_the_writer_takes_a_quarter_of_the_documents_validation_takes(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With chunk_documents=4, documents are published 1 at a time and validated 4 at a
        time (a published chunk's working set is the larger), and the corpus is the one a
        single chunk gives."""
        import summit_corpus.validate as validation
        from summit_corpus.core import chunks

        seeds = copy_seeds(tmp_path, count=5)
        whole = tmp_path / "whole"
        build.build_corpus(seeds, whole, annotations=None, progress=False, chunk_documents=500)
        published, validated = [], []
        read, validate = chunks.iter_chunks, validation.validate_corpus

        def reading(files, driver, docs_per_chunk=250, columns=None, only=None):  # type: ignore[no-untyped-def]
            published.append(docs_per_chunk)
            return read(files, driver, docs_per_chunk, columns, only)

        def validating(corpus, **options):  # type: ignore[no-untyped-def]
            validated.append(options["docs_per_chunk"])
            return validate(corpus, **options)

        monkeypatch.setattr(chunks, "iter_chunks", reading)
        monkeypatch.setattr(validation, "validate_corpus", validating)
        out = tmp_path / "chunked"
        build.build_corpus(seeds, out, annotations=None, progress=False, chunk_documents=4)
        assert published == [1] and validated == [4]
        data = [p for p in manifest(whole) if p.startswith("data/")]
        assert {p: manifest(out)[p] for p in data} == {p: manifest(whole)[p] for p in data}

    def test_a_rebuild_that_takes_most_shards_publishes_whole_chunks(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A rebuild whose shards are mostly taken from the corpus it replaces writes few
        files, so it reads the validation chunk whole (each published chunk costs a pass over
        every config); the corpus is the same either way."""
        from summit_corpus.core import chunks

        seeds = copy_seeds(tmp_path, count=5)
        out, cache = tmp_path / "corpus", tmp_path / "cache"
        options = {"annotations": None, "progress": False, "chunk_documents": 4}
        build.build_corpus(seeds, out, cache_dir=cache, **options)
        first = manifest(out)
        published = []
        read = chunks.iter_chunks

        def reading(files, driver, docs_per_chunk=250, columns=None, only=None):  # type: ignore[no-untyped-def]
            published.append(docs_per_chunk)
            return read(files, driver, docs_per_chunk, columns, only)

        monkeypatch.setattr(chunks, "iter_chunks", reading)
        build.build_corpus(seeds, out, cache_dir=cache, **options)
        assert published == [4]
        assert manifest(out) == first


class TestCommand:
    def test_help_lists_the_commands(self) -> None:
        """`corpus --help` names every command group."""
        result = CliRunner().invoke(app, ["--help"])
        assert result.exit_code == 0
        for command in ("build", "validate"):
            assert command in result.output

    def test_build_command_reports_bad_file_and_exits_non_zero(self, tmp_path: Path) -> None:
        """The CLI prints the rejected file's problem and exits 1."""
        seeds = copy_seeds(tmp_path, 1)
        (seeds / "broken.txt").write_bytes(b"ok\n\xc3\x28 broken\n")
        result = CliRunner().invoke(
            app, ["build", "--seeds", str(seeds), "--out", str(tmp_path / "c")]
        )
        assert result.exit_code == 1
        assert "broken.txt:2" in result.output and "utf8" in result.output
