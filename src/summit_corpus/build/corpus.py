"""Build: raw articles in `seeds/` become the validated, published corpus in `corpus/`.

The build writes the whole new corpus into a temporary folder beside the target, validates
it there, and only then swaps it in. A build that fails for any reason (rejected input, an
invalid table, a crash, Ctrl-C) leaves the previous corpus exactly as it was.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.build import control_chars, engines, faults, ingest, swap
from summit_corpus.build.cache import ArticleCache
from summit_corpus.build.cache import default_dir as default_cache_dir
from summit_corpus.build.seeds import find_duplicates, read_seeds
from summit_corpus.build.staging import read_staged
from summit_corpus.core import allocator, io, layout, tables
from summit_corpus.core.chunks import DOCS_PER_CHUNK, arrow_returns_memory, release_unused_memory
from summit_corpus.core.errors import BuildError, BuildInterrupted, Errors

if TYPE_CHECKING:
    from summit_corpus.publish.kept_shards import ShardSources


@dataclass(frozen=True, slots=True)
class BuildSummary:
    """What a build made.

    out (Path): The corpus folder.
    rows (dict[str, int]): Table name -> row count.
    splits (dict[str, int]): Split -> document count.
    cache_hits (int): Articles whose rows came from the cache.
    parsed (int): Articles parsed by the engine.
    cache_repaired (int): Damaged cache entries re-parsed and rewritten.
    recovered (tuple[str, ...]): What killed builds had left, restored or removed.
    dropped (dict[str, int]): Reason -> predictions of the model layer dropped for it
        (published in `dropped_predictions.parquet`).
    ignored (tuple[str, ...]): Seeds entries that are not articles, with their reasons.
    same_content (tuple[str, ...]): Articles with the same bytes as an earlier one (both built),
        one line each.
    control_chars (tuple[str, ...]): Articles whose text holds control characters (kept as they
        are), one line each.
    annotation_problems (tuple[str, ...]): What the snapshots hold that did not convert as it
        is (kept as notes, or, with allow_annotation_loss, left out), one line each.
    """

    out: Path
    rows: dict[str, int]
    splits: dict[str, int]
    cache_hits: int = 0
    parsed: int = 0
    cache_repaired: int = 0
    recovered: tuple[str, ...] = ()
    dropped: dict[str, int] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    same_content: tuple[str, ...] = ()
    control_chars: tuple[str, ...] = ()
    annotation_problems: tuple[str, ...] = ()

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self.rows.items())
        splits = ", ".join(f"{name} {n}" for name, n in self.splits.items())
        reasons = ", ".join(f"{n} {reason}" for reason, n in self.dropped.items())
        dropped = f"{sum(self.dropped.values())} dropped predictions" + (
            f" ({reasons})" if reasons else ""
        )
        lines = [
            *self.recovered,
            *self.ignored,
            *self.same_content,
            *self.control_chars,
            *self.annotation_problems,
            f"built {self.out}: {counts}; {dropped}; documents per split: {splits}",
        ]
        if self.cache_repaired:
            lines.append(
                f"cache: {self.cache_repaired} damaged cache entries re-parsed and rewritten"
            )
        return "\n".join(lines)


class _Signals:
    """SIGINT and SIGTERM raise BuildInterrupted until the new corpus is swapped in; from the
    swap on, the build finishes (only renames and deleting the old corpus are left).

    Installed only in the main thread (Python delivers signals there); elsewhere SIGINT keeps
    raising KeyboardInterrupt and SIGTERM its default.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._deferring = False
        self.committed = False
        self.pending: str | None = None

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: object) -> None:
        name = signal.Signals(number).name
        if self._deferring or self.committed:
            # The new corpus is (being) swapped in: finishing is the way to leave it whole.
            self.pending = name
            return
        raise BuildInterrupted(name)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal that arrives inside is recorded, not raised: the swap always completes."""
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False


def build_corpus(
    seeds: Path,
    out: Path,
    *,
    annotations: Path | None = Path("annotations"),
    datasheet: Path | None = None,
    batch_size: int = 32,
    progress: bool | None = None,
    workers: int | str = engines.AUTO,
    engine: str = "local",
    scheduler: str | None = None,
    cache: bool = True,
    cache_dir: Path | None = None,
    chunk_documents: int = DOCS_PER_CHUNK,
    allow_annotation_loss: bool = False,
) -> BuildSummary:
    """Build, validate and publish the corpus.

    seeds (Path): Folder of raw article files.
    out (Path): Corpus folder; replaced only when the new corpus is valid.
    annotations (Path | None): Folder of Label Studio export snapshots (the human layer);
        None or a missing folder builds the model layer only.
    datasheet (Path | None): Where to write DATASHEET.md, its plots in `docs/datasheet/`
        beside it (None: not written). Inside `out` it is part of the new corpus (listed in
        its manifest, swapped in with it); elsewhere it is put in place after the swap.
    batch_size (int): Articles per spaCy batch.
    progress (bool | None): Show a progress bar; None shows one on a terminal outside CI.
    workers (int | str): Processes (local engine) or LocalCluster workers (dask engine), or
        "auto": the available cores once there are enough articles to parse to pay for
        starting them (`engines.resolve_workers`).
    engine (str): "local" (this process or a process pool) or "dask" (dask.distributed).
    scheduler (str | None): Dask scheduler address to join; None starts a local cluster.
    cache (bool): Reuse the rows of articles parsed before (same bytes, path and pipeline).
    cache_dir (Path | None): The per-article cache; None uses `.corpus-cache` beside `out`.
    chunk_documents (int): Documents validated at a time, and four times as many as are
        published at a time (`publish_chunk`): both bound memory.
    allow_annotation_loss (bool): Build although some snapshot annotations would be in no
        table (their task's document is gone, a malformed shape); they are listed.
    RETURNS (BuildSummary): Row counts of the new corpus.
    RAISES (BuildError): Listing every rejected file or every validation failure, or naming
        the file that could not be written (full disk, no permission).
    RAISES (BuildInterrupted): On SIGINT or SIGTERM before the swap (the corpus is untouched).
    """
    out = out.resolve()
    store = (cache_dir or default_cache_dir(out)) if cache else None
    engines.resolve_workers(workers, 0)  # a bad --workers is refused before anything is done
    try:
        _check_out(out, datasheet)
        out.parent.mkdir(parents=True, exist_ok=True)
        with swap.BuildLock(out), _Signals() as signals, arrow_returns_memory():
            recovered = _recover(out, datasheet, store)
            faults.point("build.locked")
            summary = _build_locked(
                seeds,
                out,
                signals,
                annotations=annotations,
                datasheet=datasheet,
                batch_size=batch_size,
                progress=progress,
                workers=workers,
                engine=engine,
                scheduler=scheduler,
                store=store,
                chunk_documents=chunk_documents,
                allow_annotation_loss=allow_annotation_loss,
            )
    except OSError as error:
        where = error.filename if error.filename else out.parent
        detail = error.strerror or str(error)
        raise BuildError(Errors.E105.format(path=where, error=detail), []) from None
    return dataclasses.replace(summary, recovered=tuple(recovered))


def _check_out(out: Path, datasheet: Path | None) -> None:
    """Refuse an --out that is not a corpus folder (the build would delete it) and a
    --datasheet that is a folder (the datasheet could not be put in place after the swap)."""
    what = None
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        what = "it is not a folder"
    elif out.is_dir() and not (out / layout.MANIFEST).is_file() and any(out.iterdir()):
        what = f"the folder holds files but no {layout.MANIFEST}"
    if what is not None:
        raise BuildError(Errors.E107.format(out=out, what=what), [])
    if datasheet is not None and datasheet.is_dir():
        raise BuildError(Errors.E110.format(path=datasheet), [])


def _recover(out: Path, datasheet: Path | None, store: Path | None) -> list[str]:
    """RETURNS (list[str]): What killed builds left (beside --out, the datasheet, in the
    cache) and was restored or removed."""
    lines = swap.recover(out)
    if datasheet is not None:
        from summit_corpus.publish.datasheet import FIGURES_DIR

        for folder in (datasheet.parent, datasheet.parent / FIGURES_DIR):
            lines += swap.remove_dead_temps(folder)
    if store is not None and store.is_dir():
        for folder in sorted(store.glob("*/*")):
            lines += swap.remove_dead_temps(folder)
    return lines


def _build_locked(
    seeds: Path,
    out: Path,
    signals: _Signals,
    *,
    annotations: Path | None,
    datasheet: Path | None,
    batch_size: int,
    progress: bool | None,
    workers: int | str,
    engine: str,
    scheduler: str | None,
    store: Path | None,
    chunk_documents: int,
    allow_annotation_loss: bool,
) -> BuildSummary:
    """The build proper, under the lock: ingest, parse, publish, validate, swap in."""
    found = read_seeds(seeds)
    raws = found.articles
    refused, same_content = find_duplicates(raws)
    problems = found.problems + refused
    duplicates = {p.path for p in refused}
    raws = [r for r in raws if r.path not in duplicates]
    skipped = tuple(str(s) for s in found.skipped)
    # `raws` are names and hashes (`seeds.ArticleFile`): each article's bytes are read when its
    # batch is sent, so no frame holds every article's bytes (110 MiB for 20,000 articles).

    # Rows stream through staging files in bounded batches; no article's rows stay in memory.
    staging = swap.sibling(out, "staging")
    tmp = swap.sibling(out, "tmp")
    staged_datasheet: list[tuple[Path, Path]] = []
    try:
        staged, rows_namespace = _stage(
            raws, staging, store, workers, engine, scheduler, batch_size, progress
        )
        # What staging freed (the rows' buffers): the publisher need not stack on it.
        release_unused_memory()
        messages = [str(p) for p in problems] + staged.errors
        if messages:
            raise BuildError(Errors.E101.format(count=len(messages)), messages)
        control_lines = control_chars.control_char_lines(staged)
        inside = _inside(datasheet, out)
        summary = _publish(
            staged,
            annotations,
            tmp,
            chunk_documents,
            inside,
            allow_annotation_loss,
            store,
            _previous(out, store, rows_namespace),
        )
        if datasheet is not None and inside is None:
            staged_datasheet = _stage_datasheet(tmp, datasheet, store)
        faults.point("datasheet.staged")
        # From here on nothing can fail: a signal waits until the swap is done.
        with signals.deferred():
            old = swap.swap_in(tmp, out)
            signals.committed = True
            for temp, target in staged_datasheet:
                os.replace(temp, target)
            staged_datasheet = []
            faults.point("datasheet.renamed")
        if old is not None:
            swap.remove_tree(old, fault_point="swap.removing_old")
    finally:
        for temp, _target in staged_datasheet:
            temp.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    return dataclasses.replace(
        summary,
        out=out,
        ignored=skipped,
        same_content=tuple(same_content),
        control_chars=control_lines,
    )


def _inside(datasheet: Path | None, out: Path) -> Path | None:
    """RETURNS (Path | None): The datasheet's path relative to `out` when it is inside it."""
    if datasheet is None:
        return None
    try:
        return datasheet.resolve().relative_to(out)
    except ValueError:
        return None


def _stage(
    raws: Sequence[ingest.ArticleSource],
    staging: Path,
    store: Path | None,
    workers: int | str,
    engine: str,
    scheduler: str | None,
    batch_size: int,
    progress: bool | None,
) -> tuple[engines.Staged, str | None]:
    """The per-article stage: the staged set a previous build kept for exactly these
    articles (`reuse`), else the engine over the articles the cache does not hold, with as
    many workers as `workers` says (`engines.resolve_workers`). When the kept set holds most
    of these articles, only the others are staged and merged with its rows.

    RETURNS (tuple[engines.Staged, str | None]): The staged set, and the cache namespace of
        the code and pipeline that made its rows (None without a cache).
    """
    from summit_corpus.build import pipeline, reuse
    from summit_corpus.build.cache import namespace

    local_cache = ArticleCache(store, pipeline.pipeline_version()) if store is not None else None
    articles = reuse.article_keys(raws) if local_cache is not None else []
    key = reuse.set_key(articles) if local_cache is not None else ""
    base, unchanged = None, set[str]()
    if local_cache is not None:
        kept = reuse.load(local_cache, key)
        if kept is not None:
            return kept, namespace(local_cache.version)
        base = reuse.newest(local_cache)
        unchanged = base.unchanged(articles) if base is not None else set()
        if base is not None and not reuse.worth_merging(base, len(unchanged), len(raws)):
            base, unchanged = None, set()
    todo = [raw for raw in raws if raw.doc_id not in unchanged]
    to_parse = len(todo)
    if local_cache is not None:
        to_parse = sum(not local_cache.path(raw).is_file() for raw in todo)
    count = engines.resolve_workers(workers, to_parse)
    with (
        engines.open_engine(engine, count, scheduler) as running,
        _progress(len(raws), progress) as advance,
    ):
        version = running.version()
        article_cache = None
        if store is not None:
            same = local_cache is not None and version == local_cache.version
            article_cache = local_cache if same else ArticleCache(store, version)
        if base is None or article_cache is not local_cache:  # another pipeline: every article
            base, todo = None, list(raws)
        advance(len(raws) - len(todo))
        staged = engines.process_corpus(
            todo,
            running,
            staging / "new" if base is not None else staging,
            cache=article_cache,
            batch_size=batch_size,
            advance=advance,
        )
    allocator.give_back()  # when this process parsed: the later stages run with the defaults
    if base is not None and not staged.errors:
        staged = reuse.merge(base, unchanged, staged, staging)
    if article_cache is not None and article_cache is local_cache and not staged.errors:
        staged = reuse.keep(staged, article_cache, key, articles)
    return staged, namespace(version) if store is not None else None


def _previous(out: Path, store: Path | None, rows_namespace: str | None) -> ShardSources | None:
    """RETURNS (ShardSources | None): What lets the writer take the unchanged shards of the
    corpus at `out`; with a cache folder only, as the memo of shard keys lives there."""
    if store is None or rows_namespace is None:
        return None
    from summit_corpus.publish.kept_shards import ShardSources

    return ShardSources(out, store / "published.json", rows_namespace)


def _stage_datasheet(corpus: Path, datasheet: Path, store: Path | None) -> list[tuple[Path, Path]]:
    """Render the datasheet of the new corpus into temp files beside their targets.

    RETURNS (list[tuple[Path, Path]]): (temp file, target) pairs, the Markdown last.
    """
    from summit_corpus.publish.datasheet import render_text

    sheet = render_text(corpus, cache_dir=store)
    files = [(datasheet.parent / name, data) for name, data in sorted(sheet.images.items())]
    files.append((datasheet, sheet.markdown.encode("utf-8")))
    for target, _data in files:
        if target.is_dir():  # os.replace would fail after the swap: refuse before it
            raise BuildError(Errors.E110.format(path=target), [])
    staged: list[tuple[Path, Path]] = []
    try:
        for target, data in files:
            staged.append((io.stage_atomic(target, data), target))
    except BaseException:
        for temp, _target in staged:
            temp.unlink(missing_ok=True)
        raise
    return staged


def _publish(
    staged: engines.Staged,
    annotations: Path | None,
    tmp: Path,
    chunk_documents: int,
    datasheet: Path | None = None,
    allow_annotation_loss: bool = False,
    store: Path | None = None,
    previous: ShardSources | None = None,
) -> BuildSummary:
    """Split, publish and validate the staged corpus in the temporary folder `tmp`.

    The staged tables are sorted by doc_id, so they are read `publish_chunk` documents at a
    time, each chunk with every row of its documents (the human layer's rows
    merged in), and the published files are validated `chunk_documents` documents at a time:
    memory holds one chunk, whatever the size of the corpus. `datasheet` (relative to the
    corpus folder) is rendered into it before the manifest is written. `store` (the cache folder)
    keeps what validation checked of each shard; the shards of
    `previous` (the corpus replaced) whose sources did not change are taken, not written.
    """
    from summit_corpus.annotate.human import read_human_layer
    from summit_corpus.core.scheme import load_scheme
    from summit_corpus.publish import DatasetWriter
    from summit_corpus.publish.kept_shards import KeptShards, document_keys, model_only_configs
    from summit_corpus.publish.splits import split_sizes
    from summit_corpus.publish.staged_assignment import split_assignment
    from summit_corpus.validate import validate_corpus

    human, annotation_problems = read_human_layer(
        annotations, staged.files[tables.DOCUMENTS.name], allow_annotation_loss
    )
    # The fingerprints feed the split assignment only; every other staged table is published.
    # and the dropped predictions are one file beside the data, not a config.
    internal = {tables.FINGERPRINTS.name, tables.DROPPED_PREDICTIONS.name}
    published = {k: v for k, v in staged.files.items() if k not in internal}
    names = [*published, *(name for name in human if name not in published)]
    assignment = split_assignment(staged)
    # What the split assignment freed (its documents' batches, the near-duplicate index) is
    # handed back before publishing stacks on it: at 20,000 articles the resident set when
    # publishing began fell from 238 to 199 MiB, the publisher's peak from 442-445 to 421-428.
    release_unused_memory()
    shutil.rmtree(tmp, ignore_errors=True)
    kept = None
    if previous is not None:
        keys = document_keys(staged.files[tables.DOCUMENTS.name], human)
        kept = KeptShards(previous, keys, model_only_configs(names, human))
    writer = DatasetWriter(tmp, load_scheme(), names, kept)
    try:
        step = publish_chunk(chunk_documents, assignment.num_rows, writer.start(assignment))
        _write_chunks(writer, published, human, assignment, step)
        writer.close()
        dropped = _write_dropped(staged, tmp)
        if datasheet is not None:  # a datasheet that goes with the corpus, inside its folder
            from summit_corpus.publish.datasheet import render

            render(tmp, tmp / datasheet, cache_dir=store)
        write_manifest(tmp)
        if kept is not None:
            kept.remember(tmp, writer.shard_rows, writer.shard_facts)
        faults.point("publish.written")
        # What validation checked of each shard is kept by the shard's bytes, in the cache.
        memo = store / "validated" if store is not None else None
        report = validate_corpus(tmp, docs_per_chunk=chunk_documents, memo=memo)
        if not report.ok:
            raise BuildError(Errors.E102.format(count=len(report.failures)), list(report.lines()))
        faults.point("publish.validated")
    except BaseException:
        writer.abort()
        raise
    return BuildSummary(
        out=tmp,
        rows={name: writer.facts.rows.get(name, 0) for name in names},
        splits=split_sizes(assignment),
        cache_hits=staged.cache_hits,
        parsed=staged.parsed,
        cache_repaired=staged.cache_repaired,
        dropped=dropped,
        annotation_problems=annotation_problems,
    )


def publish_chunk(chunk_documents: int, documents: int, taken: int) -> int:
    """RETURNS (int): Documents the writer takes at a time: a quarter of those validated at a
    time, or all of them when at least half of the corpus's `documents` are in shards a
    rebuild takes from the corpus it replaces (`taken`).

    A rebuild after adding an article or a pull writes few files, so the pending row groups
    that make the writer's peak are few, while every chunk costs a pass over every config:
    at 2,506 articles a rebuild after adding one took 8.0-8.7 s with a quarter and 6.7-7.4 s
    with the whole chunk (peak 461-474 and 435-443 MiB, spaCy's included).

    A published chunk's working set (the chunk read, its config rows, nested twice, and the
    pending row groups of every open file, written by several threads) is larger than a
    validated one's. At 20,000 articles the writer peaked at 585 MiB with 500 documents a
    time, 430 with 250, 421-428 with 125 and 399 with 62 (validation: 506 then; since then
    the main process's peak at 500 articles is 319 MiB, in validation). With 62 the writing
    of 2,508 articles took 9.6-10.3 s against 9.2-9.3 s with 125.
    """
    if documents and 2 * taken >= documents:
        return max(1, chunk_documents)
    return max(1, chunk_documents // 4)


def _write_chunks(
    writer: Any,
    published: dict[str, Path],
    human: dict[str, pa.Table],
    assignment: pa.Table,
    chunk_documents: int,
) -> None:
    """Give `writer` the staged tables `chunk_documents` documents at a time, each chunk with
    its documents' human and adjudicated rows merged in; the documents the writer skips
    (their shards' files and facts taken from the corpus a rebuild replaces) are not read.

    RAISES (BuildError): A human row names a document the corpus does not have.
    """
    from summit_corpus.core.chunks import iter_chunks

    known = assignment.column("doc_id")
    for name, layer in human.items():
        orphan = pc.invert(pc.fill_null(pc.is_in(layer.column("doc_id"), value_set=known), False))
        if pc.any(orphan).as_py():
            doc_id = layer.filter(orphan).column("doc_id")[0].as_py()
            raise BuildError(Errors.E104.format(table=name, doc_id=doc_id), [])
    only = None
    if len(writer.skipped):
        read = known.filter(pc.invert(pc.is_in(known, value_set=writer.skipped)))
        only = read.take(pc.sort_indices(read)).combine_chunks()  # string order, as staged
    for chunk in iter_chunks(published, tables.DOCUMENTS.name, chunk_documents, only=only):
        rows = dict(chunk.tables)
        doc_ids = rows[tables.DOCUMENTS.name].column("doc_id")
        for name, layer in human.items():
            # The human and adjudicated layers sit beside the model layer in the same
            # tables, told apart by `layer`.
            mine = layer.filter(pc.is_in(layer.column("doc_id"), value_set=doc_ids))
            parts = [rows[name], mine] if name in rows else [mine]
            rows[name] = tables.concat(tables.table(name), parts)
        writer.add(rows, assignment)


def _write_dropped(staged: engines.Staged, corpus: Path) -> dict[str, int]:
    """Publish the dropped predictions (all of them: they are few) as one Parquet file.

    RETURNS (dict[str, int]): Reason -> count, reasons in alphabetical order.
    """
    definition = tables.DROPPED_PREDICTIONS
    path = staged.files.get(definition.name)
    rows = read_staged(path, definition) if path is not None else definition.empty()
    io.write_parquet(corpus / layout.DROPPED_PREDICTIONS, rows)
    return dict(sorted(Counter(rows.column("reason").to_pylist()).items()))


def write_manifest(corpus: Path) -> None:
    """Record the SHA-256 of every file of the corpus folder in MANIFEST.json."""
    files = [p for p in corpus.rglob("*") if p.is_file() and p.name != layout.MANIFEST]
    io.write_json(corpus / layout.MANIFEST, io.file_manifest(corpus, files))


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
