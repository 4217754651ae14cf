"""Benchmark the Label Studio round trip: push and pull of N tasks, and export conversion.

Needs a running server (`corpus studio start`) and LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY /
SUMMIT_PSEUDONYM_KEY in the environment, and a built corpus (its documents and model layer
are replicated to N distinct documents). Prints one line per measurement, each figure beside
its target (issue 18: push <= 30 s, idempotent re-push <= 3 s, pull <= 10 s), the machine's
load and the command. `--compare-imports` also measures the ways Label Studio 1.23 takes
predictions, side by side, each on a project of its own; `--benchmarks BENCHMARKS.md` writes
the figures into that file's "Label Studio" section (between its markers; the rest is kept).

    python scripts/bench_studio.py --corpus corpus --tasks 1000 --data-dir DATA_DIR
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus import annotate
from summit_corpus.annotate.client import _request

# Issue 18, item 8: seconds of wall time for N=1,000 tasks with predictions.
TARGETS = {"push": 30.0, "re-push": 3.0, "pull": 10.0}
BEGIN = "<!-- scripts/bench_studio.py: begin -->"
END = "<!-- scripts/bench_studio.py: end -->"


def replicate(corpus: Path, n: int) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Make `n` distinct documents from the corpus's, keeping each one's model layer."""
    read = annotate.read_corpus_tables(
        corpus, ["documents", "spans", "relations", "document_labels"]
    )
    docs = read["documents"].to_pylist()
    rows: dict[str, list[dict[str, Any]]] = {
        "documents": [],
        "spans": [],
        "relations": [],
        "document_labels": [],
    }
    by_doc = {
        name: {
            d["doc_id"]: [r for r in read[name].to_pylist() if r["doc_id"] == d["doc_id"]]
            for d in docs
        }
        for name in ("spans", "relations", "document_labels")
    }
    for i in range(n):
        doc = docs[i % len(docs)]
        doc_id = f"bench-{i:05d}"
        # a suffix after the text keeps every offset valid and makes each text distinct
        text = doc["text"] + f"\n[bench copy {i}]"
        rows["documents"].append(
            {
                "doc_id": doc_id,
                "text": text,
                "source_file": f"{doc_id}.txt",
                "text_sha256": annotate.text_sha256(text),
            }
        )
        for name in ("spans", "relations", "document_labels"):
            rows[name] += [{**r, "doc_id": doc_id} for r in by_doc[name][doc["doc_id"]]]
    out = [pa.Table.from_pylist(rows["documents"])]
    for name in ("spans", "relations", "document_labels"):
        out.append(pa.Table.from_pylist(rows[name], schema=read[name].schema))
    return out[0], out[1], out[2], out[3]


def server_cpu(data_dir: Path | None) -> float | None:
    """RETURNS (float | None): CPU seconds the server process has used (Linux), if known."""
    if data_dir is None:
        return None
    from summit_corpus.annotate import studio

    state = studio.status(studio.default_config(data_dir=data_dir))
    if not state.running or state.pid is None:
        return None
    fields = Path(f"/proc/{state.pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def load() -> str:
    """RETURNS (str): The 1, 5 and 15 minute load averages."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


class Clock:
    """Wall, client CPU and server CPU seconds of one measurement."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir

    def __enter__(self) -> Clock:
        self.cpu0 = server_cpu(self.data_dir)
        self.began, self.began_cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.began
        self.client = time.process_time() - self.began_cpu
        cpu1 = server_cpu(self.data_dir)
        self.server = None if self.cpu0 is None or cpu1 is None else cpu1 - self.cpu0

    def cpu(self) -> str:
        server = "n/a" if self.server is None else f"{self.server:.1f}"
        return f"server CPU {server} s, client CPU {self.client:.1f} s"


def verdict(name: str, seconds: float) -> str:
    target = TARGETS[name]
    return f"target <= {target:g} s: {'pass' if seconds <= target else 'MISS'}"


def import_options(client: Any, tasks: list[annotate.Task], args: argparse.Namespace) -> list[Any]:
    """Import the same tasks and predictions each way Label Studio 1.23 offers, each into a
    project of its own (deleted after), and time each way.

    RETURNS (list[tuple[str, Clock]]): (option, its clock) in the order measured.
    """
    from summit_corpus.annotate.client import ensure_project
    from summit_corpus.core.generated import labeling_config
    from summit_corpus.core.scheme import load_scheme

    scheme = load_scheme()

    def bare(t: annotate.Task) -> dict[str, Any]:
        task: dict[str, Any] = t.to_json()
        task.pop("predictions", None)
        return task

    def tasks_then(pid: int, how: str, batch: int) -> None:
        ids: list[int] = []
        for i in range(0, len(tasks), 1000):
            body = [bare(t) for t in tasks[i : i + 1000]]
            path = f"api/projects/{pid}/import"
            ids += _request(client, "POST", path, params={"return_task_ids": "true"}, body=body)[
                "task_ids"
            ]
        pairs = list(zip(ids, tasks, strict=True))
        if how == "each":
            for task_id, t in pairs:
                client.predictions.create(
                    task=task_id, result=list(t.prediction), model_version=t.model_version
                )
            return
        for i in range(0, len(pairs), batch):
            body = [
                {"task": task_id, "result": list(t.prediction), "model_version": t.model_version}
                for task_id, t in pairs[i : i + batch]
            ]
            if how == "sdk":
                client.projects.import_predictions(pid, request=body)
            else:
                _request(client, "POST", f"api/projects/{pid}/import/predictions", body=body)

    def inline(pid: int, how: str, batch: int) -> None:
        for i in range(0, len(tasks), batch):
            body = [t.to_json() for t in tasks[i : i + batch]]
            if how == "sdk":
                client.projects.import_tasks(pid, request=body, return_task_ids=True)
            else:
                path = f"api/projects/{pid}/import"
                _request(client, "POST", path, params={"return_task_ids": "true"}, body=body)

    options: list[tuple[str, Any, str, int]] = [
        ("tasks alone, no predictions (JSON made here)", None, "", 1000),
        ("inline predictions, SDK import_tasks, batches of 500 (the old push)", inline, "sdk", 500),
        *[
            (f"inline predictions, JSON made here, batches of {b}", inline, "json", b)
            for b in (250, 500, 1000)
        ],
        *[
            (
                f"tasks, then POST import/predictions, JSON made here, batches of {b}",
                tasks_then,
                "json",
                b,
            )
            for b in (250, 500, 1000)
        ],
        ("tasks, then SDK import_predictions, batches of 500", tasks_then, "sdk", 500),
        ("tasks, then one predictions.create per task (the old re-push)", tasks_then, "each", 0),
    ]
    measured: list[tuple[str, Clock]] = []
    for name, how, kind, batch in options:
        title = f"{args.project} import option {len(measured)}"
        pid, _ = ensure_project(client, title, labeling_config(scheme), scheme.version)
        with Clock(args.data_dir) as clock:
            if how is None:
                for i in range(0, len(tasks), batch):
                    body = [bare(t) for t in tasks[i : i + batch]]
                    _request(client, "POST", f"api/projects/{pid}/import", body=body)
            else:
                how(pid, kind, batch)
        got = client.projects.get(pid)
        if got.task_number != len(tasks):
            raise SystemExit(f"{name}: {got.task_number} tasks, not {len(tasks)}")
        client.projects.delete(pid)
        print(f"import option: {name}: {clock.wall:.2f} s wall; {clock.cpu()}", flush=True)
        measured.append((name, clock))
    return measured


def write_section(
    path: Path, command: str, rows: list[tuple[str, float, str]], extra: list[str], loads: str
) -> None:
    """Replace (or add, at the end) the "Label Studio" section of `path`."""
    lines = [
        BEGIN,
        "## Label Studio",
        "",
        "A real Label Studio 1.23.2 (`corpus studio start`, a fresh data folder, SQLite), the "
        "corpus's documents and model layer replicated to distinct documents. Written by "
        "`scripts/bench_studio.py --benchmarks`; `scripts/bench.py` keeps this section. Made by:",
        "",
        "```",
        command,
        "```",
        "",
        f"Load average (1, 5, 15 min): {loads}.",
        "",
        "| figure | measured | target | met |",
        "|---|---:|---:|---|",
        *[
            f"| {name} | {seconds:.2f} s | <= {TARGETS[key]:g} s | "
            f"{'yes' if seconds <= TARGETS[key] else '**no**'} |"
            for name, seconds, key in rows
        ],
        "",
        *extra,
        END,
    ]
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if BEGIN in old and END in old:
        before, after = old[: old.index(BEGIN)], old[old.index(END) + len(END) :]
    else:
        before, after = old.rstrip("\n") + "\n\n", "\n"
    path.write_text(before + "\n".join(lines) + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--project", default=f"bench {int(time.time())}")
    parser.add_argument("--repeat", type=int, default=3, help="Conversion repetitions.")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="The server's data folder: also report the server's CPU seconds.",
    )
    parser.add_argument(
        "--compare-imports",
        action="store_true",
        help="Also time each way of importing the predictions, on projects of their own.",
    )
    parser.add_argument(
        "--benchmarks", type=Path, default=None, help="Write the figures into this file's section."
    )
    args = parser.parse_args()
    command = shlex.join(["python", "scripts/bench_studio.py", *sys.argv[1:]])
    loads = [load()]
    print(f"command: {command}")
    print(f"load average (1, 5, 15 min) at start: {loads[0]}")

    documents, spans, relations, labels = replicate(args.corpus, args.tasks)
    tasks = annotate.to_tasks(documents, spans, relations, labels)
    regions = sum(len(t.prediction) for t in tasks)
    from summit_corpus.core.generated import labeling_config
    from summit_corpus.core.scheme import load_scheme

    scheme = load_scheme()
    client = annotate.connect()
    pushed = {}
    for name in ("push", "re-push"):
        with Clock(args.data_dir) as clock:
            report = annotate.push(
                client,
                tasks,
                project=args.project,
                label_config=labeling_config(scheme),
                scheme_version=scheme.version,
            )
        pushed[name] = clock
        print(
            f"{name}: {report.created} tasks created, {report.predictions_added} predictions "
            f"added ({regions} predicted results) in {clock.wall:.2f} s; {clock.cpu()}; "
            f"{verdict(name, clock.wall)}",
            flush=True,
        )
    with tempfile.TemporaryDirectory() as folder, Clock(args.data_dir) as pull_clock:
        pulled = annotate.pull(client, project=args.project, annotations_dir=Path(folder))
        size = pulled.snapshot.stat().st_size / 1e6
    print(
        f"pull: {pulled.tasks} tasks in {pull_clock.wall:.2f} s ({size:.1f} MB snapshot); "
        f"{pull_clock.cpu()}; {verdict('pull', pull_clock.wall)}",
        flush=True,
    )
    compared = import_options(client, tasks, args) if args.compare_imports else []
    conversion(tasks, documents, regions, args.repeat)
    loads.append(load())
    print(f"load average (1, 5, 15 min) at end: {loads[1]}")
    if args.benchmarks is not None:
        n = f"{args.tasks:,} tasks, {regions:,} predicted results"
        rows = [
            (f"push of {n}", pushed["push"].wall, "push"),
            (
                "idempotent re-push (0 tasks, 0 predictions added)",
                pushed["re-push"].wall,
                "re-push",
            ),
            (f"pull of {pulled.tasks:,} tasks ({size:.1f} MB snapshot)", pull_clock.wall, "pull"),
        ]
        extra = [
            f"CPU: push {pushed['push'].cpu()}; re-push {pushed['re-push'].cpu()}.",
            "",
        ]
        if compared:
            extra += [
                f"How Label Studio 1.23 takes the same {n}, each way into a fresh project "
                "(`--compare-imports`). `preannotated_from_fields` is not among them: it makes "
                "one control's choice of a task field, and cannot carry spans with offsets or "
                "relations.",
                "",
                "| option | wall s | server CPU s | client CPU s |",
                "|---|---:|---:|---:|",
                *[
                    f"| {name} | {c.wall:.2f} | "
                    f"{'n/a' if c.server is None else f'{c.server:.2f}'} | {c.client:.2f} |"
                    for name, c in compared
                ],
                "",
            ]
        write_section(
            args.benchmarks, command, rows, extra, f"{loads[0]} at start; {loads[1]} at end"
        )


def conversion(tasks: list[annotate.Task], documents: pa.Table, regions: int, repeat: int) -> None:
    """Time the export conversion: every task annotated with its whole model layer."""
    export = [
        {
            "id": i,
            "data": t.to_json()["data"],
            "annotations": [
                {
                    "id": i,
                    "completed_by": {"id": 1, "email": "annotator-bench"},
                    "result": list(t.prediction),
                    "was_cancelled": False,
                    "ground_truth": False,
                    "lead_time": 1.0,
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-01T00:00:00Z",
                }
            ],
        }
        for i, t in enumerate(tasks, start=1)
    ]
    best = cpu = float("inf")
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        converted = annotate.from_export(export, documents)
        best = min(best, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    # CPU time too: on a shared machine the wall time mostly measures the other processes.
    print(
        f"conversion: {regions} results -> {converted.tables['spans'].num_rows} span rows "
        f"(human + adjudicated) in {best:.2f} s wall = {regions / best:,.0f} results/s; "
        f"{cpu:.2f} s CPU = {regions / cpu:,.0f} results/s (best of {repeat})"
    )


if __name__ == "__main__":
    main()
