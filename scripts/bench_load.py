"""Where `datasets.load_dataset` spends its time on a published corpus folder.

    python scripts/bench_load.py CORPUS [CORPUS ...] [--repeat 5] [--configs ner,tokens]
        [--warm-imports] [--json OUT]

For each repetition and each folder, a fresh Python process loads every config into a cold
Hugging Face cache dir (the ratio-6 measurement of scripts/bench.py) and times, per config:
`load_dataset_builder` (card YAML, data file resolution, builder and fingerprint),
`download_and_prepare` (Parquet -> casts -> Arrow cache files) and `as_dataset`; it counts
the rows and the Arrow record batches written to the cache; then it times
`pyarrow.parquet.read_table` of the same files (page cache warm). Folders are measured in
turn inside each repetition (the order rotates), so their ratios see similar machine load; the
report gives the min and median over the repetitions, and the same ratio in CPU time (user +
sys of the process, less sensitive to other load on a shared machine). `--warm-imports` loads
a one-row dataset first, outside the timing, to separate the one-off import cost of the first
`load_dataset` call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _configs(corpus: Path) -> list[str]:
    return sorted(p.name for p in (corpus / "data").iterdir() if p.is_dir())


def _warm_imports() -> None:
    """Load a one-row Parquet folder so that the lazy imports of the first call are paid."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "warm"
        (folder / "data").mkdir(parents=True)
        pq.write_table(pa.table({"x": [1]}), folder / "data" / "train.parquet")
        datasets.load_dataset(str(folder), cache_dir=str(Path(tmp) / "cache"))


def _arrow_batches(cache: Path) -> tuple[int, int]:
    """RETURNS (tuple[int, int]): record batches and bytes of the Arrow files under cache."""
    import pyarrow as pa

    batches = size = 0
    for path in cache.rglob("*.arrow"):
        size += path.stat().st_size
        with pa.memory_map(str(path)) as source:
            batches += pa.ipc.open_stream(source).read_all().to_batches().__len__()
    return batches, size


def measure(corpus: Path, configs: list[str], warm_imports: bool) -> dict[str, Any]:
    """One cold-cache load of every config of corpus, phase by phase, and read_table of it.

    corpus (Path): Published folder (README.md card, data/<config>/<split>-*.parquet).
    configs (list[str]): Configs to load, in this order.
    warm_imports (bool): Pay the first call's imports before timing.
    RETURNS (dict): Per config: seconds per phase, rows, batches, Arrow bytes, read seconds.
    """
    import datasets
    import pyarrow.parquet as pq

    datasets.disable_progress_bars()
    if warm_imports:
        _warm_imports()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for config in configs:
            cache = Path(tmp) / config
            cpu, start = time.process_time(), time.perf_counter()
            builder = datasets.load_dataset_builder(str(corpus), config, cache_dir=str(cache))
            built = time.perf_counter()
            builder.download_and_prepare()
            prepared = time.perf_counter()
            dataset = builder.as_dataset()
            done, cpu_done = time.perf_counter(), time.process_time()
            batches, arrow_bytes = _arrow_batches(cache)
            out[config] = {
                "builder": built - start,
                "prepare": prepared - built,
                "as_dataset": done - prepared,
                "load": done - start,
                "load_cpu": cpu_done - cpu,
                "rows": sum(split.num_rows for split in dataset.values()),
                "batches": batches,
                "arrow_mib": arrow_bytes / 2**20,
            }
    for config in configs:
        files = sorted((corpus / "data" / config).glob("*.parquet"))
        for path in files:  # the OS page cache is warm for both readers
            pq.read_table(path)
        cpu, start = time.process_time(), time.perf_counter()
        rows = sum(pq.read_table(path).num_rows for path in files)
        out[config]["read"] = time.perf_counter() - start
        out[config]["read_cpu"] = time.process_time() - cpu
        out[config]["read_rows"] = rows
    return out


def _summary(runs: list[dict[str, Any]], configs: list[str]) -> dict[str, Any]:
    """Min and median over the repetitions of each figure, per config and in total."""
    keys = ("builder", "prepare", "as_dataset", "load", "read")
    table: dict[str, Any] = {}
    for config in configs + ["TOTAL"]:
        row: dict[str, Any] = {}
        for key in keys:
            if config == "TOTAL":
                values = [sum(run[c][key] for c in configs) for run in runs]
            else:
                values = [run[config][key] for run in runs]
            row[key] = (min(values), statistics.median(values))
        first = runs[0]
        if config != "TOTAL":
            row["rows"], row["batches"] = first[config]["rows"], first[config]["batches"]
            row["arrow_mib"] = first[config]["arrow_mib"]
            assert first[config]["rows"] == first[config]["read_rows"], config
        if config == "TOTAL":
            ratios = [
                sum(run[c]["load"] for c in configs) / sum(run[c]["read"] for c in configs)
                for run in runs
            ]
            row["ratio"] = (min(ratios), statistics.median(ratios), max(ratios))
            cpu_ratios = [
                sum(run[c]["load_cpu"] for c in configs) / sum(run[c]["read_cpu"] for c in configs)
                for run in runs
            ]
            row["cpu_ratio"] = (min(cpu_ratios), statistics.median(cpu_ratios))
        table[config] = row
    return table


def _print(name: str, table: dict[str, Any]) -> None:
    print(f"\n{name}  (seconds: min / median over repetitions)")
    head = f"{'config':16} {'builder':>13} {'prepare':>13} {'as_dataset':>13} {'load':>13}"
    print(head + f" {'read_table':>13} {'rows':>9} {'batches':>7} {'arrow MiB':>9}")
    for config, row in table.items():
        cells = " ".join(f"{row[k][0]:6.3f}/{row[k][1]:6.3f}" for k in ("builder", "prepare"))
        cells += " " + " ".join(
            f"{row[k][0]:6.3f}/{row[k][1]:6.3f}" for k in ("as_dataset", "load", "read")
        )
        extra = ""
        if "rows" in row:
            extra = f" {row['rows']:9d} {row['batches']:7d} {row['arrow_mib']:9.1f}"
        print(f"{config:16} {cells}{extra}")
    low, mid, high = table["TOTAL"]["ratio"]
    print(f"ratio load_dataset / read_table: min {low:.2f}  median {mid:.2f}  max {high:.2f}")
    low, mid = table["TOTAL"]["cpu_ratio"]
    print(f"CPU-time ratio (user+sys of the process): min {low:.2f}  median {mid:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--configs", default="")
    parser.add_argument("--warm-imports", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    configs = args.configs.split(",") if args.configs else _configs(args.corpora[0])
    if args.measure:
        print(json.dumps(measure(args.measure, configs, args.warm_imports)))
        return
    runs: dict[Path, list[dict[str, Any]]] = {corpus: [] for corpus in args.corpora}
    for repetition in range(args.repeat):
        # Rotate the order, so that no folder always runs first (or right after a noisy one).
        shift = repetition % len(args.corpora)
        for corpus in args.corpora[shift:] + args.corpora[:shift]:
            command = [sys.executable, __file__, str(corpus), "--measure", str(corpus)]
            command += ["--configs", ",".join(configs)]
            command += ["--warm-imports"] if args.warm_imports else []
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                sys.stderr.write(result.stdout + result.stderr)
                raise SystemExit(f"measurement of {corpus} failed")
            runs[corpus].append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"repetition {repetition + 1}/{args.repeat} done", file=sys.stderr)
    report = {str(c): _summary(r, configs) for c, r in runs.items()}
    for corpus, table in report.items():
        _print(corpus, table)
    if args.json:
        args.json.write_text(
            json.dumps({"report": report, "runs": {str(c): r for c, r in runs.items()}})
        )


if __name__ == "__main__":
    main()
