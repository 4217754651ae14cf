"""Engines: where batches of raw articles are processed.

Every engine runs the same pure per-article function, `pipeline.process_batch` (through
`run_batch`), on Arrow batches of raw articles, and yields the resulting tables in the order
the batches came in, with a bounded number of batches in flight (memory stays flat):

- `LocalEngine(workers=1)`: in this process.
- `LocalEngine(workers=N)`: a pool of N processes, each loading the spaCy pipeline once.
- `DaskEngine`: `dask.distributed` workers (a LocalCluster on 127.0.0.1 without a dashboard,
  or an existing cluster's scheduler); a worker plugin loads spaCy once per worker, and Dask
  reschedules the batches of a worker that dies.

Open one with `open_engine("local" | "dask", workers, scheduler)`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pyarrow as pa

from summit_corpus.build import faults, ingest, pipeline
from summit_corpus.build.cache import ArticleCache, split_by_article
from summit_corpus.build.staging import StagingWriter, read_staged
from summit_corpus.core.errors import EngineError, Errors

ENGINES = ("local", "dask")
Item = TypeVar("Item")
# Batches in flight per worker: enough to keep every worker busy while the main process
# writes results, few enough that memory does not grow with the corpus.
IN_FLIGHT_PER_WORKER = 2
# `--workers auto`: one worker per this many articles to parse, up to the cores this process
# may run on. A batch (32 articles) is the unit of work, so a second worker needs a second
# batch to have anything to do, and each worker costs a process start and a spaCy load before
# it parses; below two batches per worker one process is as fast (scripts/bench.py measures
# the break-even: its `--workers auto` table in BENCHMARKS.md).
AUTO = "auto"
AUTO_ARTICLES_PER_WORKER = 64
# With several workers, the articles of the last TAIL_BATCHES_PER_WORKER batches per worker go
# in windows TAIL_SPLIT times smaller: a full batch (32 articles, ~2.5 s) handed out last kept
# one worker parsing while the others had nothing left to do.
TAIL_BATCHES_PER_WORKER = 2
TAIL_SPLIT = 4


def available_cores() -> int:
    """RETURNS (int): The cores this process may run on (its CPU affinity, else the count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_workers(workers: int | str, articles: int, cores: int | None = None) -> int:
    """The number of worker processes for a build.

    workers (int | str): A count (>= 1), or "auto": one per `AUTO_ARTICLES_PER_WORKER`
        articles to parse, at least 1 and at most `cores`.
    articles (int): Articles the build will parse (cache misses), not the corpus size: a
        rebuild that parses one article does not start a pool.
    cores (int | None): Cores to use at most; None takes `available_cores()`.
    RETURNS (int): The worker count.
    RAISES (EngineError): `workers` is neither "auto" nor a count >= 1.
    """
    if isinstance(workers, str):
        if workers.strip().lower() == AUTO:
            cores = available_cores() if cores is None else cores
            return max(1, min(cores, articles // AUTO_ARTICLES_PER_WORKER))
        try:
            workers = int(workers)
        except ValueError:
            raise EngineError(Errors.E801.format(workers=workers)) from None
    if workers < 1:
        raise EngineError(Errors.E801.format(workers=workers))
    return workers


class Engine(Protocol):
    """Processes batches of raw articles (pipeline.RAW_SCHEMA) into per-article tables."""

    name: str
    workers: int

    def version(self) -> str:
        """RETURNS (str): `pipeline.pipeline_version()` as the workers see it."""
        ...

    def map(self, batches: Iterable[pa.Table]) -> Iterator[dict[str, pa.Table]]:
        """Process batches; yields one result per batch, in input order."""
        ...

    def close(self) -> None: ...


def run_batch(raw: pa.Table) -> dict[str, pa.Table]:
    """The per-article stage over one batch, as every engine's worker runs it.

    An exception that escapes `pipeline.process_batch` (for example inside spaCy) does not lose
    the batch: its articles are processed one at a time, so the one that fails is named.

    raw (pa.Table): Raw articles (pipeline.RAW_SCHEMA).
    RETURNS (dict[str, pa.Table]): Table name -> rows, plus "errors" (one row per failed file).
    """
    try:
        return pipeline.process_batch(raw)
    except Exception as error:
        if raw.num_rows <= 1:
            return failed_batch(raw, "pipeline", repr(error))
    parts = [run_batch(raw.slice(i, 1)) for i in range(raw.num_rows)]
    return {name: pa.concat_tables([p[name] for p in parts]) for name in parts[0]}


def failed_batch(raw: pa.Table, rule: str, detail: str) -> dict[str, pa.Table]:
    """RETURNS (dict[str, pa.Table]): Empty tables and one error row per file of the batch."""
    files = raw.column("source_file").to_pylist()
    out = {t.name: t.empty() for t in pipeline.PER_ARTICLE_TABLES}
    out["errors"] = pa.Table.from_pylist(
        [
            {
                "source_file": f,
                "rule": rule,
                "line": None,
                "offset": None,
                "message": Errors.E103.format(path=f, error=detail),
            }
            for f in files
        ],
        schema=pipeline.ERRORS_SCHEMA,
    )
    return out


class LocalEngine:
    """Batches processed in this process (workers=1) or in a pool of worker processes.

    workers (int): Number of processes; each loads the spaCy pipeline once.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise EngineError(Errors.E801.format(workers=workers))
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            # spawn, not fork: the parent may hold threads (progress bar, Arrow's pools).
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_load_nlp,
            )

    def version(self) -> str:
        if self._pool is None:
            return pipeline.pipeline_version()
        return self._pool.submit(pipeline.pipeline_version).result()

    def map(self, batches: Iterable[pa.Table]) -> Iterator[dict[str, pa.Table]]:
        if self._pool is None:
            for batch in batches:
                yield run_batch(batch)
            return
        pool = self._pool
        yield from _in_order(
            lambda batch: pool.submit(run_batch, batch),
            batches,
            self.workers * IN_FLIGHT_PER_WORKER,
            "pool",
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEngine:
    """Batches processed by `dask.distributed` workers.

    workers (int): Worker processes of the LocalCluster started when `scheduler` is None.
    scheduler (str | None): Address of an existing scheduler ("tcp://host:8786") to join.
    retries (int): How often Dask retries a batch whose task raised (a batch whose worker died
        is rescheduled by the scheduler itself, up to `distributed.scheduler.allowed-failures`).
    """

    name = "dask"

    def __init__(self, workers: int = 2, scheduler: str | None = None, retries: int = 1) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as error:
            raise EngineError(Errors.E802.format(error=error)) from None
        if workers < 1:
            raise EngineError(Errors.E801.format(workers=workers))
        self.retries = retries
        self._cluster: Any = None
        if scheduler is None:
            import dask

            with dask.config.set(local_cluster_config()):
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    # No dashboard; the scheduler's health endpoint takes a free loopback port.
                    dashboard_address=None,
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR,
                )
            self.client: Any = Client(self._cluster)  # type: ignore[no-untyped-call]
        else:
            try:
                self.client = Client(scheduler, timeout="30s")  # type: ignore[no-untyped-call]
            except OSError as error:
                raise EngineError(Errors.E803.format(address=scheduler, error=error)) from None
        from summit_corpus.build.dask_plugin import LoadPipeline

        self.client.register_plugin(LoadPipeline(), name=LoadPipeline.name)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def version(self) -> str:
        return str(self.client.submit(pipeline.pipeline_version, pure=False).result())

    def map(self, batches: Iterable[pa.Table]) -> Iterator[dict[str, pa.Table]]:
        client, retries = self.client, self.retries

        def submit(batch: pa.Table) -> Any:
            return client.submit(run_batch, batch, pure=False, retries=retries)

        yield from _in_order(submit, batches, self.workers * IN_FLIGHT_PER_WORKER, "dask")

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


# glibc's tunable (read as a process starts) for one malloc arena shared by all its threads.
ONE_MALLOC_ARENA = "glibc.malloc.arena_max=1"


def local_cluster_config() -> dict[str, Any]:
    """The Dask settings of the LocalCluster a build starts (its workers inherit them).

    Two Dask defaults made the same batches cost the workers about a third more CPU than in
    the local pool (measured inside the workers, CPU time of the task thread and of the whole
    process, same batches, interleaved runs; see BENCHMARKS.md): the statistical profiler,
    which every 10 ms has the worker's event loop take the GIL from the task thread and walk
    its stack (spaCy's are deep), and MALLOC_TRIM_THRESHOLD_=65536 in the workers'
    environment, which makes glibc hand freed memory back to the OS at once, so spaCy's many
    short-lived allocations keep paying for fresh pages (the task thread alone used 12-18%
    more CPU). Neither is needed here: a batch's memory is bounded by the batch size, as in
    the local pool (which never set it), and nobody reads the profiles. Serialising the
    results costs nothing that shows (~3 ms per batch of 32 articles, ~4 s of parsing). And
    the workers get one malloc arena (`ONE_MALLOC_ARENA`), so the task thread keeps the pages
    it frees between batches. A cluster joined with --scheduler keeps its own settings.
    """
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    # A Dask worker parses in a thread, and glibc gives a thread an arena of its own, which
    # hands freed pages back whatever `core/allocator.py` sets (the same 96 articles: 42,209
    # page faults in a thread, 474 in the main thread, 390 in a thread of a process with one
    # arena); one arena for the worker process keeps them as in the local pool.
    tunables = [t for t in str(environ.get("GLIBC_TUNABLES", "")).split(":") if t]
    environ["GLIBC_TUNABLES"] = ":".join([*tunables, ONE_MALLOC_ARENA])
    return {
        "distributed.worker.profile.enabled": False,
        "distributed.nanny.pre-spawn-environ": environ,
    }


@contextmanager
def open_engine(
    kind: str = "local", workers: int = 1, scheduler: str | None = None
) -> Iterator[Engine]:
    """Start an engine and shut it down afterwards.

    kind (str): "local" or "dask".
    workers (int): Worker processes (local pool or LocalCluster).
    scheduler (str | None): Dask scheduler address; None starts a LocalCluster on 127.0.0.1.
    YIELDS (Engine): The running engine.
    """
    engine: Engine
    if kind == "local":
        if scheduler is not None:
            raise EngineError(Errors.E804.format(address=scheduler))
        engine = LocalEngine(workers)
    elif kind == "dask":
        engine = DaskEngine(workers, scheduler)
    else:
        raise EngineError(Errors.E800.format(kind=kind, kinds=", ".join(ENGINES)))
    try:
        yield engine
    finally:
        engine.close()


@dataclass(frozen=True, slots=True)
class Staged:
    """The per-article tables of a whole corpus, staged on disk.

    files (dict[str, Path]): Table name -> staging Parquet file.
    rows (dict[str, int]): Table name -> row count.
    errors (list[str]): One message per rejected file, naming the file.
    cache_hits (int): Articles read from the cache instead of being parsed.
    parsed (int): Articles sent to the engine.
    cache_repaired (int): Cache entries found damaged (or gone), re-parsed and rewritten.
    """

    files: dict[str, Path]
    rows: dict[str, int]
    errors: list[str]
    cache_hits: int
    parsed: int
    cache_repaired: int = 0

    def read(self) -> dict[str, pa.Table]:
        """RETURNS (dict[str, pa.Table]): Table name -> all rows, typed and sorted."""
        return {
            t.name: read_staged(self.files[t.name], t)
            for t in pipeline.PER_ARTICLE_TABLES
            if t.name in self.files
        }


def process_corpus(
    raws: Sequence[ingest.ArticleSource],
    engine: Engine,
    staging: Path,
    *,
    cache: ArticleCache | None = None,
    batch_size: int = 32,
    advance: Callable[[int], None] = lambda n: None,
) -> Staged:
    """Run the per-article stage over a corpus in bounded batches, streaming rows to disk.

    Articles are taken in doc_id order, `batch_size` at a time. Cached articles are read from
    the cache; the others go to the engine, and their rows are cached as they come back. Each
    batch's rows are written to the staging files before the next result is taken, so memory
    does not grow with the number of articles, and the staged rows are the same whatever the
    engine, the number of workers or the cache held.

    raws (Sequence[ingest.ArticleSource]): The raw files (without duplicates).
    engine (Engine): Where uncached articles are processed.
    staging (Path): Folder for the staging files (created; the caller deletes it).
    cache (ArticleCache | None): Per-article cache; None parses every article.
    batch_size (int): Articles per batch (and per `nlp.pipe` batch).
    advance (Callable[[int], None]): Called with the number of articles of each finished batch.
    RETURNS (Staged): The staged tables and the rejected files' messages.
    """
    ordered = sorted(raws, key=lambda r: (r.doc_id, r.source_file))
    windows = batch_windows(ordered, batch_size, engine.workers)
    run = _StagingRun(StagingWriter(staging, pipeline.PER_ARTICLE_TABLES), cache, advance)
    try:
        for result in engine.map(run.misses(windows)):
            while True:
                window, cached = run.queue.popleft()
                if all(cached):
                    run.emit(window, cached, None)
                    continue
                run.emit(window, cached, result)
                break
        while run.queue:
            run.emit(*run.queue.popleft(), None)
    except BaseException:
        run.writer.abort()
        raise
    finally:
        if run.reader is not None:
            run.reader.close()
    files = run.writer.close()
    return Staged(
        files=files,
        rows=dict(run.writer.rows),
        errors=run.errors,
        cache_hits=run.hits,
        parsed=run.parsed,
        cache_repaired=run.repaired,
    )


def batch_windows(ordered: Sequence[Item], batch_size: int, workers: int) -> list[list[Item]]:
    """Cut the articles into the windows that go to the engine, in order.

    Windows hold `batch_size` articles, but with several workers the last
    TAIL_BATCHES_PER_WORKER x `workers` batches' worth are cut TAIL_SPLIT times smaller, so
    that the workers run out of work at about the same time. The staged rows do not depend
    on the windows (staging cuts its own row groups).

    ordered (Sequence[Item]): The articles, in doc_id order.
    batch_size (int): Articles per window (>= 1).
    workers (int): The engine's workers.
    RETURNS (list[list[Item]]): The windows; together they hold every article once.
    """
    tail = 0 if workers < 2 else min(len(ordered), workers * TAIL_BATCHES_PER_WORKER * batch_size)
    cut = len(ordered) - tail
    small = max(1, batch_size // TAIL_SPLIT)
    head = [list(ordered[i : min(i + batch_size, cut)]) for i in range(0, cut, batch_size)]
    return head + [list(ordered[i : i + small]) for i in range(cut, len(ordered), small)]


class _StagingRun:
    """One `process_corpus` run: the windows waiting for the engine's results, the cache
    reader, the staging writer and the counts.

    writer (StagingWriter): Where each window's rows go, in doc_id order.
    cache (ArticleCache | None): Per-article cache; None parses every article.
    advance (Callable[[int], None]): Called with the size of each finished window.
    """

    def __init__(
        self,
        writer: StagingWriter,
        cache: ArticleCache | None,
        advance: Callable[[int], None],
    ) -> None:
        self.writer = writer
        self.cache = cache
        self.advance = advance
        self.reader = _CacheReader(cache) if cache is not None else None
        self.queue: deque[tuple[list[ingest.ArticleSource], list[bool]]] = deque()
        self.errors: list[str] = []
        self.hits = 0
        self.parsed = 0
        self.repaired = 0

    def misses(self, windows: list[list[ingest.ArticleSource]]) -> Iterator[pa.Table]:
        """YIELDS (pa.Table): Per window with uncached articles, their raw table for the
        engine; every window is queued, in order, with which of its articles are cached."""
        for window in windows:
            cached = [self.cache is not None and self.cache.path(raw).is_file() for raw in window]
            self.queue.append((window, cached))
            missing = [raw for raw, hit in zip(window, cached, strict=True) if not hit]
            if missing:
                self.parsed += len(missing)
                yield pipeline.raw_table(missing)

    def emit(self, window: list[ingest.ArticleSource], cached: list[bool], result: Any) -> None:
        """Write one window's rows: the engine's `result` for its parsed articles (cached as
        they come back) and the cache entries of the others."""
        parts: dict[str, list[pa.Table]] = {t.name: [] for t in pipeline.PER_ARTICLE_TABLES}
        if result is not None:
            self._take_parsed(window, cached, result, parts)
        if self.reader is not None:
            self.reader.read_ahead(window, cached)
            if self.queue:  # the next window's entries are read while this one is written
                self.reader.read_ahead(*self.queue[0])
        self._take_cached(window, cached, parts)
        # A window that mixes parsed and cached articles may be out of order; `sorted`
        # returns the others (each part sorted, entries in doc_id order) as they are.
        for t in pipeline.PER_ARTICLE_TABLES:
            nonempty = [p for p in parts[t.name] if p.num_rows]
            if nonempty:
                self.writer.write(t.name, t.sorted(pa.concat_tables(nonempty).cast(t.schema)))
        faults.point("staging.batch")
        self.advance(len(window))

    def _take_parsed(
        self,
        window: list[ingest.ArticleSource],
        cached: list[bool],
        result: Any,
        parts: dict[str, list[pa.Table]],
    ) -> None:
        failed = set(result["errors"].column("source_file").to_pylist())
        self.errors.extend(result["errors"].column("message").to_pylist())
        done = [
            raw
            for raw, hit in zip(window, cached, strict=True)
            if not hit and raw.source_file not in failed
        ]
        for t in pipeline.PER_ARTICLE_TABLES:
            parts[t.name].append(result[t.name])
        if self.cache is not None and done:
            rows = {t.name: result[t.name] for t in pipeline.PER_ARTICLE_TABLES}
            per_article = split_by_article(rows, [raw.doc_id for raw in done])
            for raw in done:
                self.cache.put(raw, per_article[raw.doc_id])

    def _take_cached(
        self,
        window: list[ingest.ArticleSource],
        cached: list[bool],
        parts: dict[str, list[pa.Table]],
    ) -> None:
        for raw, hit in zip(window, cached, strict=True):
            if not hit:
                continue
            entry = self.reader.get(raw) if self.reader is not None else None
            if entry is None:  # damaged, or removed since it was looked up: parse it here
                entry = run_batch(pipeline.raw_table([raw]))
                problems = entry["errors"].column("message").to_pylist()
                self.errors.extend(problems)
                if self.cache is not None and not problems:
                    self.cache.put(
                        raw, {t.name: entry[t.name] for t in pipeline.PER_ARTICLE_TABLES}
                    )
                    self.repaired += 1
            else:
                self.hits += 1
            for t in pipeline.PER_ARTICLE_TABLES:
                parts[t.name].append(entry[t.name] if t.name in entry else t.empty())


class _CacheReader:
    """Reads cache entries a window ahead, in a thread.

    Reading an entry is mostly file I/O, zstd and Arrow IPC decoding, which release the GIL,
    so the next window's entries are decoded while this window's rows are written (a rebuild
    reads thousands of entries and parses almost nothing).

    cache (ArticleCache): The cache to read.
    """

    def __init__(self, cache: ArticleCache) -> None:
        self._cache = cache
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="summit-cache")
        self._pending: dict[str, Future[dict[str, pa.Table] | None]] = {}

    def read_ahead(self, window: Sequence[ingest.ArticleSource], cached: Sequence[bool]) -> None:
        """Start reading the entries of a window's cached articles (once each)."""
        for raw, hit in zip(window, cached, strict=True):
            if hit and raw.source_file not in self._pending:
                self._pending[raw.source_file] = self._pool.submit(self._cache.get, raw)

    def get(self, raw: ingest.ArticleSource) -> dict[str, pa.Table] | None:
        """RETURNS (dict[str, pa.Table] | None): The article's entry (as `ArticleCache.get`)."""
        future = self._pending.pop(raw.source_file, None)
        return future.result() if future is not None else self._cache.get(raw)

    def close(self) -> None:
        """Stop reading ahead (entries not yet read are dropped)."""
        self._pool.shutdown(cancel_futures=True)
        self._pending.clear()


def _in_order(
    submit: Callable[[pa.Table], Any], batches: Iterable[pa.Table], window: int, rule: str
) -> Iterator[dict[str, pa.Table]]:
    """Submit batches with at most `window` in flight; yield their results in input order."""
    pending: deque[tuple[pa.Table, Future[Any] | Any]] = deque()
    for batch in batches:
        pending.append((batch, submit(batch)))
        if len(pending) >= window:
            yield _result(*pending.popleft(), rule)
    while pending:
        yield _result(*pending.popleft(), rule)


def _result(batch: pa.Table, future: Any, rule: str) -> dict[str, pa.Table]:
    """A batch's result; a batch that kept failing (its worker died) is reported by file."""
    try:
        result: dict[str, pa.Table] = future.result()
    except Exception as error:
        return failed_batch(batch, rule, f"{type(error).__name__}: {error}")
    finally:
        del future  # release the worker's copy of the result
    return result


def _load_nlp() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and says what happened,
    # a worker must not print its own KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pipeline.load_nlp()
