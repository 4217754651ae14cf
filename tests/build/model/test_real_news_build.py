"""Real news builds: no valid UTF-8 article makes the build fail because of a prediction.

The articles are the PolNeAR development set beside the repository (`../shared/quotes-polnear`,
see its README), read where they are and never copied into the repository (a subset is
copied into the test's temporary folder, where the built corpus holds them anyway). The
tests skip when the folder is absent ($QUOTES_POLNEAR_DIR names another place).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from summit_corpus.build.corpus import build_corpus
from summit_corpus.core import layout

REPO = Path(__file__).resolve().parents[3]
POLNEAR = Path(os.environ.get("QUOTES_POLNEAR_DIR", REPO.parent / "shared" / "quotes-polnear"))


def _build(raw: Path, out: Path) -> None:
    summary = build_corpus(raw, out, annotations=None, progress=False)
    assert summary.rows["documents"] == len(list(raw.glob("*.txt")))
    dropped = pq.read_table(out / layout.DROPPED_PREDICTIONS)
    assert dropped.num_rows == sum(summary.dropped.values())
    assert f"{dropped.num_rows} dropped predictions" in str(summary)


@pytest.mark.slow
class TestRealNewsBuild:
    @pytest.mark.parametrize("compartment", ["dev", "train"])
    def test_every_article_as_given_builds(self, tmp_path: Path, compartment: str) -> None:
        """Every raw article of the compartment becomes a document of a valid corpus: the
        model layer never makes the build fail, and train's two copies of one article are
        both built."""
        raw = POLNEAR / compartment / "raw"
        if not raw.is_dir():
            pytest.skip(f"{raw} is not here")
        _build(raw, tmp_path / "corpus")
