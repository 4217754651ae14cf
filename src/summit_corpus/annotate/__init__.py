"""The Label Studio round trip: tasks out, every annotation back, nothing a user typed lost.

This is the only module that talks to Label Studio (through `label-studio-sdk` 2.x). The SDK is
generated code whose fields are all optional, so every answer used here is checked.

Flow:
- `to_tasks` (pure): documents + the model layer -> one `Task` per document, with the model
  layer as a Label Studio prediction whose result ids are the spans' `span_id`s.
- `push`: creates or updates the project from the scheme (the scheme version is recorded in the
  project's description) and imports the tasks that are not there yet, keyed by `doc_id` and the
  SHA-256 of the text; a document whose text changed gets a new task and its old task is
  reported as stale.
- `pull`: exports every task with every annotation (Label Studio's full JSON export, not
  JSON_MIN or CoNLL), replaces annotator e-mails and names by keyed-hash pseudonyms, and stores
  the export as a dated snapshot under `annotations/<project>/`.
- `from_export` (pure) / `read_snapshots` (offline, for `corpus build`): snapshot -> the
  spans, relations, document_labels, annotations and annotation_notes tables.

What Label Studio 1.23.2 does with offsets (checked against the running server and the
bundled frontend, see annotations/README.md):
- The server stores task text and results verbatim: text with emoji, CRLF, tabs, double spaces,
  `&` and `<b>` comes back from the API and the export byte for byte, and `start`/`end` are
  stored as sent.
- The frontend counts `start`/`end` for `<Text>` in code points (it spreads each DOM text node
  with `[...text]`), the same as Python `str` indices; `\\r` and `\\n` count one each. The
  text is not HTML-sanitised (feature flag `fflag_fix_leap_466_text_sanitization` is on and
  frozen in 1.23.2), so `&` and `<` do not shift later offsets.
- A region's `text` is the browser selection: line breaks come back as a literal backslash-n and
  runs of whitespace may collapse. The corpus therefore takes span text from the document and
  only compares it with the region's `text` after normalising both.
- Older exports carried UTF-16 offsets (an emoji counts two). A region that does not match in
  code points but matches in UTF-16 code units is converted, and the conversion is recorded.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.core import layout, tables
from summit_corpus.core.errors import AnnotateError, Errors, StudioError
from summit_corpus.core.io import read_parquet_dir, sha256_bytes, write_json, write_text

# Control names of the labeling config (the contract with scheme.py's `labeling_config`).
TEXT_NAME = "text"
SPAN_CONTROL = "label"
NOTE_CONTROL = "note"

SOURCE = "label-studio"
DEFAULT_PROJECT = "Summit News Corpus"
ENV_PSEUDONYM_KEY = "SUMMIT_PSEUDONYM_KEY"
SCHEME_MARK = "scheme_version="
SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}Z\.json$")
AGREEMENT_FILE = "agreement.json"
# Per-export fields that change with the time of the export, not with the data.
_VOLATILE = frozenset({"created_ago"})
# Fields of a user object that identify a person.
_PERSONAL = ("first_name", "last_name", "username", "avatar", "initials", "phone")

ADJUDICATION_RULE = (
    "per task, the annotation marked ground truth (the most recently updated one if several); "
    "otherwise the most recently updated annotation that was not skipped (ties: highest "
    "annotation id). Skipped annotations and annotations of stale tasks never count."
)


# --- values ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Task:
    """One Label Studio task: a document and its model layer.

    doc_id (str): The document's id.
    text (str): The document's clean text, exactly as stored in the corpus.
    text_sha256 (str): SHA-256 of `text` (UTF-8); with `doc_id` the task's key.
    source_file (str): The raw file the document came from.
    prediction (tuple[dict[str, Any], ...]): Model-layer results in Label Studio's format.
    model_version (str): Names the model layer's sources.
    """

    doc_id: str
    text: str
    text_sha256: str
    source_file: str
    prediction: tuple[dict[str, Any], ...] = ()
    model_version: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc_id, self.text_sha256)

    def to_json(self) -> dict[str, Any]:
        """RETURNS (dict[str, Any]): The task in Label Studio's import format."""
        task: dict[str, Any] = {
            "data": {
                "text": self.text,
                "doc_id": self.doc_id,
                "text_sha256": self.text_sha256,
                "source_file": self.source_file,
            }
        }
        if self.prediction:
            task["predictions"] = [
                {"model_version": self.model_version, "result": list(self.prediction)}
            ]
        return task


@dataclass(frozen=True, slots=True)
class Problem:
    """A result that could not be placed in the document (kept in the snapshot and the notes).

    task_id (int | None): Label Studio task.
    annotation_id (str | None): Label Studio annotation.
    region_id (str | None): Region (result) id.
    doc_id (str | None): The task's document.
    rule (str): Stable snake_case reason, e.g. 'region_text_matches'.
    detail (str): The values involved.
    """

    task_id: int | None
    annotation_id: str | None
    region_id: str | None
    doc_id: str | None
    rule: str
    detail: str

    def __str__(self) -> str:
        return (
            f"task {self.task_id} annotation {self.annotation_id} region {self.region_id} "
            f"(doc {self.doc_id}): rule '{self.rule}': {self.detail}"
        )


@dataclass(frozen=True, slots=True)
class Conversion:
    """The corpus tables made from one or more exports, and what could not be placed.

    tables (dict[str, pa.Table]): spans, relations, document_labels, annotations,
        annotation_notes (human and adjudicated layers).
    problems (tuple[Problem, ...]): Regions that do not match their document, unknown
        documents, stale tasks.
    utf16_regions (int): Regions whose offsets were UTF-16 code units and were converted.
    results (int): Result items read from the export(s).
    """

    tables: dict[str, pa.Table]
    problems: tuple[Problem, ...] = ()
    utf16_regions: int = 0
    results: int = 0


@dataclass(frozen=True, slots=True)
class PushReport:
    """What `push` did.

    project_id (int): The Label Studio project.
    created (int): Tasks imported now.
    existing (int): Tasks that were already there (same doc_id and text SHA-256).
    stale (tuple[tuple[int, str, int], ...]): (task id, doc_id, annotations) of tasks whose
        document text has changed since.
    config_updated (bool): Whether the labeling config was (re)written.
    annotations_created (int): Human annotations pushed back (--with-annotations).
    seconds (float): Wall time of the push.
    """

    project_id: int
    created: int
    existing: int
    stale: tuple[tuple[int, str, int], ...] = ()
    config_updated: bool = False
    annotations_created: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        lines = [
            f"project {self.project_id}: {self.created} task(s) created, {self.existing} already "
            f"there, {self.annotations_created} annotation(s) pushed"
            + (", labeling config updated" if self.config_updated else "")
            + f" ({self.seconds:.1f} s)."
        ]
        for task_id, doc_id, n in self.stale:
            lines.append(
                f"stale: task {task_id} (doc {doc_id}) was made from an older text; its {n} "
                "annotation(s) are kept as they are and not re-anchored."
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PullReport:
    """What `pull` did.

    snapshot (Path): The snapshot holding the export (new, or the identical latest one).
    written (bool): Whether a new snapshot file was written (False: nothing changed).
    tasks (int): Tasks in the export.
    annotations (int): Annotations in the export (skipped ones included).
    results (int): Result items in all annotations.
    problems (tuple[Problem, ...]): Regions that do not match their task's text.
    agreement (dict[str, Any]): Inter-annotator agreement (see `agreement`).
    """

    snapshot: Path
    written: bool
    tasks: int
    annotations: int
    results: int
    problems: tuple[Problem, ...] = ()
    agreement: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        state = "written" if self.written else "unchanged (same as the latest snapshot)"
        lines = [
            f"{self.snapshot}: {state}; {self.tasks} task(s), {self.annotations} annotation(s), "
            f"{self.results} result(s)."
        ]
        lines += [f"mismatch: {p}" for p in self.problems]
        lines.append(format_agreement(self.agreement))
        return "\n".join(lines)


# --- pure: tasks -------------------------------------------------------------------------------
def text_sha256(text: str) -> str:
    """RETURNS (str): SHA-256 of `text` encoded as UTF-8 (the corpus's `text_sha256`)."""
    return sha256_bytes(text.encode("utf-8"))


def _rows_by_doc(table: pa.Table | None, layer: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if table is None or table.num_rows == 0:
        return grouped
    for row in table.to_pylist():
        if row.get("layer") == layer:
            grouped[row["doc_id"]].append(row)
    return grouped


def layer_results(
    spans: Sequence[Mapping[str, Any]],
    relations: Sequence[Mapping[str, Any]],
    document_labels: Sequence[Mapping[str, Any]],
    *,
    region_id: Any = None,
) -> list[dict[str, Any]]:
    """Turn one document's rows of one layer (or annotation) into Label Studio results.

    spans (Sequence[Mapping]): Span rows of the document.
    relations (Sequence[Mapping]): Relation rows of the document.
    document_labels (Sequence[Mapping]): Document-label rows of the document.
    region_id (Callable[[str], str] | None): Maps a span_id to the region id to use; None
        keeps the span_id (the model layer: result ids = span ids).
    RETURNS (list[dict]): `labels` results, then `relation`s, then one `choices` per label name.
    """
    rid = region_id or (lambda span_id: span_id)
    results: list[dict[str, Any]] = []
    for s in sorted(spans, key=lambda r: (r["start"], r["end"], r["span_id"])):
        item: dict[str, Any] = {
            "id": rid(s["span_id"]),
            "from_name": SPAN_CONTROL,
            "to_name": TEXT_NAME,
            "type": "labels",
            "value": {
                "start": s["start"],
                "end": s["end"],
                "text": s["text"],
                "labels": [s["label"]],
            },
        }
        if s.get("score") is not None:
            item["score"] = s["score"]
        results.append(item)
    for r in sorted(relations, key=lambda r: r["relation_id"]):
        results.append(
            {
                "from_id": rid(r["head_span_id"]),
                "to_id": rid(r["tail_span_id"]),
                "type": "relation",
                "direction": "right",
                "labels": [r["label"]],
            }
        )
    chosen: dict[str, list[str]] = defaultdict(list)
    for d in document_labels:
        chosen[d["name"]].append(d["value"])
    for name in sorted(chosen):
        results.append(
            {
                "id": f"doc-{name}",
                "from_name": name,
                "to_name": TEXT_NAME,
                "type": "choices",
                "value": {"choices": sorted(chosen[name])},
            }
        )
    return results


def to_tasks(
    documents: pa.Table,
    spans: pa.Table | None = None,
    relations: pa.Table | None = None,
    document_labels: pa.Table | None = None,
    *,
    model_version: str | None = None,
) -> list[Task]:
    """Make one task per document, with the model layer as its prediction.

    documents (pa.Table): The documents table (doc_id, text, text_sha256, source_file).
    spans (pa.Table | None): The spans table; only `prediction` rows are used.
    relations (pa.Table | None): The relations table; only `prediction` rows are used.
    document_labels (pa.Table | None): The document_labels table; `prediction` rows.
    model_version (str | None): The prediction's model_version; None joins the rows' sources.
    RETURNS (list[Task]): Tasks sorted by doc_id.
    """
    layer = tables.LAYER_PREDICTION
    by_doc = [_rows_by_doc(t, layer) for t in (spans, relations, document_labels)]
    tasks = []
    for doc in sorted(
        documents.select(["doc_id", "text", "text_sha256", "source_file"]).to_pylist(),
        key=lambda d: d["doc_id"],
    ):
        doc_id = doc["doc_id"]
        s, r, d = (g.get(doc_id, []) for g in by_doc)
        result = layer_results(s, r, d)
        version = model_version
        if version is None:
            version = "; ".join(sorted({row["source"] for row in (*s, *r, *d)}))
        tasks.append(
            Task(
                doc_id=doc_id,
                text=doc["text"],
                text_sha256=doc["text_sha256"],
                source_file=doc["source_file"],
                prediction=tuple(result),
                model_version=version,
            )
        )
    return tasks


# --- pure: offsets -----------------------------------------------------------------------------
_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    # The browser selection writes line breaks as a literal backslash-n and may collapse
    # whitespace; compare on a form where neither matters.
    return _SPACE.sub(" ", text.replace("\\r", " ").replace("\\n", " ")).strip()


def _utf16_to_codepoints(text: str) -> list[int] | None:
    """RETURNS (list[int] | None): UTF-16 offset -> code-point offset (None if no astral chars)."""
    if text.isascii() or max(map(ord, text)) < 0x10000:
        return None
    table = []
    for i, c in enumerate(text):
        table.append(i)
        if ord(c) >= 0x10000:
            table.append(-1)  # the low surrogate: not a character boundary
    table.append(len(text))
    return table


def resolve_offsets(
    text: str, start: Any, end: Any, region_text: Any
) -> tuple[int, int, str] | None:
    """Place a region in the document: code-point offsets, else UTF-16 offsets converted.

    text (str): The task's (document's) text.
    start (Any): The region's `start` as exported.
    end (Any): The region's `end` as exported.
    region_text (Any): The region's `text` as exported (None: not checked).
    RETURNS (tuple[int, int, str] | None): (start, end, 'codepoint' | 'utf16'), or None when
        the region does not fit the text either way.
    """
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        return None
    # fast path: the region's text is the exact slice (true for most regions)
    if 0 <= start < end <= len(text) and (region_text is None or text[start:end] == region_text):
        return (start, end, "codepoint")
    want = _normalise(region_text) if isinstance(region_text, str) else None

    def fits(s: int, e: int) -> bool:
        if not 0 <= s < e <= len(text):
            return False
        return want is None or _normalise(text[s:e]) == want

    if fits(start, end):
        return (start, end, "codepoint")
    table = _utf16_to_codepoints(text)
    if table is not None and 0 <= start < end <= len(table) - 1:
        s, e = table[start], table[end]
        if s >= 0 and e >= 0 and fits(s, e):
            return (s, e, "utf16")
    return None


# --- pure: export -> tables ---------------------------------------------------------------------
def pseudonym(email: str, key: str) -> str:
    """RETURNS (str): A stable pseudonym for an annotator: a keyed hash of the e-mail."""
    digest = hmac.new(key.encode("utf-8"), email.strip().lower().encode("utf-8"), hashlib.sha256)
    return f"annotator-{digest.hexdigest()[:12]}"


def _annotator(annotation: Mapping[str, Any]) -> str | None:
    user = annotation.get("completed_by")
    if isinstance(user, Mapping):
        email = user.get("email")
        return email if isinstance(email, str) and email else None
    if isinstance(user, int):
        return f"user-{user}"
    return None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


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
        self.candidates: dict[str, list[tuple[bool, datetime | None, int, str]]] = defaultdict(list)

    def task(self, task: Mapping[str, Any]) -> None:
        raw_data = task.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        task_id = task.get("id") if isinstance(task.get("id"), int) else None
        doc_id = data.get("doc_id") if isinstance(data.get("doc_id"), str) else None
        task_text = data.get("text") if isinstance(data.get("text"), str) else None
        task_sha = data.get("text_sha256") if isinstance(data.get("text_sha256"), str) else None
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            annotations = []
        self.results += sum(len(a.get("result") or []) for a in annotations if isinstance(a, dict))
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
        for annotation in sorted(
            (a for a in annotations if isinstance(a, dict)), key=lambda a: a.get("id") or 0
        ):
            self.annotation(task_id, doc_id, doc_text, task_sha or doc_sha, stale, annotation)

    def annotation(
        self,
        task_id: int | None,
        doc_id: str,
        text: str,
        sha: str,
        stale: bool,
        annotation: Mapping[str, Any],
    ) -> None:
        ann_id = str(annotation.get("id"))
        annotator = _annotator(annotation)
        cancelled = bool(annotation.get("was_cancelled"))
        ground_truth = bool(annotation.get("ground_truth"))
        updated = _timestamp(annotation.get("updated_at"))
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
                "created_at": _timestamp(annotation.get("created_at")),
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
            raw_id = annotation.get("id")
            numeric = raw_id if isinstance(raw_id, int) else -1
            self.candidates[doc_id].append((ground_truth, updated, numeric, ann_id))
        prov = {
            "layer": tables.LAYER_HUMAN,
            "source": SOURCE,
            "score": None,
            "annotator": annotator,
            "annotation_id": ann_id,
        }

        def note(index: int, kind: str, item: Any, note_text: str | None = None) -> None:
            from_name = item.get("from_name") if isinstance(item, dict) else None
            self.rows["annotation_notes"].append(
                {
                    "doc_id": doc_id,
                    "annotation_id": ann_id,
                    "result_index": index,
                    "kind": kind,
                    "from_name": from_name if isinstance(from_name, str) else None,
                    "text": note_text,
                    "raw_json": _json(item),
                    "annotator": annotator,
                }
            )

        def problem(index: int, item: Any, rule: str, detail: str) -> None:
            region = item.get("id") if isinstance(item, dict) else None
            self.problems.append(
                Problem(
                    task_id,
                    ann_id,
                    str(region) if region is not None else f"#{index}",
                    doc_id,
                    rule,
                    detail,
                )
            )

        result = annotation.get("result") or []
        regions: dict[str, str] = {}  # region id -> span_id of its first label
        relations: list[tuple[int, Mapping[str, Any]]] = []
        for index, item in enumerate(result if isinstance(result, list) else []):
            if not isinstance(item, dict):
                note(index, "unmapped", item)
                continue
            kind = item.get("type")
            value = item.get("value")
            if not isinstance(value, dict):
                value = {}
            if stale:
                note(index, "stale", item)
            elif kind == "labels" and item.get("to_name", TEXT_NAME) == TEXT_NAME:
                labels = value.get("labels")
                placed = resolve_offsets(
                    text, value.get("start"), value.get("end"), value.get("text")
                )
                if placed is None:
                    note(index, "mismatch", item)
                    problem(
                        index,
                        item,
                        "region_text_matches",
                        f"[{value.get('start')}, {value.get('end')}) region text "
                        f"{value.get('text')!r} does not match the document",
                    )
                    continue
                if (
                    not isinstance(labels, list)
                    or not labels
                    or not all(isinstance(x, str) for x in labels)
                ):
                    note(index, "unmapped", item)
                    continue
                start, end, how = placed
                self.utf16 += how == "utf16"
                region = str(item.get("id") if item.get("id") is not None else f"i{index}")
                base = f"a{ann_id}-{region}"
                if base in self.span_ids[doc_id]:
                    base = f"{base}-{index}"
                for k, label in enumerate(labels):
                    span_id = base if k == 0 else f"{base}-{k}"
                    self.span_ids[doc_id].add(span_id)
                    row = {
                        "doc_id": doc_id,
                        "span_id": span_id,
                        "start": start,
                        "end": end,
                        "text": text[start:end],
                        "label": label,
                        **prov,
                    }
                    self.rows["spans"].append(row)
                    mine["spans"].append(row)
                regions.setdefault(region, base)
            elif kind == "relation":
                relations.append((index, item))
            elif kind == "choices" and isinstance(value.get("choices"), list) and value["choices"]:
                name = item.get("from_name")
                choices = value["choices"]
                if not isinstance(name, str) or not all(isinstance(c, str) for c in choices):
                    note(index, "unmapped", item)
                    continue
                for choice in choices:
                    row = {"doc_id": doc_id, "name": name, "value": choice, **prov}
                    self.rows["document_labels"].append(row)
                    mine["document_labels"].append(row)
            elif kind == "textarea" and isinstance(value.get("text"), list):
                note(index, "note", item, "\n".join(str(t) for t in value["text"]))
            else:
                note(index, "unmapped", item)
        for index, item in relations:
            head, tail = regions.get(str(item.get("from_id"))), regions.get(str(item.get("to_id")))
            labels = item.get("labels")
            if head is None or tail is None:
                note(index, "unmapped", item)
                problem(
                    index,
                    item,
                    "relation_endpoints",
                    f"from_id {item.get('from_id')!r} / to_id {item.get('to_id')!r} is not a "
                    "placed span of this annotation",
                )
                continue
            if not isinstance(labels, list) or not labels:
                note(index, "unmapped", item)
                continue
            if item.get("direction") == "left":
                head, tail = tail, head
            elif item.get("direction") == "bi":
                note(index, "unmapped", item)  # a direction the table cannot say: keep it too
            for k, label in enumerate(labels):
                suffix = "" if k == 0 else f"-{k}"
                row = {
                    "doc_id": doc_id,
                    "relation_id": f"a{ann_id}-rel{index}{suffix}",
                    "head_span_id": head,
                    "tail_span_id": tail,
                    "label": str(label),
                    **prov,
                }
                self.rows["relations"].append(row)
                mine["relations"].append(row)

    def adjudicate(self) -> None:
        for doc_id, candidates in sorted(self.candidates.items()):
            if not candidates:
                continue
            # ground truth first, then the latest update, then the highest id
            epoch = datetime.min.replace(tzinfo=UTC)
            best = max(candidates, key=lambda c: (c[0], c[1] or epoch, c[2]))
            chosen = self.by_annotation[(doc_id, best[3])]
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
        for task in sorted(
            (t for t in export if isinstance(t, dict)), key=lambda t: t.get("id") or 0
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


# --- snapshots (offline) -----------------------------------------------------------------------
def snapshot_files(annotations_dir: Path) -> list[Path]:
    """The latest snapshot of each project folder under `annotations_dir`.

    annotations_dir (Path): The annotations folder (one sub-folder per project).
    RETURNS (list[Path]): One file per project folder that has snapshots, sorted by path.
    """
    latest = []
    for folder in sorted(p for p in annotations_dir.iterdir() if p.is_dir()):
        snaps = sorted(p for p in folder.iterdir() if SNAPSHOT_NAME.match(p.name))
        if snaps:
            latest.append(snaps[-1])
    return latest


def load_snapshot(path: Path) -> list[dict[str, Any]]:
    """Read one snapshot file (Label Studio's JSON export) and check its shape.

    path (Path): The snapshot.
    RETURNS (list[dict]): The tasks.
    """
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnnotateError(
            Errors.E610.format(path=path, detail=str(error)), rule="snapshot_format", path=path
        ) from None
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise AnnotateError(
            Errors.E610.format(path=path, detail="not a list of task objects"),
            rule="snapshot_format",
            path=path,
        )
    return value


def convert_snapshots(annotations_dir: Path, documents: pa.Table | Mapping[str, str]) -> Conversion:
    """Convert the latest snapshot of every project under `annotations_dir`.

    annotations_dir (Path): The annotations folder.
    documents (pa.Table | Mapping[str, str]): The documents table, or doc_id -> text.
    RETURNS (Conversion): The tables (empty when there are no snapshots) and problems.
    """
    tasks: list[dict[str, Any]] = []
    seen: dict[int, Path] = {}
    for path in snapshot_files(annotations_dir) if annotations_dir.is_dir() else []:
        for task in load_snapshot(path):
            for annotation in task.get("annotations") or []:
                ann_id = annotation.get("id")
                if isinstance(ann_id, int):
                    if ann_id in seen:
                        raise AnnotateError(
                            Errors.E610.format(
                                path=path,
                                detail=f"annotation id {ann_id} is also in {seen[ann_id]}",
                            ),
                            rule="snapshot_format",
                            path=path,
                        )
                    seen[ann_id] = path
            tasks.append(task)
    return from_export(tasks, documents)


def snapshot_doc_ids(annotations_dir: Path) -> set[str]:
    """The documents the latest snapshots have tasks for, so a build reads only their texts.

    annotations_dir (Path): The annotations folder.
    RETURNS (set[str]): The `data.doc_id` of every task (empty when there are no snapshots).
    """
    ids: set[str] = set()
    for path in snapshot_files(annotations_dir) if annotations_dir.is_dir() else []:
        for task in load_snapshot(path):
            data = task.get("data")
            doc_id = data.get("doc_id") if isinstance(data, dict) else None
            if isinstance(doc_id, str):
                ids.add(doc_id)
    return ids


def read_snapshots(annotations_dir: Path, documents: pa.Table) -> dict[str, pa.Table]:
    """Read the human layers for `corpus build`: offline and deterministic.

    annotations_dir (Path): The annotations folder (latest snapshot per project is read).
    documents (pa.Table): The documents table of the corpus being built.
    RETURNS (dict[str, pa.Table]): spans, relations, document_labels, annotations and
        annotation_notes, with `human` and `adjudicated` rows only.
    """
    return convert_snapshots(annotations_dir, documents).tables


# --- agreement ---------------------------------------------------------------------------------
def _alpha_nominal(units: Sequence[Sequence[str]]) -> float | None:
    """Krippendorff's alpha (nominal) over units with their coders' values."""
    pairable = [u for u in units if len(u) >= 2]
    if not pairable:
        return None
    coincidence: dict[tuple[str, str], float] = defaultdict(float)
    for values in pairable:
        m = len(values)
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidence[(a, b)] += 1.0 / (m - 1)
    totals: dict[str, float] = defaultdict(float)
    for (a, _), v in coincidence.items():
        totals[a] += v
    n = sum(totals.values())
    observed = sum(v for (a, b), v in coincidence.items() if a != b)
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (n - 1)
    if expected == 0:
        return 1.0 if observed == 0 else 0.0
    return 1.0 - observed / expected


def agreement(converted: Mapping[str, pa.Table]) -> dict[str, Any]:
    """Inter-annotator agreement of the human layer.

    Spans: pooled pairwise F1 per label (exact start, end and label) over documents with at
    least two annotations by different annotators. Document labels: Krippendorff's alpha
    (nominal) per single-choice name, and per value (chosen / not chosen) for multi-choice
    names.

    converted (Mapping[str, pa.Table]): Tables from `from_export` / `read_snapshots`.
    RETURNS (dict[str, Any]): {"documents": n, "pairs": n, "spans": {label: {...}},
        "document_labels": {name: alpha or {value: alpha}}, "adjudication": rule}.
    """
    anns = [
        a for a in converted["annotations"].to_pylist() if not a["was_cancelled"] and not a["stale"]
    ]
    by_doc: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a in anns:
        by_doc[a["doc_id"]].append((a["annotation_id"], a["annotator"] or a["annotation_id"]))
    spans: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    for s in converted["spans"].to_pylist():
        if s["layer"] == tables.LAYER_HUMAN:
            spans[s["annotation_id"]].add((s["start"], s["end"], s["label"]))
    choices: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    names: set[str] = set()
    for d in converted["document_labels"].to_pylist():
        if d["layer"] == tables.LAYER_HUMAN:
            choices[d["annotation_id"]][d["name"]].add(d["value"])
            names.add(d["name"])
    tp: dict[str, int] = defaultdict(int)
    size: dict[str, int] = defaultdict(int)
    docs = pairs = 0
    units: dict[str, list[list[str]]] = defaultdict(list)
    multi: dict[str, bool] = {}
    for name in names:
        multi[name] = any(len(c.get(name, ())) > 1 for c in choices.values())
    for doc_id in sorted(by_doc):
        # one annotation per annotator: the last one they made
        latest = dict(
            sorted(
                ((who, ann) for ann, who in by_doc[doc_id]),
                key=lambda x: int(x[1]) if x[1].isdigit() else 0,
            )
        )
        if len(latest) < 2:
            continue
        docs += 1
        for a, b in combinations(sorted(latest.values()), 2):
            pairs += 1
            for label in {x[2] for x in spans[a] | spans[b]}:
                sa = {x for x in spans[a] if x[2] == label}
                sb = {x for x in spans[b] if x[2] == label}
                tp[label] += len(sa & sb)
                size[label] += len(sa) + len(sb)
        for name in sorted(names):
            given = [choices[ann].get(name, set()) for ann in latest.values()]
            if multi[name]:
                values = sorted(set().union(*given))
                for v in values:
                    units[f"{name}={v}"].append(["yes" if v in g else "no" for g in given])
            else:
                units[name].append([next(iter(g)) for g in given if g])
    span_scores = {
        label: {
            "f1": round(2 * tp[label] / size[label], 4) if size[label] else None,
            "matches": tp[label],
            "spans": size[label],
        }
        for label in sorted(size)
    }
    doc_scores: dict[str, Any] = {}
    for key in sorted(units):
        alpha = _alpha_nominal(units[key])
        doc_scores[key] = None if alpha is None else round(alpha, 4)
    return {
        "documents": docs,
        "pairs": pairs,
        "spans": span_scores,
        "document_labels": doc_scores,
        "adjudication": ADJUDICATION_RULE,
    }


def format_agreement(result: Mapping[str, Any]) -> str:
    """RETURNS (str): `agreement`'s result as lines for a terminal."""
    if not result:
        return "agreement: not computed."
    if not result.get("pairs"):
        return "agreement: no document has annotations by two annotators."
    lines = [f"agreement over {result['documents']} document(s), {result['pairs']} pair(s):"]
    for label, s in result["spans"].items():
        lines.append(f"  span {label}: F1 {s['f1']} ({s['matches']} matches / {s['spans']} spans)")
    for name, alpha in result["document_labels"].items():
        lines.append(f"  document label {name}: Krippendorff's alpha {alpha}")
    return "\n".join(lines)


# --- the client (network) ----------------------------------------------------------------------
def connect(url: str | None = None, api_key: str | None = None) -> Any:
    """Open a client to a Label Studio server and check that it answers.

    url (str | None): Base URL; None reads LABEL_STUDIO_URL (default http://127.0.0.1:8080).
    api_key (str | None): Admin token; None reads LABEL_STUDIO_API_KEY.
    RETURNS (LabelStudio): The SDK client.
    """
    from label_studio_sdk import LabelStudio

    url = (url or os.environ.get("LABEL_STUDIO_URL") or "http://127.0.0.1:8080").rstrip("/")
    api_key = api_key or os.environ.get("LABEL_STUDIO_API_KEY")
    if not api_key:
        raise StudioError(Errors.E607)
    client = LabelStudio(base_url=url, api_key=api_key, timeout=120)  # type: ignore[no-untyped-call]
    try:
        user = client.users.whoami()
    except Exception as error:  # the SDK raises httpx and ApiError types alike
        # never echo the token: only the error's class and status
        detail = f"{type(error).__name__} {getattr(error, 'status_code', '')}".strip()
        raise StudioError(Errors.E606.format(url=url, detail=detail)) from None
    if not isinstance(getattr(user, "id", None), int):
        raise StudioError(Errors.E612.format(what="GET /api/current-user", detail=repr(user)))
    client._summit_url = url  # type: ignore[attr-defined]  # kept for messages only
    return client


def _find_project(client: Any, title: str) -> Any | None:
    for project in client.projects.list(title=title):
        if getattr(project, "title", None) == title:
            return client.projects.get(project.id)
    return None


def _recorded_version(project: Any) -> str | None:
    description = getattr(project, "description", None) or ""
    for line in description.splitlines():
        if line.startswith(SCHEME_MARK):
            return line.removeprefix(SCHEME_MARK).strip()
    return None


def _description(scheme_version: str) -> str:
    return (
        "Summit News Corpus: correct the model layer (predictions) and add what it missed.\n"
        f"{SCHEME_MARK}{scheme_version}"
    )


def ensure_project(
    client: Any, title: str, label_config: str, scheme_version: str
) -> tuple[int, bool]:
    """Create the project, or update its labeling config when the scheme version changed.

    client (LabelStudio): SDK client from `connect`.
    title (str): Project title (the project's key).
    label_config (str): Labeling config XML generated from the scheme.
    scheme_version (str): Scheme version, recorded in the project's description.
    RETURNS (tuple[int, bool]): Project id, and whether the config was written.
    """
    project = _find_project(client, title)
    if project is None:
        created = client.projects.create(
            title=title,
            label_config=label_config,
            description=_description(scheme_version),
            show_skip_button=True,
            enable_empty_annotation=True,
        )
        if not isinstance(getattr(created, "id", None), int):
            raise StudioError(Errors.E612.format(what="project create", detail=repr(created)))
        return created.id, True
    # Label Studio rewrites the stored XML, so the recorded scheme version is the key.
    if _recorded_version(project) == scheme_version:
        return project.id, False
    from label_studio_sdk.core.api_error import ApiError

    try:
        client.projects.update(
            project.id, label_config=label_config, description=_description(scheme_version)
        )
    except ApiError as error:
        raise AnnotateError(
            Errors.E613.format(title=title, detail=str(error.body)[:300]), rule="label_config"
        ) from None
    return project.id, True


def list_tasks(client: Any, project_id: int) -> list[dict[str, Any]]:
    """All tasks of a project: id, data and annotation counts, checked.

    client (LabelStudio): SDK client.
    project_id (int): The project.
    RETURNS (list[dict]): {"id", "doc_id", "text_sha256", "annotations"} per task, by id.
    """
    found = []
    # Only the fields needed: the full task serializer costs the server several times more.
    pages = client.tasks.list(
        project=project_id,
        fields="task_only",
        include="id,data,total_annotations,cancelled_annotations",
        page_size=100,
    )
    for task in pages:
        data = getattr(task, "data", None)
        if not isinstance(getattr(task, "id", None), int) or not isinstance(data, dict):
            raise StudioError(Errors.E612.format(what="task list", detail=repr(task)[:200]))
        found.append(
            {
                "id": task.id,
                "doc_id": data.get("doc_id"),
                "text_sha256": data.get("text_sha256"),
                "annotations": int(getattr(task, "total_annotations", 0) or 0)
                + int(getattr(task, "cancelled_annotations", 0) or 0),
            }
        )
    return sorted(found, key=lambda t: t["id"])


def push(
    client: Any,
    tasks: Sequence[Task],
    *,
    project: str = DEFAULT_PROJECT,
    label_config: str,
    scheme_version: str,
    human: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    batch_size: int = 500,
) -> PushReport:
    """Create/update the project and import the tasks it does not have yet.

    client (LabelStudio): SDK client from `connect`.
    tasks (Sequence[Task]): Tasks from `to_tasks`.
    project (str): Project title.
    label_config (str): Labeling config XML.
    scheme_version (str): Scheme version recorded in the project.
    human (Mapping[str, Sequence[Mapping]] | None): Human-layer rows ("spans", "relations",
        "document_labels", optional "annotations"/"annotation_notes") to push back as
        annotations onto tasks that have none yet; None pushes no annotations.
    batch_size (int): Tasks per import request.
    RETURNS (PushReport): What was done.
    """
    began = time.perf_counter()
    project_id, config_updated = ensure_project(client, project, label_config, scheme_version)
    existing = list_tasks(client, project_id)
    have = {(t["doc_id"], t["text_sha256"]): t for t in existing}
    current = {t.doc_id: t.text_sha256 for t in tasks}
    stale = tuple(
        (t["id"], t["doc_id"], t["annotations"])
        for t in existing
        if t["doc_id"] in current and t["text_sha256"] != current[t["doc_id"]]
    )
    new = [t for t in tasks if t.key not in have]
    created_ids: dict[tuple[str, str], int] = {}
    for i in range(0, len(new), batch_size):
        batch = new[i : i + batch_size]
        answer = client.projects.import_tasks(
            project_id, request=[t.to_json() for t in batch], return_task_ids=True
        )
        ids = getattr(answer, "task_ids", None)
        if not isinstance(ids, list) or len(ids) != len(batch):
            raise StudioError(Errors.E612.format(what="task import", detail=repr(answer)[:300]))
        created_ids.update({t.key: task_id for t, task_id in zip(batch, ids, strict=True)})
    n_annotations = 0
    if human is not None:
        empty = {k: t["id"] for k, t in have.items() if t["annotations"] == 0}
        targets = {**empty, **created_ids}
        n_annotations = _push_annotations(client, tasks, targets, human)
    return PushReport(
        project_id=project_id,
        created=len(new),
        existing=len(tasks) - len(new),
        stale=stale,
        config_updated=config_updated,
        annotations_created=n_annotations,
        seconds=time.perf_counter() - began,
    )


def _push_annotations(
    client: Any,
    tasks: Sequence[Task],
    targets: Mapping[tuple[str, str], int],
    human: Mapping[str, Sequence[Mapping[str, Any]]],
) -> int:
    grouped: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for name in ("spans", "relations", "document_labels", "annotation_notes"):
        for row in human.get(name, ()):
            if row.get("layer", tables.LAYER_HUMAN) == tables.LAYER_HUMAN and row.get(
                "annotation_id"
            ):
                grouped[(row["doc_id"], row["annotation_id"])][name].append(row)
    meta = {(a["doc_id"], a["annotation_id"]): a for a in human.get("annotations", ())}
    for key, a in meta.items():
        if a.get("was_cancelled") and not a.get("stale"):
            grouped[key].setdefault("spans", [])
    sha = {t.doc_id: t.text_sha256 for t in tasks}
    count = 0
    for (doc_id, ann_id), rows in sorted(grouped.items()):
        task_id = targets.get((doc_id, sha.get(doc_id, "")))
        info = meta.get((doc_id, ann_id), {})
        if task_id is None or info.get("stale"):
            continue
        prefix = f"a{ann_id}-"
        result = layer_results(
            rows["spans"],
            rows["relations"],
            rows["document_labels"],
            region_id=lambda span_id, p=prefix: span_id.removeprefix(p),
        )
        for n in sorted(rows["annotation_notes"], key=lambda r: r["result_index"]):
            if n["kind"] == "note":
                result.append(json.loads(n["raw_json"]))
        client.annotations.create(
            task_id,
            result=result,
            was_cancelled=bool(info.get("was_cancelled", False)),
            ground_truth=bool(info.get("ground_truth", False)),
            lead_time=info.get("lead_time"),
        )
        count += 1
    return count


def ensure_user(client: Any, email: str) -> int:
    """Find or create an annotator account (for a second annotator, or the gold reader).

    client (LabelStudio): SDK client.
    email (str): The account's e-mail (replaced by a pseudonym on pull).
    RETURNS (int): The user id.
    """
    for user in client.users.list():
        if getattr(user, "email", None) == email and isinstance(getattr(user, "id", None), int):
            return int(user.id)
    created = client.users.create(email=email, username=email.split("@")[0])
    if not isinstance(getattr(created, "id", None), int):
        raise StudioError(Errors.E612.format(what="user create", detail=repr(created)[:200]))
    return int(created.id)


def enter_annotations(
    client: Any,
    project_id: int,
    results: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    completed_by: int | None = None,
    ground_truth: bool = False,
) -> dict[str, int]:
    """Enter one annotation per document, as the web UI saves one, onto tasks with none yet.

    client (LabelStudio): SDK client.
    project_id (int): The project.
    results (Mapping[str, Sequence[Mapping]]): doc_id -> Label Studio `result` list.
    completed_by (int | None): Annotator's user id; None is the token's own user.
    ground_truth (bool): Mark the annotations as ground truth.
    RETURNS (dict[str, int]): doc_id -> new annotation id, for the documents entered.
    """
    tasks = {}
    for t in list_tasks(client, project_id):
        # the newest task of a document is the current one (a changed text makes a new task)
        tasks[t["doc_id"]] = t
    entered = {}
    for doc_id in sorted(results):
        task = tasks.get(doc_id)
        if task is None or task["annotations"]:
            continue
        extra: dict[str, Any] = {} if completed_by is None else {"completed_by": completed_by}
        made = client.annotations.create(
            task["id"],
            result=list(results[doc_id]),
            was_cancelled=False,
            ground_truth=ground_truth,
            **extra,
        )
        if not isinstance(getattr(made, "id", None), int):
            raise StudioError(Errors.E612.format(what="annotation create", detail=repr(made)[:200]))
        entered[doc_id] = int(made.id)
    return entered


def export_project(client: Any, project_id: int, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Export every task of a project with all annotations (full JSON, users expanded).

    The export-snapshot API is used (not the sync download) because it can expand
    `completed_by` to the user object, which gives each annotator a stable identity (their
    e-mail) across servers; the e-mail is replaced by a pseudonym before anything is written.

    client (LabelStudio): SDK client.
    project_id (int): The project.
    timeout (float): Seconds to wait for the export to finish.
    RETURNS (list[dict]): The export: all tasks, sorted by id.
    """
    export = client.projects.exports.create(
        project_id,
        title="summit-corpus pull",
        serialization_options={"annotations__completed_by": {"only_id": False}},
        task_filter_options={"only_with_annotations": False},
    )
    export_id = getattr(export, "id", None)
    if not isinstance(export_id, int):
        raise StudioError(Errors.E612.format(what="export create", detail=repr(export)[:300]))
    try:
        deadline = time.monotonic() + timeout
        while True:
            state = getattr(client.projects.exports.get(project_id, export_id), "status", None)
            if state == "completed":
                break
            if state == "failed" or time.monotonic() > deadline:
                raise StudioError(Errors.E612.format(what="export", detail=f"status {state}"))
            time.sleep(0.2)
        raw = b"".join(client.projects.exports.download(project_id, export_id, export_type="JSON"))
    finally:
        client.projects.exports.delete(project_id, export_id)
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise StudioError(Errors.E612.format(what="export download", detail="not a task list"))
    return sorted(value, key=lambda t: t.get("id") or 0)


def pseudonymise(export: Any, key: str) -> Any:
    """Replace every user's e-mail by its pseudonym and blank their names; drop volatile fields.

    User objects are recognised by their `email` key; results (what annotators typed) are
    never touched.

    export (Any): The export (or any part of it).
    key (str): The pseudonym key.
    RETURNS (Any): A new value; the input is not changed.
    """
    if isinstance(export, list):
        return [pseudonymise(v, key) for v in export]
    if not isinstance(export, dict):
        return export
    out: dict[str, Any] = {}
    is_user = isinstance(export.get("email"), str)
    for name, value in export.items():
        if name in _VOLATILE:
            continue
        if name == "result":
            out[name] = value
        elif is_user and name == "email":
            out[name] = pseudonym(value, key) if value else value
        elif is_user and name in _PERSONAL:
            out[name] = "" if isinstance(value, str) else None
        elif name == "created_username" and isinstance(value, str):
            email, _, rest = value.partition(",")
            out[name] = pseudonym(email, key) + ("," + rest if rest else "")
        else:
            out[name] = pseudonymise(value, key)
    return out


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "project"


def snapshot_bytes(export: Sequence[Mapping[str, Any]]) -> bytes:
    """RETURNS (bytes): The snapshot file's bytes: sorted keys, UTF-8, final newline."""
    return (json.dumps(list(export), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def region_problems(export: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Check every region of an export against its own task's text.

    export (Sequence[Mapping]): Label Studio's JSON export.
    RETURNS (list[Problem]): One problem per region that does not fit.
    """
    found = []
    for task in export:
        text = (task.get("data") or {}).get("text")
        doc_id = (task.get("data") or {}).get("doc_id")
        for annotation in task.get("annotations") or []:
            for index, item in enumerate(annotation.get("result") or []):
                if not isinstance(item, Mapping) or item.get("type") != "labels":
                    continue
                value = item.get("value") or {}
                if (
                    not isinstance(text, str)
                    or resolve_offsets(
                        text, value.get("start"), value.get("end"), value.get("text")
                    )
                    is None
                ):
                    found.append(
                        Problem(
                            task.get("id"),
                            str(annotation.get("id")),
                            str(item.get("id", f"#{index}")),
                            doc_id,
                            "region_text_matches",
                            f"[{value.get('start')}, {value.get('end')}) "
                            f"{value.get('text')!r} does not match the task text",
                        )
                    )
    return found


def pull(
    client: Any,
    *,
    project: str = DEFAULT_PROJECT,
    annotations_dir: Path = Path("annotations"),
    key: str | None = None,
    now: datetime | None = None,
) -> PullReport:
    """Export the project and store it as a dated, pseudonymised snapshot.

    client (LabelStudio): SDK client from `connect`.
    project (str): Project title.
    annotations_dir (Path): Folder of snapshots; the snapshot goes to `<dir>/<project-slug>/`.
    key (str | None): Pseudonym key; None reads SUMMIT_PSEUDONYM_KEY (refused if missing).
    now (datetime | None): Time the snapshot is named after; None is the current UTC time.
    RETURNS (PullReport): The snapshot, counts, mismatched regions and agreement.
    """
    key = key or os.environ.get(ENV_PSEUDONYM_KEY)
    if not key:
        raise AnnotateError(Errors.E608, rule="pseudonym_key")
    found = _find_project(client, project)
    if found is None:
        url = getattr(client, "_summit_url", "the server")
        raise AnnotateError(Errors.E609.format(title=project, url=url), rule="project_exists")
    export = pseudonymise(export_project(client, found.id), key)
    data = snapshot_bytes(export)
    folder = annotations_dir / _slug(project)
    previous = sorted(p for p in folder.glob("*.json") if SNAPSHOT_NAME.match(p.name))
    if previous and previous[-1].read_bytes() == data:
        path, written = previous[-1], False
    else:
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        path, written = folder / f"{stamp}.json", True
        folder.mkdir(parents=True, exist_ok=True)
        from summit_corpus.core.io import write_atomic

        write_atomic(path, data)
    texts = {
        t["data"]["doc_id"]: t["data"]["text"]
        for t in export
        if isinstance(t.get("data"), dict)
        and isinstance(t["data"].get("doc_id"), str)
        and isinstance(t["data"].get("text"), str)
    }
    converted = from_export(export, texts)
    scores = agreement(converted.tables)
    write_json(folder / AGREEMENT_FILE, scores)
    n_ann = sum(len(t.get("annotations") or []) for t in export)
    n_res = sum(len(a.get("result") or []) for t in export for a in t.get("annotations") or [])
    return PullReport(
        path, written, len(export), n_ann, n_res, tuple(region_problems(export)), scores
    )


# --- corpus-level entry points (used by the CLI) -----------------------------------------------
def read_corpus_tables(corpus: Path, names: Iterable[str]) -> dict[str, pa.Table]:
    """Read tables of a built corpus; documents must exist, the others may be missing.

    corpus (Path): The corpus folder.
    names (Iterable[str]): Table names to read.
    RETURNS (dict[str, pa.Table]): name -> table (empty when its folder has no files).
    """
    out = {}
    for name in names:
        folder = layout.config_dir(corpus, name)
        definition = tables.table(name)
        if not any(folder.glob("*.parquet")):
            if name == tables.DOCUMENTS.name:
                raise AnnotateError(
                    Errors.E611.format(corpus=corpus, table=name, folder=folder),
                    rule="corpus_tables",
                    path=folder,
                )
            out[name] = definition.empty()
            continue
        table = read_parquet_dir(folder)
        keep = [c for c in definition.names if c in table.column_names]
        out[name] = table.select(keep)
    return out


def push_corpus(
    corpus: Path,
    *,
    project: str = DEFAULT_PROJECT,
    with_annotations: bool = False,
    client: Any | None = None,
) -> PushReport:
    """`corpus annotate push`: the corpus's documents and model layer into Label Studio.

    corpus (Path): The built corpus folder.
    project (str): Project title.
    with_annotations (bool): Also push the corpus's human layer as annotations.
    client (LabelStudio | None): SDK client; None connects from the environment.
    RETURNS (PushReport): What was done.
    """
    from summit_corpus.core.scheme import labeling_config, load_scheme

    scheme = load_scheme()
    names = ["documents", "spans", "relations", "document_labels"]
    if with_annotations:
        names += ["annotations", "annotation_notes"]
    read = read_corpus_tables(corpus, names)
    tasks = to_tasks(read["documents"], read["spans"], read["relations"], read["document_labels"])
    human = None
    if with_annotations:
        human = {name: read[name].to_pylist() for name in names[1:]}
    return push(
        client or connect(),
        tasks,
        project=project,
        label_config=labeling_config(scheme),
        scheme_version=scheme.version,
        human=human,
    )


def write_text_report(path: Path, text: str) -> None:
    """Write a plain-text report atomically (used by scripts)."""
    write_text(path, text if text.endswith("\n") else text + "\n")


def iter_results(
    export: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[Any, str, Any]]:
    """YIELDS (tuple[int, str, Mapping]): (task id, annotation id, result item) of an export."""
    for task in export:
        for annotation in task.get("annotations") or []:
            for item in annotation.get("result") or []:
                yield task.get("id"), str(annotation.get("id")), item
