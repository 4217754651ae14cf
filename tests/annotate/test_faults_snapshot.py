"""Snapshot faults: nothing in a snapshot disappears without a message, malformed shapes are
messages, and annotations that would be lost stop the build unless the user says so."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from summit_corpus.annotate import annotation_name, convert_snapshots, from_export
from summit_corpus.build import ingest
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core.errors import BuildError

REPO = Path(__file__).resolve().parents[2]
SEED = sorted((REPO / "seeds").iterdir())[0]
DOC = ingest.clean(ingest.RawArticle(path=SEED, source_file=SEED.name, data=SEED.read_bytes()))
SHA = hashlib.sha256(DOC.text.encode()).hexdigest()
WORD_END = DOC.text.index(" ")


def region(
    rid: str, start: int, end: int, label: str = "PERSON", text: str | None = None
) -> dict[str, Any]:
    return {
        "id": rid,
        "type": "labels",
        "from_name": "label",
        "to_name": "text",
        "value": {
            "start": start,
            "end": end,
            "text": DOC.text[start:end] if text is None else text,
            "labels": [label],
        },
    }


def task(
    *results: Any, task_id: int = 1, ann_id: int = 10, doc_id: str = DOC.doc_id, **annotation: Any
) -> dict[str, Any]:
    return {
        "id": task_id,
        "data": {"doc_id": doc_id, "text": DOC.text, "text_sha256": SHA, "source_file": SEED.name},
        "annotations": [{"id": ann_id, "result": list(results), "completed_by": 1, **annotation}],
    }


def name_of(made: dict[str, Any], index: int = 0) -> str:
    """The corpus's (server-independent) name of a task's annotation, as problems show it."""
    return annotation_name(made["data"]["doc_id"], made["annotations"][index])


def snapshot(folder: Path, tasks: list[Any], name: str = "20260101T000000Z.json") -> Path:
    path = folder / "annotations" / "project" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks))
    return path


def seeds(folder: Path) -> Path:
    (folder / "seeds").mkdir(parents=True)
    shutil.copy(SEED, folder / "seeds")
    return folder / "seeds"


def problems(tasks: list[Any]) -> dict[str, str]:
    """RETURNS: rule -> message of each problem of converting `tasks`."""
    return {p.rule: str(p) for p in from_export(tasks, {DOC.doc_id: DOC.text}).problems}


class TestDemotedResultsAreNamed:
    @pytest.mark.parametrize(
        ("item", "rule"),
        [
            (region("r1", 5, 10_000), "region_text_matches"),  # offsets past the text's end
            (region("r1", 9, 3), "region_text_matches"),  # start > end
            (region("r1", 0, WORD_END, text="<b>x</b>"), "region_text_matches"),  # HTML text
            (
                {
                    "id": "rel",
                    "type": "relation",
                    "from_id": "r1",
                    "to_id": "gone",
                    "labels": ["X"],
                },
                "relation_endpoints",
            ),  # a relation to a region that does not exist
            ({"id": "r9", "type": "rating", "value": {"rating": 3}}, "result_type"),  # unknown
        ],
    )
    def test_problem_names_task_annotation_and_region(
        self, item: dict[str, Any], rule: str
    ) -> None:
        """A result kept only as a note is a problem naming task, annotation and region."""
        found = problems([task(region("r1", 0, WORD_END), item)])
        assert rule in found
        ann = name_of(task())
        assert found[rule].startswith(f"task 1 annotation {ann} region {item['id']} ")

    def test_result_that_is_an_object_is_kept_as_a_note(self) -> None:
        """A `result` that is a dict is a note and a 'result_format' problem, not dropped."""
        converted = from_export([task()], {DOC.doc_id: DOC.text})
        converted = from_export(
            [{**task(), "annotations": [{"id": 10, "result": {"type": "labels"}}]}],
            {DOC.doc_id: DOC.text},
        )
        assert [p.rule for p in converted.problems] == ["result_format"]
        assert converted.tables["annotation_notes"].num_rows == 1


class TestMalformedShapes:
    @pytest.mark.parametrize(
        ("tasks", "rule"),
        [
            ([{**task(), "annotations": ["oops"]}], "annotation_format"),  # a string annotation
            ([task(updated_at="yesterday")], "timestamp_format"),  # not an ISO time
            ([task(created_at=20260101)], "timestamp_format"),  # a number for a time
            ([{**task(), "annotations": [{"id": 10, "result": 7}]}], "result_format"),  # an int
            ([{**task(), "annotations": {"id": 10}}], "annotations_format"),  # not a list
            (["not a task", task()], "task_format"),  # a string where a task belongs
        ],
    )
    def test_shape_is_a_problem_not_a_traceback(self, tasks: list[Any], rule: str) -> None:
        """Shapes that used to crash the conversion are problems with a message."""
        found = problems(tasks)
        assert rule in found, found


class TestBuild:
    def test_task_of_a_missing_document_stops_the_build(self, tmp_path: Path) -> None:
        """Annotations whose document is gone would be lost: the build refuses, naming the
        snapshot file and task, and goes on with --allow-annotation-loss, listing them."""
        path = snapshot(tmp_path, [task(region("r1", 0, WORD_END), task_id=7, doc_id="gone")])
        with pytest.raises(BuildError) as caught:
            build_corpus(
                seeds(tmp_path), tmp_path / "corpus", annotations=path.parents[1], progress=False
            )
        (line,) = caught.value.problems
        assert line.startswith(
            f"{path}: task 7 annotation None region None (doc gone): rule 'document_exists'"
        )
        summary = build_corpus(
            tmp_path / "seeds",
            tmp_path / "corpus",
            annotations=path.parents[1],
            progress=False,
            allow_annotation_loss=True,
        )
        assert any("rule 'document_exists'" in line for line in summary.annotation_problems)
        assert "rule 'document_exists'" in str(summary)

    def test_demoted_region_is_printed_by_the_build(self, tmp_path: Path) -> None:
        """A region that does not fit is in the build summary with file, task, annotation and
        region (and in annotation_notes)."""
        path = snapshot(tmp_path, [task(region("r1", 0, WORD_END), region("r2", 9, 3))])
        summary = build_corpus(
            seeds(tmp_path), tmp_path / "corpus", annotations=path.parents[1], progress=False
        )
        (line,) = summary.annotation_problems
        ann = name_of(task())
        assert line.startswith(f"annotations: {path}: task 1 annotation {ann} region r2 ")
        assert summary.rows["annotation_notes"] == 1

    def test_misnamed_snapshot_stops_the_build(self, tmp_path: Path) -> None:
        """A JSON file named unlike a snapshot would be ignored: the build names it."""
        snapshot(tmp_path, [task(region("r1", 0, WORD_END))])
        other = snapshot(tmp_path, [task(region("r1", 0, WORD_END))], name="export (1).json")
        with pytest.raises(BuildError) as caught:
            build_corpus(
                seeds(tmp_path), tmp_path / "corpus", annotations=other.parents[1], progress=False
            )
        (line,) = caught.value.problems
        assert str(other) in line and "rule 'snapshot_name'" in line

    def test_label_outside_the_scheme_names_the_snapshot(self, tmp_path: Path) -> None:
        """A label the scheme does not have is refused naming snapshot, task, annotation and
        region, not a corpus row."""
        path = snapshot(
            tmp_path, [task(region("r1", 0, WORD_END, label="WIZARD"), task_id=3, ann_id=30)]
        )
        with pytest.raises(BuildError) as caught:
            build_corpus(
                seeds(tmp_path), tmp_path / "corpus", annotations=path.parents[1], progress=False
            )
        (line,) = caught.value.problems
        ann = name_of(task(task_id=3, ann_id=30))
        assert line.startswith(f"{path}: task 3 annotation {ann} region r1 ")
        assert "rule 'label_in_scheme'" in line and "'WIZARD'" in line

    def test_problems_name_their_snapshot(self, tmp_path: Path) -> None:
        """convert_snapshots names the snapshot file of each problem."""
        path = snapshot(tmp_path, [task(region("r1", 9, 3))])
        (problem,) = convert_snapshots(path.parents[1], {DOC.doc_id: DOC.text}).problems
        assert problem.snapshot == str(path)
