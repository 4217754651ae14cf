"""spaCy's own CLI reads the DocBin export: `debug data` finds no error but corpus size, and
`spacy train` trains from it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from summit_corpus.export import export_corpus

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The one error debug data may report on five seed articles: there are few of them.
SIZE_ERROR = "Low number of examples to train a new pipeline"

pytestmark = pytest.mark.slow


def spacy_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spacy", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def spacy_export(seed_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus exported as DocBins, with an NER training config beside them."""
    out = tmp_path_factory.mktemp("spacy")
    export_corpus(seed_corpus, "spacy", out)
    made = spacy_cli("init", "config", "config.cfg", "--lang", "en", "--pipeline", "ner", cwd=out)
    assert made.returncode == 0, made.stderr
    return out


class TestSpacyCli:
    def test_debug_data_reports_no_error_but_corpus_size(self, spacy_export: Path) -> None:
        """`spacy debug data` loads both splits and its only error is the small corpus."""
        run = spacy_cli(
            "debug", "data", "config.cfg",
            "--paths.train", "train.spacy", "--paths.dev", "validation.spacy",
            cwd=spacy_export,
        )  # fmt: skip
        output = ANSI.sub("", run.stdout + run.stderr)
        assert "Corpus is loadable" in output
        assert "No entities crossing sentence boundaries" in output
        errors = [line for line in output.splitlines() if line.startswith("\u2718")]
        assert errors[-1] == "\u2718 1 error", errors  # the summary line counts them
        assert [line for line in errors[:-1] if SIZE_ERROR not in line] == []

    def test_train_runs_from_the_docbins(self, spacy_export: Path) -> None:
        """`spacy train` runs a few steps from the export and saves a pipeline."""
        run = spacy_cli(
            "train", "config.cfg", "--output", "model",
            "--paths.train", "train.spacy", "--paths.dev", "validation.spacy",
            "--training.max_steps", "4", "--training.eval_frequency", "2",
            cwd=spacy_export,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert (spacy_export / "model" / "model-last" / "ner").is_dir()
