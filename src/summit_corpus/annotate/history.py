"""The annotation history: every snapshot ever pulled, read as one, and nothing lost by a pull.

`annotations/<project>/` holds dated snapshots (full exports). The history is append-only: a
pull adds a snapshot and never makes earlier human work disappear, because `corpus build` reads
**all** snapshots of **all** project folders and keeps, for each annotation, its newest
version, matched by the server-independent name of `identity.annotation_name` (so a fresh
server, a second machine or another project title numbering its annotations from 1 again is
no collision). Newest means the latest `updated_at`, then the later snapshot.

Taking human work out of the corpus is explicit: `corpus annotate pull --remove-missing`
records the annotations that are no longer on the server in `<project>/removed.json`
(`record_removals`); the snapshots that hold them stay. A version pulled after its removal
brings the annotation back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.annotate.convert import from_export
from summit_corpus.annotate.identity import annotation_name, annotator_key
from summit_corpus.annotate.snapshots import load_snapshot, misnamed_snapshots
from summit_corpus.annotate.values import REMOVED_FILE, SNAPSHOT_NAME, Conversion, Problem
from summit_corpus.core.io import write_json

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Version:
    """One version of one annotation, as a snapshot holds it.

    identity (str): Its server-independent name (`ann-<16 hex>`).
    doc_id (str): The document of its task.
    annotator (str): Its annotator's pseudonym (or the export's id for them).
    updated (datetime): Its `updated_at` (the epoch when missing).
    digest (str): SHA-256 of what the annotator made: result, skipped, ground truth.
    snapshot (str): The snapshot file's name (its UTC time).
    path (str): The snapshot file.
    task (Mapping[str, Any]): Its task in that snapshot (annotations not used).
    annotation (Mapping[str, Any]): The annotation object.
    """

    identity: str
    doc_id: str
    annotator: str
    updated: datetime
    digest: str
    snapshot: str
    path: str = field(repr=False)
    task: Mapping[str, Any] = field(repr=False)
    annotation: Mapping[str, Any] = field(repr=False)

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.updated, self.snapshot)


def _updated(annotation: Mapping[str, Any]) -> datetime:
    value = annotation.get("updated_at") or annotation.get("created_at")
    if not isinstance(value, str) or not value:
        return _EPOCH
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _EPOCH
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _canonical(item: Any) -> Any:
    """What a result item says, without how a client happened to write it (origin, scores,
    the browser's copy of the region text, key order)."""
    if not isinstance(item, Mapping):
        return ["raw", json.dumps(item, sort_keys=True)]
    kind = item.get("type")
    raw = item.get("value")
    value: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if kind == "labels":
        return [kind, item.get("from_name"), value.get("start"), value.get("end"),
                value.get("labels")]  # fmt: skip
    if kind == "relation":
        return [kind, item.get("from_id"), item.get("to_id"), item.get("direction"),
                item.get("labels")]  # fmt: skip
    if kind == "choices":
        return [kind, item.get("from_name"), sorted(value.get("choices") or [])]
    if kind == "textarea":
        return [kind, item.get("from_name"), value.get("text")]
    return ["other", json.dumps(item, sort_keys=True)]


def content_digest(annotation: Mapping[str, Any]) -> str:
    """RETURNS (str): SHA-256 of what an annotator made: the result (as it reads, not as it
    was written), skipped, ground truth."""
    made = {
        "result": sorted(
            json.dumps(_canonical(i), sort_keys=True) for i in annotation.get("result") or []
        ),
        "was_cancelled": bool(annotation.get("was_cancelled")),
        "ground_truth": bool(annotation.get("ground_truth")),
    }
    return hashlib.sha256(json.dumps(made, sort_keys=True).encode("utf-8")).hexdigest()


def versions(
    export: Sequence[Mapping[str, Any]], snapshot: str, path: str = ""
) -> Iterable[Version]:
    """YIELDS (Version): Every annotation of an export (a snapshot named `snapshot`)."""
    for task in export:
        data = task.get("data")
        doc_id = data.get("doc_id") if isinstance(data, Mapping) else None
        if not isinstance(doc_id, str):
            continue
        annotations = task.get("annotations")
        for annotation in annotations if isinstance(annotations, list) else []:
            if not isinstance(annotation, Mapping):
                continue
            yield Version(
                annotation_name(doc_id, annotation),
                doc_id,
                annotator_key(annotation),
                _updated(annotation),
                content_digest(annotation),
                snapshot,
                path,
                task,
                annotation,
            )


def project_folders(annotations_dir: Path) -> list[Path]:
    """RETURNS (list[Path]): The project folders under `annotations_dir` that hold snapshots."""
    if not annotations_dir.is_dir():
        return []
    return [
        p
        for p in sorted(annotations_dir.iterdir())
        if p.is_dir() and any(SNAPSHOT_NAME.match(f.name) for f in p.iterdir())
    ]


def snapshot_paths(folder: Path) -> list[Path]:
    """RETURNS (list[Path]): Every snapshot of one project folder, oldest first."""
    return sorted(p for p in folder.iterdir() if SNAPSHOT_NAME.match(p.name))


def removals(folder: Path) -> dict[str, dict[str, Any]]:
    """RETURNS (dict[str, dict]): identity -> its removal record in `<folder>/removed.json`."""
    try:
        value = json.loads((folder / REMOVED_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    records = value.get("removed") if isinstance(value, dict) else None
    return {
        r["annotation"]: r
        for r in records or []
        if isinstance(r, dict) and isinstance(r.get("annotation"), str)
    }


def record_removals(folder: Path, gone: Sequence[Version], snapshot: str) -> Path:
    """Append removal records: these annotations leave the corpus (their snapshots stay).

    folder (Path): The project folder.
    gone (Sequence[Version]): The newest versions of the annotations to remove.
    snapshot (str): Name of the snapshot the removal was decided with; a version in a later
        snapshot brings the annotation back.
    RETURNS (Path): The removal file.
    """
    records = removals(folder)
    for version in gone:
        records[version.identity] = {
            "annotation": version.identity,
            "doc_id": version.doc_id,
            "annotator": version.annotator,
            "last_version": version.snapshot,
            "removed_with": snapshot,
        }
    path = folder / REMOVED_FILE
    write_json(path, {"removed": [records[k] for k in sorted(records)]})
    return path


def newest(annotations_dir: Path, *, only: Path | None = None) -> dict[str, Version]:
    """The newest version of every annotation in the history, removals applied.

    annotations_dir (Path): The annotations folder (one sub-folder per project).
    only (Path | None): Read only this project folder.
    RETURNS (dict[str, Version]): identity -> newest version.
    """
    best: dict[str, Version] = {}
    removed: dict[str, dict[str, Any]] = {}
    folders = [only] if only is not None else project_folders(annotations_dir)
    for folder in folders:
        if not folder.is_dir():
            continue
        removed.update(removals(folder))
        for path in snapshot_paths(folder):
            for version in versions(load_snapshot(path), path.name, str(path)):
                held = best.get(version.identity)
                if held is None or version.order >= held.order:
                    best[version.identity] = version
    for identity, record in removed.items():
        held = best.get(identity)
        if held is not None and held.snapshot <= str(record.get("removed_with", "")):
            del best[identity]
    return best


def merged_export(annotations_dir: Path) -> list[dict[str, Any]]:
    """One export made of the history: each annotation's newest version, in its own task.

    annotations_dir (Path): The annotations folder.
    RETURNS (list[dict]): Tasks (one per snapshot task that holds a newest version), each with
        only those annotations, ordered by snapshot and task id; every task also carries the
        snapshot file it came from under the key `_snapshot`.
    """
    grouped: dict[tuple[str, int], list[Version]] = defaultdict(list)
    for version in newest(annotations_dir).values():
        task_id = version.task.get("id")
        grouped[(version.path, task_id if isinstance(task_id, int) else -1)].append(version)
    tasks = []
    for key in sorted(grouped):
        held = sorted(grouped[key], key=lambda v: v.identity)
        task = {k: v for k, v in held[0].task.items() if k != "annotations"}
        task["annotations"] = [dict(v.annotation) for v in held]
        task["_snapshot"] = key[0]
        tasks.append(task)
    return tasks


def _unread(annotations_dir: Path) -> list[dict[str, Any]]:
    """What of the snapshots `versions` cannot read: tasks naming no document, annotation lists
    that are not lists, annotations that are not objects. Kept (with their file) so that the
    conversion reports them as it does for a single export, and a build stops on them."""
    found = []
    for folder in project_folders(annotations_dir):
        for path in snapshot_paths(folder):
            for task in load_snapshot(path):
                data = task.get("data")
                annotations = task.get("annotations")
                named = isinstance(data, Mapping) and isinstance(data.get("doc_id"), str)
                listed = annotations is None or isinstance(annotations, list)
                if not (named and listed):
                    found.append({**task, "_snapshot": str(path)})
                elif isinstance(annotations, list):
                    bad = [a for a in annotations if not isinstance(a, Mapping)]
                    if bad:
                        found.append({**task, "annotations": bad, "_snapshot": str(path)})
    return found


def convert_snapshots(annotations_dir: Path, documents: pa.Table | Mapping[str, str]) -> Conversion:
    """Convert the whole history (every snapshot, newest version of each annotation).

    Every problem names its snapshot file; a JSON file named unlike a snapshot is a problem
    too ('snapshot_name': no build reads it).

    annotations_dir (Path): The annotations folder.
    documents (pa.Table | Mapping[str, str]): The documents table, or doc_id -> text.
    RETURNS (Conversion): The tables (empty when there are no snapshots) and problems.
    """
    tasks = [*merged_export(annotations_dir), *_unread(annotations_dir)]
    files: dict[Any, str] = {}
    for task in tasks:
        task_id = task.get("id") if isinstance(task.get("id"), int) else None
        files.setdefault(task_id, task.pop("_snapshot"))
    converted = from_export(tasks, documents)
    problems = [
        dataclasses.replace(p, snapshot=files[p.task_id]) if p.task_id in files else p
        for p in converted.problems
    ]
    problems += [
        Problem(
            None,
            None,
            None,
            None,
            "snapshot_name",
            "not named <YYYYmmddTHHMMSSZ>.json, so "
            "never read; rename it or move it out of the annotations folder",
            str(path),
        )
        for path in misnamed_snapshots(annotations_dir)
    ]
    sources = {task: path for task, path in files.items() if isinstance(task, int)}
    return dataclasses.replace(converted, problems=tuple(problems), snapshots=sources)


def snapshot_doc_ids(annotations_dir: Path) -> set[str]:
    """RETURNS (set[str]): The documents the history has annotations for (a build reads only
    their texts); empty when there are no snapshots."""
    return {v.doc_id for v in newest(annotations_dir).values()}


def read_snapshots(annotations_dir: Path, documents: pa.Table) -> dict[str, pa.Table]:
    """Read the human layers for `corpus build`: offline and deterministic.

    annotations_dir (Path): The annotations folder (every snapshot of every project is read).
    documents (pa.Table): The documents table of the corpus being built.
    RETURNS (dict[str, pa.Table]): spans, relations, document_labels, annotations and
        annotation_notes, with `human` and `adjudicated` rows only.
    """
    return convert_snapshots(annotations_dir, documents).tables


@dataclass(frozen=True, slots=True)
class Changes:
    """What a pulled export changes in the history (see `compare`).

    new (tuple[Version, ...]): Annotations the history did not have.
    changed (tuple[Version, ...]): Annotations whose content differs from their newest version.
    gone (tuple[Version, ...]): Newest versions, pulled earlier from this project, of
        annotations the server no longer has (kept unless removed explicitly).
    """

    new: tuple[Version, ...] = ()
    changed: tuple[Version, ...] = ()
    gone: tuple[Version, ...] = ()

    def lines(self, removed: bool = False) -> list[str]:
        """RETURNS (list[str]): One line per count, then one per annotation that left."""

        def who(v: Version) -> str:
            return f"{v.identity} (doc {v.doc_id}, {v.annotator or 'unknown annotator'})"

        out = [
            f"annotations: {len(self.new)} new, {len(self.changed)} changed, "
            f"{len(self.gone)} no longer on the server."
        ]
        out += [f"new: {who(v)}" for v in self.new]
        out += [f"changed: {who(v)}" for v in self.changed]
        if removed:
            out += [
                f"removed from the corpus: {who(v)}, last pulled {v.snapshot}" for v in self.gone
            ]
        else:
            out += [
                f"no longer on the server: {who(v)}, last pulled {v.snapshot}; kept in the corpus "
                "(`corpus annotate pull --remove-missing` removes it)"
                for v in self.gone
            ]
        return out


def compare(
    annotations_dir: Path, folder: Path, export: Sequence[Mapping[str, Any]], snapshot: str
) -> Changes:
    """Compare a pulled export with the history before it is written.

    annotations_dir (Path): The annotations folder (the whole history: new and changed).
    folder (Path): This project's folder (what was pulled from it before: gone).
    export (Sequence[Mapping]): The pseudonymised export just pulled.
    snapshot (str): The name the new snapshot gets.
    RETURNS (Changes): New, changed and gone annotations, sorted by identity.
    """
    history = newest(annotations_dir)
    here = newest(annotations_dir, only=folder)
    pulled = {v.identity: v for v in versions(export, snapshot, str(folder / snapshot))}
    new = [v for k, v in pulled.items() if k not in history]
    changed = [v for k, v in pulled.items() if k in history and history[k].digest != v.digest]
    gone = [v for k, v in here.items() if k not in pulled]

    def ordered(items: list[Version]) -> tuple[Version, ...]:
        return tuple(sorted(items, key=lambda v: v.identity))

    return Changes(ordered(new), ordered(changed), ordered(gone))
