"""Offline tests of the append-only annotation history: names, versions, removals, rule checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from summit_corpus import annotate
from summit_corpus.annotate import history, identity

TEXT = "Putin met Biden in Geneva. The talks & sanctions were discussed."
DOC = "d1"
SHA = annotate.text_sha256(TEXT)


def _documents() -> pa.Table:
    return pa.table(
        {"doc_id": [DOC], "text": [TEXT], "text_sha256": [SHA], "source_file": ["d1.txt"]}
    )


def _region(rid: str, word: str, label: str, nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(word, start + 1)
    value = {"start": start, "end": start + len(word), "text": word, "labels": [label]}
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def _annotation(
    server_id: int,
    who: str,
    created: str,
    result: list[Any],
    updated: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": server_id,
        "completed_by": {"id": server_id, "email": who},
        "created_at": created,
        "updated_at": updated or created,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        **extra,
    }


def _task(task_id: int, *annotations: dict[str, Any]) -> dict[str, Any]:
    data = {"text": TEXT, "doc_id": DOC, "text_sha256": SHA, "source_file": "d1.txt"}
    return {"id": task_id, "data": data, "annotations": list(annotations)}


def _write(folder: Path, name: str, *tasks: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(annotate.snapshot_bytes(list(tasks)))


def _human(annotations_dir: Path) -> dict[str, pa.Table]:
    out = annotate.read_snapshots(annotations_dir, _documents())
    return {
        k: t.filter(pc.equal(t["layer"], "human")) if "layer" in t.column_names else t
        for k, t in out.items()
    }


ANN = _annotation(
    1, "annotator-aaaaaaaaaaaa", "2026-01-01T10:00:00.5Z", [_region("r1", "Putin", "PERSON")]
)


class TestIdentity:
    def test_name_ignores_the_servers_ids(self):
        """The same annotation under another server id and task id has the same name."""
        moved = dict(ANN, id=99, task=42)
        assert annotate.annotation_name(DOC, ANN) == annotate.annotation_name(DOC, moved)

    def test_name_ignores_how_the_time_is_written(self):
        """`Z` and `+00:00` spell the same creation time."""
        plus = dict(ANN, created_at="2026-01-01T10:00:00.500+00:00")
        assert annotate.annotation_name(DOC, ANN) == annotate.annotation_name(DOC, plus)

    def test_another_annotator_or_time_is_another_annotation(self):
        """Annotator and creation time are part of the name."""
        name = annotate.annotation_name(DOC, ANN)
        other = dict(ANN, completed_by={"email": "annotator-bbbbbbbbbbbb"})
        later = dict(ANN, created_at="2026-01-01T10:00:01.5Z")
        assert len({name, *(annotate.annotation_name(DOC, a) for a in (other, later))}) == 3

    def test_import_id_carries_the_name(self):
        """A pushed annotation (import_id) is named by it: the name survives a new server."""
        name = annotate.annotation_name(DOC, ANN)
        carried = identity.import_id(name)
        assert carried is not None and 0 < carried < 2**63
        copy = dict(ANN, id=1, created_at="2030-05-05T00:00:00Z", import_id=carried)
        assert annotate.annotation_name(DOC, copy) == name

    def test_pseudonym_accounts_map_back(self):
        """The account push makes for a pseudonym pseudonymises to that pseudonym."""
        email = identity.pseudonym_email("annotator-0123456789ab")
        export = [{"annotations": [{"completed_by": {"email": email}, "result": []}]}]
        out = annotate.pseudonymise(export, "key")
        assert out[0]["annotations"][0]["completed_by"]["email"] == "annotator-0123456789ab"


class TestHistory:
    def test_an_annotation_missing_from_the_newest_snapshot_stays(self, tmp_path: Path):
        """A pull that no longer has an annotation does not take it out of the corpus."""
        other = _annotation(
            2, "annotator-bbbbbbbbbbbb", "2026-01-02T00:00:00Z", [_region("r", "Biden", "PERSON")]
        )
        _write(tmp_path / "p", "20260101T000000Z.json", _task(1, ANN, other))
        _write(tmp_path / "p", "20260102T000000Z.json", _task(1, other))
        spans = _human(tmp_path)["spans"]
        assert sorted(spans["text"].to_pylist()) == ["Biden", "Putin"]

    def test_the_newest_version_wins(self, tmp_path: Path):
        """A correction (later updated_at) replaces the earlier version, in any folder."""
        fixed = dict(ANN, updated_at="2026-03-01T00:00:00Z", result=[_region("r1", "Putin", "ORG")])
        _write(tmp_path / "a", "20260301T000000Z.json", _task(1, fixed))
        _write(tmp_path / "b", "20260101T000000Z.json", _task(1, ANN))
        spans = _human(tmp_path)["spans"]
        assert spans["label"].to_pylist() == ["ORG"]

    def test_servers_numbering_from_one_do_not_collide(self, tmp_path: Path):
        """Annotation 1 of two servers is two annotations (no 'snapshot_format' error)."""
        fresh = _annotation(
            1, "annotator-cccccccccccc", "2026-05-01T00:00:00Z", [_region("r1", "Geneva", "GPE")]
        )
        _write(tmp_path / "laptop", "20260101T000000Z.json", _task(1, ANN))
        _write(tmp_path / "new-machine", "20260501T000000Z.json", _task(1, fresh))
        out = _human(tmp_path)
        assert out["annotations"].num_rows == 2
        assert sorted(out["spans"]["text"].to_pylist()) == ["Geneva", "Putin"]

    def test_a_pushed_copy_is_the_same_annotation(self, tmp_path: Path):
        """The copy a push made on a fresh server (import_id) is not a second annotation."""
        carried = identity.import_id(annotate.annotation_name(DOC, ANN))
        copy = dict(
            ANN,
            id=1,
            created_at="2026-06-01T00:00:00Z",
            updated_at="2026-06-01T00:00:00Z",
            import_id=carried,
        )
        _write(tmp_path / "old", "20260101T000000Z.json", _task(7, ANN))
        _write(tmp_path / "fresh", "20260601T000000Z.json", _task(1, copy))
        out = _human(tmp_path)
        assert out["annotations"].num_rows == 1
        assert out["annotations"]["annotation_id"].to_pylist() == [
            annotate.annotation_name(DOC, ANN)
        ]

    def test_compare_says_new_changed_and_gone(self, tmp_path: Path):
        """Against the history, an export has new, changed and no longer present annotations."""
        gone = _annotation(2, "annotator-bbbbbbbbbbbb", "2026-01-02T00:00:00Z", [])
        _write(tmp_path / "p", "20260101T000000Z.json", _task(1, ANN, gone))
        changed = dict(ANN, updated_at="2026-02-01T00:00:00Z", result=[])
        new = _annotation(3, "annotator-cccccccccccc", "2026-02-01T00:00:00Z", [])
        diff = history.compare(
            tmp_path, tmp_path / "p", [_task(1, changed, new)], "20260201T000000Z.json"
        )
        name = annotate.annotation_name
        assert [v.identity for v in diff.new] == [name(DOC, new)]
        assert [v.identity for v in diff.changed] == [name(DOC, ANN)]
        assert [v.identity for v in diff.gone] == [name(DOC, gone)]
        assert diff.lines()[0] == "annotations: 1 new, 1 changed, 1 no longer on the server."
        assert "--remove-missing" in diff.lines()[-1]

    def test_removal_is_explicit_and_a_later_version_returns(self, tmp_path: Path):
        """A recorded removal takes the annotation out; a version pulled later brings it back."""
        _write(tmp_path / "p", "20260101T000000Z.json", _task(1, ANN))
        _write(tmp_path / "p", "20260102T000000Z.json", _task(1))
        diff = history.compare(tmp_path, tmp_path / "p", [_task(1)], "20260102T000000Z.json")
        history.record_removals(tmp_path / "p", diff.gone, "20260102T000000Z.json")
        assert _human(tmp_path)["annotations"].num_rows == 0
        assert (tmp_path / "p" / history.REMOVED_FILE).exists()
        again = dict(ANN, updated_at="2026-01-03T00:00:00Z")
        _write(tmp_path / "p", "20260103T000000Z.json", _task(1, again))
        assert _human(tmp_path)["annotations"].num_rows == 1


def _units(rows: list[tuple[int, int]]) -> pa.Table:
    """Sentences or tokens of the document: only what the rule check reads."""
    return pa.table(
        {"doc_id": [DOC] * len(rows), "start": [s for s, _ in rows], "end": [e for _, e in rows]}
    )


class TestRuleBreaks:
    @pytest.fixture()
    def units(self) -> tuple[pa.Table, pa.Table]:
        sentence_break = TEXT.index("The")
        sentences = _units([(0, sentence_break - 1), (sentence_break, len(TEXT))])
        words = [
            (m, m + len(w))
            for w, m in ((w, TEXT.index(w)) for w in ("Putin", "met", "Biden", "Geneva", "talks"))
        ]
        return sentences, _units(words)

    def test_a_span_across_a_sentence_break_is_named(self, units):
        """A region dragged over the sentence break is reported with task, region and text."""
        start, end = TEXT.index("Geneva"), TEXT.index("talks") + 5
        region = {
            "id": "x9",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": ["GPE"]},
        }
        ann = _annotation(1, "annotator-aaaaaaaaaaaa", "2026-01-01T00:00:00Z", [region])
        (problem,) = [
            p
            for p in annotate.rule_breaks([_task(5, ann)], *units)
            if p.rule == "span_in_one_sentence"
        ]
        assert (problem.task_id, problem.region_id) == (5, "x9")
        assert "'Geneva. The talks'" in problem.detail and "sentence break" in problem.detail

    def test_a_span_that_splits_a_token_is_named(self, units):
        """A region ending inside a word names the word."""
        start = TEXT.index("Biden")
        region = {
            "id": "y1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": start, "end": start + 3, "text": "Bid", "labels": ["PERSON"]},
        }
        ann = _annotation(1, "annotator-aaaaaaaaaaaa", "2026-01-01T00:00:00Z", [region])
        (problem,) = annotate.rule_breaks([_task(5, ann)], *units)
        assert problem.rule == "span_whole_tokens" and "'Biden'" in problem.detail

    def test_a_quote_may_run_over_sentences(self, units):
        """A QUOTE over two sentences breaks no rule: quotations do; `ner` leaves them out."""
        from summit_corpus.annotate.values import MULTI_SENTENCE_LABELS
        from summit_corpus.publish.configs import NER_EXCLUDED_LABELS

        assert set(MULTI_SENTENCE_LABELS) == set(NER_EXCLUDED_LABELS)
        start, end = TEXT.index("Geneva"), TEXT.index("talks") + 5
        region = {
            "id": "q",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": ["QUOTE"]},
        }
        ann = _annotation(1, "annotator-aaaaaaaaaaaa", "2026-01-01T00:00:00Z", [region])
        assert annotate.rule_breaks([_task(5, ann)], *units) == []

    def test_whole_tokens_in_one_sentence_pass(self, units):
        """A region on whole tokens inside one sentence breaks no rule."""
        ann = _annotation(
            1, "annotator-aaaaaaaaaaaa", "2026-01-01T00:00:00Z", [_region("r", "Putin", "PERSON")]
        )
        assert annotate.rule_breaks([_task(5, ann)], *units) == []
