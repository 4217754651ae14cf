"""Writing the Hugging Face dataset folder: each config's split files, the card, Croissant.

`DatasetWriter` takes a chunk of documents at a time and grows each config's split files (one
per shard of whole documents, `shards.py`) by row groups of a fixed size, so memory holds one
chunk and the files are byte-identical however the documents were chunked; `write_dataset`
publishes a corpus held in memory in one chunk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.chunks import release_unused_memory
from summit_corpus.core.features import file_schema
from summit_corpus.publish.card import render_card
from summit_corpus.publish.configs import (
    BIGBIO_CONFIG,
    DEFAULT_CONFIG,
    NER_CONFIG,
    ConfigData,
    SchemeLike,
    _check_names,
    _config_specs,
    config_rows,
    ner_config,
    ner_labels,
)
from summit_corpus.publish.croissant import croissant
from summit_corpus.publish.facts import FactsAccumulator, read_columns
from summit_corpus.publish.kept_shards import KeptShards, ShardKey
from summit_corpus.publish.licence import CORPUS_LICENSE
from summit_corpus.publish.ner import NerResult
from summit_corpus.publish.shards import ShardPlan

# Rows per row group of the published files. A documents row holds a whole article with its
# tokens, so its groups are small: readers (the validator, `datasets`, the Hub's viewer) can
# then take a few hundred documents at a time. A ner row holds a sentence's tokens and tags
# (about 30 of each), so 10,000 of them weigh what 100,000 flat rows do. The writer buffers a
# group per file before writing it, so these sizes also bound the publisher's memory.
DOCUMENT_GROUP_ROWS = 100
NER_GROUP_ROWS = 10_000
ROW_GROUP_ROWS = 100_000


class DatasetWriter:
    """Write the Hugging Face dataset folder a chunk of documents at a time.

    `add` takes some documents with all their rows; each config's split files grow by row
    groups of a fixed size, so memory holds one chunk, and the files are byte-identical
    however the documents were chunked. `close` writes the dataset card and Croissant
    metadata from the facts gathered on the way.

    out_dir (Path): The folder to write into (created if missing); nothing is written elsewhere.
    scheme (SchemeLike): The annotation scheme (scheme.load_scheme()).
    table_names (Sequence[str]): The tables the chunks carry (tables.py names); documents,
        sentences and tokens are needed, the flat ones given are published.
    kept (KeptShards | None): The shards to take from the corpus a rebuild replaces, when
        their sources did not change; their rows are skipped. None writes every shard.
    """

    def __init__(
        self,
        out_dir: Path,
        scheme: SchemeLike,
        table_names: Sequence[str],
        kept: KeptShards | None = None,
    ) -> None:
        _check_names(table_names)
        self.out_dir = out_dir
        self.scheme = scheme
        self.table_names = tuple(table_names)
        self.tag_names = ner_labels(scheme)
        self.specs = _config_specs(self.table_names, scheme)
        self.facts = FactsAccumulator()  # of the whole corpus, once closed
        # (split, shard) -> the facts of its documents; `_kept_facts`: those taken from a memo.
        self._shard_facts: dict[tuple[str, int], FactsAccumulator] = {}
        self._kept_facts: set[tuple[str, int]] = set()
        self._writers: dict[tuple[str, str, int], io.RowGroupWriter] = {}
        self._closed: dict[tuple[str, str, int], int] = {}  # finished shard -> its rows
        self.kept = kept
        self._taken: dict[ShardKey, int] = {}  # shard copied from the previous corpus -> rows
        self._taken_documents = pa.array([], pa.string())  # in shards taken for every config
        self._skipped = pa.array([], pa.string())  # of those, in shards whose facts were kept
        self._shards: ShardPlan | None = None
        self._pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))

    def add(self, tables: Mapping[str, pa.Table], assignment: pa.Table) -> None:
        """Publish some documents (not given before) with every row of theirs.

        tables (Mapping[str, pa.Table]): Table name -> these documents' rows; a table of
            `table_names` that is missing counts as empty.
        assignment (pa.Table): tables.SPLIT_ASSIGNMENT of every document of the corpus (the
            same each time: the shards are cut from the first one).
        """
        chunk = {
            name: tables[name] if name in tables else T.table(name).empty()
            for name in self.table_names
        }
        self.start(assignment)
        to_write, ner_taken = self._without_taken_documents(chunk)
        rows, ner = config_rows(to_write, assignment, self.tag_names)
        shards = self._shards
        assert shards is not None  # cut by `start`
        jobs = [
            (self._writer(name, split, shard, schema, features), piece)
            for name, _, schema, features in self.specs
            for split, part in rows.get(name, {}).items()
            for shard, piece in shards.cut(
                part, "document_id" if name == BIGBIO_CONFIG else "doc_id", split
            )
            if (name, split, shard) not in self._taken
        ]
        # Each file gets one part per chunk, so files can be compressed side by side (Arrow
        # releases the GIL); the bytes do not depend on which thread wrote them.
        for done in self._pool.map(lambda job: job[0].write(job[1]), jobs):
            del done
        self._close_finished(rows.get(DEFAULT_CONFIG, {}))
        self._count(chunk, assignment, [ner] if ner_taken is None else [ner, ner_taken])

    def _count(
        self, chunk: Mapping[str, pa.Table], assignment: pa.Table, ners: list[NerResult]
    ) -> None:
        """Gather the chunk's facts per shard, so that a rebuild that takes a shard's files
        takes its facts too (`skipped`) and need not read its rows."""
        assert self._shards is not None
        doc_ids = chunk[T.DOCUMENTS.name].column("doc_id")
        mine = assignment.filter(pc.is_in(assignment.column("doc_id"), value_set=doc_ids))
        # Cut into shards only the columns the facts read (of tokens, the doc_ids).
        read = {name: read_columns(table, name) for name, table in chunk.items()}
        layers = [NerResult(n.table.select(["doc_id", "layer"]), n.dropped_doc_ids) for n in ners]
        for split in T.SPLITS:
            part = mine.filter(pc.equal(mine.column("split"), split))
            for shard, rows in self._shards.cut(part, "doc_id", split):
                if (split, shard) in self._kept_facts:  # counted already, in the memo
                    continue
                ids = rows.column("doc_id").combine_chunks()
                facts = self._shard_facts.setdefault((split, shard), FactsAccumulator())
                facts.add({name: _rows_of(table, ids) for name, table in read.items()}, rows)
                for ner in layers:
                    facts.add_ner(ner.of(ids))

    def start(self, assignment: pa.Table) -> int:
        """Cut the shards and take the kept ones from the corpus a rebuild replaces (once; the
        first `add` does it when nothing did before).

        assignment (pa.Table): tables.SPLIT_ASSIGNMENT of every document of the corpus.
        RETURNS (int): How many documents are in shards taken for every config: their rows
            go to no file.
        """
        if self._shards is None:
            self._shards = ShardPlan(assignment)
            if self.kept is not None:
                configs = [name for name, *_ in self.specs]
                self._taken = self.kept.take(self._shards, assignment, configs, self.out_dir)
                whole = self.kept.documents_of_whole_shards(self._taken)
                self._taken_documents = pa.array(whole, pa.string())
                kept_facts = self.kept.facts_of_whole_shards(self._taken)
                self._shard_facts.update(kept_facts)
                self._kept_facts = set(kept_facts)
                skipped = self.kept.documents_of(kept_facts)
                self._skipped = pa.array(skipped, pa.string())
        return len(self._taken_documents)

    @property
    def skipped(self) -> pa.Array:
        """RETURNS (pa.Array): The documents (sorted doc_ids) whose rows `add` need not be
        given, after `start`: their shards' files and facts were taken from the corpus a
        rebuild replaces."""
        return self._skipped

    @property
    def shard_facts(self) -> dict[tuple[str, int], FactsAccumulator]:
        """RETURNS (dict): (split, shard) -> the facts of its documents (`KeptShards.remember`)."""
        return dict(self._shard_facts)

    def _without_taken_documents(
        self, chunk: dict[str, pa.Table]
    ) -> tuple[dict[str, pa.Table], NerResult | None]:
        """The chunk without the documents of shards taken for every config, and the ner
        rows of those documents (the facts count them; no file needs their config rows)."""
        if len(self._taken_documents) == 0:
            return chunk, None
        doc_ids = chunk[T.DOCUMENTS.name].column("doc_id")
        if not pc.any(pc.is_in(doc_ids, value_set=self._taken_documents)).as_py():
            return chunk, None
        kept, rest = {}, {}
        for name, table in chunk.items():
            taken = pc.is_in(table.column("doc_id"), value_set=self._taken_documents)
            kept[name], rest[name] = table.filter(taken), table.filter(pc.invert(taken))
        return rest, ner_config(kept, self.tag_names)

    def _close_finished(self, documents: Mapping[str, pa.Table]) -> None:
        """Close the files of every shard before the last one these documents reach in their
        split. The build adds documents in doc_id order, so no row of those shards is left,
        and their buffers and open files are let go now, not when the last shard is done
        (a corpus of many shards would hold a partial row group and a file per shard)."""
        assert self._shards is not None
        reached = {
            split: max(shard for shard, _ in self._shards.cut(part, "doc_id", split))
            for split, part in documents.items()
        }
        for key in [k for k in self._writers if k[2] < reached.get(k[1], -1)]:
            writer = self._writers.pop(key)
            writer.close()
            self._closed[key] = writer.rows

    def _writer(self, config: str, split: str, shard: int, schema: pa.Schema, features: Any) -> Any:
        key = (config, split, shard)
        if key in self._closed:
            raise ValueError(f"{key} is closed: documents must be added in doc_id order")
        if key not in self._writers:
            assert self._shards is not None
            group = {
                DEFAULT_CONFIG: DOCUMENT_GROUP_ROWS,
                BIGBIO_CONFIG: DOCUMENT_GROUP_ROWS,
                NER_CONFIG: NER_GROUP_ROWS,
            }.get(config, ROW_GROUP_ROWS)
            self._writers[key] = io.RowGroupWriter(
                layout.shard_file(self.out_dir, config, split, shard, self._shards.count(split)),
                file_schema(schema, features),
                group,
            )
        return self._writers[key]

    def close(self) -> list[ConfigData]:
        """Finish every data file, then write the card and the Croissant metadata.

        RETURNS (list[ConfigData]): The configs in publishing order with rows per split.
        """
        self._pool.shutdown()
        for key, writer in self._writers.items():
            writer.close()
            self._closed[key] = writer.rows
        counts: dict[str, dict[str, int]] = {}
        for (config, split, _shard), rows in self.shard_rows.items():
            if rows == 0:  # a shard taken with no file: the build before wrote none either
                continue
            split_counts = counts.setdefault(config, {})
            split_counts[split] = split_counts.get(split, 0) + rows
        configs = [
            ConfigData(
                name,
                description,
                features,
                schema,
                {s: counts[name][s] for s in T.SPLITS if s in counts.get(name, {})},
            )
            for name, description, schema, features in self.specs
        ]
        self.facts = self._corpus_facts()
        facts = self.facts.facts(self.scheme, ner=True)
        io.write_text(self.out_dir / layout.LICENSE, CORPUS_LICENSE)
        io.write_text(self.out_dir / layout.CARD, render_card(configs, facts))
        io.write_json(self.out_dir / layout.CROISSANT, croissant(configs, facts))
        self._writers.clear()
        release_unused_memory()  # the row-group buffers: validation need not stack on them
        return configs

    def _corpus_facts(self) -> FactsAccumulator:
        """RETURNS (FactsAccumulator): The facts of every shard, merged; an empty chunk first,
        so a corpus of no documents still names its tables."""
        total = FactsAccumulator()
        empty = {name: T.table(name).empty() for name in self.table_names}
        total.add(empty, T.SPLIT_ASSIGNMENT.empty())
        for key in sorted(self._shard_facts):
            total.merge(self._shard_facts[key])
        return total

    @property
    def shard_rows(self) -> dict[ShardKey, int]:
        """RETURNS (dict[ShardKey, int]): Rows of every shard written or taken (after `close`)."""
        return {**self._closed, **self._taken}

    def abort(self) -> None:
        """Delete the unfinished data files (the card is not written)."""
        self._pool.shutdown(cancel_futures=True)
        for writer in self._writers.values():
            writer.abort()


def _rows_of(table: pa.Table, doc_ids: pa.Array | pa.ChunkedArray) -> pa.Table:
    """RETURNS (pa.Table): The rows of `table` of the documents `doc_ids`."""
    return table.filter(pc.is_in(table.column("doc_id"), value_set=doc_ids))


def write_dataset(
    tables: Mapping[str, pa.Table], assignment: pa.Table, out_dir: Path, scheme: SchemeLike
) -> list[ConfigData]:
    """Write the Hugging Face dataset folder of a corpus held in memory (one chunk).

    tables (Mapping[str, pa.Table]): Table name -> table (tables.py definitions); documents,
        sentences and tokens are needed, the others are published when given.
    assignment (pa.Table): From splits.assign_splits on the same documents.
    out_dir (Path): The folder to write into (created if missing); nothing is written elsewhere.
    scheme (SchemeLike): The annotation scheme (scheme.load_scheme()).
    RETURNS (list[ConfigData]): The configs in publishing order with rows per split.
    """
    writer = DatasetWriter(out_dir, scheme, list(tables))
    try:
        writer.add(tables, assignment)
        return writer.close()
    except BaseException:
        writer.abort()
        raise
