"""What validation found of one shard's files, kept by their content for the next build.

The validator reads the files of one name (one shard of one split) of every config together
(`corpus._Stream`), and every rule but the split assignment's and the one that finds a document
in two shards sees only those files. So once a corpus has passed, what each shard contributed
to the rules that span shards (its row counts, its doc_ids, its split-assignment columns) is
kept under a key made of the SHA-256 of each of its files (read now, not taken from the
manifest), the schema of every config, the scheme's vocabularies and the validator's code; a
later validation of a folder with a shard of exactly those bytes takes that instead of reading
the shard again, and still runs the rules that span shards over every shard. A changed or
damaged file has another digest and is read and checked again; a damaged entry is ignored.

Layout: <folder>/<key[:2]>/<key>.entry (`build.cache` entries: checksummed Arrow). Only the
entries of the last corpus that passed are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.build.cache import decode_entry, encode_entry, stage_sources
from summit_corpus.core import io
from summit_corpus.validate.files import ConfigFiles

_LIBRARIES = ("pyarrow", "pandera", "narwhals", "numpy")


@dataclass(frozen=True, slots=True)
class ShardResult:
    """What a shard that passed contributes to the rules that span shards.

    rows (dict[str, int]): Table name -> rows validated.
    doc_keys (pa.Array): The doc_ids its rows hold (each once per chunk it was read in).
    assignment (pa.Table | None): Its documents' split-assignment columns.
    """

    rows: dict[str, int]
    doc_keys: pa.Array
    assignment: pa.Table | None


def code_key(vocabularies: Mapping[str, Any], docs_per_chunk: int) -> str:
    """RETURNS (str): A digest of what decides validation besides the files: the validator's
    code (and the toolkit modules it imports), the libraries it runs on, the vocabularies."""
    digest = hashlib.sha256()
    for path in stage_sources("summit_corpus.validate.corpus"):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in _LIBRARIES:
        digest.update(f"{library} {version(library)}\0".encode())
    digest.update(json.dumps(vocabularies, sort_keys=True, default=str).encode())
    digest.update(f"chunk {docs_per_chunk}".encode())
    return digest.hexdigest()


def shard_key(code: str, configs: Mapping[str, ConfigFiles], file_name: str) -> str:
    """RETURNS (str): The key of the shard `file_name`: `code`, and per config its schema and
    the SHA-256 of its file of that name (or that it has none)."""
    digest = hashlib.sha256(code.encode())
    for name in sorted(configs):
        config = configs[name]
        digest.update(name.encode() + b"\0" + config.schema.serialize().to_pybytes())
        path = config.folder / file_name
        digest.update((io.sha256_file(path) if file_name in config.names else "-").encode())
    return digest.hexdigest()


class ValidationMemo:
    """The shards of the last corpus that passed, by key.

    folder (Path): Where the entries live (inside the build's cache folder).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.entry"

    def recall(self, key: str) -> ShardResult | None:
        """RETURNS (ShardResult | None): The result kept for `key`; None when there is none
        or it is damaged (the shard is then validated again)."""
        try:
            entry = decode_entry(self._path(key).read_bytes(), version=key)
            rows = entry["rows"]
            counts = dict(
                zip(rows.column("table").to_pylist(), rows.column("rows").to_pylist(), strict=True)
            )
            assignment = entry.get("assignment")
            return ShardResult(counts, entry["doc_keys"].column(0).combine_chunks(), assignment)
        except (pa.ArrowException, OSError, KeyError, ValueError):
            return None

    def remember(
        self, results: Mapping[str, ShardResult], recalled: Set[str] = frozenset()
    ) -> None:
        """Keep `results` (key -> result) and drop every other entry. An entry is written
        unless its key is in `recalled` (taken from this memo intact): one that is there but
        was not recalled is damaged, and is replaced."""
        for key, result in results.items():
            path = self._path(key)
            if key in recalled:
                continue
            tables = {
                "rows": pa.table(
                    {"table": list(result.rows), "rows": pa.array(result.rows.values(), pa.int64())}
                ),
                "doc_keys": pa.table({"doc_key": result.doc_keys}),
            }
            if result.assignment is not None:
                tables["assignment"] = result.assignment
            io.write_atomic(path, encode_entry(tables, version=key))
        self._prune(set(results))

    def _prune(self, keep: set[str]) -> None:
        for path in self.folder.glob("*/*.entry"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


def concat_keys(arrays: Sequence[pa.Array]) -> pa.Array:
    """RETURNS (pa.Array): The doc keys of several chunks as one array."""
    return pa.concat_arrays(list(arrays)) if arrays else pa.array([], pa.string())
