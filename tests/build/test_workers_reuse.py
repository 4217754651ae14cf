"""`--workers auto` and the staged set a build keeps for the next build of the same articles."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from fault_helpers import corpus_bytes

from summit_corpus.build import engines, ingest, pipeline, reuse, synthetic
from summit_corpus.build.cache import ArticleCache, namespace
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core.errors import BuildError, EngineError
from summit_corpus.publish import splits

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"


def staged_sets(store: Path) -> list[Path]:
    return sorted(p for p in store.glob("*/staged/*") if not p.name.startswith("."))


class TestResolveWorkers:
    def test_auto_takes_one_worker_per_share_of_articles_up_to_the_cores(self) -> None:
        """'auto' gives one worker below the break-even, then one per share, capped by cores."""
        share = engines.AUTO_ARTICLES_PER_WORKER
        assert engines.resolve_workers("auto", 0, cores=16) == 1
        assert engines.resolve_workers("auto", 2 * share - 1, cores=16) == 1
        assert engines.resolve_workers("auto", 2 * share, cores=16) == 2
        assert engines.resolve_workers("auto", 20_000, cores=16) == 16
        assert engines.resolve_workers("auto", 20_000, cores=2) == 2

    def test_a_count_is_taken_as_given(self) -> None:
        """A number (or its text, as the CLI passes it) is the worker count, whatever the size."""
        assert engines.resolve_workers(3, 1) == 3
        assert engines.resolve_workers("2", 1) == 2

    @pytest.mark.parametrize("value", [0, "0", "many", ""])
    def test_anything_else_is_refused_with_the_rule(self, value: int | str) -> None:
        """Zero, or text that is neither 'auto' nor a number, is refused with its rule."""
        with pytest.raises(EngineError, match="workers_positive"):
            engines.resolve_workers(value, 100)

    def test_auto_uses_the_cores_this_process_may_run_on(self) -> None:
        """Without a core count, 'auto' caps at the CPU affinity of this process."""
        many = 10**6
        assert engines.resolve_workers("auto", many) == engines.available_cores()

    def test_the_cli_refuses_a_bad_workers_value_in_one_line(self, tmp_path: Path) -> None:
        """`corpus build --workers many` fails with the rule, no traceback, and no corpus."""
        from typer.testing import CliRunner

        from summit_corpus.cli import app

        out = tmp_path / "corpus"
        result = CliRunner().invoke(
            app, ["build", "--seeds", str(SEEDS), "--out", str(out), "--workers", "many"]
        )
        assert result.exit_code != 0
        assert "workers_positive" in result.output
        assert "Traceback" not in result.output
        assert not out.exists()


class TestModelMeta:
    def test_the_version_is_the_loaded_pipelines(self) -> None:
        """The pipeline version read from meta.json names the model spaCy loads."""
        meta, loaded = pipeline.model_meta(), pipeline.load_nlp().meta
        assert (meta["lang"], meta["name"], meta["version"]) == (
            loaded["lang"],
            loaded["name"],
            loaded["version"],
        )
        assert f"{meta['lang']}_{meta['name']}-{meta['version']}" in pipeline.pipeline_version()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The seeds built once with annotations and a cache: (seeds copy, cache, corpus bytes)."""
    root = tmp_path_factory.mktemp("reuse")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    store = root / "cache"
    out = root / "corpus"
    build_corpus(seeds, out, annotations=ANNOTATIONS, progress=False, cache_dir=store)
    return seeds, store, corpus_bytes(out)


class TestStagedSet:
    def test_a_build_keeps_one_staged_set_with_checksums(
        self, built: tuple[Path, Path, dict[str, str]]
    ) -> None:
        """After a build the cache holds one staged set: every per-article table, checksummed."""
        seeds, store, _ = built
        (kept,) = staged_sets(store)
        names = {t.name for t in pipeline.PER_ARTICLE_TABLES}
        assert {p.stem for p in kept.glob("*.parquet")} == names
        sums = json.loads((kept / reuse.SUMS).read_text())
        assert set(sums) == names
        assert kept.name == reuse.staged_key(ingest.discover(seeds))

    def test_unchanged_articles_are_not_staged_again(
        self, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
    ) -> None:
        """A rebuild of the same articles parses nothing, reads no entry, and publishes the
        same bytes, also when only the annotations changed."""
        seeds, store, clean = built
        out = tmp_path / "corpus"
        summary = build_corpus(seeds, out, annotations=ANNOTATIONS, progress=False, cache_dir=store)
        assert (summary.parsed, summary.cache_hits) == (0, len(ingest.discover(seeds)))
        assert corpus_bytes(out) == clean
        # Only annotations changed (here: none at all): the model layer alone, from the set.
        bare = build_corpus(
            seeds, tmp_path / "bare", annotations=None, progress=False, cache_dir=store
        )
        assert bare.parsed == 0
        assert bare.rows["documents"] == summary.rows["documents"]

    def test_a_rebuild_that_parses_nothing_never_imports_spacy(
        self, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
    ) -> None:
        """A cache-warm rebuild, in a fresh process, publishes without importing spaCy."""
        seeds, store, _ = built
        script = (
            "import sys; from pathlib import Path; "
            "from summit_corpus.build.corpus import build_corpus; "
            f"build_corpus(Path({str(seeds)!r}), Path({str(tmp_path / 'corpus')!r}), "
            f"annotations=Path({str(ANNOTATIONS)!r}), progress=False, "
            f"cache_dir=Path({str(store)!r})); "
            "print('spacy' in sys.modules)"
        )
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert run.stdout.strip().splitlines()[-1] == "False"

    def test_the_split_assignment_is_kept_with_the_set(
        self,
        built: tuple[Path, Path, dict[str, str]],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A rebuild of the same articles takes the split assignment and the control-character
        counts kept beside the staged set, and publishes the same bytes."""
        seeds, store, clean = built
        (kept,) = staged_sets(store)
        assert {p.name.split("-")[0] for p in kept.glob("*.entry")} == {
            "assignment",
            "control_chars",
        }

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("the split assignment was computed again")

        monkeypatch.setattr(splits, "assign_splits", refuse)
        out = tmp_path / "corpus"
        build_corpus(seeds, out, annotations=ANNOTATIONS, progress=False, cache_dir=store)
        assert corpus_bytes(out) == clean

    def test_a_damaged_kept_assignment_is_computed_again(
        self, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
    ) -> None:
        """A kept result whose bytes no longer match its checksum is never used: it is
        computed again (the same bytes are published) and kept anew."""
        seeds, store, clean = built
        (kept,) = staged_sets(store)
        for entry in kept.glob("*.entry"):
            data = bytearray(entry.read_bytes())
            data[len(data) // 2] ^= 0x10
            entry.write_bytes(bytes(data))
        damaged = {p.name: p.read_bytes() for p in kept.glob("*.entry")}
        out = tmp_path / "corpus"
        build_corpus(seeds, out, annotations=ANNOTATIONS, progress=False, cache_dir=store)
        assert corpus_bytes(out) == clean
        again = {p.name: p.read_bytes() for p in kept.glob("*.entry")}
        assert set(again) == set(damaged)
        assert all(again[name] != data for name, data in damaged.items())

    def test_a_changed_article_makes_a_new_set(self, tmp_path: Path) -> None:
        """Editing one article stages again (that article parsed, the rest from the cache),
        and the older set is replaced."""
        seeds = tmp_path / "seeds"
        shutil.copytree(SEEDS, seeds)
        store = tmp_path / "cache"
        build_corpus(seeds, tmp_path / "a", annotations=None, progress=False, cache_dir=store)
        (first,) = staged_sets(store)
        article = sorted(seeds.glob("*.txt"))[0]
        article.write_bytes(article.read_bytes() + b"\nOne more line.\n")
        summary = build_corpus(
            seeds, tmp_path / "b", annotations=None, progress=False, cache_dir=store
        )
        assert summary.parsed == 1
        (second,) = staged_sets(store)
        assert second != first

    def test_a_damaged_set_is_dropped_and_the_articles_staged_from_the_cache(
        self, built: tuple[Path, Path, dict[str, str]], tmp_path: Path
    ) -> None:
        """A staged file whose bytes no longer match its checksum is never used: the build
        stages from the cache entries instead and publishes the clean bytes."""
        seeds, store, clean = built
        (kept,) = staged_sets(store)
        tokens = kept / "tokens.parquet"
        data = bytearray(tokens.read_bytes())
        data[len(data) // 2] ^= 0x10
        tokens.write_bytes(bytes(data))
        out = tmp_path / "corpus"
        summary = build_corpus(seeds, out, annotations=ANNOTATIONS, progress=False, cache_dir=store)
        assert summary.parsed == 0
        assert corpus_bytes(out) == clean
        (again,) = staged_sets(store)
        assert reuse.load(ArticleCache(store, pipeline.pipeline_version()), again.name) is not None

    def test_a_build_with_rejected_files_keeps_no_set(self, tmp_path: Path) -> None:
        """Rows of a build that rejected a file are not kept (the build fails anyway)."""
        seeds = tmp_path / "seeds"
        shutil.copytree(SEEDS, seeds)
        (seeds / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        store = tmp_path / "cache"
        with pytest.raises(BuildError):
            build_corpus(seeds, tmp_path / "c", annotations=None, progress=False, cache_dir=store)
        version = pipeline.pipeline_version()
        assert not (store / namespace(version) / "staged").exists() or not staged_sets(store)


@pytest.mark.skipif(sys.platform != "linux", reason="CPU affinity is a Linux call")
class TestAutoBuild:
    def test_a_small_build_with_auto_runs_in_this_process(self, tmp_path: Path) -> None:
        """The seeds are below the break-even: 'auto' starts no pool (and builds as 1 does)."""
        opened: list[int] = []
        original = engines.open_engine

        def spy(kind: str = "local", workers: int = 1, scheduler: str | None = None):  # type: ignore[no-untyped-def]
            opened.append(workers)
            return original(kind, workers, scheduler)

        engines.open_engine = spy  # type: ignore[assignment]
        try:
            build_corpus(
                SEEDS,
                tmp_path / "corpus",
                annotations=None,
                progress=False,
                cache=False,
                workers="auto",
            )
        finally:
            engines.open_engine = original  # type: ignore[assignment]
        assert opened == [1]


def _worker_settings() -> tuple[str | None, bool]:
    import os

    import dask

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get(
        "distributed.worker.profile.enabled"
    )


def _page_faults_of_a_second_batch(batch: pa.Table) -> int:
    """In a Dask worker's task thread: the minor page faults of the second of two batches."""
    import resource

    from summit_corpus.build import pipeline

    pipeline.process_batch(batch)
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    pipeline.process_batch(batch)
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before


class TestDaskLocalCluster:
    def test_the_cluster_a_build_starts_has_no_profiler_and_no_malloc_trim(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The LocalCluster's workers run without the statistical profiler and without
        MALLOC_TRIM_THRESHOLD_, the two defaults that slowed the per-article stage."""
        pytest.importorskip("distributed")
        # A Nanny writes its pre-spawn environment into this process's os.environ for good,
        # so an earlier test's default-config cluster would leave the variable behind for
        # every later worker; a `corpus build` process starts only the one cluster.
        monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
        engine = engines.DaskEngine(workers=1)
        try:
            settings = list(engine.client.run(_worker_settings).values())
        finally:
            engine.close()
        assert settings == [(None, False)]

    def test_the_task_thread_keeps_the_pages_it_frees_between_batches(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """A worker parses in a thread; with one malloc arena for the process, what a batch
        frees serves the next one, as in the local pool (without it: ~14,000 page faults a
        batch of 32 articles)."""
        pytest.importorskip("distributed")
        monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
        synthetic.write_corpus(SEEDS, tmp_path / "raw", 32)
        batch = pipeline.raw_table(ingest.discover(tmp_path / "raw"))
        engine = engines.DaskEngine(workers=1)
        try:
            faults = engine.client.submit(_page_faults_of_a_second_batch, batch).result()
        finally:
            engine.close()
        assert faults < 3_000
