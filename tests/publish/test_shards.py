"""Shards: a split is published in files of whole documents, cut where the doc_ids say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from summit_corpus.build import synthetic
from summit_corpus.core import layout
from summit_corpus.publish import shards
from summit_corpus.publish.shards import shard_starts

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"


def members(doc_ids: list[str]) -> list[tuple[str, ...]]:
    starts = [*shard_starts(doc_ids), len(doc_ids)]
    return [tuple(doc_ids[a:b]) for a, b in zip(starts, starts[1:], strict=False)]


class TestShardStarts:
    def test_a_small_split_is_one_shard(self) -> None:
        """Fewer documents than SHARD_MIN_DOCS are one shard, whatever their doc_ids."""
        doc_ids = sorted(f"doc{i:04d}" for i in range(shards.SHARD_MIN_DOCS))
        assert shard_starts(doc_ids) == [0]

    def test_a_shard_holds_at_least_the_minimum(self) -> None:
        """Every shard but the last holds SHARD_MIN_DOCS documents or more."""
        doc_ids = sorted(f"doc{i:05d}" for i in range(20 * shards.SHARD_MIN_DOCS))
        sizes = [len(m) for m in members(doc_ids)]
        assert len(sizes) > 2
        assert min(sizes[:-1]) >= shards.SHARD_MIN_DOCS

    def test_adding_a_document_changes_only_the_shards_around_it(self) -> None:
        """One more document leaves every shard but the one it falls in (and at most the
        next) with the same documents, so their files can be taken as they are."""
        doc_ids = sorted(f"doc{i:05d}" for i in range(0, 40 * shards.SHARD_MIN_DOCS, 2))
        before = members(doc_ids)
        for added in ("doc00001", f"doc{10 * shards.SHARD_MIN_DOCS + 1:05d}"):
            after = members(sorted([*doc_ids, added]))
            changed = set(after) - set(before)
            assert 1 <= len(changed) <= 2
            assert any(added in shard for shard in changed)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of the seeds and 36 synthetic articles, in shards of a few documents."""
    from summit_corpus.build.corpus import build_corpus

    root = tmp_path_factory.mktemp("sharded")
    seeds = root / "seeds"
    shutil.copytree(SEEDS, seeds)
    synthetic.write_corpus(SEEDS, seeds, 36)
    patch = pytest.MonkeyPatch()
    patch.setattr(shards, "SHARD_MIN_DOCS", 3)
    patch.setattr(shards, "SHARD_SPREAD", 3)
    try:
        build_corpus(seeds, root / "corpus", annotations=ANNOTATIONS, progress=False)
    finally:
        patch.undo()
    return root / "corpus"


class TestShardedCorpus:
    def test_a_split_is_several_files_cut_at_the_same_documents_in_every_config(
        self, sharded: Path
    ) -> None:
        """The train split is several files; each config's file of a shard holds rows of
        that shard's documents only (the build validated the rest)."""
        documents = sorted(layout.config_dir(sharded, "documents").glob("train-*.parquet"))
        assert len(documents) > 1
        doc_ids = {
            p.name: set(pq.read_table(p, columns=["doc_id"]).column("doc_id").to_pylist())
            for p in documents
        }
        for folder in sorted((sharded / layout.DATA).iterdir()):
            for path in sorted(folder.glob("train-*.parquet")):
                column = "doc_id" if "doc_id" in pq.read_schema(path).names else "document_id"
                ids = set(pq.read_table(path, columns=[column]).column(column).to_pylist())
                assert ids <= doc_ids[path.name], path

    def test_every_config_loads_with_load_dataset(
        self, sharded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`load_dataset` reads every config's shards (the card's data_files match them all),
        with the rows of all its files."""
        import datasets
        import yaml

        monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        datasets.disable_progress_bars()
        card = (sharded / layout.CARD).read_text(encoding="utf-8")
        meta = yaml.safe_load(card.split("---")[1])
        for config in meta["configs"]:
            name = config["config_name"]
            loaded = datasets.load_dataset(str(sharded), name, cache_dir=str(tmp_path / name))
            for item in config["data_files"]:
                split = item["split"]
                files = layout.config_dir(sharded, name).glob(f"{split}-*.parquet")
                rows = sum(pq.ParquetFile(p).metadata.num_rows for p in files)
                assert loaded[split].num_rows == rows
