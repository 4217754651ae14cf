"""Snapshots: a pulled export as a dated, pseudonymised file, and the offline reading of it.

A snapshot is Label Studio's full JSON export with every annotator's e-mail replaced by a keyed
hash (`pseudonymise`), written with sorted keys (`snapshot_bytes`) to
`annotations/<project-slug>/<YYYYmmddTHHMMSSZ>.json`. `corpus build` reads the latest snapshot
of each project (`read_snapshots`) without a server, so a build is offline and deterministic.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.annotate.convert import from_export
from summit_corpus.annotate.values import AGREEMENT_FILE, SNAPSHOT_NAME, Conversion, Problem
from summit_corpus.core.errors import AnnotateError, Errors

# Per-export fields that change with the time of the export, not with the data.
_VOLATILE = frozenset({"created_ago"})
# Fields of a user object that identify a person.
_PERSONAL = ("first_name", "last_name", "username", "avatar", "initials", "phone")


def pseudonym(email: str, key: str) -> str:
    """RETURNS (str): A stable pseudonym for an annotator: a keyed hash of the e-mail."""
    digest = hmac.new(key.encode("utf-8"), email.strip().lower().encode("utf-8"), hashlib.sha256)
    return f"annotator-{digest.hexdigest()[:12]}"


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


def project_slug(title: str) -> str:
    """RETURNS (str): The snapshot folder name of a project title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "project"


def snapshot_bytes(export: Sequence[Mapping[str, Any]]) -> bytes:
    """RETURNS (bytes): The snapshot file's bytes: sorted keys, UTF-8, final newline."""
    return (json.dumps(list(export), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


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


def misnamed_snapshots(annotations_dir: Path) -> list[Path]:
    """JSON files in project folders that are not named like a snapshot, so no build reads them.

    annotations_dir (Path): The annotations folder.
    RETURNS (list[Path]): Every `*.json` besides snapshots and agreement.json, sorted.
    """
    if not annotations_dir.is_dir():
        return []
    return [
        p
        for folder in sorted(p for p in annotations_dir.iterdir() if p.is_dir())
        for p in sorted(folder.iterdir())
        if p.suffix.lower() == ".json"
        and not SNAPSHOT_NAME.match(p.name)
        and p.name != AGREEMENT_FILE
    ]


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

    Every problem names its snapshot file; a JSON file named unlike a snapshot is a problem
    too ('snapshot_name': no build reads it).

    annotations_dir (Path): The annotations folder.
    documents (pa.Table | Mapping[str, str]): The documents table, or doc_id -> text.
    RETURNS (Conversion): The tables (empty when there are no snapshots) and problems.
    """
    tasks: list[Any] = []
    seen: dict[int, Path] = {}
    files: dict[Any, Path] = {}  # task id -> its snapshot
    for path in snapshot_files(annotations_dir) if annotations_dir.is_dir() else []:
        for task in load_snapshot(path):
            annotations = task.get("annotations")
            for annotation in annotations if isinstance(annotations, list) else []:
                ann_id = annotation.get("id") if isinstance(annotation, dict) else None
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
            files.setdefault(task.get("id") if isinstance(task.get("id"), int) else None, path)
            tasks.append(task)
    converted = from_export(tasks, documents)
    problems = [
        dataclasses.replace(p, snapshot=str(files[p.task_id])) if p.task_id in files else p
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
    sources = {task: str(path) for task, path in files.items() if isinstance(task, int)}
    return dataclasses.replace(converted, problems=tuple(problems), snapshots=sources)


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
        annotation_notes, with `human` and `adjudicated` rows only. The problems are
        `convert_snapshots`'s (a build uses that, to print them).
    """
    return convert_snapshots(annotations_dir, documents).tables
