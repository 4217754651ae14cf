"""Export -> tables (pure): Label Studio's JSON export into the corpus's human layers.

Every result item ends in a table: `labels` -> spans (one row per label), `relation` ->
relations (region ids resolved to span ids; `left` swapped), `choices` -> document_labels (one
row per value), `textarea` -> annotation_notes (kind 'note'); anything else, and any region that
does not fit the document, -> annotation_notes with its raw JSON. One annotation per task is
then copied into the `adjudicated` layer (see `ADJUDICATION_RULE`).
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from summit_corpus.annotate.identity import annotation_name
from summit_corpus.annotate.offsets import resolve_offsets
from summit_corpus.annotate.tasks import text_sha256
from summit_corpus.annotate.values import SOURCE, TEXT_NAME, Conversion, Problem
from summit_corpus.core import tables


def _annotator(annotation: Mapping[str, Any]) -> str | None:
    user = annotation.get("completed_by")
    if isinstance(user, Mapping):
        email = user.get("email")
        return email if isinstance(email, str) and email else None
    if isinstance(user, int):
        return f"user-{user}"
    return None


def _timestamp(value: Any) -> datetime | None:
    """RETURNS (datetime | None): The ISO 8601 time in UTC; None if absent.
    RAISES (ValueError): A value that is not an ISO 8601 time."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO 8601 time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def _id_order(value: Mapping[str, Any]) -> int:
    """RETURNS (int): A task's or annotation's id for sorting (0 when it has no integer id)."""
    found = value.get("id")
    return found if isinstance(found, int) and not isinstance(found, bool) else 0


def _kind(value: Any) -> str:
    """RETURNS (str): What a JSON value is, for a message ('a string', 'an object', ...)."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    kind = names.get(type(value), "null" if value is None else "a number")
    return f"{kind} ({json.dumps(value, ensure_ascii=False, default=str)[:60]})"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass(slots=True)
class _Annotation:
    """One annotation being converted: who made it, its document, and the rows it made.

    task_id (int | None): Label Studio task.
    doc_id (str): The task's document.
    ann_id (str): The annotation's server-independent name (`identity.annotation_name`).
    annotator (str | None): The annotator's e-mail (a pseudonym in a snapshot).
    text (str): The document's text, which regions are placed in.
    prov (dict[str, Any]): The provenance columns of every row it makes.
    mine (dict[str, list[dict]]): Its spans, relations and document_labels rows.
    regions (dict[str, str]): Region id -> span_id of its first label.
    """

    task_id: int | None
    doc_id: str
    ann_id: str
    annotator: str | None
    text: str
    prov: dict[str, Any]
    mine: dict[str, list[dict[str, Any]]]
    regions: dict[str, str] = field(default_factory=dict)


class _Converter:
    """Accumulates the rows of the human layer, one annotation at a time."""

    def __init__(self, documents: Mapping[str, tuple[str, str]]) -> None:
        self.documents = documents
        self.rows: dict[str, list[dict[str, Any]]] = {
            t.name: []
            for t in (
                tables.SPANS,
                tables.RELATIONS,
                tables.DOCUMENT_LABELS,
                tables.ANNOTATIONS,
                tables.ANNOTATION_NOTES,
            )
        }
        self.problems: list[Problem] = []
        self.utf16 = 0
        self.results = 0
        self.span_ids: dict[str, set[str]] = defaultdict(set)
        # (doc_id, annotation_id) -> its rows, for the adjudicated layer
        self.by_annotation: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
        self.candidates: dict[str, list[tuple[bool, datetime | None, str]]] = defaultdict(list)

    def task(self, task: Mapping[str, Any]) -> None:
        raw_data = task.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        task_id = task.get("id") if isinstance(task.get("id"), int) else None
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) else None
        task_text = data.get("text") if isinstance(data.get("text"), str) else None
        task_sha = data.get("text_sha256") if isinstance(data.get("text_sha256"), str) else None
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            self._task_problem(
                task_id, doc_id, "annotations_format", f"'annotations' is {_kind(annotations)}"
            )
            annotations = []
        for index, annotation in enumerate(annotations):
            if not isinstance(annotation, dict):
                self._task_problem(
                    task_id,
                    doc_id,
                    "annotation_format",
                    f"annotation #{index} is {_kind(annotation)}, not an object",
                )
        annotations = [a for a in annotations if isinstance(a, dict)]
        self.results += sum(
            len(a["result"]) if isinstance(a.get("result"), list) else 1
            for a in annotations
            if a.get("result")
        )
        if doc_id is None or doc_id not in self.documents:
            if annotations:
                self.problems.append(
                    Problem(
                        task_id,
                        None,
                        None,
                        doc_id,
                        "document_exists",
                        f"task names doc_id {doc_id!r}, not in the corpus; "
                        f"{len(annotations)} annotation(s) left in the snapshot only",
                    )
                )
            return
        doc_text, doc_sha = self.documents[doc_id]
        stale = task_sha != doc_sha or task_text is None or text_sha256(task_text) != doc_sha
        if stale and annotations:
            self.problems.append(
                Problem(
                    task_id,
                    None,
                    None,
                    doc_id,
                    "task_current",
                    f"task text SHA-256 {task_sha} differs from the document's {doc_sha}; "
                    f"{len(annotations)} annotation(s) kept as stale, not re-anchored",
                )
            )
        for annotation in sorted(annotations, key=_id_order):
            self.annotation(task_id, doc_id, doc_text, task_sha or doc_sha, stale, annotation)

    def _task_problem(
        self, task_id: int | None, doc_id: str | None, rule: str, detail: str
    ) -> None:
        self.problems.append(Problem(task_id, None, None, doc_id, rule, detail))

    def annotation(
        self,
        task_id: int | None,
        doc_id: str,
        text: str,
        sha: str,
        stale: bool,
        annotation: Mapping[str, Any],
    ) -> None:
        ann = self._record(task_id, doc_id, text, sha, stale, annotation)
        result = annotation.get("result") or []
        if not isinstance(result, list):
            self._note(ann, 0, "unmapped", result)
            self._problem(
                ann, 0, None, "result_format", f"'result' is {_kind(result)}, kept as a note"
            )
            result = []
        relations: list[tuple[int, Mapping[str, Any]]] = []
        for index, item in enumerate(result):
            if not isinstance(item, dict):
                self._note(ann, index, "unmapped", item)
                self._problem(ann, index, item, "result_format", f"{_kind(item)}, kept as a note")
            elif stale:
                self._note(ann, index, "stale", item)
            elif item.get("type") == "relation":
                relations.append((index, item))  # after the spans they link are placed
            else:
                self._item(ann, index, item)
        for index, item in relations:
            self._relation(ann, index, item)

    def _record(
        self,
        task_id: int | None,
        doc_id: str,
        text: str,
        sha: str,
        stale: bool,
        annotation: Mapping[str, Any],
    ) -> _Annotation:
        """The annotation's own row, and whether it may be adjudicated."""
        ann_id = annotation_name(doc_id, annotation)
        annotator = _annotator(annotation)
        cancelled = bool(annotation.get("was_cancelled"))
        ground_truth = bool(annotation.get("ground_truth"))
        times: dict[str, datetime | None] = {}
        for name in ("created_at", "updated_at"):
            try:
                times[name] = _timestamp(annotation.get(name))
            except ValueError:
                times[name] = None
                self.problems.append(
                    Problem(
                        task_id,
                        ann_id,
                        None,
                        doc_id,
                        "timestamp_format",
                        f"{name} {annotation.get(name)!r} is not an ISO 8601 time; stored as null",
                    )
                )
        updated = times["updated_at"]
        self.rows["annotations"].append(
            {
                "doc_id": doc_id,
                "annotation_id": ann_id,
                "task_id": task_id if task_id is not None else -1,
                "text_sha256": sha,
                "annotator": annotator,
                "was_cancelled": cancelled,
                "ground_truth": ground_truth,
                "lead_time": _number(annotation.get("lead_time")),
                "created_at": times["created_at"],
                "updated_at": updated,
                "stale": stale,
            }
        )
        mine: dict[str, list[dict[str, Any]]] = {
            "spans": [],
            "relations": [],
            "document_labels": [],
        }
        self.by_annotation[(doc_id, ann_id)] = mine
        if not cancelled and not stale:
            self.candidates[doc_id].append((ground_truth, updated, ann_id))
        prov = {
            "layer": tables.LAYER_HUMAN,
            "source": SOURCE,
            "score": None,
            "annotator": annotator,
            "annotation_id": ann_id,
        }
        return _Annotation(task_id, doc_id, ann_id, annotator, text, prov, mine)

    def _note(
        self, ann: _Annotation, index: int, kind: str, item: Any, note_text: str | None = None
    ) -> None:
        from_name = item.get("from_name") if isinstance(item, dict) else None
        self.rows["annotation_notes"].append(
            {
                "doc_id": ann.doc_id,
                "annotation_id": ann.ann_id,
                "result_index": index,
                "kind": kind,
                "from_name": from_name if isinstance(from_name, str) else None,
                "text": note_text,
                "raw_json": _json(item),
                "annotator": ann.annotator,
            }
        )

    def _problem(self, ann: _Annotation, index: int, item: Any, rule: str, detail: str) -> None:
        region = item.get("id") if isinstance(item, dict) else None
        self.problems.append(
            Problem(
                ann.task_id,
                ann.ann_id,
                str(region) if region is not None else f"#{index}",
                ann.doc_id,
                rule,
                detail,
            )
        )

    def _item(self, ann: _Annotation, index: int, item: dict[str, Any]) -> None:
        """One result item that is not a relation: a region, choices, a note, or unmapped."""
        kind = item.get("type")
        value = item.get("value")
        if not isinstance(value, dict):
            value = {}
        if kind == "labels" and item.get("to_name", TEXT_NAME) == TEXT_NAME:
            self._labels(ann, index, item, value)
        elif kind == "choices" and isinstance(value.get("choices"), list) and value["choices"]:
            self._choices(ann, index, item, value)
        elif kind == "textarea" and isinstance(value.get("text"), list):
            self._note(ann, index, "note", item, "\n".join(str(t) for t in value["text"]))
        else:
            self._note(ann, index, "unmapped", item)
            self._problem(
                ann, index, item, "result_type", f"result of type {kind!r} kept as a note"
            )

    def _labels(
        self, ann: _Annotation, index: int, item: dict[str, Any], value: dict[str, Any]
    ) -> None:
        """A region: one span row per label, or a note (and a problem) when it does not fit."""
        text = ann.text
        labels = value.get("labels")
        placed = resolve_offsets(text, value.get("start"), value.get("end"), value.get("text"))
        if placed is None:
            self._note(ann, index, "mismatch", item)
            self._problem(
                ann,
                index,
                item,
                "region_text_matches",
                f"[{value.get('start')}, {value.get('end')}) region text "
                f"{value.get('text')!r} does not match the document",
            )
            return
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) for x in labels)
        ):
            self._note(ann, index, "unmapped", item)
            self._problem(
                ann, index, item, "region_labels", f"labels {labels!r} are not a list of names"
            )
            return
        start, end, how = placed
        self.utf16 += how == "utf16"
        region = str(item.get("id") if item.get("id") is not None else f"i{index}")
        base = f"{ann.ann_id}-{region}"
        taken = self.span_ids[ann.doc_id]
        if base in taken:
            base = f"{base}-{index}"
        for k, label in enumerate(labels):
            span_id = base if k == 0 else f"{base}-{k}"
            taken.add(span_id)
            row = {
                "doc_id": ann.doc_id,
                "span_id": span_id,
                "start": start,
                "end": end,
                "text": text[start:end],
                "label": label,
                **ann.prov,
            }
            self.rows["spans"].append(row)
            ann.mine["spans"].append(row)
        ann.regions.setdefault(region, base)

    def _choices(
        self, ann: _Annotation, index: int, item: dict[str, Any], value: dict[str, Any]
    ) -> None:
        """Document labels: one row per chosen value."""
        name = item.get("from_name")
        choices = value["choices"]
        if not isinstance(name, str) or not all(isinstance(c, str) for c in choices):
            self._note(ann, index, "unmapped", item)
            self._problem(ann, index, item, "choices_format", f"choices {choices!r} of {name!r}")
            return
        for choice in choices:
            row = {"doc_id": ann.doc_id, "name": name, "value": choice, **ann.prov}
            self.rows["document_labels"].append(row)
            ann.mine["document_labels"].append(row)

    def _relation(self, ann: _Annotation, index: int, item: Mapping[str, Any]) -> None:
        """A relation between two placed regions of the same annotation."""
        head = ann.regions.get(str(item.get("from_id")))
        tail = ann.regions.get(str(item.get("to_id")))
        labels = item.get("labels")
        if head is None or tail is None:
            self._note(ann, index, "unmapped", item)
            self._problem(
                ann,
                index,
                item,
                "relation_endpoints",
                f"from_id {item.get('from_id')!r} / to_id {item.get('to_id')!r} is not a "
                "placed span of this annotation",
            )
            return
        if not isinstance(labels, list) or not labels:
            self._note(ann, index, "unmapped", item)
            self._problem(
                ann, index, item, "relation_labels", "a relation without a label, kept as a note"
            )
            return
        if item.get("direction") == "left":
            head, tail = tail, head
        elif item.get("direction") == "bi":
            self._note(ann, index, "unmapped", item)  # a direction the table cannot say: keep it
        for k, label in enumerate(labels):
            suffix = "" if k == 0 else f"-{k}"
            row = {
                "doc_id": ann.doc_id,
                "relation_id": f"{ann.ann_id}-rel{index}{suffix}",
                "head_span_id": head,
                "tail_span_id": tail,
                "label": str(label),
                **ann.prov,
            }
            self.rows["relations"].append(row)
            ann.mine["relations"].append(row)

    def adjudicate(self) -> None:
        for doc_id, candidates in sorted(self.candidates.items()):
            if not candidates:
                continue
            # ground truth first, then the latest update, then the highest annotation id
            epoch = datetime.min.replace(tzinfo=UTC)
            best = max(candidates, key=lambda c: (c[0], c[1] or epoch, c[2]))
            chosen = self.by_annotation[(doc_id, best[2])]
            layer = {"layer": tables.LAYER_ADJUDICATED}
            for row in chosen["spans"]:
                self.rows["spans"].append({**row, **layer, "span_id": f"adj-{row['span_id']}"})
            for row in chosen["relations"]:
                self.rows["relations"].append(
                    {
                        **row,
                        **layer,
                        "relation_id": f"adj-{row['relation_id']}",
                        "head_span_id": f"adj-{row['head_span_id']}",
                        "tail_span_id": f"adj-{row['tail_span_id']}",
                    }
                )
            for row in chosen["document_labels"]:
                self.rows["document_labels"].append({**row, **layer})

    def conversion(self) -> Conversion:
        self.adjudicate()
        built = {name: _columnar(tables.table(name), rows) for name, rows in self.rows.items()}
        return Conversion(built, tuple(self.problems), self.utf16, self.results)


def _columnar(definition: tables.Table, rows: list[dict[str, Any]]) -> pa.Table:
    # Column by column is several times faster than pa.Table.from_pylist for large exports.
    columns = {c: [r[c] for r in rows] for c in definition.names}
    return definition.sorted(pa.Table.from_pydict(columns, schema=definition.schema))


def _documents_index(documents: pa.Table | Mapping[str, str]) -> dict[str, tuple[str, str]]:
    if isinstance(documents, pa.Table):
        cols = documents.select(["doc_id", "text", "text_sha256"]).to_pydict()
        return {
            d: (t, s)
            for d, t, s in zip(cols["doc_id"], cols["text"], cols["text_sha256"], strict=True)
        }
    return {d: (t, text_sha256(t)) for d, t in documents.items()}


def from_export(
    export: Sequence[Mapping[str, Any]], documents: pa.Table | Mapping[str, str]
) -> Conversion:
    """Convert Label Studio's JSON export into the corpus's human and adjudicated layers.

    Every result item ends in a table: `labels` -> spans (one row per label), `relation` ->
    relations (region ids resolved to span ids; `left` swapped), `choices` -> document_labels
    (one row per value), `textarea` -> annotation_notes (kind 'note'); anything else, and any
    region that does not fit the document, -> annotation_notes with its raw JSON.

    export (Sequence[Mapping]): The export: a list of tasks with their annotations.
    documents (pa.Table | Mapping[str, str]): The documents table, or doc_id -> text.
    RETURNS (Conversion): The tables and the problems found.
    """
    converter = _Converter(_documents_index(documents))
    # The conversion makes hundreds of thousands of small dicts and no reference cycles; the
    # cyclic collector would rescan them all again and again (a third of the time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for index, task in enumerate(export):
            if not isinstance(task, dict):
                converter._task_problem(
                    None, None, "task_format", f"task #{index} is {_kind(task)}, not an object"
                )
        for task in sorted(
            (t for t in export if isinstance(t, dict)),
            key=_id_order,
        ):
            converter.task(task)
        return converter.conversion()
    finally:
        if was_enabled:
            gc.enable()


def count_results(export: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Count what a converter must keep: per result type, and values inside choices/labels.

    export (Sequence[Mapping]): Label Studio's JSON export.
    RETURNS (dict[str, int]): Counts by result `type` (plus 'label_values' and 'choice_values').
    """
    counts: dict[str, int] = defaultdict(int)
    for task in export:
        for annotation in task.get("annotations") or []:
            for item in annotation.get("result") or []:
                kind = item.get("type") if isinstance(item, Mapping) else None
                counts[str(kind)] += 1
                value = item.get("value", {}) if isinstance(item, Mapping) else {}
                if kind == "labels":
                    counts["label_values"] += len(value.get("labels") or [])
                elif kind == "choices":
                    counts["choice_values"] += len(value.get("choices") or [])
    return dict(counts)


def iter_results(
    export: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[Any, str, Any]]:
    """YIELDS (tuple[int, str, Mapping]): (task id, annotation id, result item) of an export."""
    for task in export:
        for annotation in task.get("annotations") or []:
            for item in annotation.get("result") or []:
                yield task.get("id"), str(annotation.get("id")), item
