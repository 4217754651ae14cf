"""How a push imports predictions, against a real Label Studio server.

A push sends each new task with its prediction inline, in batches, and gives a task that was
there before a prediction under the push's model_version only when it has none (Label Studio's
Data Manager filter, or, when another version contains this one as a substring, the versions
compared exactly). Checked here: every task ends with exactly one prediction under the
project's model_version, and a repeated push creates no task and no prediction.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pytest

from summit_corpus import annotate
from summit_corpus.core import tables

pytestmark = pytest.mark.studio

PROJECT = "push imports predictions"
CONFIG = """<View>
  <Labels name="label" toName="text"><Label value="PERSON"/></Labels>
  <Text name="text" value="$text"/>
</View>"""
IDS = [f"doc_{i:02d}" for i in range(25)]
BATCH = 7  # several import batches, and several prediction batches
# B is a substring of A (the filter alone would take A for B), C is neither's.
A, B, C = "summit/scheme-1/spacy/ner-extra", "summit/scheme-1/spacy/ner", "summit/scheme-1/other"


def _text(doc_id: str) -> str:
    return f"In {doc_id}, Putin met Biden."


def _tasks(version: str) -> list[annotate.Task]:
    documents = pa.table(
        {
            "doc_id": IDS,
            "text": [_text(d) for d in IDS],
            "text_sha256": [annotate.text_sha256(_text(d)) for d in IDS],
            "source_file": [f"{d}.txt" for d in IDS],
        }
    )
    rows = []
    for doc_id in IDS:
        for name in ("Putin", "Biden"):
            start = _text(doc_id).index(name)
            rows.append(
                {
                    "doc_id": doc_id,
                    "span_id": f"ent-{start:04d}",
                    "start": start,
                    "end": start + len(name),
                    "text": name,
                    "label": "PERSON",
                    "layer": "prediction",
                    "source": "spacy",
                    "score": None,
                    "annotator": None,
                    "annotation_id": None,
                }
            )
    return annotate.to_tasks(documents, tables.SPANS.from_rows(rows), model_version=version)


def _push(client: Any, version: str) -> annotate.PushReport:
    return annotate.push(
        client,
        _tasks(version),
        project=PROJECT,
        label_config=CONFIG,
        scheme_version="1",
        batch_size=BATCH,
    )


def _predictions(client: Any, project_id: int) -> dict[int, Counter[str]]:
    """RETURNS (dict[int, Counter[str]]): task id -> how many predictions under each version."""
    found: dict[int, Counter[str]] = {}
    for p in client.predictions.list(project=project_id):
        found.setdefault(p.task, Counter())[p.model_version] += 1
    return found


@pytest.fixture(scope="module")
def pushes(studio_client: Any) -> dict[str, Any]:
    """Three documents imported bare first (a task without any prediction), then pushes under
    A, A, B, B, C, C; the predictions after each step."""
    client = studio_client
    project_id, _ = annotate.ensure_project(client, PROJECT, CONFIG, "1")
    bare = [t.to_json() for t in _tasks(A)[:3]]
    for task in bare:
        task.pop("predictions")
    client.projects.import_tasks(project_id, request=bare)
    steps: dict[str, Any] = {}
    for name, version in (("A", A), ("A again", A), ("B", B), ("B again", B), ("C", C)):
        report = _push(client, version)
        steps[name] = {
            "report": report,
            "predictions": _predictions(client, project_id),
            "project_version": client.projects.get(project_id).model_version,
        }
    steps["C again"] = {"report": _push(client, C)}
    steps["tasks"] = annotate.list_tasks(client, project_id)
    return steps


class TestFirstPush:
    def test_imports_every_new_task_and_fills_the_bare_ones(self, pushes):
        report = pushes["A"]["report"]
        assert (report.created, report.existing) == (len(IDS) - 3, 3)
        assert report.predictions_added == 3

    def test_every_task_has_one_prediction_under_the_projects_version(self, pushes):
        step = pushes["A"]
        assert step["project_version"] == A
        assert len(step["predictions"]) == len(IDS)
        assert all(c == Counter({A: 1}) for c in step["predictions"].values())

    def test_one_task_per_document(self, pushes):
        assert sorted(t["doc_id"] for t in pushes["tasks"]) == IDS


class TestRepeatedPush:
    @pytest.mark.parametrize("name", ["A again", "B again", "C again"])
    def test_adds_no_task_and_no_prediction(self, pushes, name):
        report = pushes[name]["report"]
        assert (report.created, report.predictions_added) == (0, 0)

    def test_leaves_the_predictions_as_they_were(self, pushes):
        assert pushes["A again"]["predictions"] == pushes["A"]["predictions"]
        assert pushes["B again"]["predictions"] == pushes["B"]["predictions"]


class TestNewModelVersion:
    @pytest.mark.parametrize(("name", "before"), [("B", {A: 1}), ("C", {A: 1, B: 1})])
    def test_every_task_gets_one_prediction_under_it(self, pushes, name, before):
        """B is a substring of A: the versions are compared exactly, not by the filter."""
        version = {"B": B, "C": C}[name]
        step = pushes[name]
        assert step["report"].predictions_added == len(IDS)
        assert step["project_version"] == version
        assert all(c == Counter({**before, version: 1}) for c in step["predictions"].values())
