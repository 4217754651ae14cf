"""Benchmark script: a tiny run prints every figure issue 8 and 9 ask for (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from summit_corpus.build import ingest, seeds, synthetic

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


class TestSynthetic:
    def test_same_seed_gives_the_same_bytes(self, tmp_path: Path) -> None:
        """Two runs with the same seed write byte-identical files."""
        a = synthetic.write_corpus(SEEDS, tmp_path / "a", 6, seed=3)
        b = synthetic.write_corpus(SEEDS, tmp_path / "b", 6, seed=3)
        assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]

    def test_smaller_corpus_is_a_prefix_of_a_larger_one(self, tmp_path: Path) -> None:
        """Article i depends only on (seed, i): N=3 is the first three files of N=6."""
        small = synthetic.write_corpus(SEEDS, tmp_path / "s", 3)
        large = synthetic.write_corpus(SEEDS, tmp_path / "l", 6)
        assert [p.read_bytes() for p in small] == [p.read_bytes() for p in large[:3]]

    def test_articles_are_accepted_by_ingest_and_unique(self, tmp_path: Path) -> None:
        """Synthetic articles clean without error, carry furniture, and never repeat."""
        synthetic.write_corpus(SEEDS, tmp_path, 40)
        raws = ingest.discover(tmp_path)
        documents = [ingest.clean(r) for r in raws]
        assert seeds.find_duplicates(raws) == ([], [])
        reasons = {line.reason for d in documents for line in d.removed_lines}
        assert {ingest.R_ADVERTISEMENT, ingest.R_IMAGE_CREDIT, ingest.R_PUBLISHED} <= reasons
        assert any(d.updates for d in documents)

    def test_the_script_names_a_missing_seeds_folder_in_one_line(self, tmp_path: Path) -> None:
        """`make_synthetic.py --seeds` pointing nowhere is a one-line error, not a traceback;
        without `--seeds` it takes the repository's seeds from any folder."""
        script = str(REPO / "scripts" / "make_synthetic.py")
        args = ["--n", "2", "--out", str(tmp_path / "out")]
        missing = subprocess.run(
            [sys.executable, script, *args, "--seeds", str(tmp_path / "nowhere")],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert missing.returncode == 1
        assert missing.stderr.strip().splitlines() == [
            f"make_synthetic: {tmp_path / 'nowhere'}: rule 'seeds_dir': no such folder. "
            "Pass --seeds DIR."
        ]
        default = subprocess.run([sys.executable, script, *args], capture_output=True, cwd=tmp_path)
        assert default.returncode == 0
        assert len(list((tmp_path / "out").glob("*.txt"))) == 2


class TestBenchSmoke:
    def test_small_run_prints_every_figure(self, tmp_path: Path) -> None:
        """`bench.py --sizes 3,6 --engines local,dask` prints the table, every ratio (the
        load ratio as a median of fresh processes, with its CPU-time ratio; both rebuild
        figures; ratios 4 and 7 as medians of rounds), the break-even table, each row's
        command and the load beside it, and writes the report."""
        pytest.importorskip("distributed")
        report = tmp_path / "BENCHMARKS.md"
        kept = "## Quotes and speakers in real news\n\nscore_quotes.py's section.\n"
        report.write_text("# Benchmarks\n\nold figures\n\n" + kept)
        done = subprocess.run(
            [
                sys.executable,
                str(REPO / "scripts" / "bench.py"),
                "--sizes",
                "3,6",
                "--workers",
                "2",
                "--engines",
                "local,dask",
                "--load-repeats",  # two fresh processes: enough to take a median, and quick
                "2",
                "--rebuilds",
                "2",
                "--rounds",  # two rounds of the builds ratios 4 and 7 compare, the order reversed
                "2",
                "--break-even",
                "2",
                "--work",
                str(tmp_path / "work"),
                "--report",
                str(report),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        out = done.stdout
        for header in (
            "articles/s",
            "tokens/s",
            "peak RSS MiB main",
            "peak RSS MiB each worker",
            "nlp.pipe alone s",
            "load 1 min",
        ):
            assert header in out
        for figure in (
            "1. build time / spaCy nlp.pipe alone",
            "2a. peak RSS of the main process",
            "2b. peak RSS of each worker",
            "3. build time N=6 / N=3",
            "4. --workers 2 speed-up",
            "5a. rebuild after adding 1 article",
            "5b. rebuild after a pull that changed only annotations",
            "6. datasets.load_dataset / pyarrow read_table",
            "7. dask build time",
        ):
            line = next((x for x in out.splitlines() if figure in x), None)
            assert line is not None, figure
            assert re.search(r"\| \d+\.\d{3} \|", line), line
        load = next(x for x in out.splitlines() if "6. datasets.load_dataset" in x)
        assert "median of 2 fresh processes" in load and "CPU-time ratio" in load
        rebuild = next(x for x in out.splitlines() if "5a. rebuild after adding 1 article" in x)
        assert "(median of 2)" in rebuild
        for paired in ("4. --workers 2 speed-up", "7. dask build time"):
            line = next(x for x in out.splitlines() if paired in x)
            assert re.search(r"median of 2 rounds: \d+\.\d{3}, \d+\.\d{3}\)", line), line
        # 3 and 6 synthetic articles plus the 5 seeds, whose annotations the rebuild changes.
        for engine_row in (
            "| 8 | local | 1 | beside spaCy |",
            "| 11 | local | 1 | alone |",
            "| 11 | local | 2 | alone |",
            "| 11 | dask | 2 | alone |",
        ):
            assert engine_row in out
        # Each worker's peak is reported apart: the LocalCluster always starts two; the pool
        # starts a process per batch it has to hand out (here a single batch, so one or two).
        dask_row = next(x for x in out.splitlines() if x.startswith("| 11 | dask | 2 |"))
        assert re.search(r"\| \d+, \d+ \|", dask_row), dask_row
        pool_rows = [x for x in out.splitlines() if re.match(r"\| \d+ \| local \| 2 \|", x)]
        assert pool_rows and all(re.search(r"\| \d+(, \d+)? \|", x) for x in pool_rows)
        assert "`corpus build --seeds raw-6 --out corpus-6-w2 --workers 2" in out
        assert "0 articles parsed" in out  # the annotation-only rebuild parsed nothing
        assert "| 2 |" in out.split("`--workers auto`")[1]  # the break-even table
        text = report.read_text()
        assert "## Machine" in text and "Cores available" in text and out.strip() in text
        assert "## Scaling out with Dask" in text and "The whole run took" in text
        # The section scripts/score_quotes.py writes is kept, last; the old figures are not.
        assert text.endswith("\n\n" + kept) and "old figures" not in text
