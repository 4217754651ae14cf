"""Benchmark the Label Studio round trip: push and pull of N tasks, and export conversion.

Needs a running server (`corpus studio start`) and LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY /
SUMMIT_PSEUDONYM_KEY in the environment, and a built corpus (its documents and model layer
are replicated to N distinct documents). Prints one line per measurement.

    python scripts/bench_studio.py --corpus corpus --tasks 1000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus import annotate


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
        help="The server's data folder: also report the server's CPU seconds for the push.",
    )
    args = parser.parse_args()

    documents, spans, relations, labels = replicate(args.corpus, args.tasks)
    tasks = annotate.to_tasks(documents, spans, relations, labels)
    regions = sum(len(t.prediction) for t in tasks)
    from summit_corpus.core.scheme import labeling_config, load_scheme

    scheme = load_scheme()
    client = annotate.connect()
    cpu_before = server_cpu(args.data_dir)
    began = time.perf_counter()
    report = annotate.push(
        client,
        tasks,
        project=args.project,
        label_config=labeling_config(scheme),
        scheme_version=scheme.version,
    )
    push_s = time.perf_counter() - began
    cpu_after = server_cpu(args.data_dir)
    server = (
        f"; server CPU {cpu_after - cpu_before:.1f} s"
        if cpu_before is not None and cpu_after is not None
        else ""
    )
    print(
        f"push: {report.created} tasks ({regions} predicted results) in {push_s:.2f} s "
        f"= {report.created / push_s:.0f} tasks/s{server}"
    )
    began = time.perf_counter()
    again = annotate.push(
        client,
        tasks,
        project=args.project,
        label_config=labeling_config(scheme),
        scheme_version=scheme.version,
    )
    print(
        f"second push (idempotent): {again.created} created in {time.perf_counter() - began:.2f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        pulled = annotate.pull(client, project=args.project, annotations_dir=Path(folder))
        pull_s = time.perf_counter() - began
        print(
            f"pull: {pulled.tasks} tasks in {pull_s:.2f} s = {pulled.tasks / pull_s:.0f} tasks/s "
            f"({pulled.snapshot.stat().st_size / 1e6:.1f} MB snapshot)"
        )
    # Conversion: every task annotated with its whole model layer (as if accepted).
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
    for _ in range(args.repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        converted = annotate.from_export(export, documents)
        best = min(best, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    # CPU time too: on a shared machine the wall time mostly measures the other processes.
    print(
        f"conversion: {regions} results -> {converted.tables['spans'].num_rows} span rows "
        f"(human + adjudicated) in {best:.2f} s wall = {regions / best:,.0f} results/s; "
        f"{cpu:.2f} s CPU = {regions / cpu:,.0f} results/s (best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
