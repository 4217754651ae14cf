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
each the best of --repeat runs, with rows, seconds, ratio and peak memory (process max RSS
from getrusage, and the Arrow memory pool's peak).

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
import random
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus import tables as T
from summit_corpus.ingest import rebuild_raw
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000, help="Token rows to generate.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per engine; best is kept.")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument(
        "--published", action="store_true", help="Also time validate_corpus on a written folder."
    )
    args = parser.parse_args(argv)

    from summit_corpus.scheme import load_scheme

    vocabularies = dict(load_scheme().vocabularies())
    start = time.perf_counter()
    tables, splits = synthetic_tables(args.tokens, args.seeds)
    generate_s = time.perf_counter() - start
    rows = {name: t.num_rows for name, t in tables.items()}

    pool = pa.default_memory_pool()
    baseline_s, plain = _best(
        lambda: count_failures_plain(tables, splits, vocabularies), args.repeat
    )
    pandera_s, report = _best(lambda: validate_tables(tables, splits, vocabularies), args.repeat)
    if plain or not report.ok:
        print("synthetic corpus is not valid:", plain, report.lines()[:10], file=sys.stderr)
        return 1
    corpus_s = None
    if args.published:
        import tempfile

        from summit_corpus.build import write_manifest
        from summit_corpus.publish import write_dataset
        from summit_corpus.scheme import load_scheme
        from summit_corpus.validate import validate_corpus

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "corpus"
            write_dataset(tables, assignment_of(tables, splits), folder, load_scheme())
            write_manifest(folder)
            corpus_s, corpus_report = _best(lambda: validate_corpus(folder), args.repeat)
        if not corpus_report.ok:
            print("published corpus is not valid:", corpus_report.lines()[:10], file=sys.stderr)
            return 1
    result = {
        "rows": rows,
        "total_rows": sum(rows.values()),
        "generate_seconds": round(generate_s, 3),
        "pandera_seconds": round(pandera_s, 3),
        "baseline_seconds": round(baseline_s, 3),
        "ratio": round(pandera_s / baseline_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "arrow_pool_peak_mb": round(pool.max_memory() / 2**20, 1),
        "arrow_table_mb": round(sum(t.nbytes for t in tables.values()) / 2**20, 1),
        "repeat": args.repeat,
        "validate_corpus_seconds": round(corpus_s, 3) if corpus_s is not None else None,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, n in rows.items():
            print(f"{name:>12}: {n:>9,} rows")
        print(f"generated in {generate_s:.1f} s ({result['arrow_table_mb']} MB of Arrow tables)")
        print(f"pandera validation : {pandera_s:6.2f} s (best of {args.repeat})")
        print(f"pyarrow baseline   : {baseline_s:6.2f} s (best of {args.repeat})")
        print(f"ratio              : {result['ratio']:.2f}x (target <= 3x)")
        if corpus_s is not None:
            print(f"validate_corpus    : {corpus_s:6.2f} s (published folder, end to end)")
        print(f"peak memory        : {result['peak_rss_mb']} MB RSS, Arrow pool peak "
              f"{result['arrow_pool_peak_mb']} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
