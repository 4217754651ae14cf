"""The committed corpus in a real Label Studio: the scheme's generated config, the seeds'
model layer as predictions, and the gold human layer round-tripped through the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio_fixtures import StudioServer
from summit_corpus import annotate
from summit_corpus.core import io, layout
from summit_corpus.core.generated import labeling_config
from summit_corpus.core.scheme import load_scheme

pytestmark = pytest.mark.studio

COMMITTED = Path(__file__).resolve().parents[2] / "corpus"
PROJECT = "seeds from the committed corpus"


def layer_rows(
    table_rows: list[dict[str, Any]], layer: str, keys: tuple[str, ...]
) -> set[tuple[Any, ...]]:
    return {tuple(r[k] for k in keys) for r in table_rows if r["layer"] == layer}


@pytest.fixture(scope="module")
def seeds_round_trip(
    studio: StudioServer, studio_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Push the committed corpus with its human layer, then pull it back and convert it."""
    pushed = annotate.push_corpus(
        COMMITTED, project=PROJECT, with_annotations=True, client=studio_client
    )
    folder = tmp_path_factory.mktemp("annotations")
    annotate.pull(
        studio_client,
        project=PROJECT,
        annotations_dir=folder,
        key=studio.env["SUMMIT_PSEUDONYM_KEY"],
    )
    documents = io.read_parquet_dir(layout.config_dir(COMMITTED, "documents"))
    return {
        "pushed": pushed,
        "converted": annotate.convert_snapshots(folder, documents),
        "tasks": annotate.list_tasks(studio_client, pushed.project_id),
        "project": studio_client.projects.get(pushed.project_id),
    }


class TestCommittedCorpusInStudio:
    def test_generated_config_is_the_projects_config(
        self, seeds_round_trip: dict[str, Any]
    ) -> None:
        """The server accepts the labeling config generated from the scheme, unchanged (it only
        drops the file's final newline)."""
        stored = seeds_round_trip["project"].label_config
        assert stored == labeling_config(load_scheme()).rstrip("\n")

    def test_one_task_per_seed_document(self, seeds_round_trip: dict[str, Any]) -> None:
        """Every committed document became exactly one task."""
        doc_ids = sorted(t["doc_id"] for t in seeds_round_trip["tasks"])
        documents = io.read_parquet_dir(layout.config_dir(COMMITTED, "documents"))
        assert doc_ids == sorted(documents.column("doc_id").to_pylist())

    def test_pull_of_push_gives_the_committed_human_layer_back(
        self, seeds_round_trip: dict[str, Any]
    ) -> None:
        """Spans, relations and document labels of the adjudicated layer survive the server."""
        converted = seeds_round_trip["converted"]
        assert converted.problems == ()
        spans_keys = ("doc_id", "start", "end", "label", "text")
        committed_spans = io.read_parquet_dir(layout.config_dir(COMMITTED, "spans")).to_pylist()
        pulled_spans = converted.tables["spans"].to_pylist()
        assert layer_rows(pulled_spans, "adjudicated", spans_keys) == layer_rows(
            committed_spans, "adjudicated", spans_keys
        )
        label_keys = ("doc_id", "name", "value")
        committed_labels = io.read_parquet_dir(
            layout.config_dir(COMMITTED, "document_labels")
        ).to_pylist()
        assert layer_rows(
            converted.tables["document_labels"].to_pylist(), "adjudicated", label_keys
        ) == layer_rows(committed_labels, "adjudicated", label_keys)

        def relation_ends(spans: list[dict[str, Any]], relations: list[dict[str, Any]]) -> set[Any]:
            where = {(s["doc_id"], s["span_id"]): (s["start"], s["end"]) for s in spans}
            return {
                (r["doc_id"], r["label"], where[(r["doc_id"], r["head_span_id"])],
                 where[(r["doc_id"], r["tail_span_id"])])
                for r in relations
                if r["layer"] == "adjudicated"
            }  # fmt: skip

        committed_relations = io.read_parquet_dir(
            layout.config_dir(COMMITTED, "relations")
        ).to_pylist()
        assert relation_ends(
            pulled_spans, converted.tables["relations"].to_pylist()
        ) == relation_ends(committed_spans, committed_relations)
