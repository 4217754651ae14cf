"""Engines: the same rows in the same order whatever runs the per-article stage."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from summit_corpus.build import engines, ingest, pipeline, staging
from summit_corpus.build.cache import ArticleCache
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core import tables
from summit_corpus.core.errors import BuildError, EngineError

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def seed_raws() -> list[ingest.RawArticle]:
    return ingest.discover(SEEDS)


def batches(raws: list[ingest.RawArticle], size: int) -> list[pa.Table]:
    return [pipeline.raw_table(raws[i : i + size]) for i in range(0, len(raws), size)]


def parquet_hashes(corpus: Path) -> dict[str, str]:
    return {
        p.relative_to(corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((corpus / "data").rglob("*.parquet"))
    }


def staged_tables(staged: engines.Staged) -> dict[str, pa.Table]:
    return staged.read()


@pytest.fixture(scope="module")
def serial_results() -> list[dict[str, pa.Table]]:
    """Seeds processed in this process, two articles per batch."""
    with engines.open_engine("local", 1) as engine:
        return list(engine.map(batches(seed_raws(), 2)))


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    """A Dask LocalCluster on 127.0.0.1 with two workers, shared by the Dask tests."""
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    )
    yield cluster
    cluster.close()


class TestRunBatch:
    def test_a_bad_file_is_reported_by_name_and_the_rest_processed(self) -> None:
        """A binary file becomes one error row naming it; the good article still has rows."""
        good = seed_raws()[0]
        bad = ingest.RawArticle(path=Path("bad.txt"), source_file="bad.txt", data=BINARY)
        result = engines.run_batch(pipeline.raw_table([good, bad]))
        assert result["errors"].column("source_file").to_pylist() == ["bad.txt"]
        assert result["errors"].column("rule").to_pylist() == ["not_binary"]
        assert result["documents"].column("doc_id").to_pylist() == [good.doc_id]

    def test_failed_batch_names_every_file(self) -> None:
        """A batch lost with its worker yields one error row per file, naming the file."""
        result = engines.failed_batch(pipeline.raw_table(seed_raws()[:2]), "dask", "boom")
        files = result["errors"].column("source_file").to_pylist()
        assert files == [r.source_file for r in seed_raws()[:2]]
        assert all("boom" in m for m in result["errors"].column("message").to_pylist())
        assert all(result[t.name].num_rows == 0 for t in pipeline.PER_ARTICLE_TABLES)


class TestOpenEngine:
    @pytest.mark.parametrize(
        ("kwargs", "rule"),
        [
            ({"kind": "spark"}, "engine_known"),  # only local and dask exist
            ({"kind": "local", "workers": 0}, "workers_positive"),  # zero workers do nothing
            ({"kind": "local", "scheduler": "tcp://127.0.0.1:1"}, "scheduler_needs_dask"),
        ],
    )
    def test_bad_options_are_refused_with_the_rule(self, kwargs: dict[str, Any], rule: str) -> None:
        """Engine options that cannot work raise an EngineError naming the rule."""
        with pytest.raises(EngineError, match=rule), engines.open_engine(**kwargs):
            pass


class TestBuildCommand:
    def test_unknown_engine_fails_with_the_rule_and_no_corpus(self, tmp_path: Path) -> None:
        """`corpus build --engine spark` exits non-zero, names the rule and writes nothing."""
        from typer.testing import CliRunner

        from summit_corpus.cli import app

        out = tmp_path / "corpus"
        args = ["build", "--seeds", str(SEEDS), "--out", str(out), "--engine", "spark"]
        result = CliRunner().invoke(app, [*args, "--datasheet", str(tmp_path / "D.md")])
        assert result.exit_code != 0
        assert "engine_known" in result.output
        assert not out.exists()


class TestLocalEngine:
    def test_pool_gives_the_serial_results_in_input_order(
        self, serial_results: list[dict[str, pa.Table]]
    ) -> None:
        """Two worker processes return, batch by batch, exactly the in-process results."""
        with engines.open_engine("local", 2) as engine:
            pooled = list(engine.map(batches(seed_raws(), 2)))
        assert len(pooled) == len(serial_results)
        for got, want in zip(pooled, serial_results, strict=True):
            for name in want:
                assert got[name].equals(want[name]), name


class TestBatchWindows:
    """How the articles are cut into the windows handed to the engine."""

    def test_one_worker_gets_full_windows(self) -> None:
        """In one process every window but the last holds `batch_size` articles."""
        sizes = [len(w) for w in engines.batch_windows(list(range(100)), 32, 1)]
        assert sizes == [32, 32, 32, 4]

    def test_several_workers_get_small_windows_at_the_end(self) -> None:
        """With 2 workers the last 2 x 2 batches' worth come in windows of 8, so that no
        worker is left parsing a full batch while the other has nothing to do."""
        windows = engines.batch_windows(list(range(300)), 32, 2)
        sizes = [len(w) for w in windows]
        assert sizes[:5] == [32, 32, 32, 32, 32] and sizes[5] == 12
        assert sizes[6:] == [8] * 16
        assert [a for w in windows for a in w] == list(range(300))  # every article once, in order

    def test_a_small_corpus_is_all_tail(self) -> None:
        """Fewer articles than the tail: every window is small, none is empty."""
        windows = engines.batch_windows(list(range(10)), 32, 2)
        assert [len(w) for w in windows] == [8, 2]


class TestProcessCorpus:
    def test_staged_rows_do_not_depend_on_batch_size(self, tmp_path: Path) -> None:
        """Batches of 1 and of 4 articles stage the same tables."""
        with engines.open_engine() as engine:
            one = engines.process_corpus(seed_raws(), engine, tmp_path / "a", batch_size=1)
            four = engines.process_corpus(seed_raws(), engine, tmp_path / "b", batch_size=4)
        for name, table in staged_tables(one).items():
            assert table.equals(staged_tables(four)[name]), name
        assert one.rows == four.rows and one.rows["tokens"] > 0

    def test_second_run_reads_every_article_from_the_cache(self, tmp_path: Path) -> None:
        """With a warm cache no article is parsed again and the staged rows are unchanged."""
        with engines.open_engine() as engine:
            store = ArticleCache(tmp_path / "cache", engine.version())
            cold = engines.process_corpus(seed_raws(), engine, tmp_path / "a", cache=store)
            warm = engines.process_corpus(seed_raws(), engine, tmp_path / "b", cache=store)
        assert (cold.parsed, cold.cache_hits) == (len(seed_raws()), 0)
        assert (warm.parsed, warm.cache_hits) == (0, len(seed_raws()))
        for name, table in staged_tables(cold).items():
            assert table.equals(staged_tables(warm)[name]), name

    def test_one_new_article_is_the_only_one_parsed(self, tmp_path: Path) -> None:
        """Adding an article to a cached corpus parses that article alone."""
        raws = seed_raws()
        with engines.open_engine() as engine:
            store = ArticleCache(tmp_path / "cache", engine.version())
            engines.process_corpus(raws[1:], engine, tmp_path / "a", cache=store)
            again = engines.process_corpus(raws, engine, tmp_path / "b", cache=store)
        assert (again.parsed, again.cache_hits) == (1, len(raws) - 1)


class TestStagingWriter:
    def test_row_groups_have_a_fixed_size_whatever_the_batches(self, tmp_path: Path) -> None:
        """Rows written in uneven batches land in row groups of exactly row_group_rows rows."""
        import pyarrow.parquet as pq

        rows = [
            {"doc_id": "a", "sentence_id": i, "start": i, "end": i + 1, "text": "x"}
            for i in range(25)
        ]
        for sizes, folder in (((3, 7, 15), "x"), ((25,), "y")):
            writer = staging.StagingWriter(tmp_path / folder, [tables.SENTENCES], row_group_rows=10)
            offset = 0
            for size in sizes:
                writer.write("sentences", tables.SENTENCES.from_rows(rows[offset : offset + size]))
                offset += size
            writer.close()
        x, y = (tmp_path / f / "sentences.parquet" for f in "xy")
        meta = pq.ParquetFile(x).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [10, 10, 5]
        assert x.read_bytes() == y.read_bytes()


class TestBuildDeterminism:
    def test_workers_1_and_2_publish_identical_parquet(self, tmp_path: Path) -> None:
        """The published Parquet files do not depend on the number of worker processes."""
        one, two = tmp_path / "w1" / "corpus", tmp_path / "w2" / "corpus"
        build_corpus(SEEDS, one, annotations=ANNOTATIONS, progress=False, cache=False)
        build_corpus(SEEDS, two, annotations=ANNOTATIONS, progress=False, cache=False, workers=2)
        assert parquet_hashes(one) and parquet_hashes(one) == parquet_hashes(two)


class TestDaskEngine:
    def test_dask_build_publishes_the_local_build_bytes(
        self, tmp_path: Path, dask_cluster: Any
    ) -> None:
        """Joining a Dask scheduler gives byte-identical published Parquet to the local build."""
        local, dask = tmp_path / "local" / "corpus", tmp_path / "dask" / "corpus"
        build_corpus(SEEDS, local, annotations=ANNOTATIONS, progress=False, cache=False)
        build_corpus(
            SEEDS,
            dask,
            annotations=ANNOTATIONS,
            progress=False,
            cache=False,
            engine="dask",
            scheduler=dask_cluster.scheduler_address,
        )
        assert parquet_hashes(local) and parquet_hashes(local) == parquet_hashes(dask)

    def test_killed_worker_is_retried_and_results_are_complete(
        self, dask_cluster: Any, serial_results: list[dict[str, pa.Table]]
    ) -> None:
        """A worker killed mid-run is replaced; every batch still comes back, identical."""
        with engines.open_engine("dask", scheduler=dask_cluster.scheduler_address) as engine:
            client = engine.client
            got: list[dict[str, pa.Table]] = []
            killed = None
            for result in engine.map(batches(seed_raws(), 2)):
                got.append(result)
                if killed is None:
                    busy = [w for w, keys in client.processing().items() if keys]
                    victim = busy[0] if busy else next(iter(client.scheduler_info()["workers"]))
                    killed = client.run(os.getpid, workers=[victim])[victim]
                    os.kill(killed, signal.SIGKILL)
            assert killed is not None
            _wait_for_workers(client, 2)
        assert len(got) == len(serial_results)
        for result, want in zip(got, serial_results, strict=True):
            assert result["errors"].num_rows == 0
            for name in want:
                assert result[name].equals(want[name]), name

    def test_failing_article_is_named_and_previous_corpus_kept(
        self, tmp_path: Path, dask_cluster: Any
    ) -> None:
        """A file rejected in a Dask worker fails the build by name; the old corpus stays."""
        seeds = tmp_path / "seeds"
        seeds.mkdir()
        for raw in seed_raws()[:2]:
            (seeds / raw.source_file).write_bytes(raw.data)
        out = tmp_path / "corpus"
        build_corpus(seeds, out, annotations=None, progress=False, cache=False)
        before = parquet_hashes(out)
        (seeds / "broken.txt").write_bytes(BINARY)
        with pytest.raises(BuildError) as caught:
            build_corpus(
                seeds,
                out,
                annotations=None,
                progress=False,
                engine="dask",
                scheduler=dask_cluster.scheduler_address,
            )
        assert any("broken.txt" in p and "not_binary" in p for p in caught.value.problems)
        assert parquet_hashes(out) == before


def _wait_for_workers(client: Any, n: int, timeout: float = 60.0) -> None:
    """Let the nanny bring the killed worker back before the shared cluster is reused."""
    deadline = time.monotonic() + timeout
    while len(client.scheduler_info()["workers"]) < n and time.monotonic() < deadline:
        time.sleep(0.2)
