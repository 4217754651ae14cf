"""Shared fixtures: the repository's folders and a corpus built once per test session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Each test session reads datasets through a cache of its own: `datasets` keys a local
# folder's cache by names and file metadata that copies of the corpus share, so a cache left
# by an earlier session (another checkout, a CI run on the same machine) could serve stale rows.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="summit-hf-datasets-")

# The real Label Studio server (session fixture `studio`), started through `corpus studio start`.
pytest_plugins = ["studio_fixtures"]

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"
COMMITTED_CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def built_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus built from the seeds (and the committed annotation snapshots) into a temp dir."""
    from summit_corpus.build.corpus import build_corpus

    out = tmp_path_factory.mktemp("built") / "corpus"
    build_corpus(SEEDS, out, annotations=ANNOTATIONS, progress=False)
    return out
