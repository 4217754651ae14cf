"""The manifest rule: MANIFEST.json lists every file of the corpus folder with its SHA-256."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from summit_corpus.core import layout
from summit_corpus.core.errors import Errors
from summit_corpus.core.io import sha256_file
from summit_corpus.validate.report import RULES, Failure, _jsonable, _short


def check_manifest(corpus_dir: Path) -> list[Failure]:
    """Check MANIFEST.json against the files of the corpus folder.

    corpus_dir (Path): The corpus folder.
    RETURNS (list[Failure]): A missing or malformed manifest, changed, unlisted or missing files.
    """
    path = corpus_dir / layout.MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [_manifest_failure("manifest_present", layout.MANIFEST, str(error))]
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict):
        manifest = manifest["files"]
    if not isinstance(manifest, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()
    ):
        return [
            _manifest_failure(
                "manifest_present", layout.MANIFEST, "not an object of path -> sha256"
            )
        ]
    present = {
        p.relative_to(corpus_dir).as_posix(): p
        for p in sorted(corpus_dir.rglob("*"))
        if p.is_file() and p.relative_to(corpus_dir).as_posix() != layout.MANIFEST
    }
    failures = []
    for rel, file in present.items():
        if rel not in manifest:
            failures.append(_manifest_failure("manifest_lists_file", rel, rel))
            continue
        digest = sha256_file(file)
        if digest != manifest[rel]:
            failures.append(
                _manifest_failure(
                    "manifest_hash_matches", rel, {"expected": manifest[rel], "actual": digest}
                )
            )
    for rel in sorted(set(manifest) - set(present)):
        failures.append(_manifest_failure("manifest_file_exists", rel, rel))
    return failures


def _manifest_failure(rule: str, rel: str, value: Any) -> Failure:
    message = getattr(Errors, RULES[rule][0]).format(
        where=f"manifest ({rel})", column="", value=_short(value)
    )
    return Failure("manifest", {"path": rel}, rule, _jsonable(value), message, None, rel, None)
