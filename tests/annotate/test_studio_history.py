"""Nothing a user typed is lost, against a real server: a fresh server, a second annotator,
an annotation deleted on the server, and a region that breaks a rule.

The committed corpus is pushed to a new project (a server that lacks the corpus's human
layer) and pulled into a copy of the committed annotations folder, as on a second machine.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from studio_fixtures import StudioServer
from summit_corpus import annotate
from summit_corpus.core import io, layout

pytestmark = pytest.mark.studio

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "corpus"
PROJECT = "history on a fresh server"
SECOND = "second.reader@summit-corpus.test"


def _human(tables: dict[str, pa.Table], name: str, keys: tuple[str, ...]) -> set[tuple[Any, ...]]:
    rows = tables[name].to_pylist()
    return {tuple(r[k] for k in keys) for r in rows if r.get("layer", "human") == "human"}


def _committed(name: str) -> pa.Table:
    return io.read_parquet_dir(layout.config_dir(COMMITTED, name))


@pytest.fixture(scope="module")
def story(
    studio: StudioServer, studio_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Push, pull, a second annotator, a deletion, pulls with and without --remove-missing."""
    client, key = studio_client, studio.env["SUMMIT_PSEUDONYM_KEY"]
    folder = tmp_path_factory.mktemp("checkout") / "annotations"
    shutil.copytree(REPO / "annotations", folder)
    documents = _committed("documents")
    pushed = annotate.push_corpus(COMMITTED, project=PROJECT, client=client)

    def pull(minute: int, **options: Any) -> annotate.PullReport:
        when = datetime(2030, 1, 1, 12, minute, tzinfo=UTC)
        return annotate.pull(
            client, project=PROJECT, annotations_dir=folder, key=key, now=when, **options
        )

    first = pull(0, corpus=COMMITTED)
    after_first = annotate.convert_snapshots(folder, documents).tables

    # A second real user reads the first document; one region crosses a sentence break.
    doc_id = documents["doc_id"][0].as_py()
    text = documents["text"][0].as_py()
    sentences = _committed("sentences").to_pylist()
    cut = next(s["start"] for s in sentences if s["doc_id"] == doc_id and s["start"] > 0)
    gold_span = next(
        s
        for s in _committed("spans").to_pylist()
        if s["doc_id"] == doc_id and s["layer"] == "human"
    )
    result = [
        {
            "id": "s1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {
                "start": gold_span["start"],
                "end": gold_span["end"],
                "text": gold_span["text"],
                "labels": [gold_span["label"]],
            },
        },
        {
            "id": "across",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {
                "start": cut - 8,
                "end": cut + 8,
                "text": text[cut - 8 : cut + 8],
                "labels": ["EVENT"],
            },
        },
    ]
    second_user = annotate.ensure_user(client, SECOND)
    task_id = next(
        t["id"] for t in annotate.list_tasks(client, pushed.project_id) if t["doc_id"] == doc_id
    )
    made = client.annotations.create(task_id, result=result, completed_by=second_user)
    second = pull(1, corpus=COMMITTED)
    after_second = annotate.convert_snapshots(folder, documents).tables

    client.annotations.delete(made.id)
    kept = pull(2)
    after_delete = annotate.convert_snapshots(folder, documents).tables
    removed = pull(3, remove_missing=True)
    after_remove = annotate.convert_snapshots(folder, documents).tables
    return {
        "pushed": pushed,
        "first": first,
        "second": second,
        "kept": kept,
        "removed": removed,
        "after_first": after_first,
        "after_second": after_second,
        "after_delete": after_delete,
        "after_remove": after_remove,
        "doc_id": doc_id,
        "folder": folder,
    }


SPAN_KEYS = ("doc_id", "start", "end", "label", "annotator", "annotation_id")


class TestFreshServer:
    def test_push_carries_the_human_layer_by_default(self, story):
        """A server without the corpus's annotations gets all five of them."""
        assert story["pushed"].annotations_created == 5

    def test_pull_from_it_loses_and_duplicates_nothing(self, story):
        """After the pull the corpus has exactly the committed human layer: same names, same
        annotators, same spans (the copies are recognised by their import_id)."""
        committed = {n: _committed(n) for n in ("spans", "annotations")}
        assert _human(story["after_first"], "spans", SPAN_KEYS) == _human(
            committed, "spans", SPAN_KEYS
        )
        keys = ("doc_id", "annotation_id", "annotator", "ground_truth")
        assert _human(story["after_first"], "annotations", keys) == _human(
            committed, "annotations", keys
        )

    def test_first_pull_reports_nothing_new(self, story):
        """The pulled copies are neither new nor changed, and nothing is missing."""
        changes = story["first"].changes
        assert (len(changes.new), len(changes.changed), len(changes.gone)) == (0, 0, 0)


class TestSecondAnnotator:
    def test_pull_reports_the_new_annotation(self, story):
        """The second reader's annotation is reported as new, by name and document."""
        (new,) = story["second"].changes.new
        assert new.doc_id == story["doc_id"]
        assert f"new: {new.identity}" in story["second"].describe()

    def test_agreement_pairs_the_two_readers(self, story):
        """agreement.json pairs the gold reader with the second reader on that document."""
        assert story["second"].agreement["pairs"] == 1

    def test_adjudicated_layer_stays_the_ground_truth(self, story):
        """As the README says: the ground-truth annotation is adjudicated, not the newer one."""
        tables = story["after_second"]
        gold = {
            r["annotation_id"]
            for r in tables["annotations"].to_pylist()
            if r["doc_id"] == story["doc_id"] and r["ground_truth"]
        }
        adjudicated = {
            r["annotation_id"]
            for r in tables["spans"].to_pylist()
            if r["doc_id"] == story["doc_id"] and r["layer"] == "adjudicated"
        }
        assert len(gold) == 1 and adjudicated == gold

    def test_region_across_a_sentence_break_is_reported_at_pull(self, story):
        """The pull names the task, the region id and the text of the rule-breaking region."""
        breaks = [p for p in story["second"].rule_breaks if p.rule == "span_in_one_sentence"]
        (across,) = [p for p in breaks if p.region_id == "across"]
        assert across.doc_id == story["doc_id"] and isinstance(across.task_id, int)
        assert f"fix in Label Studio: {across}" in story["second"].describe()
        assert "crosses the sentence break" in across.detail


class TestDeletedOnTheServer:
    def test_a_deleted_annotation_stays_and_is_reported(self, story):
        """After deletion on the server the pull says so, and the corpus still has it."""
        (gone,) = story["kept"].changes.gone
        assert "no longer on the server" in story["kept"].describe()
        names = set(story["after_delete"]["annotations"]["annotation_id"].to_pylist())
        assert gone.identity in names

    def test_remove_missing_removes_it_and_says_so(self, story):
        """--remove-missing takes it out of the corpus and lists it; the snapshots remain."""
        (gone,) = story["removed"].changes.gone
        assert f"removed from the corpus: {gone.identity}" in story["removed"].describe()
        names = set(story["after_remove"]["annotations"]["annotation_id"].to_pylist())
        assert gone.identity not in names and len(names) == 5
        assert (story["folder"] / annotate.project_slug(PROJECT) / "removed.json").exists()
