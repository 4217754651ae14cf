"""Real news builds: no valid UTF-8 article makes the build fail because of a prediction.

The articles are the PolNeAR development set beside the repository (`../shared/quotes-polnear`,
see its README), read where they are and never copied into the repository (a subset is
copied into the test's temporary folder, where the built corpus holds them anyway). The
tests skip when the folder is absent ($QUOTES_POLNEAR_DIR names another place).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from summit_corpus.build.corpus import build_corpus
from summit_corpus.core import layout
from summit_corpus.core.errors import BuildError

REPO = Path(__file__).resolve().parents[3]
POLNEAR = Path(os.environ.get("QUOTES_POLNEAR_DIR", REPO.parent / "shared" / "quotes-polnear"))
# An input rule refuses one of these articles: a second copy of another article's bytes
# (ingest.find_duplicates, 'unique_content'). It is not the model layer's; the issue wants
# every article built as given, so the test says so (xfail) while it refuses any.
INPUT_RULES = ("rule 'unique_content'",)


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
        """Every raw article of the compartment becomes a document of a valid corpus; the
        model layer never makes the build fail (articles an input rule refuses aside)."""
        raw = POLNEAR / compartment / "raw"
        if not raw.is_dir():
            pytest.skip(f"{raw} is not here")
        try:
            _build(raw, tmp_path / "corpus")
            return
        except BuildError as error:
            refused = [p for p in error.problems if any(rule in p for rule in INPUT_RULES)]
            assert refused and len(refused) == len(error.problems), error.problems
        # The other articles, as given, must build: the model layer is not what failed.
        names = {p.split(":", 1)[0].rsplit("/", 1)[-1] for p in refused}
        kept = tmp_path / "kept"
        kept.mkdir()
        for path in raw.glob("*.txt"):
            if path.name not in names:
                shutil.copyfile(path, kept / path.name)  # a temporary folder, as the corpus
        _build(kept, tmp_path / "corpus")
        pytest.xfail(
            f"{len(refused)} article(s) refused by an input rule, not by a prediction: "
            + "; ".join(refused)
        )
