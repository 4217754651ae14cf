"""Build: raw articles in `seeds/` become the validated, published corpus in `corpus/`.

The build writes the whole new corpus into a temporary folder beside the target, validates
it there, and only then swaps it in. A build that fails for any reason (rejected input, an
invalid table, a crash, Ctrl-C) leaves the previous corpus exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.build import engines, ingest
from summit_corpus.build.cache import ArticleCache
from summit_corpus.build.cache import default_dir as default_cache_dir
from summit_corpus.core import io, layout, tables
from summit_corpus.core.errors import BuildError, Errors


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build made.

    out (Path): The corpus folder.
    rows (dict[str, int]): Table name -> row count.
    splits (dict[str, int]): Split -> document count.
    """

    out: Path
    rows: dict[str, int]
    splits: dict[str, int]

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self.rows.items())
        splits = ", ".join(f"{name} {n}" for name, n in self.splits.items())
        return f"built {self.out}: {counts}; documents per split: {splits}"


def build_corpus(
    seeds: Path,
    out: Path,
    *,
    annotations: Path | None = Path("annotations"),
    datasheet: Path | None = None,
    batch_size: int = 32,
    progress: bool | None = None,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    cache: bool = True,
    cache_dir: Path | None = None,
    chunk_documents: int = 500,
) -> BuildSummary:
    """Build, validate and publish the corpus.

    seeds (Path): Folder of raw article files.
    out (Path): Corpus folder; replaced only when the new corpus is valid.
    annotations (Path | None): Folder of Label Studio export snapshots (the human layer);
        None or a missing folder builds the model layer only.
    datasheet (Path | None): Where to write DATASHEET.md (None: not written).
    batch_size (int): Articles per spaCy batch.
    progress (bool | None): Show a progress bar; None shows one on a terminal outside CI.
    workers (int): Processes (local engine) or LocalCluster workers (dask engine).
    engine (str): "local" (this process or a process pool) or "dask" (dask.distributed).
    scheduler (str | None): Dask scheduler address to join; None starts a local cluster.
    cache (bool): Reuse the rows of articles parsed before (same bytes, path and pipeline).
    cache_dir (Path | None): The per-article cache; None uses `.corpus-cache` beside `out`.
    chunk_documents (int): Documents published and validated at a time (bounds memory).
    RETURNS (BuildSummary): Row counts of the new corpus.
    RAISES (BuildError): Listing every rejected file or every validation failure.
    """
    raws = ingest.discover(seeds)
    problems = ingest.find_duplicates(raws)
    duplicates = {p.path for p in problems}
    raws = [r for r in raws if r.path not in duplicates]

    # Rows stream through staging files in bounded batches; no article's rows stay in memory.
    staging = out.resolve().parent / f".{out.resolve().name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with (
            engines.open_engine(engine, workers, scheduler) as running,
            _progress(len(raws), progress) as advance,
        ):
            article_cache = (
                ArticleCache(cache_dir or default_cache_dir(out), running.version())
                if cache
                else None
            )
            staged = engines.process_corpus(
                raws,
                running,
                staging,
                cache=article_cache,
                batch_size=batch_size,
                advance=advance,
            )
        messages = [str(p) for p in problems] + staged.errors
        if messages:
            raise BuildError(Errors.E101.format(count=len(messages)), messages)
        summary = _publish(staged, annotations, out.resolve(), chunk_documents)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    if datasheet is not None:
        from summit_corpus.publish.datasheet import render

        render(summary.out, datasheet)
    return summary


def _publish(
    staged: engines.Staged, annotations: Path | None, out: Path, chunk_documents: int
) -> BuildSummary:
    """Split, publish and validate the staged corpus in a temporary folder, then swap it in.

    The staged tables are sorted by doc_id, so they are read `chunk_documents` documents at a
    time, each chunk with every row of its documents (the human layer's rows merged in): memory
    holds one chunk, whatever the size of the corpus.
    """
    from summit_corpus.core.chunks import iter_chunks
    from summit_corpus.core.scheme import load_scheme
    from summit_corpus.publish import DatasetWriter
    from summit_corpus.publish.splits import ASSIGNMENT_COLUMNS, assign_splits, split_sizes
    from summit_corpus.validate import validate_corpus

    human = _human_layer(annotations, staged.files[tables.DOCUMENTS.name])
    # The fingerprints feed the split assignment only; every other staged table is published.
    published = {k: v for k, v in staged.files.items() if k != tables.FINGERPRINTS.name}
    names = [*published, *(name for name in human if name not in published)]
    # The split assignment reads the documents a row group at a time (texts are not kept),
    # with the near-duplicate fingerprints the per-article stage made.
    staged_documents = pq.ParquetFile(staged.files[tables.DOCUMENTS.name])
    assignment = assign_splits(
        staged_documents.iter_batches(batch_size=256, columns=list(ASSIGNMENT_COLUMNS)),
        fingerprints=pq.ParquetFile(staged.files[tables.FINGERPRINTS.name]).iter_batches(
            batch_size=1024
        ),
    )
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    writer = DatasetWriter(tmp, load_scheme(), names)
    try:
        merged = dict.fromkeys(human, 0)
        for chunk in iter_chunks(published, tables.DOCUMENTS.name, chunk_documents):
            rows = dict(chunk.tables)
            doc_ids = rows[tables.DOCUMENTS.name].column("doc_id")
            for name, layer in human.items():
                # The human and adjudicated layers sit beside the model layer in the same
                # tables, told apart by `layer`.
                mine = layer.filter(pc.is_in(layer.column("doc_id"), value_set=doc_ids))
                merged[name] += mine.num_rows
                parts = [rows[name], mine] if name in rows else [mine]
                rows[name] = tables.concat(tables.table(name), parts)
            writer.add(rows, assignment)
        for name, layer in human.items():
            if merged[name] != layer.num_rows:
                orphan = pc.is_in(layer.column("doc_id"), value_set=assignment.column("doc_id"))
                doc_id = layer.filter(pc.invert(orphan)).column("doc_id")[0].as_py()
                raise BuildError(Errors.E104.format(table=name, doc_id=doc_id), [])
        writer.close()
        write_manifest(tmp)
        report = validate_corpus(tmp, docs_per_chunk=chunk_documents)
        if not report.ok:
            raise BuildError(Errors.E102.format(count=len(report.failures)), list(report.lines()))
        _swap_in(tmp, out)
    except BaseException:
        writer.abort()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return BuildSummary(
        out=out,
        rows={name: writer.facts.rows.get(name, 0) for name in names},
        splits=split_sizes(assignment),
    )


def _human_layer(annotations: Path | None, staged_documents: Path) -> dict[str, pa.Table]:
    """The human and adjudicated layers from the Label Studio snapshots in `annotations`.

    Only the documents the snapshots have tasks for are read from the staged documents.
    """
    if annotations is None or not annotations.is_dir():
        return {}
    from summit_corpus.annotate import read_snapshots, snapshot_doc_ids

    wanted = pa.array(sorted(snapshot_doc_ids(annotations)), pa.string())
    documents = pq.read_table(
        staged_documents,
        columns=["doc_id", "text", "text_sha256"],
        filters=pc.is_in(pc.field("doc_id"), value_set=wanted),
    )
    return read_snapshots(annotations, documents)


def write_manifest(corpus: Path) -> None:
    """Record the SHA-256 of every file of the corpus folder in MANIFEST.json."""
    files = [p for p in corpus.rglob("*") if p.is_file() and p.name != layout.MANIFEST]
    io.write_json(corpus / layout.MANIFEST, io.file_manifest(corpus, files))


def _swap_in(new: Path, out: Path) -> None:
    """Replace `out` by `new` with two renames; the old corpus is deleted only afterwards."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        if old.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _progress(total: int, show: bool | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal for long runs; silent in CI and when piped."""
    if show is None:
        show = sys.stderr.isatty() and not os.environ.get("CI")
    if not show:
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("parsing articles", total=total)
        yield lambda n: bar.advance(task, n)
