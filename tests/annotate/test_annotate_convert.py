"""Offline tests of the Label Studio conversion: tasks out, export back to corpus tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from summit_corpus import annotate
from summit_corpus.annotate.identity import pseudonym_email
from summit_corpus.annotate.tasks import human_annotations
from summit_corpus.core import tables
from summit_corpus.core.errors import AnnotateError

TEXT = 'Putin 😀 met Xi\r\nin Beijing.\tTalks  on Dec.2 & 3 <b>, "Fine," he said.'
DOC = "d1"


def _sha(text: str) -> str:
    return annotate.text_sha256(text)


def _documents(text: str = TEXT, doc_id: str = DOC) -> pa.Table:
    return pa.table(
        {
            "doc_id": [doc_id],
            "text": [text],
            "text_sha256": [_sha(text)],
            "source_file": [f"{doc_id}.txt"],
        }
    )


def _region(rid: str, start: int, end: int, label: str, text: str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"start": start, "end": end, "labels": [label]}
    value["text"] = TEXT[start:end] if text is None else text
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def _annotation(ann_id: int, result: list[Any], **extra: Any) -> dict[str, Any]:
    base = {
        "id": ann_id,
        "completed_by": {"id": 1, "email": "annotator-x", "first_name": "", "last_name": ""},
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "lead_time": 3.5,
        # one annotation per second: the creation time is part of its name
        "created_at": f"2026-01-01T10:00:{ann_id % 60:02d}.123Z",
        "updated_at": "2026-01-01T10:05:00.456Z",
    }
    base.update(extra)
    return base


def _name(ann_id: int) -> str:
    """The server-independent name the converter gives `_annotation(ann_id, ...)`."""
    return annotate.annotation_name(DOC, _annotation(ann_id, []))


def _task(annotations: list[Any], text: str = TEXT, task_id: int = 1) -> dict[str, Any]:
    data = {"text": text, "doc_id": DOC, "text_sha256": _sha(text), "source_file": "d1.txt"}
    return {"id": task_id, "data": data, "annotations": annotations}


PUTIN = (0, 5)
EMOJI_XI = (TEXT.index("Xi"), TEXT.index("Xi") + 2)
BEIJING = (TEXT.index("Xi"), TEXT.index("Beijing") + 7)
QUOTE = (TEXT.index("Fine,"), TEXT.index("Fine,") + 5)


def _full_annotation(ann_id: int = 7) -> dict[str, Any]:
    return _annotation(
        ann_id,
        [
            _region("r1", *PUTIN, "PERSON"),
            _region("r2", *BEIJING, "GPE", text="Xi\\nin Beijing"),
            _region("r3", *QUOTE, "QUOTE"),
            {
                "from_id": "r3",
                "to_id": "r1",
                "type": "relation",
                "direction": "right",
                "labels": ["speaker"],
            },
            {
                "id": "c1",
                "from_name": "summit_status",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["held"]},
            },
            {
                "id": "c2",
                "from_name": "topics",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["sanctions", "human rights"]},
            },
            {
                "id": "n1",
                "from_name": "note",
                "to_name": "text",
                "type": "textarea",
                "value": {"text": ["check the date", "second line"]},
            },
            {
                "id": "x1",
                "from_name": "rating",
                "to_name": "text",
                "type": "rating",
                "value": {"rating": 4},
            },
        ],
    )


class TestResolveOffsets:
    @pytest.mark.parametrize(
        ("start", "end", "region_text", "expected"),
        [
            # plain code-point offsets, as Label Studio 1.23.2's frontend writes them
            (0, 5, "Putin", (0, 5, "codepoint")),
            # after the emoji: still code points (the emoji counts one)
            (*EMOJI_XI, "Xi", (*EMOJI_XI, "codepoint")),
            # CRLF inside the region: the browser's text has a literal backslash-n
            (*BEIJING, "Xi\\nin Beijing", (*BEIJING, "codepoint")),
            # runs of whitespace collapse in the browser selection
            (
                TEXT.index("Talks"),
                TEXT.index("Dec."),
                "Talks on ",
                (TEXT.index("Talks"), TEXT.index("Dec."), "codepoint"),
            ),
            # older exports: UTF-16 offsets, the emoji counts two
            (EMOJI_XI[0] + 1, EMOJI_XI[1] + 1, "Xi", (*EMOJI_XI, "utf16")),
            # region text that is nowhere near the offsets
            (0, 5, "Biden", None),
            # empty and out-of-range regions
            (3, 3, None, None),
            (0, 10_000, None, None),
        ],
    )
    def test_places_region_or_refuses(self, start, end, region_text, expected):
        """A region is placed by code points, else by converted UTF-16 offsets, else refused."""
        assert annotate.resolve_offsets(TEXT, start, end, region_text) == expected

    def test_double_space_region_text_matches_collapsed_selection(self):
        """'Talks  on' in the text matches a selection that collapsed the double space."""
        start = TEXT.index("Talks")
        end = start + len("Talks  on")
        assert annotate.resolve_offsets(TEXT, start, end, "Talks on")[:2] == (start, end)


class TestFromExport:
    def test_every_result_lands_in_a_table(self):
        """Counting result items in the export and rows in the tables gives the same numbers."""
        export = [_task([_full_annotation()])]
        counts = annotate.count_results(export)
        out = annotate.from_export(export, _documents()).tables
        human = {
            name: [r for r in out[name].to_pylist() if r.get("layer", "human") == "human"]
            for name in out
        }
        notes = human["annotation_notes"]
        assert len(human["spans"]) == counts["label_values"] == 3
        assert len(human["relations"]) == counts["relation"] == 1
        assert len(human["document_labels"]) == counts["choice_values"] == 3
        assert [n["kind"] for n in notes] == ["note", "unmapped"]
        assert sum(counts[k] for k in ("labels", "relation", "choices", "textarea", "rating")) == 8

    def test_span_text_is_the_document_slice(self):
        """A span's text comes from the document (with its CRLF), not from the browser's text."""
        out = annotate.from_export([_task([_full_annotation()])], _documents()).tables
        spans = {r["span_id"]: r for r in out["spans"].to_pylist()}
        beijing = spans[f"{_name(7)}-r2"]
        assert beijing["text"] == "Xi\r\nin Beijing"
        assert (beijing["start"], beijing["end"]) == BEIJING
        assert all(TEXT[r["start"] : r["end"]] == r["text"] for r in spans.values())

    def test_relation_endpoints_are_span_ids(self):
        """A relation's from_id/to_id become the span ids of its regions."""
        out = annotate.from_export([_task([_full_annotation()])], _documents()).tables
        rel = [r for r in out["relations"].to_pylist() if r["layer"] == "human"][0]
        assert (rel["head_span_id"], rel["tail_span_id"], rel["label"]) == (
            f"{_name(7)}-r3",
            f"{_name(7)}-r1",
            "speaker",
        )

    def test_left_relation_is_turned_around(self):
        """A relation drawn right-to-left ('left') gets head and tail swapped."""
        ann = _annotation(
            3,
            [
                _region("a", *PUTIN, "PERSON"),
                _region("b", *QUOTE, "QUOTE"),
                {
                    "from_id": "a",
                    "to_id": "b",
                    "type": "relation",
                    "direction": "left",
                    "labels": ["speaker"],
                },
            ],
        )
        out = annotate.from_export([_task([ann])], _documents()).tables
        (rel,) = [r for r in out["relations"].to_pylist() if r["layer"] == "human"]
        assert (rel["head_span_id"], rel["tail_span_id"]) == (f"{_name(3)}-b", f"{_name(3)}-a")

    def test_note_keeps_every_line_and_raw_json(self):
        """A free-text note is kept with all its lines and the raw result."""
        out = annotate.from_export([_task([_full_annotation()])], _documents()).tables
        note = out["annotation_notes"].to_pylist()[0]
        assert note["text"] == "check the date\nsecond line"
        assert json.loads(note["raw_json"])["value"]["text"] == ["check the date", "second line"]

    def test_mismatched_region_is_reported_and_kept(self):
        """A region that does not fit the text is a problem with ids, and a 'mismatch' note."""
        ann = _annotation(
            5, [_region("bad", 0, 5, "PERSON", text="Biden"), _region("ok", *PUTIN, "PERSON")]
        )
        conv = annotate.from_export([_task([ann])], _documents())
        assert [(p.task_id, p.annotation_id, p.region_id, p.rule) for p in conv.problems] == [
            (1, _name(5), "bad", "region_text_matches")
        ]
        notes = conv.tables["annotation_notes"].to_pylist()
        assert [(n["kind"], n["result_index"]) for n in notes] == [("mismatch", 0)]
        assert [
            r["span_id"] for r in conv.tables["spans"].to_pylist() if r["layer"] == "human"
        ] == [f"{_name(5)}-ok"]

    def test_utf16_offsets_are_converted_and_counted(self):
        """An old export's UTF-16 region after an emoji lands on the right code points."""
        ann = _annotation(4, [_region("x", EMOJI_XI[0] + 1, EMOJI_XI[1] + 1, "PERSON", "Xi")])
        conv = annotate.from_export([_task([ann])], _documents())
        span = conv.tables["spans"].to_pylist()[0]
        assert (span["start"], span["end"], span["text"], conv.utf16_regions) == (
            *EMOJI_XI,
            "Xi",
            1,
        )

    def test_skipped_annotation_is_kept_with_its_flags(self):
        """A skipped annotation has its own row with was_cancelled, lead time and UTC times."""
        conv = annotate.from_export(
            [_task([_annotation(9, [], was_cancelled=True, lead_time=None)])], _documents()
        )
        row = conv.tables["annotations"].to_pylist()[0]
        assert row["was_cancelled"] is True and row["lead_time"] is None
        assert row["annotator"] == "annotator-x"
        assert row["created_at"].isoformat() == "2026-01-01T10:00:09+00:00"

    def test_changed_text_makes_the_task_stale(self):
        """Annotations of a task made from an older text are stale: kept as notes, no spans."""
        old = TEXT.replace("Putin", "Poutine")
        conv = annotate.from_export(
            [_task([_annotation(2, [_region("r", 0, 7, "PERSON", "Poutine")])], text=old)],
            _documents(),
        )
        assert conv.tables["spans"].num_rows == 0
        assert conv.tables["annotations"].to_pylist()[0]["stale"] is True
        assert conv.tables["annotation_notes"].to_pylist()[0]["kind"] == "stale"
        assert [p.rule for p in conv.problems] == ["task_current"]

    def test_unknown_document_is_reported(self):
        """A task whose doc_id is not in the corpus is reported, not converted."""
        conv = annotate.from_export([_task([_full_annotation()])], _documents(doc_id="other"))
        assert conv.tables["annotations"].num_rows == 0
        assert [p.rule for p in conv.problems] == ["document_exists"]

    def test_ground_truth_annotation_is_adjudicated(self):
        """The adjudicated layer copies the ground-truth annotation, even if older."""
        first = _annotation(1, [_region("r", *PUTIN, "PERSON")], ground_truth=True)
        second = _annotation(2, [_region("r", *PUTIN, "ORG")], updated_at="2026-02-01T00:00:00Z")
        out = annotate.from_export([_task([first, second])], _documents()).tables
        adj = [r for r in out["spans"].to_pylist() if r["layer"] == "adjudicated"]
        assert [(r["span_id"], r["label"], r["annotation_id"]) for r in adj] == [
            (f"adj-{_name(1)}-r", "PERSON", _name(1))
        ]

    def test_latest_annotation_is_adjudicated_without_ground_truth(self):
        """Without ground truth, the most recently updated, not skipped annotation is taken."""
        first = _annotation(1, [_region("r", *PUTIN, "PERSON")])
        second = _annotation(2, [_region("r", *PUTIN, "ORG")], updated_at="2026-02-01T00:00:00Z")
        skipped = _annotation(3, [], was_cancelled=True, updated_at="2026-03-01T00:00:00Z")
        out = annotate.from_export([_task([first, second, skipped])], _documents()).tables
        adj = [r for r in out["spans"].to_pylist() if r["layer"] == "adjudicated"]
        assert [r["label"] for r in adj] == ["ORG"]

    def test_tables_match_their_definitions(self):
        """Every converted table has exactly the schema tables.py defines."""
        out = annotate.from_export([_task([_full_annotation()])], _documents()).tables
        for name, table in out.items():
            assert table.schema == tables.table(name).schema, name

    def test_span_ids_unique_per_document(self):
        """Span ids never repeat within a document across annotations and layers."""
        export = [_task([_full_annotation(1), _full_annotation(2)])]
        spans = annotate.from_export(export, _documents()).tables["spans"].to_pylist()
        ids = [r["span_id"] for r in spans]
        assert len(ids) == len(set(ids))


class TestToTasks:
    def test_prediction_result_ids_are_span_ids(self):
        """The model layer becomes one prediction whose region ids are the spans' span_ids."""
        spans = tables.SPANS.from_rows(
            [
                {
                    "doc_id": DOC,
                    "span_id": "ent-1",
                    "start": 0,
                    "end": 5,
                    "text": "Putin",
                    "label": "PERSON",
                    "layer": "prediction",
                    "source": "spacy",
                    "score": None,
                    "annotator": None,
                    "annotation_id": None,
                },
                {
                    "doc_id": DOC,
                    "span_id": "h-1",
                    "start": 0,
                    "end": 5,
                    "text": "Putin",
                    "label": "ORG",
                    "layer": "human",
                    "source": "label-studio",
                    "score": None,
                    "annotator": "a",
                    "annotation_id": "1",
                },
            ]
        )
        (task,) = annotate.to_tasks(_documents(), spans)
        payload = task.to_json()
        assert payload["data"]["text"] == TEXT
        assert payload["data"]["text_sha256"] == _sha(TEXT)
        (prediction,) = payload["predictions"]
        assert prediction["model_version"] == "spacy"
        assert [r["id"] for r in prediction["result"]] == ["ent-1"]


class TestHumanAnnotations:
    @staticmethod
    def _span(annotation_id: str) -> dict[str, Any]:
        return {
            "doc_id": DOC,
            "span_id": f"{annotation_id}-r1",
            "start": 0,
            "end": 5,
            "text": "Putin",
            "label": "PERSON",
            "layer": "human",
            "annotation_id": annotation_id,
        }

    def test_each_annotation_goes_to_its_task_with_its_annotator(self):
        """A human annotation becomes one annotation of its document's task: its regions named
        as in Label Studio, its annotator as the pseudonym's e-mail; a stale one stays out."""
        (task,) = annotate.to_tasks(_documents(), tables.SPANS.from_rows([]))
        human = {
            "spans": [self._span("a1"), self._span("a2")],
            "annotations": [
                {"doc_id": DOC, "annotation_id": "a1", "annotator": "ann-1", "lead_time": 2.5},
                {"doc_id": DOC, "annotation_id": "a2", "annotator": "ann-2", "stale": True},
            ],
        }
        found = human_annotations([task], {task.key: 11}, human)
        ((annotation, email),) = found[11]
        assert email == pseudonym_email("ann-1")
        assert [r["id"] for r in annotation["result"]] == ["r1"]
        assert (annotation["was_cancelled"], annotation["lead_time"]) == (False, 2.5)
        assert list(found) == [11]


class TestPseudonymise:
    def test_replaces_emails_and_names_but_not_results(self):
        """User e-mails become keyed pseudonyms and names are blanked; results are untouched."""
        typed = {"id": "n", "type": "textarea", "value": {"text": ["mail me: a@b.org"]}}
        export = [
            {
                "annotations": [
                    {
                        "completed_by": {
                            "id": 3,
                            "email": "Ann@Example.org",
                            "first_name": "Ann",
                            "last_name": "X",
                        },
                        "result": [typed],
                    }
                ],
                "predictions": [{"created_ago": "2 minutes", "result": []}],
            }
        ]
        out = annotate.pseudonymise(export, "k")
        user = out[0]["annotations"][0]["completed_by"]
        assert user == {
            "id": 3,
            "email": annotate.pseudonym("ann@example.org", "k"),
            "first_name": "",
            "last_name": "",
        }
        assert out[0]["annotations"][0]["result"] == [typed]
        assert "created_ago" not in out[0]["predictions"][0]
        assert "Ann@Example.org" not in json.dumps(out)

    def test_pseudonym_is_stable_and_keyed(self):
        """The same e-mail and key give the same pseudonym; another key gives another."""
        a = annotate.pseudonym("x@y.org", "k1")
        assert a == annotate.pseudonym(" X@Y.org ", "k1") != annotate.pseudonym("x@y.org", "k2")


class TestReadSnapshots:
    def _write(self, folder: Path, name: str, export: list[Any]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(annotate.snapshot_bytes(export))

    def test_reads_latest_snapshot_per_project(self, tmp_path: Path):
        """Only the newest dated snapshot of a project folder is read."""
        old = [_task([_annotation(1, [_region("r", *PUTIN, "ORG")])])]
        new = [_task([_annotation(1, [_region("r", *PUTIN, "PERSON")])])]
        self._write(tmp_path / "p", "20260101T000000Z.json", old)
        self._write(tmp_path / "p", "20260102T000000Z.json", new)
        (tmp_path / "p" / "agreement.json").write_text("{}")
        out = annotate.read_snapshots(tmp_path, _documents())
        assert [r["label"] for r in out["spans"].to_pylist() if r["layer"] == "human"] == ["PERSON"]

    def test_is_deterministic(self, tmp_path: Path):
        """Two reads of the same snapshots give equal tables."""
        self._write(tmp_path / "p", "20260101T000000Z.json", [_task([_full_annotation()])])
        a = annotate.read_snapshots(tmp_path, _documents())
        b = annotate.read_snapshots(tmp_path, _documents())
        assert all(a[k].equals(b[k]) for k in a)

    def test_rejects_a_snapshot_that_is_not_an_export(self, tmp_path: Path):
        """A snapshot that is not a list of tasks fails with rule 'snapshot_format'."""
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "20260101T000000Z.json").write_text('{"tasks": []}')
        with pytest.raises(AnnotateError) as info:
            annotate.read_snapshots(tmp_path, _documents())
        assert info.value.rule == "snapshot_format"
        assert "20260101T000000Z.json" in str(info.value)


class TestAgreement:
    def test_identical_annotators_agree_fully(self):
        """Two annotators with the same spans and choices get F1 1 and alpha 1."""
        one = _full_annotation(1)
        two = _full_annotation(2)
        two["completed_by"] = {"id": 2, "email": "annotator-y"}
        other = dict(_full_annotation(3), completed_by={"id": 3, "email": "annotator-z"})
        other["result"] = [r for r in other["result"] if r.get("from_name") != "summit_status"]
        other["result"].append(
            {
                "id": "c1",
                "from_name": "summit_status",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["proposed"]},
            }
        )
        same = annotate.agreement(annotate.from_export([_task([one, two])], _documents()).tables)
        assert same["pairs"] == 1
        assert all(s["f1"] == 1.0 for s in same["spans"].values())
        assert same["document_labels"]["summit_status"] == 1.0
        task_two = _task([dict(one, id=4), other], task_id=2)
        mixed = annotate.agreement(annotate.from_export([task_two], _documents()).tables)
        assert mixed["document_labels"]["summit_status"] < 1.0
