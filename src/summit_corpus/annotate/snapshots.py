"""Snapshots: a pulled export as a dated, pseudonymised file, and the offline reading of it.

A snapshot is Label Studio's full JSON export with every annotator's e-mail replaced by a keyed
hash (`pseudonymise`), written with sorted keys (`snapshot_bytes`) to
`annotations/<project-slug>/<YYYYmmddTHHMMSSZ>.json`. `corpus build` reads every snapshot
(`history.read_snapshots`) without a server, so a build is offline and deterministic.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from summit_corpus.annotate.identity import pseudonym_of_email
from summit_corpus.annotate.values import AGREEMENT_FILE, REMOVED_FILE, SNAPSHOT_NAME
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
    never touched. An account `push` made for a pseudonym (`identity.pseudonym_email`) maps back
    to that pseudonym, so an annotator keeps their name across servers.

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
            out[name] = (pseudonym_of_email(value) or pseudonym(value, key)) if value else value
        elif is_user and name in _PERSONAL:
            out[name] = "" if isinstance(value, str) else None
        elif name == "created_username" and isinstance(value, str):
            email, _, rest = value.partition(",")
            name_of = pseudonym_of_email(email) or pseudonym(email, key)
            out[name] = name_of + ("," + rest if rest else "")
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
    """The latest snapshot of each project folder under `annotations_dir` (a build reads them
    all: see `history`).

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
        and p.name not in (AGREEMENT_FILE, REMOVED_FILE)
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
