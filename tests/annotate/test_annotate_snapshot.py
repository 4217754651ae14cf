"""The committed snapshot under annotations/: current, lossless, and in the built corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from summit_corpus import annotate
from summit_corpus.annotate.gold import gold_rows, resolve_gold
from summit_corpus.core import layout, tables
from summit_corpus.core.io import read_parquet_dir

GOLD_PATH = Path(__file__).resolve().parents[2] / "annotations" / "gold" / "seeds_gold.yaml"

REPO = Path(__file__).resolve().parents[2]
ANNOTATIONS = REPO / "annotations"


@pytest.fixture(scope="module")
def documents(built_corpus: Path):
    return read_parquet_dir(layout.config_dir(built_corpus, "documents"))


@pytest.fixture(scope="module")
def converted(documents) -> annotate.Conversion:
    return annotate.convert_snapshots(ANNOTATIONS, documents)


class TestCommittedSnapshot:
    def test_snapshot_exists_and_is_an_export(self):
        """annotations/ holds at least one dated snapshot in Label Studio's export format."""
        files = annotate.snapshot_files(ANNOTATIONS)
        assert files
        assert all(isinstance(t.get("annotations"), list) for t in annotate.load_snapshot(files[0]))

    def test_every_task_is_current_and_every_region_fits(self, converted):
        """Every task was made from the current text and every region fits the document."""
        assert converted.problems == ()
        assert not any(r["stale"] for r in converted.tables["annotations"].to_pylist())

    def test_human_layer_is_the_gold_reading(self, converted, documents):
        """The snapshot's human spans and labels are exactly the gold file's."""
        texts = dict(
            zip(documents["doc_id"].to_pylist(), documents["text"].to_pylist(), strict=True)
        )
        gold = gold_rows(resolve_gold(GOLD_PATH, texts), tables.LAYER_HUMAN)
        human = [r for r in converted.tables["spans"].to_pylist() if r["layer"] == "human"]
        key = ("doc_id", "start", "end", "label", "text")
        assert sorted(tuple(r[k] for k in key) for r in human) == sorted(
            tuple(r[k] for k in key) for r in gold["spans"]
        )
        labels = [
            r for r in converted.tables["document_labels"].to_pylist() if r["layer"] == "human"
        ]
        assert sorted((r["doc_id"], r["name"], r["value"]) for r in labels) == sorted(
            (r["doc_id"], r["name"], r["value"]) for r in gold["document_labels"]
        )

    def test_no_email_in_snapshot(self):
        """No e-mail address of an annotator is in a committed snapshot."""
        for path in annotate.snapshot_files(ANNOTATIONS):
            for task in annotate.load_snapshot(path):
                for annotation in task["annotations"]:
                    assert "@" not in annotation["completed_by"]["email"]

    def test_built_corpus_has_all_layers(self, built_corpus: Path):
        """The built spans table holds the model, human and adjudicated layers side by side."""
        spans = read_parquet_dir(layout.config_dir(built_corpus, "spans"))
        assert set(spans["layer"].to_pylist()) == set(tables.LAYERS)
