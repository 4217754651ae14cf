"""Profile the per-article stage against spaCy alone, and check its output is unchanged.

    python scripts/profile_article_stage.py [--n 300] [--repeat 1] [--save DIR] [--check DIR]

Parses N synthetic articles once with `nlp.pipe` (the spaCy baseline), then runs
`pipeline.process_batch` over the same articles, in the build's batches of 32, with a pipeline
that replays the Docs already parsed: what is left is our own overhead. The stages inside it
are timed by wrapping the functions that implement them (whichever of them this version of the
code has), so the script runs unchanged on an older checkout, e.g.
`PYTHONPATH=/tmp/orig/src python scripts/profile_article_stage.py --save /tmp/ref` and then
`python scripts/profile_article_stage.py --check /tmp/ref` to compare every table with `.equals`.
Run it from the project folder (the annotation scheme is read from ./schemas).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

BATCH = 32  # engines.process_corpus's default batch size

# (module, attribute, stage): the functions timed, old and new names; a missing one is skipped.
TARGETS = (
    ("summit_corpus.build.ingest", "clean", "ingest.clean"),
    ("summit_corpus.build.segment", "split", "segment"),
    ("summit_corpus.build.segment", "arrays", "segment"),
    ("summit_corpus.build.model", "annotate_doc", "pre-annotation"),
    ("summit_corpus.build.pipeline", "results_to_tables", "tables"),
    ("summit_corpus.build.pipeline", "batch_tables", "tables"),
)


class _Replay:
    """Stands in for the spaCy pipeline: `pipe` yields the Docs parsed before, in order."""

    def __init__(self, docs: dict[str, Any], vocab: Any) -> None:
        self.docs = docs
        self.vocab = vocab

    def pipe(self, texts: Any, batch_size: int = BATCH) -> Iterator[Any]:
        for text in texts:
            yield self.docs[text]


def _timed(seconds: dict[str, float], stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[stage] += time.perf_counter() - began

    return wrapper


def _instrument(seconds: dict[str, float]) -> None:
    import importlib

    from summit_corpus.build import pipeline

    for module_name, attr, stage in TARGETS:
        module = importlib.import_module(module_name)
        if hasattr(module, attr):
            setattr(module, attr, _timed(seconds, stage, getattr(module, attr)))
    fingerprinter = pipeline._fingerprinter()
    pipeline._fingerprinter = lambda: _timed(seconds, "fingerprint", fingerprinter)  # type: ignore[assignment]


def _raws(n: int, seeds: Path, folder: Path) -> list[Any]:
    from summit_corpus.build import ingest
    from summit_corpus.build.synthetic import write_corpus

    write_corpus(seeds, folder, n, 0)
    raws = ingest.discover(folder)
    return sorted(raws, key=lambda r: (r.doc_id, r.source_file))


def run(n: int, seeds: Path, repeat: int) -> tuple[dict[str, float], dict[str, pa.Table]]:
    """RETURNS (tuple): Seconds per stage (best of `repeat`) and the tables of all articles."""
    from summit_corpus.build import ingest, pipeline

    with tempfile.TemporaryDirectory() as folder:
        raws = _raws(n, seeds, Path(folder))
    nlp = pipeline.load_nlp()
    pipeline.pipeline_version()
    texts = [ingest.clean(raw).text for raw in raws]
    list(nlp.pipe(texts[:BATCH], batch_size=BATCH))  # warm up
    began = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=BATCH))
    spacy_seconds = time.perf_counter() - began
    replay: Any = _Replay(dict(zip(texts, docs, strict=True)), nlp.vocab)
    batches = [pipeline.raw_table(raws[i : i + BATCH]) for i in range(0, len(raws), BATCH)]
    pipeline.process_batch(batches[0], replay)  # warm up (scheme, fingerprinter, imports)
    best: dict[str, float] | None = None
    out: list[dict[str, pa.Table]] = []
    for _ in range(repeat):
        seconds: dict[str, float] = defaultdict(float)
        _instrument(seconds)
        began = time.perf_counter()
        out = [pipeline.process_batch(batch, replay) for batch in batches]
        seconds["total"] = time.perf_counter() - began
        _uninstrument()
        if best is None or seconds["total"] < best["total"]:
            best = dict(seconds)
    assert best is not None
    best["spacy"] = spacy_seconds
    best["tokens"] = float(sum(len(d) for d in docs))
    tables = {name: pa.concat_tables([o[name] for o in out]) for name in out[0]}
    return best, tables


_ORIGINALS: dict[tuple[str, str], Any] = {}


def _uninstrument() -> None:
    import importlib

    from summit_corpus.build import pipeline

    for (module_name, attr), fn in _ORIGINALS.items():
        setattr(importlib.import_module(module_name), attr, fn)
    pipeline._fingerprinter = _ORIGINALS[("summit_corpus.build.pipeline", "_fingerprinter")]


def _remember() -> None:
    import importlib

    for module_name, attr, _ in (*TARGETS, ("summit_corpus.build.pipeline", "_fingerprinter", "")):
        module = importlib.import_module(module_name)
        if hasattr(module, attr):
            _ORIGINALS[(module_name, attr)] = getattr(module, attr)


def report(seconds: dict[str, float], n: int) -> str:
    spacy_seconds = seconds["spacy"]
    stages = [s for s in dict.fromkeys(stage for _, _, stage in TARGETS) if s in seconds]
    stages += ["fingerprint"] if "fingerprint" in seconds else []
    lines = [
        f"{n} articles, {int(seconds['tokens'])} spaCy tokens",
        f"{'stage':<16}{'seconds':>9}{'% of spaCy':>12}",
        f"{'spaCy nlp.pipe':<16}{spacy_seconds:>9.3f}{100.0:>11.1f}%",
    ]
    for stage in stages:
        share = 100 * seconds[stage] / spacy_seconds
        lines.append(f"{stage:<16}{seconds[stage]:>9.3f}{share:>11.1f}%")
    rest = seconds["total"] - sum(seconds[s] for s in stages)
    lines.append(f"{'other':<16}{rest:>9.3f}{100 * rest / spacy_seconds:>11.1f}%")
    total = seconds["total"]
    lines.append(f"{'ours, total':<16}{total:>9.3f}{100 * total / spacy_seconds:>11.1f}%")
    lines.append(f"ratio (spaCy + ours) / spaCy: {(spacy_seconds + total) / spacy_seconds:.3f}")
    return "\n".join(lines)


def compare(tables: dict[str, pa.Table], folder: Path) -> list[str]:
    """RETURNS (list[str]): One line per table that differs from the one saved in `folder`."""
    problems = []
    saved = sorted(p.stem for p in folder.glob("*.arrow"))
    if saved != sorted(tables):
        problems.append(f"tables differ: saved {saved}, now {sorted(tables)}")
    for name in sorted(set(saved) & set(tables)):
        with pa.ipc.open_file(folder / f"{name}.arrow") as reader:
            before = reader.read_all()
        now = tables[name]
        if not before.schema.equals(now.schema, check_metadata=True):
            problems.append(f"{name}: schema differs")
        elif not before.equals(now):
            problems.append(f"{name}: rows differ ({before.num_rows} saved, {now.num_rows} now)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="Synthetic articles.")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), help="Seed articles.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of our stages; best is kept.")
    parser.add_argument("--save", type=Path, help="Write every output table here (Arrow IPC).")
    parser.add_argument("--check", type=Path, help="Compare every output table with these.")
    args = parser.parse_args(argv)
    _remember()
    seconds, tables = run(args.n, args.seeds, args.repeat)
    print(report(seconds, args.n))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            # Arrow IPC keeps the schema exactly (Parquet would change nested field names).
            with pa.ipc.new_file(args.save / f"{name}.arrow", table.schema) as writer:
                writer.write_table(table)
        print(f"saved {len(tables)} tables to {args.save}")
    if args.check:
        problems = compare(tables, args.check)
        for line in problems:
            print(f"DIFFERS {line}")
        if problems:
            return 1
        print(f"identical: all {len(tables)} tables equal those in {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
