"""scripts/score_quotes.py: builds a raw folder and prints the scorer's figures.

The scorer is the shared one beside the repository (`../shared/quotes-polnear/score.py`); the
articles and gold files here are made up by the test, so no PolNeAR text is used.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]
POLNEAR = Path(os.environ.get("QUOTES_POLNEAR_DIR", REPO.parent / "shared" / "quotes-polnear"))
ARTICLE = (
    "Senators meet on Monday\n"
    "“We will win this vote,” Jane Smith said on Monday in Washington.\n"
    "The senator spoke to reporters after the meeting about the budget.\n"
    "“It is certain,” she added.\n"
)
QUOTES = ("We will win this vote,", "It is certain,")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_quotes", REPO / "scripts/score_quotes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gold(folder: Path) -> None:
    raw = folder / "raw"
    raw.mkdir(parents=True)
    (raw / "a1.txt").write_text(ARTICLE, encoding="utf-8")
    rows = [
        "file\tquote_start\tquote_end\tmark\tunclosed\tspeaker_start\tspeaker_end\tspeaker\tquote"
    ]
    speakers = (("Jane Smith", ARTICLE.index("Jane")), ("she", ARTICLE.index("she")))
    for quote, (speaker, at) in zip(QUOTES, speakers, strict=True):
        start = ARTICLE.index(quote)
        end = start + len(quote)
        rows.append(
            f"a1.txt\t{start}\t{end}\tdouble\t0\t{at}\t{at + len(speaker)}\t{speaker}\t{quote}"
        )
    (folder / "gold.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    header = "file\tquote_start\tquote_end\tmark\tunclosed\tquote\n"
    (folder / "ignore.tsv").write_text(header, encoding="utf-8")
    (folder / "nonattributed_marks.tsv").write_text(header, encoding="utf-8")
    at = ARTICLE.index("Jane")
    sources = f"file\tstart\tend\tsource\na1.txt\t{at}\t{at + 10}\tJane Smith\n"
    (folder / "sources.tsv").write_text(sources, encoding="utf-8")


class TestScoreQuotes:
    def test_prints_the_three_figures_of_a_built_folder(self, tmp_path: Path, capsys) -> None:
        """Both quotes are found exactly, the named and the pronoun speaker both right."""
        scorer = POLNEAR / "score.py"
        if not scorer.is_file():
            pytest.skip(f"{scorer} is not here")
        _gold(tmp_path / "set")
        report = tmp_path / "BENCHMARKS.md"
        report.write_text("# Benchmarks\n\nOther results.\n", encoding="utf-8")
        args = [
            str(tmp_path / "set" / "raw"),
            "--scorer",
            str(scorer),
            "--work",
            str(tmp_path / "w"),
        ]
        for _ in range(2):  # the section is replaced, not added twice
            _script().main([*args, "--benchmarks", str(report), "--label", "made-up news"])
        out = capsys.readouterr().out
        written = report.read_text(encoding="utf-8")
        assert written.startswith("# Benchmarks\n\nOther results.\n\n## Quotes and speakers")
        assert written.count("## Quotes and speakers in real news") == 1
        assert "| named-speaker accuracy (1 quotes) | 1.0000 | >= 0.90 |" in written
        assert "quote F1 (exact) 1.0000" in out
        assert "named-speaker accuracy 1.0000 (1 quotes)" in out
        assert "pronoun-speaker accuracy 1.0000 (1 quotes)" in out
        assert (tmp_path / "w" / "corpus" / "MANIFEST.json").is_file()
