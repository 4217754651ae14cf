"""Shared fixtures of the export tests: the committed seed corpus and a synthetic one."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Synthetic articles the seeds do not have: emoji (outside the BMP), CRLF line ends, a
# no-break space before a line break, and a quote with its speaker on every line.
SYNTHETIC = {
    "emoji_crlf.txt": (
        "Kremlin spokesman Dmitry Peskov said on Monday \U0001f600 that talks were "
        "\u201cpossible\u201d.\r\n\r\nPresident Joe Biden told reporters in Geneva: "
        "\u201cWe will meet \U0001f91d soon.\u201d\r\n"
    ),
    "nbsp_lines.txt": (
        "Russian President Vladimir Putin said on Tuesday that a summit with the United "
        "States was \u201cnot excluded\u201d.\u00a0\n\nWhite House press secretary Jen Psaki "
        "said the call would take place in December.\n"
    ),
    "plain.txt": (
        "Foreign Minister Sergey Lavrov met Secretary of State Antony Blinken in Stockholm on "
        "Thursday. \u201cWe are ready to talk,\u201d Lavrov said, according to TASS.\n"
    ),
}


@pytest.fixture(scope="session")
def seed_corpus() -> Path:
    """The committed corpus, built from the seeds and the committed annotations."""
    return REPO / "corpus"


@pytest.fixture(scope="session")
def synthetic_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus built from the synthetic articles (model layer only)."""
    from summit_corpus.build.corpus import build_corpus

    root = tmp_path_factory.mktemp("synthetic")
    seeds = root / "seeds"
    seeds.mkdir()
    for name, text in SYNTHETIC.items():
        (seeds / name).write_bytes(text.encode("utf-8"))
    out = root / "corpus"
    build_corpus(seeds, out, annotations=None, progress=False)
    return out


@pytest.fixture(scope="session", params=["seeds", "synthetic"])
def corpus(request: pytest.FixtureRequest) -> Path:
    """Each corpus the round trips run on."""
    name = "seed_corpus" if request.param == "seeds" else "synthetic_corpus"
    path: Path = request.getfixturevalue(name)
    return path
