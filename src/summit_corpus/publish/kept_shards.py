"""Shards a rebuild takes from the corpus it replaces instead of writing them again.

A shard's file is a function of its documents' rows, their split assignment, the scheme and
the publisher's code (the writer is deterministic: the same rows give the same bytes however
they were chunked). A document's rows are in turn a function of its raw file (name and bytes),
the per-article stage's code (the cache namespace) and its human and adjudicated rows. So
each (config, split, shard) gets a key made of all of these, and the build remembers, per key,
which file it wrote and that file's SHA-256 (from the corpus's MANIFEST.json). The next build
whose shard has the same key copies that file from the corpus it replaces, once its bytes are
verified, and the writer skips the shard's rows. After a pull that changed only annotations,
or after adding an article, most shards are taken (`shards.py` keeps their cuts).

The card's facts are sums over the documents, so the build also remembers each shard's facts
(`FactsAccumulator.state`) under a key made of all its configs' keys: a shard taken for every
config brings its facts, and the build need not read its documents' rows at all.

The memo is one JSON file in the build's cache folder holding the last build's keys; a missing
or damaged memo, or a previous file that is gone or changed, means the shard is written.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.scheme import SCHEME_PATH
from summit_corpus.publish.facts import FactsAccumulator
from summit_corpus.publish.shards import ShardPlan

ShardKey = tuple[str, str, int]  # (config, split, shard)


@dataclass(frozen=True)
class ShardSources:
    """What a build's shards are made from, besides their rows' code.

    previous (Path): The corpus the build replaces (it may not exist).
    memo (Path): The JSON file of the last build's shard keys.
    stage (str): The namespace of the per-article rows (`build.cache.namespace`).
    """

    previous: Path
    memo: Path
    stage: str


def document_keys(
    documents: Path, human: Mapping[str, pa.Table]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each document's keys: of its raw file (name and SHA-256), and of its human rows.

    documents (Path): The staged documents (their provenance columns are read).
    human (Mapping[str, pa.Table]): The human and adjudicated layers (few rows), by table.
    RETURNS (tuple[dict[str, str], dict[str, str]]): doc_id -> key of its raw file; doc_id ->
        key of its human rows (documents that have some).
    """
    columns = ["doc_id", "source_file", "source_sha256"]
    provenance = io.open_parquet(documents).read(columns=columns)
    rows: dict[str, list[str]] = {}
    for name in sorted(human):
        for row in human[name].to_pylist():
            line = json.dumps([name, row], sort_keys=True, default=str)
            rows.setdefault(row["doc_id"], []).append(line)
    values = [provenance.column(c).to_pylist() for c in columns]
    sources = {
        doc_id: hashlib.sha256(f"{source_file}\0{source_sha256}".encode()).hexdigest()
        for doc_id, source_file, source_sha256 in zip(*values, strict=True)
    }
    humans = {
        doc_id: hashlib.sha256("\n".join(lines).encode()).hexdigest()
        for doc_id, lines in rows.items()
    }
    return sources, humans


def model_only_configs(names: Iterable[str], human: Mapping[str, pa.Table]) -> list[str]:
    """RETURNS (list[str]): The flat configs of `names` that no human row reaches: tables
    without a `layer` column that the human layer does not fill."""
    from summit_corpus.publish.configs import FLAT

    flat = {t.name: t for t in FLAT}
    return [
        name
        for name in names
        if name in flat and name not in human and "layer" not in flat[name].schema.names
    ]


class KeptShards:
    """The shard keys of one build, and the files it takes from the corpus it replaces.

    sources (ShardSources): What the shards are made from.
    doc_keys (tuple[Mapping[str, str], Mapping[str, str]]): From `document_keys`.
    model_only (Iterable[str]): The configs no human row reaches (flat tables without a
        `layer` that no annotation fills: sentences, tokens); their keys leave the human rows
        out, so a pull does not rewrite them.
    """

    def __init__(
        self,
        sources: ShardSources,
        doc_keys: tuple[Mapping[str, str], Mapping[str, str]],
        model_only: Iterable[str],
    ) -> None:
        self.sources = sources
        self.doc_keys, self.human_keys = doc_keys
        self.model_only = frozenset(model_only)
        self.keys: dict[ShardKey, str] = {}
        self._counts: dict[str, int] = {}
        self._documents: dict[tuple[str, int], list[str]] = {}  # (split, shard) -> doc_ids
        self._facts_keys: dict[tuple[str, int], str] = {}  # (split, shard) -> key of its facts
        self._memo: dict[str, Any] | None = None

    def take(
        self, plan: ShardPlan, assignment: pa.Table, configs: Iterable[str], out_dir: Path
    ) -> dict[ShardKey, int]:
        """Copy into `out_dir` every shard file of `configs` whose key the last build wrote,
        once its bytes are verified.

        RETURNS (dict[ShardKey, int]): The shards taken (a shard the last build had no file
            for, with the same key, is taken with none) -> their rows.
        """
        self.keys = self._keys(plan, assignment, tuple(configs))
        remembered = self._remembered()
        manifest = _manifest(self.sources.previous)
        taken: dict[ShardKey, int] = {}
        for shard, key in self.keys.items():
            entry = remembered.get(key)
            if entry is None:
                continue
            if entry["path"] is None:
                taken[shard] = 0
                continue
            if manifest.get(entry["path"]) != entry["sha256"]:
                continue
            try:
                data = (self.sources.previous / entry["path"]).read_bytes()
            except OSError:
                continue
            if io.sha256_bytes(data) != entry["sha256"]:
                continue
            target = out_dir / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.chmod(target, 0o644)
            taken[shard] = int(entry["rows"])
        return taken

    def documents_of_whole_shards(self, taken: Mapping[ShardKey, int]) -> list[str]:
        """RETURNS (list[str]): The doc_ids of the shards `taken` holds for every config (after
        `take`): their rows are needed for the facts only, in no file to write."""
        configs = {config for config, _, _ in self.keys}
        whole = []
        for (split, index), doc_ids in self._documents.items():
            if all((config, split, index) in taken for config in configs):
                whole += doc_ids
        return sorted(whole)

    def facts_of_whole_shards(
        self, taken: Mapping[ShardKey, int]
    ) -> dict[tuple[str, int], FactsAccumulator]:
        """RETURNS (dict): (split, shard) -> the facts the last build kept of a shard `taken`
        holds for every config, when it kept them (a damaged entry counts as none)."""
        configs = {config for config, _, _ in self.keys}
        kept = self._remembered_part("facts")
        found = {}
        for shard, key in self._facts_keys.items():
            state = kept.get(key)
            if state is None or not all((c, *shard) in taken for c in configs):
                continue
            try:
                found[shard] = FactsAccumulator.from_state(state)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return found

    def documents_of(self, shards: Iterable[tuple[str, int]]) -> list[str]:
        """RETURNS (list[str]): The doc_ids of `shards` ((split, shard) pairs), sorted."""
        return sorted(doc_id for shard in shards for doc_id in self._documents[shard])

    def remember(
        self,
        corpus: Path,
        rows: Mapping[ShardKey, int],
        facts: Mapping[tuple[str, int], FactsAccumulator],
    ) -> None:
        """Record, per shard key of this build, its file in `corpus` and that file's SHA-256
        (from the corpus's manifest), and the facts of each shard's documents (`facts`,
        (split, shard) -> facts), for the next build."""
        manifest = _manifest(corpus)
        entries = {}
        for shard, key in self.keys.items():
            config, split, index = shard
            path = layout.shard_file(corpus, config, split, index, self._count(shard))
            name = path.relative_to(corpus).as_posix()
            if name in manifest:
                entries[key] = {"path": name, "sha256": manifest[name], "rows": rows[shard]}
            elif rows.get(shard, 0) == 0:
                entries[key] = {"path": None, "sha256": None, "rows": 0}
        states = {
            self._facts_keys[shard]: accumulator.state()
            for shard, accumulator in facts.items()
            if shard in self._facts_keys
        }
        self.sources.memo.parent.mkdir(parents=True, exist_ok=True)
        io.write_json(self.sources.memo, {"format": 1, "shards": entries, "facts": states})

    def _keys(
        self, plan: ShardPlan, assignment: pa.Table, configs: tuple[str, ...]
    ) -> dict[ShardKey, str]:
        base = hashlib.sha256(self._code())
        by_doc = {row["doc_id"]: row for row in assignment.to_pylist()}
        keys: dict[ShardKey, str] = {}
        self._counts = {split: plan.count(split) for split in T.SPLITS}
        for split in T.SPLITS:
            doc_ids = sorted(d for d, row in by_doc.items() if row["split"] == split)
            firsts = plan.firsts.get(split, [])
            starts = [bisect.bisect_left(doc_ids, first) for first in firsts] or [0]
            for index, start in enumerate(starts):
                end = starts[index + 1] if index + 1 < len(starts) else len(doc_ids)
                self._documents[(split, index)] = doc_ids[start:end]
                digest = base.copy()
                digest.update(f"{split}\0{index}\0{plan.count(split)}\0".encode())
                annotated = hashlib.sha256()
                for doc_id in doc_ids[start:end]:
                    row = json.dumps(by_doc[doc_id], sort_keys=True, default=str)
                    digest.update(f"{self.doc_keys.get(doc_id)}\0{row}\n".encode())
                    annotated.update(f"{doc_id}\0{self.human_keys.get(doc_id)}\n".encode())
                for config in configs:
                    named = digest.copy()
                    named.update(config.encode() + b"\0")
                    if config not in self.model_only:
                        named.update(annotated.digest())
                    keys[(config, split, index)] = named.hexdigest()
                # A shard's facts come from the rows of every config: all their keys.
                facts = hashlib.sha256(b"facts\0")
                for config in sorted(configs):
                    facts.update(keys[(config, split, index)].encode())
                self._facts_keys[(split, index)] = facts.hexdigest()
        return keys

    def _count(self, shard: ShardKey) -> int:
        return self._counts[shard[1]]

    def _code(self) -> bytes:
        """The publisher's code, the scheme and the libraries that decide the bytes."""
        from summit_corpus.build.cache import stage_sources

        parts = [f"stage {self.sources.stage}".encode(), SCHEME_PATH.read_bytes()]
        for path in stage_sources("summit_corpus.publish.writer"):
            parts.append(path.name.encode() + b"\0" + path.read_bytes())
        parts += [f"{lib} {version(lib)}".encode() for lib in ("pyarrow", "datasets")]
        return b"\0".join(parts)

    def _remembered(self) -> dict[str, Any]:
        return self._remembered_part("shards")

    def _remembered_part(self, part: str) -> dict[str, Any]:
        """RETURNS (dict): The memo's `part` ("shards" or "facts"); empty when damaged."""
        if self._memo is None:
            try:
                memo = json.loads(self.sources.memo.read_text(encoding="utf-8"))
                self._memo = memo if isinstance(memo, dict) and memo.get("format") == 1 else {}
            except (OSError, ValueError):
                self._memo = {}
        found = self._memo.get(part, {})
        return found if isinstance(found, dict) else {}


def _manifest(corpus: Path) -> dict[str, str]:
    try:
        found = json.loads((corpus / layout.MANIFEST).read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}
