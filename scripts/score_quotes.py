"""Build a folder of raw articles and score the model layer's quotes and speakers.

    python scripts/score_quotes.py RAW_DIR [--gold G] [--ignore I] [--nonattr N]
        [--sources S] [--scorer score.py] [--work DIR] [--workers N]

RAW_DIR is a folder of raw articles with its gold beside it, laid out as the PolNeAR
development set is (`../shared/quotes-polnear/{train,dev}/raw`, see its README): the gold
files default to RAW_DIR/../gold.tsv, ignore.tsv, nonattributed_marks.tsv and sources.tsv,
and the scorer to RAW_DIR/../../score.py. The folder is built as given (`corpus build`, no
human layer) into WORK/corpus (a temporary folder by default, kept with --work), then the
scorer is run on it with QUOTE_SOURCES set, so that he/she speakers are scored too. Files an
input rule refuses (the build names each) are listed and left out; the others are built
from a copy in WORK/kept and scored. Prints
the build summary, the scorer's JSON and one line with the figures the issue names:

    quote F1 (exact) ..., named-speaker accuracy ..., pronoun-speaker accuracy ...

The articles are read where they are; nothing of them is written outside WORK.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw_dir", type=Path, help="folder of raw article files")
    parser.add_argument("--gold", type=Path, help="gold.tsv (default: beside RAW_DIR)")
    parser.add_argument("--ignore", type=Path, help="ignore.tsv (default: beside RAW_DIR)")
    parser.add_argument("--nonattr", type=Path, help="nonattributed_marks.tsv (beside RAW_DIR)")
    parser.add_argument("--sources", type=Path, help="sources.tsv (default: beside RAW_DIR)")
    parser.add_argument("--scorer", type=Path, help="score.py (default: RAW_DIR/../../)")
    parser.add_argument("--work", type=Path, help="keep the built corpus and results here")
    parser.add_argument("--workers", type=int, default=1, help="build processes")
    parser.add_argument(
        "--benchmarks",
        type=Path,
        help="write the figures as the last section of this file (e.g. BENCHMARKS.md)",
    )
    parser.add_argument("--label", default="", help="what RAW_DIR is, for --benchmarks")
    return parser.parse_args(argv)


def build(raw_dir: Path, work: Path, workers: int) -> tuple[str, list[str]]:
    """Build `raw_dir` into work/corpus with the toolkit.

    When input rules refuse some files (the build names them), the others are built, from a
    copy in work/kept, and only they are scored.
    RETURNS (tuple[str, list[str]]): The build summary, and the refusals (empty if none).
    """
    from summit_corpus.build.corpus import build_corpus
    from summit_corpus.core.errors import BuildError

    def run(seeds: Path) -> str:
        summary = build_corpus(
            seeds,
            work / "corpus",
            annotations=None,
            progress=False,
            workers=workers,
            cache_dir=work / "cache",
        )
        return str(summary)

    try:
        return run(raw_dir), []
    except BuildError as error:
        refused = [p for p in error.problems if ": rule '" in p]
        if not refused or len(refused) != len(error.problems):
            raise
    names = {p.split(":", 1)[0].rsplit("/", 1)[-1] for p in refused}
    kept = work / "kept"
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for path in sorted(raw_dir.glob("*.txt")):
        if path.name not in names:
            shutil.copyfile(path, kept / path.name)
    return run(kept), refused


def score(args: argparse.Namespace, work: Path, refused: list[str]) -> dict[str, Any]:
    """Run the scorer on work/corpus (without the refused files); RETURNS its JSON totals."""
    here = args.raw_dir.resolve().parent
    sources = args.sources or here / "sources.tsv"
    command = [
        sys.executable,
        str(args.scorer or here.parent / "score.py"),
        str(work / "corpus"),
        str(args.raw_dir),
        str(work / "scores"),
        "--gold",
        str(args.gold or here / "gold.tsv"),
        "--ignore",
        str(args.ignore or here / "ignore.tsv"),
        "--nonattr",
        str(args.nonattr or here / "nonattributed_marks.tsv"),
    ]
    if refused:
        names = {p.split(":", 1)[0].rsplit("/", 1)[-1] for p in refused}
        listed = work / "scored_files.txt"
        kept = sorted(p.name for p in args.raw_dir.glob("*.txt") if p.name not in names)
        listed.write_text("\n".join(kept) + "\n", encoding="utf-8")
        command += ["--files", str(listed)]
    env = dict(os.environ, QUOTE_SOURCES=str(sources))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"score.py failed:\n{done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def headline(result: dict[str, Any]) -> str:
    """RETURNS (str): The three figures the targets are stated in."""

    def fmt(value: Any) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    return (
        f"quote F1 (exact) {fmt(result.get('F1_exact'))}, "
        f"named-speaker accuracy {fmt(result.get('spk_acc_polnear'))} "
        f"({result.get('spk_scored_polnear', 0)} quotes), "
        f"pronoun-speaker accuracy {fmt(result.get('spk_acc_heuristic'))} "
        f"({result.get('spk_scored_heuristic', 0)} quotes)"
    )


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if not args.raw_dir.is_dir():
        sys.exit(f"{args.raw_dir} is not a folder")
    with tempfile.TemporaryDirectory(prefix="score-quotes-") as scratch:
        work = (args.work or Path(scratch)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        summary, refused = build(args.raw_dir, work, args.workers)
        print(summary)
        for problem in refused:
            print(f"not scored (refused by an input rule): {problem}")
        result = score(args, work, refused)
        result["refused"] = refused
        result["files"] = len(list(args.raw_dir.glob("*.txt"))) - len(refused)
    print(json.dumps(result, indent=1, sort_keys=True))
    print(headline(result))
    if args.benchmarks is not None:
        write_section(args.benchmarks, args.label or str(args.raw_dir), result, argv)


SECTION = "## Quotes and speakers in real news"


def _refusal(problem: str) -> str:
    """RETURNS (str): "`file.txt` (rule_name)" for a build's refusal message."""
    name = problem.split(":", 1)[0].rsplit("/", 1)[-1]
    rule = re.search(r"rule '([a-z_]+)'", problem)
    return f"`{name}` ({rule.group(1) if rule else 'input rule'})"


def write_section(path: Path, label: str, result: dict[str, Any], argv: list[str] | None) -> None:
    """Replace (or add) this section of `path` with these figures and the command; what
    follows the section (another script's) is kept."""
    words = argv if argv is not None else sys.argv[1:]
    command = shlex.join(["python", "scripts/score_quotes.py", *words])

    def fmt(key: str) -> str:
        value = result.get(key)
        return "n/a" if value is None else f"{value:.4f}"

    from summit_corpus.core.scheme import load_scheme

    rules = load_scheme().rules
    lines = [
        SECTION,
        "",
        f"The model layer (`{rules.quote.name}`, `{rules.speaker.name}`) on {label}: "
        f"{result.get('files', 0)} articles, built as given, scored by the shared `score.py`"
        + (
            f" ({len(result['refused'])} more refused by an input rule, not scored: "
            + "; ".join(_refusal(p) for p in result["refused"])
            + ")"
            if result.get("refused")
            else ""
        )
        + ". Made by:",
        "",
        "```",
        command,
        "```",
        "",
        "| figure | measured | target |",
        "|---|---:|---:|",
        f"| quote F1, exact offsets (P {fmt('P_exact')}, R {fmt('R_exact')}) "
        f"| {fmt('F1_exact')} | >= 0.97 |",
        f"| named-speaker accuracy ({result.get('spk_scored_polnear', 0)} quotes) "
        f"| {fmt('spk_acc_polnear')} | >= 0.90 |",
        f"| pronoun-speaker accuracy ({result.get('spk_scored_heuristic', 0)} quotes) "
        f"| {fmt('spk_acc_heuristic')} | >= 0.75 |",
        "",
    ]
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept = old[: old.index(SECTION)].rstrip("\n") if SECTION in old else old.rstrip("\n")
    # Sections after this one (scripts/bench_studio.py's, between its markers) are kept too.
    after = ""
    if SECTION in old:
        rest = old[old.index(SECTION) + len(SECTION) :]
        ends = [i for i in (rest.find("\n<!-- "), rest.find("\n## ")) if i >= 0]
        after = "\n" + rest[min(ends) :].lstrip("\n") if ends else ""
    path.write_text((kept + "\n\n" if kept else "") + "\n".join(lines) + after, encoding="utf-8")


if __name__ == "__main__":
    main()
