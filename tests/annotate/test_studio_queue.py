"""Label Studio's labeling queue ("Label All Tasks") shows every task's predictions.

The queue shows only predictions whose model_version is the project's. Against a real server:
two pushes with different model layers, then the queue walked task by task (each task skipped
after it is looked at), as an annotator would meet them.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pyarrow as pa
import pytest

from studio_fixtures import StudioServer
from summit_corpus import annotate
from summit_corpus.annotate.tasks import model_version
from summit_corpus.core import tables

pytestmark = pytest.mark.studio

PROJECT = "queue shows predictions"
TEXTS = {
    "doc_a": "Putin and Biden held talks on sanctions.",
    "doc_b": "Biden called Putin on Tuesday.",
    "doc_c": "The Kremlin said a summit is possible.",
}
CONFIG = """<View>
  <Labels name="label" toName="text"><Label value="PERSON"/><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/>
  <Choices name="topics" toName="text" choice="multiple"><Choice value="sanctions"/></Choices>
</View>"""


def _documents(ids: list[str]) -> pa.Table:
    return pa.table(
        {
            "doc_id": ids,
            "text": [TEXTS[d] for d in ids],
            "text_sha256": [annotate.text_sha256(TEXTS[d]) for d in ids],
            "source_file": [f"{d}.txt" for d in ids],
        }
    )


def _spans(ids: list[str], source: str) -> pa.Table:
    rows = []
    for doc_id in ids:
        for name in ("Putin", "Biden", "Kremlin"):
            start = TEXTS[doc_id].find(name)
            if start < 0:
                continue
            rows.append(
                {
                    "doc_id": doc_id,
                    "span_id": f"ent-{start:04d}",
                    "start": start,
                    "end": start + len(name),
                    "text": name,
                    "label": "ORG" if name == "Kremlin" else "PERSON",
                    "layer": "prediction",
                    "source": source,
                    "score": None,
                    "annotator": None,
                    "annotation_id": None,
                }
            )
    return tables.SPANS.from_rows(rows)


def _topics() -> pa.Table:
    # Only doc_a has a topic: its rows have a source the other documents lack.
    row = {
        "doc_id": "doc_a",
        "name": "topics",
        "value": "sanctions",
        "layer": "prediction",
        "source": "rule/topics.v1",
        "score": None,
        "annotator": None,
        "annotation_id": None,
    }
    return tables.DOCUMENT_LABELS.from_rows([row])


def _tasks(ids: list[str], spacy: str, scheme_version: str) -> list[annotate.Task]:
    version = model_version(scheme_version, [spacy, "rule/topics.v1"])
    return annotate.to_tasks(
        _documents(ids), _spans(ids, spacy), None, _topics(), model_version=version
    )


def _get(studio: StudioServer, path: str) -> Any:
    request = urllib.request.Request(
        f"{studio.url}{path}", headers={"Authorization": f"Token {studio.api_key}"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def queue(studio: StudioServer, studio_client: Any) -> dict[str, Any]:
    """Push two documents, then all three under a newer model layer, then walk the queue."""
    first_tasks = _tasks(["doc_a", "doc_b"], "spacy/model-1.0/ner", "1.0.0")
    first = annotate.push(
        studio_client, first_tasks, project=PROJECT, label_config=CONFIG, scheme_version="1.0.0"
    )
    second_tasks = _tasks(["doc_a", "doc_b", "doc_c"], "spacy/model-2.0/ner", "1.0.0")
    second = annotate.push(
        studio_client, second_tasks, project=PROJECT, label_config=CONFIG, scheme_version="1.0.0"
    )
    again = annotate.push(
        studio_client, second_tasks, project=PROJECT, label_config=CONFIG, scheme_version="1.0.0"
    )
    project = studio_client.projects.get(second.project_id)
    walked = []
    for _ in TEXTS:
        task = _get(studio, f"/api/projects/{second.project_id}/next")
        walked.append(task)
        studio_client.annotations.create(task["id"], result=[], was_cancelled=True)
    return {
        "first": first,
        "second": second,
        "again": again,
        "first_tasks": first_tasks,
        "second_tasks": second_tasks,
        "project": project,
        "walked": walked,
    }


class TestOneModelVersionPerPush:
    def test_every_task_of_a_push_has_the_same_model_version(self, queue):
        """A document without topic rows gets the same model_version as one with them."""
        versions = {t.model_version for t in queue["second_tasks"]}
        assert len(versions) == 1
        assert versions.pop().startswith("summit-corpus-")

    def test_model_version_names_scheme_and_rule_sets(self):
        """The version joins toolkit, scheme and every source, sorted and without repeats."""
        version = model_version("1.2.3", ["rule/b.v1", "rule/a.v1", "rule/b.v1"])
        assert version.endswith("/scheme-1.2.3/rule/a.v1+rule/b.v1")

    def test_the_project_takes_the_latest_push_version(self, queue):
        """After the second push the project's model_version is the second push's."""
        assert queue["project"].model_version == queue["second_tasks"][0].model_version
        assert queue["first"].model_version != queue["second"].model_version

    def test_earlier_tasks_get_the_new_prediction_once(self, queue):
        """The two tasks of the first push get the new model layer; a third push adds none."""
        assert queue["second"].predictions_added == 2
        assert queue["again"].predictions_added == 0


class TestLabelAllTasks:
    def test_the_queue_meets_every_task(self, queue):
        """Walking the queue (skipping each task) meets each document once."""
        assert sorted(t["data"]["doc_id"] for t in queue["walked"]) == sorted(TEXTS)

    def test_every_task_in_the_queue_shows_its_predictions(self, queue):
        """Each task the queue opens carries the current model layer as a prediction."""
        version = queue["second_tasks"][0].model_version
        expected = {t.doc_id: list(t.prediction) for t in queue["second_tasks"]}
        for task in queue["walked"]:
            shown = task["predictions"]
            assert [p["model_version"] for p in shown] == [version], task["data"]["doc_id"]
            regions = [r["value"]["start"] for r in shown[0]["result"] if r["type"] == "labels"]
            want = [
                r["value"]["start"]
                for r in expected[task["data"]["doc_id"]]
                if r["type"] == "labels"
            ]
            assert regions == want
