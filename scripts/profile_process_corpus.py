"""CPU time of the whole per-article phase (`engines.process_corpus`, 1 worker, fresh cache)
against spaCy's `nlp.pipe` alone over the same articles, in one process, broken down by stage.

    python scripts/profile_process_corpus.py --raw /tmp/raw-300 [--rounds 2] [--save DIR]
        [--check DIR] [--cprofile FILE]

`process_corpus` runs with `LocalEngine(workers=1)` (everything in this process), a fresh
cache folder and a fresh staging folder, as `corpus build --workers 1` does on a cold cache.
Each round times spaCy alone (`nlp.pipe` over the clean texts, batches of 32) and then the
build, both in CPU time (`time.process_time`: the machine is shared); the best round of each
is kept. The stages are timed by wrapping the functions that implement them, each timer
counting its own time only (a stage called inside another is not counted twice), so the rows
add up to the build's total. `--save` keeps the staged tables and cache entries of the last
round, `--check` compares them with saved ones: the staged tables row for row (`.equals`),
the cache entries byte for byte (the namespace folder, which hashes the code, is ignored).
Run it from the project folder (the annotation scheme is read from ./schemas).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

BATCH = 32
# (module, attribute, stage): the functions timed; one missing in this version is skipped.
TARGETS = (
    ("summit_corpus.build.engines", "process_corpus", "other (process_corpus)"),
    ("summit_corpus.build.engines", "run_batch", "other (process_corpus)"),
    ("summit_corpus.build.pipeline", "raw_table", "raw_table"),
    ("summit_corpus.build.pipeline", "process_batch", "process_batch (rest)"),
    ("summit_corpus.build.pipeline", "process_articles", "process_articles (rest)"),
    ("summit_corpus.build.ingest", "clean", "ingest.clean"),
    ("summit_corpus.build.segment", "arrays", "segment.arrays"),
    ("summit_corpus.build.segment", "tables_of", "segment.tables_of"),
    ("summit_corpus.build.model", "annotate_doc", "annotate_doc"),
    ("summit_corpus.build.pipeline", "results_to_tables", "results_to_tables (rest)"),
    ("summit_corpus.build.engines", "split_by_article", "cache: split_by_article"),
    ("summit_corpus.build.cache", "encode_entry", "cache: encode_entry"),
    ("summit_corpus.build.cache", "article_key", "cache: article_key (path, lookups)"),
    ("summit_corpus.build.staging", "read_staged", "staging: read"),
)
# With --model: the model layer's parts, as `annotate_doc` calls them.
MODEL_TARGETS = tuple(
    ("summit_corpus.build.model", name, f"model: {name}")
    for name in (
        "entities",
        "events",
        "quotes",
        "speakers",
        "is_label",
        "relations",
        "clean_spans",
        "clean_relations",
        "document_labels",
        "_span_rows",
        "_relation_rows",
        "_dropped_rows",
    )
)
# (module, class, method, stage)
METHODS = (
    ("summit_corpus.build.cache", "ArticleCache", "put", "cache: put (file write)"),
    ("summit_corpus.build.engines", "_StagingRun", "emit", "staging: emit (concat/cast/sort)"),
    ("summit_corpus.build.engines", "_StagingRun", "_take_parsed", "cache: _take_parsed (rest)"),
    ("summit_corpus.build.engines", "_StagingRun", "misses", "other (process_corpus)"),
    ("summit_corpus.build.staging", "StagingWriter", "write", "staging: Parquet write"),
    ("summit_corpus.build.staging", "StagingWriter", "close", "staging: Parquet write"),
)


class _Clock:
    """Exclusive CPU time per stage: a stage's timer pauses while a nested stage runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[str] = []
        self._mark = 0.0

    def _switch(self, to: str | None) -> None:
        now = time.process_time()
        if self._stack:
            self.seconds[self._stack[-1]] += now - self._mark
        self._mark = now
        if to is None:
            self._stack.pop()
        else:
            self._stack.append(to)

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._switch(stage)
            try:
                return fn(*args, **kwargs)
            finally:
                self._switch(None)

        return wrapper

    def wrap_iter(self, stage: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            items = fn(*args, **kwargs)
            while True:
                self._switch(stage)
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    self._switch(None)
                yield item

        return wrapper


def _instrument(clock: _Clock, nlp: Any, model: bool) -> Callable[[], None]:
    """Wrap every target; RETURNS a function that puts the originals back."""
    from summit_corpus.build import pipeline

    undo: list[Callable[[], None]] = []
    for module_name, attr, stage in (*TARGETS, *(MODEL_TARGETS if model else ())):
        module = importlib.import_module(module_name)
        if hasattr(module, attr):
            original = getattr(module, attr)
            setattr(module, attr, clock.wrap(stage, original))
            undo.append(functools.partial(setattr, module, attr, original))
    for module_name, cls_name, attr, stage in METHODS:
        cls = getattr(importlib.import_module(module_name), cls_name, None)
        if cls is not None and hasattr(cls, attr):
            original = getattr(cls, attr)
            wrap = clock.wrap_iter if attr == "misses" else clock.wrap
            setattr(cls, attr, wrap(stage, original))
            undo.append(functools.partial(setattr, cls, attr, original))
    fingerprinter = pipeline._fingerprinter()
    original_fp = pipeline._fingerprinter
    pipeline._fingerprinter = lambda: clock.wrap("fingerprint", fingerprinter)  # type: ignore[assignment]
    undo.append(functools.partial(setattr, pipeline, "_fingerprinter", original_fp))
    nlp.pipe = clock.wrap_iter("spaCy nlp.pipe (in build)", type(nlp).pipe.__get__(nlp))
    undo.append(lambda: delattr(nlp, "pipe"))

    def restore() -> None:
        for step in reversed(undo):
            step()

    return restore


def _build(raws: list[Any], work: Path) -> tuple[float, Any, Path]:
    from summit_corpus.build import engines, pipeline
    from summit_corpus.build.cache import ArticleCache

    shutil.rmtree(work, ignore_errors=True)
    cache = ArticleCache(work / "cache", pipeline.pipeline_version())
    began = time.process_time()
    with engines.open_engine("local", 1) as engine:
        staged = engines.process_corpus(raws, engine, work / "staging", cache=cache)
    return time.process_time() - began, staged, work / "cache"


def _spacy(nlp: Any, texts: list[str]) -> float:
    began = time.process_time()
    sum(len(doc) for doc in nlp.pipe(texts, batch_size=BATCH))
    return time.process_time() - began


def run(raw: Path, rounds: int, work: Path, profile: Path | None, model: bool) -> dict[str, Any]:
    """RETURNS (dict): best spaCy seconds, best build seconds, that round's stage seconds."""
    from summit_corpus.build import ingest, pipeline

    raws = sorted(ingest.discover(raw), key=lambda r: (r.doc_id, r.source_file))
    nlp = pipeline.load_nlp()
    texts = [ingest.clean(r).text for r in raws]
    _spacy(nlp, texts[:BATCH])  # warm up spaCy, then our code (imports, scheme, fingerprinter)
    _build(raws[:BATCH], work)
    best_spacy, best_build, stages = float("inf"), float("inf"), {}
    for _ in range(rounds):
        best_spacy = min(best_spacy, _spacy(nlp, texts))
        clock = _Clock()
        restore = _instrument(clock, nlp, model)
        try:
            seconds, staged, cache = _build(raws, work)
        finally:
            restore()
        if seconds < best_build:
            best_build, stages = seconds, dict(clock.seconds)
    if profile is not None:
        profiler = cProfile.Profile()
        profiler.enable()
        _build(raws, work)
        profiler.disable()
        profiler.dump_stats(profile)
    return {"n": len(raws), "spacy": best_spacy, "build": best_build, "stages": stages}


def report(result: dict[str, Any]) -> str:
    n, spacy_s, build_s = result["n"], result["spacy"], result["build"]
    per = 1000 / n
    lines = [
        f"{n} articles; CPU seconds (best of the rounds); ms per article",
        f"{'stage':<40}{'s':>8}{'ms/art':>9}{'% spaCy':>9}",
        f"{'spaCy nlp.pipe alone':<40}{spacy_s:>8.3f}{spacy_s * per:>9.2f}{100.0:>8.1f}%",
    ]
    stages = sorted(result["stages"].items(), key=lambda kv: -kv[1])
    for stage, s in stages:
        lines.append(f"{stage:<40}{s:>8.3f}{s * per:>9.2f}{100 * s / spacy_s:>8.1f}%")
    timed = sum(result["stages"].values())
    lines.append(f"{'(untimed)':<40}{build_s - timed:>8.3f}{(build_s - timed) * per:>9.2f}")
    lines.append(f"{'process_corpus total':<40}{build_s:>8.3f}{build_s * per:>9.2f}")
    beyond = build_s - spacy_s
    lines.append(f"beyond spaCy alone: {beyond * per:.2f} ms/article")
    lines.append(f"ratio process_corpus / nlp.pipe (CPU): {build_s / spacy_s:.3f}")
    return "\n".join(lines)


def _entries(cache: Path) -> dict[str, bytes]:
    return {
        "/".join(p.relative_to(cache).parts[1:]): p.read_bytes()
        for p in sorted(cache.rglob("*"))
        if p.is_file()
    }


def save(work: Path, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(work / "staging", folder / "staging")
    shutil.copytree(work / "cache", folder / "cache")


def compare(work: Path, folder: Path) -> list[str]:
    """RETURNS (list[str]): One line per staged table or cache entry that differs."""
    problems = []
    for path in sorted((folder / "staging").glob("*.parquet")):
        now = work / "staging" / path.name
        before, after = pq.read_table(path), pq.read_table(now)
        if not before.schema.equals(after.schema, check_metadata=True):
            problems.append(f"{path.name}: schema differs")
        elif not before.equals(after):
            problems.append(f"{path.name}: rows differ")
    old, new = _entries(folder / "cache"), _entries(work / "cache")
    if sorted(old) != sorted(new):
        problems.append(f"cache entries differ: {len(old)} saved, {len(new)} now")
    problems += [f"cache entry {k} differs" for k in sorted(old) if k in new and old[k] != new[k]]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True, help="Folder of raw articles.")
    parser.add_argument("--rounds", type=int, default=2, help="Rounds; the best is kept.")
    parser.add_argument("--save", type=Path, help="Keep the staged tables and cache entries.")
    parser.add_argument("--check", type=Path, help="Compare them with these.")
    parser.add_argument("--cprofile", type=Path, help="Also write a cProfile of one more build.")
    parser.add_argument("--model", action="store_true", help="Time the model layer's parts.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        result = run(args.raw, args.rounds, work, args.cprofile, args.model)
        print(report(result))
        if args.save:
            save(work, args.save)
            print(f"saved the staged tables and cache entries to {args.save}")
        if args.check:
            problems = compare(work, args.check)
            for line in problems[:20]:
                print(f"DIFFERS {line}")
            if problems:
                return 1
            print(f"identical: staged rows and cache entries equal those in {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
