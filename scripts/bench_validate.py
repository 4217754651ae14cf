"""Benchmark corpus validation on a large synthetic corpus (not a test: prints numbers).

    python scripts/bench_validate.py [--tokens 1000000] [--repeat 3] [--json]

The corpus is generated deterministically from the seed articles' sentences: each seed file is
split into sentences at . ? ! followed by whitespace, and each sentence into tokens with the
regular expression `\\w+|[^\\w\\s]` (not spaCy: parsing a million tokens would take minutes and
the validator does not care who tokenised). Document i takes 30-60 seed sentences chosen by
`random.Random(i)`, joined by " " or CRLF; every fifth document starts with an emoji
sentence, so code point and byte offsets differ. Spans label known names (Putin -> PERSON,
Kremlin -> ORG, summit -> EVENT, ...); relations link each document's first PERSON to its
first EVENT (`participant`). Splits: document i goes to train/validation/test by i % 10.

Printed, for the same tables in the same run:
- pandera: `validate.validate_tables` (column schemas + rule schemas through pandera.pyarrow);
- baseline: `validate.count_failures_plain`, the same checks as direct pyarrow.compute calls
  and the same vectorised rule functions, without pandera;
each the best of --repeat runs, with rows, seconds, ratio and peak memory.

Each engine runs in a fresh Python process that reads the generated tables from a temporary
Arrow IPC copy, so its peak memory (peak RSS, Arrow pool peak) is its own; the RSS
after loading the tables is printed beside it.

With --corpus DIR (repeatable), no tables are generated: `validate_corpus` is timed on each
existing published folder (e.g. one `corpus build` made from `scripts/make_synthetic.py`
articles), once per --docs-per-chunk value (default 500 and 1000000, i.e. one chunk per split
file, the memory of reading whole files), each in its own process: seconds, CPU seconds and
peak RSS.

With --published, the tables are also written as a published corpus folder (publish.py's
documents config with nested records, ner config, card, manifest) into a temporary folder,
and `validate.validate_corpus` is timed on it end to end (reading Parquet, hashing files for
the manifest, comparing the nested records and recomputing the ner config).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.feather as feather

from summit_corpus.build.ingest import rebuild_raw
from summit_corpus.core import tables as T
from summit_corpus.validate import count_failures_plain, validate_tables

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = re.compile(r"(?<=[.?!”\"])\s+")
TOKEN = re.compile(r"\w+|[^\w\s]")
LABELS = {
    "Putin": "PERSON",
    "Biden": "PERSON",
    "Peskov": "PERSON",
    "Kremlin": "ORG",
    "NATO": "ORG",
    "Moscow": "GPE",
    "Russia": "GPE",
    "Washington": "GPE",
    "Ukraine": "GPE",
    "summit": "EVENT",
    "meeting": "EVENT",
    "talks": "EVENT",
    "Wednesday": "DATE",
    "Tuesday": "DATE",
}
EMOJI = "🌍 🇷🇺 🤝 talks resumed."
SPLITS = (
    "train",
    "train",
    "train",
    "train",
    "train",
    "train",
    "train",
    "train",
    "validation",
    "test",
)


def seed_sentences(seeds: Path) -> list[str]:
    """RETURNS (list[str]): Every sentence of the seed articles, in file order."""
    out: list[str] = []
    for path in sorted(seeds.glob("*.txt")):
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            out += [s.strip() for s in SENTENCE.split(line) if s.strip()]
    return out


def synthetic_tables(
    min_tokens: int, seeds: Path
) -> tuple[dict[str, pa.Table], dict[str, pa.Array]]:
    """Generate a valid corpus with at least `min_tokens` token rows.

    min_tokens (int): Token rows to reach.
    seeds (Path): Folder of seed articles.
    RETURNS (tuple): Tables by name, and the split of each row per table.
    """
    pool = seed_sentences(seeds)
    tokenised = [[(m.start(), m.end(), m.group()) for m in TOKEN.finditer(s)] for s in pool]
    docs: dict[str, list[Any]] = {c: [] for c in T.DOCUMENTS.names}
    sen: dict[str, list[Any]] = {c: [] for c in T.SENTENCES.names}
    tok: dict[str, list[Any]] = {c: [] for c in T.TOKENS.names}
    spans: dict[str, list[Any]] = {c: [] for c in T.SPANS.names}
    rels: dict[str, list[Any]] = {c: [] for c in T.RELATIONS.names}
    n_tokens = 0
    i = 0
    while n_tokens < min_tokens:
        rng = random.Random(i)
        doc_id = f"synthetic/{i:06d}"
        chosen = [rng.randrange(len(pool)) for _ in range(rng.randint(30, 60))]
        sentences = [(EMOJI, [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(EMOJI)])]
        sentences = sentences if i % 5 == 0 else []
        sentences += [(pool[k], tokenised[k]) for k in chosen]
        seps = [rng.choice((" ", " ", "\r\n")) for _ in sentences]
        seps[-1] = "\n"
        text = "".join(s + sep for (s, _), sep in zip(sentences, seps, strict=True))
        offset = 0
        doc_tokens: list[tuple[int, int, str, int]] = []
        for sid, ((sentence, toks), sep) in enumerate(zip(sentences, seps, strict=True)):
            sen["doc_id"].append(doc_id)
            sen["sentence_id"].append(sid)
            sen["start"].append(offset)
            sen["end"].append(offset + len(sentence))
            sen["text"].append(sentence)
            doc_tokens += [(offset + a, offset + b, t, sid) for a, b, t in toks]
            offset += len(sentence) + len(sep)
        first_of_sentence: dict[int, int] = {}
        person = event = None
        for tid, (start, end, t, sid) in enumerate(doc_tokens):
            head = first_of_sentence.setdefault(sid, tid)
            following = doc_tokens[tid + 1][0] if tid + 1 < len(doc_tokens) else len(text)
            row = (doc_id, tid, sid, start, end, t, t.lower(), "X", "XX", "dep", head)
            for name, value in zip(T.TOKENS.names, row, strict=False):
                tok[name].append(value)
            tok["whitespace"].append(text[end:following])
            label = LABELS.get(t)
            if label is not None:
                span_id = f"s{len(spans['doc_id'])}"
                values = (doc_id, span_id, start, end, t, label, "prediction", "bench", None)
                for name, value in zip(T.SPANS.names, values, strict=False):
                    spans[name].append(value)
                spans["annotator"].append(None)
                spans["annotation_id"].append(None)
                if label == "PERSON" and person is None:
                    person = span_id
                if label == "EVENT" and event is None:
                    event = span_id
        if person and event:
            values = (doc_id, f"r{i}", person, event, "participant", "prediction", "bench")
            for name, value in zip(T.RELATIONS.names, values, strict=False):
                rels[name].append(value)
            for name in ("score", "annotator", "annotation_id"):
                rels[name].append(None)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        row_doc = {
            "doc_id": doc_id, "source_file": f"{doc_id}.txt", "source_sha256": sha,
            "text_sha256": sha, "text": text, "title": None, "standfirst": None,
            "published_at": None, "published_at_local": None, "updated_at": None,
            "updated_at_local": None, "byline": [], "credits": [], "updates": [],
            "removed_lines": [], "final_newline": "\n", "has_bom": False,
        }  # fmt: skip
        row_doc["source_sha256"] = hashlib.sha256(rebuild_raw(row_doc)).hexdigest()
        for name in T.DOCUMENTS.names:
            docs[name].append(row_doc[name])
        n_tokens += len(doc_tokens)
        i += 1
    built = {
        "documents": pa.table(docs, schema=T.DOCUMENTS.schema),
        "sentences": pa.table(sen, schema=T.SENTENCES.schema),
        "tokens": pa.table(tok, schema=T.TOKENS.schema),
        "spans": pa.table(spans, schema=T.SPANS.schema),
        "relations": pa.table(rels, schema=T.RELATIONS.schema),
    }
    split_of = {f"synthetic/{k:06d}": SPLITS[k % 10] for k in range(i)}
    splits = {
        name: pa.array([split_of[d] for d in t.column("doc_id").to_pylist()], pa.string())
        for name, t in built.items()
    }
    return built, splits


def assignment_of(tables: dict[str, pa.Table], splits: dict[str, pa.Array]) -> pa.Table:
    """RETURNS (pa.Table): tables.SPLIT_ASSIGNMENT rows: every document its own group."""
    doc_ids = tables["documents"].column("doc_id").to_pylist()
    rows = [
        {"doc_id": d, "split": s, "group_id": d, "group_size": 1, "story_key": None,
         "near_duplicate_of": None, "near_duplicate_jaccard": None, "grouped_by": []}
        for d, s in zip(doc_ids, splits["documents"].to_pylist(), strict=True)
    ]  # fmt: skip
    return T.SPLIT_ASSIGNMENT.from_rows(rows)


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _rss_mb() -> float:
    """RETURNS (float): This process's peak resident memory in MB.

    Linux's VmHWM, because getrusage's ru_maxrss carries the parent's peak over fork/exec.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _child(mode: str, data: Path, repeat: int) -> dict[str, Any]:
    """Time one engine in this (fresh) process; RETURNS seconds and memory as JSON values."""
    import pyarrow.feather as feather

    from summit_corpus.core.scheme import load_scheme
    from summit_corpus.validate import validate_corpus

    vocabularies = dict(load_scheme().vocabularies())
    tables, splits = {}, {}
    if mode != "corpus":
        for path in sorted((data / "tables").glob("*.arrow")):
            table = feather.read_table(path)
            splits[path.stem] = table.column("__split").combine_chunks()
            tables[path.stem] = table.drop_columns(["__split"])
    pool = pa.default_memory_pool()
    loaded_rss, loaded_pool = _rss_mb(), round(pool.bytes_allocated() / 2**20, 1)
    runs = {
        "pandera": lambda: validate_tables(tables, splits, vocabularies),
        "baseline": lambda: count_failures_plain(tables, splits, vocabularies),
        "corpus": lambda: validate_corpus(data / "corpus", vocabularies),
    }
    seconds, result = _best(runs[mode], repeat)
    ok = (not result) if mode == "baseline" else result.ok
    return {
        "seconds": round(seconds, 3),
        "ok": ok,
        "rss_after_load_mb": loaded_rss,
        "peak_rss_mb": _rss_mb(),
        "arrow_after_load_mb": loaded_pool,
        "arrow_peak_mb": round(pool.max_memory() / 2**20, 1),
    }


def _child_folder(folder: Path, docs_per_chunk: int, repeat: int) -> dict[str, Any]:
    """Time validate_corpus on an existing folder in this (fresh) process."""
    from summit_corpus.validate import validate_corpus

    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = validate_corpus(folder, docs_per_chunk=docs_per_chunk)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    assert result is not None
    return {
        "folder": str(folder),
        "docs_per_chunk": docs_per_chunk,
        "documents": result.rows.get("documents", 0),
        "rows": sum(result.rows.values()),
        "ok": result.ok,
        "seconds": round(best, 2),
        "cpu_seconds": round(best_cpu, 2),
        "peak_rss_mb": _rss_mb(),
    }


def _folders(args: argparse.Namespace) -> int:
    """Time validate_corpus on existing folders (--corpus), one process per measurement."""
    import subprocess

    results = []
    for folder in args.corpus:
        for per_chunk in args.docs_per_chunk:
            command = [sys.executable, __file__, "--child", "folder", "--data", str(folder)]
            command += ["--repeat", str(args.repeat), "--docs-per-chunk", str(per_chunk)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps({"validate_corpus": results, "cpus": os.cpu_count()}, indent=2))
        return 0 if all(r["ok"] for r in results) else 1
    print(f"validate_corpus, each in its own process, best of {args.repeat}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'documents':>9} {'rows':>10} {'docs/chunk':>10} {'seconds':>8} {'cpu s':>6} "
          f"{'peak RSS MB':>11}  ok  folder")  # fmt: skip
    for r in results:
        print(
            f"{r['documents']:>9,} {r['rows']:>10,} {r['docs_per_chunk']:>10,} "
            f"{r['seconds']:>8.2f} {r['cpu_seconds']:>6.2f} {r['peak_rss_mb']:>11.0f}  "
            f"{'yes' if r['ok'] else 'NO ':3} {r['folder']}"
        )
    return 0 if all(r["ok"] for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000, help="Token rows to generate.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per engine; best is kept.")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument(
        "--published", action="store_true", help="Also time validate_corpus on a written folder."
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="Time validate_corpus on this published folder instead (repeatable).",
    )
    parser.add_argument(
        "--docs-per-chunk",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[500, 1_000_000],
        help="With --corpus: comma-separated chunk sizes to time (default 500,1000000).",
    )
    parser.add_argument(
        "--child", choices=("pandera", "baseline", "corpus", "folder"), help=argparse.SUPPRESS
    )
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "folder":
        [per_chunk] = args.docs_per_chunk
        print(json.dumps(_child_folder(args.data, per_chunk, args.repeat)))
        return 0
    if args.child:
        print(json.dumps(_child(args.child, args.data, args.repeat)))
        return 0
    if args.corpus:
        return _folders(args)

    import subprocess
    import tempfile

    start = time.perf_counter()
    tables, splits = synthetic_tables(args.tokens, args.seeds)
    generate_s = time.perf_counter() - start
    rows = {name: t.num_rows for name, t in tables.items()}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        # Each engine runs in a fresh process reading the same tables, so that its peak
        # memory is its own and not the generator's or the other engine's.
        for name, table in tables.items():
            out = data / "tables" / f"{name}.arrow"
            out.parent.mkdir(parents=True, exist_ok=True)
            # Arrow IPC keeps the exact types (Parquet would turn seconds into milliseconds).
            feather.write_feather(
                table.append_column("__split", splits[name]), out, compression="uncompressed"
            )
        modes = ["baseline", "pandera"]
        if args.published:
            from summit_corpus.build.corpus import write_manifest
            from summit_corpus.core.scheme import load_scheme
            from summit_corpus.publish import write_dataset

            write_dataset(tables, assignment_of(tables, splits), data / "corpus", load_scheme())
            write_manifest(data / "corpus")
            modes.append("corpus")
        del tables, splits
        gc.collect()
        measured = {}
        for mode in modes:
            command = [sys.executable, __file__, "--child", mode, "--data", str(data)]
            command += ["--repeat", str(args.repeat)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            measured[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    if not all(m["ok"] for m in measured.values()):
        print("synthetic corpus is not valid:", measured, file=sys.stderr)
        return 1
    pandera_s, baseline_s = measured["pandera"]["seconds"], measured["baseline"]["seconds"]
    result = {
        "rows": rows,
        "total_rows": sum(rows.values()),
        "generate_seconds": round(generate_s, 3),
        "pandera": measured["pandera"],
        "baseline": measured["baseline"],
        "ratio": round(pandera_s / baseline_s, 2),
        "validate_corpus": measured.get("corpus"),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for name, n in rows.items():
        print(f"{name:>12}: {n:>9,} rows")
    print(f"generated in {generate_s:.1f} s; each engine below in its own process, best of "
          f"{args.repeat}, {os.cpu_count()} CPUs")  # fmt: skip
    labels = {
        "pandera": "pandera validation ",
        "baseline": "pyarrow baseline   ",
        "corpus": "validate_corpus    ",
    }
    for mode, m in measured.items():
        print(
            f"{labels[mode]}: {m['seconds']:6.2f} s, peak RSS {m['peak_rss_mb']:.0f} MB "
            f"({m['rss_after_load_mb']:.0f} MB after loading), Arrow pool peak "
            f"{m['arrow_peak_mb']:.0f} MB"
        )
    print(f"ratio pandera/baseline: {result['ratio']:.2f}x (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
