"""What the datasheet states about a published corpus, gathered shard by shard from its files.

`summarize_corpus` reads the published folder one shard at a time (the files of one name,
such as `train-00002-of-00005.parquet`, in every config: the same documents), a batch at a
time, and sums what each shard gives (`ShardSummary`): counters, a few values per document,
the human and adjudicated layers' rows. Memory never holds the text or the tokens of the
whole corpus.

A rebuild after adding an article or a pull rewrites few shards, so what each shard gave is
kept (`memo`, in the build's cache folder) under a key made of the SHA-256 of each of its files
(read now, not taken from the manifest), whether documents are listed, and the code that
summarizes; a shard of the same bytes is taken from the memo instead of being read again. A
damaged entry is ignored and the shard read. Only the entries of the last summary are kept.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import CorpusError, Errors
from summit_corpus.publish.facts import FactsAccumulator

# Up to this many documents the datasheet lists each one; above it, a summary per split.
DOCUMENT_TABLE_LIMIT = 50
# Rows per batch: documents carry their text (read for the character count), the other
# configs only short columns.
_DOCUMENT_BATCH_ROWS = 256
_BATCH_ROWS = 65_536
_DOCUMENT_COLUMNS = (
    "doc_id",
    "text",
    "title",
    "published_at",
    "published_at_local",
    "updated_at",  # with `updates`: the dates the articles state (facts.dated_min/max)
    "updates",
    "byline",
    "credits",
    "split",
    "group_id",
    "story_key",
    "near_duplicate_of",
    "grouped_by",
)
# Only the reason of each removed line, not the line itself (a nested column path).
_REMOVED_REASON = "removed_lines.list.element.reason"
# The configs the summary reads, documents first.
_READ = (
    T.DOCUMENTS,
    T.SENTENCES,
    T.TOKENS,
    T.ANNOTATION_NOTES,
    T.SPANS,
    T.DOCUMENT_LABELS,
    T.RELATIONS,
    T.ANNOTATIONS,
)
# The folder of a build's cache folder where what each shard gave is kept (`SummaryMemo`).
MEMO_FOLDER = "datasheet"
_HUMAN = (T.SPANS, T.DOCUMENT_LABELS)
_EVALUATED = (T.SPANS, T.RELATIONS, T.DOCUMENT_LABELS)


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    """What the datasheet states about a published corpus, gathered batch by batch.

    facts (dict[str, Any]): `publish.FactsAccumulator.facts` over every table.
    lengths (dict[str, int]): doc_id -> tokens.
    sentences (dict[str, int]): doc_id -> sentences.
    split_of (dict[str, str]): doc_id -> split.
    documents (list[dict[str, Any]]): Per document (by doc_id) its headline, stated
        publication, byline and assignment; empty when the corpus has more documents than
        the table limit.
    removed (dict[str, int]): Removed lines per reason.
    label_values (dict[tuple[str, str, str], int]): (name, value, layer) -> document labels.
    agreement_tables (dict[str, pa.Table]): The annotations and the human layer's spans and
        document labels (all `annotate.agreement` reads).
    evaluation_tables (dict[str, pa.Table]): Spans, relations and document labels of the
        documents an adjudicated layer covers (all `evaluate.evaluate_tables` reads).
    """

    facts: dict[str, Any]
    lengths: dict[str, int]
    sentences: dict[str, int]
    split_of: dict[str, str]
    documents: list[dict[str, Any]]
    removed: dict[str, int]
    label_values: dict[tuple[str, str, str], int]
    agreement_tables: dict[str, pa.Table]
    evaluation_tables: dict[str, pa.Table]


@dataclass(frozen=True, slots=True)
class ShardSummary:
    """What one shard's files give the summary; shards' summaries add up (`_total`).

    facts (FactsAccumulator): Over every table of the shard.
    tables (dict[str, pa.Table]): "split_of" (doc_id, split), "tokens" and "sentences"
        (doc_id, rows), "removed" (reason, rows), "label_values" (name, value, layer, rows),
        "adjudicated" (doc_id), "documents" (the listed documents' rows, when listed), and
        per table name "human/<name>", "evaluation/<name>" and "annotations": rows.
    """

    facts: FactsAccumulator
    tables: dict[str, pa.Table]


def _counts(counter: Mapping[Any, int], columns: Sequence[str]) -> pa.Table:
    """RETURNS (pa.Table): A counter as rows: its key's parts in `columns`, then `rows`."""
    keys = sorted(counter, key=str)
    parts = [k if isinstance(k, tuple) else (k,) for k in keys]
    data = {c: pa.array([p[i] for p in parts], pa.string()) for i, c in enumerate(columns)}
    data["rows"] = pa.array([counter[k] for k in keys], pa.int64())
    return pa.table(data)


def _doc_counts(column: Any) -> Counter[str]:
    """RETURNS (Counter[str]): Rows per value of a string column, counted by Arrow."""
    counts = pc.value_counts(column)
    return Counter(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )


def _batches(files: Sequence[Path], columns: Sequence[str], rows: int) -> Iterator[pa.Table]:
    """Batches of some columns of every file in turn: one batch in memory at a time."""
    for path in files:
        parquet = io.open_parquet(path)
        for batch in parquet.iter_batches(batch_size=rows, columns=list(columns)):
            yield pa.Table.from_batches([batch])


def _typed_batches(files: Sequence[Path], definition: T.Table) -> Iterator[pa.Table]:
    for batch in _batches(files, definition.names, _BATCH_ROWS):
        yield batch.cast(definition.schema)


def _select(
    files: Sequence[Path], definition: T.Table, keep: Callable[[pa.Table], Any] | None
) -> pa.Table:
    """RETURNS (pa.Table): The rows `keep` marks (all if None), sorted by the definition."""
    parts = [b if keep is None else b.filter(keep(b)) for b in _typed_batches(files, definition)]
    if not parts:
        return definition.schema.empty_table()
    return definition.sorted(pa.concat_tables(parts))


class _ShardReader:
    """The passes over one shard's files (config name -> its file of the shard, if any)."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files = files
        self.facts = FactsAccumulator()
        self._no_documents = T.DOCUMENTS.schema.empty_table()
        self._no_assignment = T.SPLIT_ASSIGNMENT.schema.empty_table()

    def of(self, definition: T.Table) -> list[Path]:
        path = self.files.get(definition.name)
        return [path] if path is not None else []

    def count(self, name: str, table: pa.Table) -> None:
        """Count a batch of a table other than documents."""
        self.facts.add({T.DOCUMENTS.name: self._no_documents, name: table}, self._no_assignment)

    def summary(self, listed: bool) -> ShardSummary:
        out: dict[str, pa.Table] = {}
        self._documents(listed, out)
        for definition in (T.SENTENCES, T.TOKENS, T.ANNOTATION_NOTES):
            counts: Counter[str] = Counter()
            for batch in _batches(self.of(definition), ["doc_id"], _BATCH_ROWS):
                self.count(definition.name, batch)
                counts.update(_doc_counts(batch.column("doc_id")))
            if definition is not T.ANNOTATION_NOTES:
                out[definition.name] = _counts(counts, ["doc_id"])
        adjudicated = self._layers(out)
        for batch in _typed_batches(self.of(T.RELATIONS), T.RELATIONS):
            self.count(T.RELATIONS.name, batch)
        annotations = _select(self.of(T.ANNOTATIONS), T.ANNOTATIONS, None)
        self.count(T.ANNOTATIONS.name, annotations)
        out["annotations"] = annotations
        wanted = pa.array(sorted(adjudicated), pa.string())
        out["adjudicated"] = pa.table({"doc_id": wanted})
        for definition in _EVALUATED:
            out[f"evaluation/{definition.name}"] = _select(
                self.of(definition),
                definition,
                lambda batch: pc.is_in(batch.column("doc_id"), value_set=wanted),
            )
        return ShardSummary(self.facts, out)

    def _documents(self, listed: bool, out: dict[str, pa.Table]) -> None:
        """Count the documents, their removed lines per reason and (listed) their rows."""
        split_of: dict[str, str] = {}
        documents: list[pa.Table] = []
        removed: Counter[str] = Counter()
        columns = [*_DOCUMENT_COLUMNS, _REMOVED_REASON]
        for batch in _batches(self.of(T.DOCUMENTS), columns, _DOCUMENT_BATCH_ROWS):
            self.facts.add({T.DOCUMENTS.name: batch}, batch)
            ids = batch.column("doc_id").to_pylist()
            split_of.update(zip(ids, batch.column("split").to_pylist(), strict=True))
            reasons = pc.struct_field(pc.list_flatten(batch.column("removed_lines")), "reason")
            removed.update(_doc_counts(reasons))
            if listed:
                documents.append(batch.drop_columns(["text", "removed_lines"]))
        out["split_of"] = pa.table(
            {
                "doc_id": pa.array(list(split_of), pa.string()),
                "split": pa.array(list(split_of.values()), pa.string()),
            }
        )
        out["removed"] = _counts(removed, ["reason"])
        if listed and documents:
            out["documents"] = pa.concat_tables(documents)

    def _layers(self, out: dict[str, pa.Table]) -> set[str]:
        """Keep the human layer's spans and document labels; count document labels per
        (name, value, layer). RETURNS (set[str]): the documents an adjudicated layer covers."""
        adjudicated: set[str] = set()
        label_values: Counter[tuple[str, str, str]] = Counter()
        for definition in _HUMAN:
            parts = []
            for batch in _typed_batches(self.of(definition), definition):
                self.count(definition.name, batch)
                layer = batch.column("layer")
                parts.append(batch.filter(pc.equal(layer, T.LAYER_HUMAN)))
                reference = batch.filter(pc.equal(layer, T.LAYER_ADJUDICATED))
                adjudicated.update(pc.unique(reference.column("doc_id")).to_pylist())
                if definition is T.DOCUMENT_LABELS:
                    names, values = batch.column("name"), batch.column("value")
                    label_values.update(
                        zip(names.to_pylist(), values.to_pylist(), layer.to_pylist(), strict=True)
                    )
            out[f"human/{definition.name}"] = definition.sorted(
                pa.concat_tables(parts) if parts else definition.schema.empty_table()
            )
        out["label_values"] = _counts(label_values, ["name", "value", "layer"])
        return adjudicated


# --- the memo ---------------------------------------------------------------------------------
def _code_key(listed: bool) -> str:
    """RETURNS (str): A digest of what decides a shard's summary besides its files."""
    from importlib.metadata import version

    from summit_corpus.build.cache import stage_sources

    digest = hashlib.sha256(f"listed {listed}\0pyarrow {version('pyarrow')}\0".encode())
    for path in stage_sources(__name__):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _shard_key(code: str, files: Mapping[str, Path]) -> str:
    digest = hashlib.sha256(code.encode())
    for definition in _READ:
        path = files.get(definition.name)
        digest.update(f"{definition.name}\0{io.sha256_file(path) if path else '-'}\0".encode())
    return digest.hexdigest()


class SummaryMemo:
    """What each shard of the last summary gave, by key (`_shard_key`).

    folder (Path): Where the entries live (inside the build's cache folder): one
        checksummed `build.cache` entry per shard, <key[:2]>/<key>.entry.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.entry"

    def recall(self, key: str) -> ShardSummary | None:
        """RETURNS (ShardSummary | None): The summary kept for `key`; None when there is none
        or it is damaged (the shard is then read again)."""
        from summit_corpus.build.cache import decode_entry

        try:
            tables = decode_entry(self._path(key).read_bytes(), version=key)
            state = json.loads(tables.pop("facts").column("state")[0].as_py())
            return ShardSummary(FactsAccumulator.from_state(state), tables)
        except (pa.ArrowException, OSError, KeyError, TypeError, ValueError, AttributeError):
            return None

    def remember(self, made: Mapping[str, ShardSummary], keep: set[str]) -> None:
        """Write the summaries `made` (key -> summary: shards read, not recalled, so a
        damaged entry is replaced), and drop every entry whose key is not in `keep`."""
        from summit_corpus.build.cache import encode_entry

        for key, summary in made.items():
            state = pa.table({"state": [json.dumps(summary.facts.state())]})
            tables = {**summary.tables, "facts": state}
            io.write_atomic(self._path(key), encode_entry(tables, version=key))
        for path in self.folder.glob("*/*.entry"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


# --- the whole corpus -------------------------------------------------------------------------
def _shards(corpus_dir: Path) -> dict[str, dict[str, Path]]:
    """RETURNS (dict): Shard file name -> config name -> its file of that name, by name."""
    shards: dict[str, dict[str, Path]] = {}
    for definition in _READ:
        for path in sorted(layout.config_dir(corpus_dir, definition.name).glob("*.parquet")):
            shards.setdefault(path.name, {})[definition.name] = path
    return dict(sorted(shards.items()))


def summarize_corpus(
    corpus_dir: Path,
    scheme: Any | None = None,
    document_table_limit: int = DOCUMENT_TABLE_LIMIT,
    memo: Path | None = None,
) -> CorpusSummary:
    """Gather the datasheet's figures from a published corpus, a shard and a batch at a time.

    corpus_dir (Path): The published folder (data/<config>/<split>-*.parquet).
    scheme (Any | None): The annotation scheme, for its version in the facts.
    document_table_limit (int): Keep per-document rows up to this many documents.
    memo (Path | None): A folder where what each shard gave is kept by the shard's bytes, so
        a shard of the same bytes is not read again (`SummaryMemo`); None reads every shard.
    RETURNS (CorpusSummary): The figures.
    """
    folder = layout.config_dir(corpus_dir, T.DOCUMENTS.name)
    document_files = sorted(folder.glob("*.parquet"))
    if not document_files:
        raise CorpusError(Errors.E705.format(path=folder, table=T.DOCUMENTS.name))
    total = sum(pq.ParquetFile(path).metadata.num_rows for path in document_files)
    listed = total <= document_table_limit
    kept = SummaryMemo(memo) if memo is not None else None
    code = _code_key(listed) if kept is not None else ""
    parts: dict[str, ShardSummary] = {}
    made: dict[str, ShardSummary] = {}
    for name, files in _shards(corpus_dir).items():
        key = _shard_key(code, files) if kept is not None else name
        part = kept.recall(key) if kept is not None else None
        if part is None:
            part = made[key] = _ShardReader(files).summary(listed)
        parts[key] = part
    if kept is not None:
        kept.remember(made, set(parts))
    return _total(list(parts.values()), scheme)


def _total(parts: Sequence[ShardSummary], scheme: Any | None) -> CorpusSummary:
    """RETURNS (CorpusSummary): The shards' summaries added up."""
    facts = FactsAccumulator()
    # Every table is in the row counts, with 0 rows when the corpus has no file of it.
    empty = {d.name: d.schema.empty_table() for d in T.ALL_TABLES}
    facts.add(empty, T.SPLIT_ASSIGNMENT.schema.empty_table())
    for part in parts:
        facts.merge(part.facts)

    def rows(name: str) -> list[dict[str, Any]]:
        return [r for part in parts if name in part.tables for r in part.tables[name].to_pylist()]

    def counter(name: str, columns: Sequence[str]) -> Counter[Any]:
        out: Counter[Any] = Counter()
        for row in rows(name):
            key = tuple(row[c] for c in columns)
            out[key if len(key) > 1 else key[0]] += row["rows"]
        return out

    def table(name: str, definition: T.Table) -> pa.Table:
        found = [part.tables[name] for part in parts if name in part.tables]
        if not found:
            return definition.schema.empty_table()
        return definition.sorted(pa.concat_tables([t.cast(definition.schema) for t in found]))

    split_of = {r["doc_id"]: r["split"] for r in rows("split_of")}
    ids = sorted(split_of)
    tokens, sentences = counter("tokens", ["doc_id"]), counter("sentences", ["doc_id"])
    label_values = counter("label_values", ["name", "value", "layer"])
    return CorpusSummary(
        facts=facts.facts(scheme),
        lengths={d: tokens.get(d, 0) for d in ids},
        sentences={d: sentences.get(d, 0) for d in ids},
        split_of=split_of,
        documents=sorted(rows("documents"), key=lambda r: r["doc_id"]),
        removed=dict(sorted(counter("removed", ["reason"]).items())),
        label_values=dict(sorted(label_values.items())),
        agreement_tables={
            T.ANNOTATIONS.name: table("annotations", T.ANNOTATIONS),
            **{d.name: table(f"human/{d.name}", d) for d in _HUMAN},
        },
        evaluation_tables={d.name: table(f"evaluation/{d.name}", d) for d in _EVALUATED},
    )
