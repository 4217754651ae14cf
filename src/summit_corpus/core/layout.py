"""Where things live in a corpus folder (the published Hugging Face dataset folder).

corpus/
  README.md                          dataset card (YAML configs + prose), publish/card.py
  croissant.json                     ML Commons Croissant metadata, publish/croissant.py
  MANIFEST.json                      SHA-256 of every other file in the folder, build/corpus.py
  dropped_predictions.parquet        model predictions dropped by the build, with reasons
  data/<config>/<split>-<shard>-of-<shards>.parquet   whole documents, publish/shards.py
"""

from __future__ import annotations

import os
from pathlib import Path

DATA = "data"
MANIFEST = "MANIFEST.json"
CARD = "README.md"
CROISSANT = "croissant.json"
LICENSE = "LICENSE"
DROPPED_PREDICTIONS = "dropped_predictions.parquet"


def config_dir(corpus: Path, config: str) -> Path:
    """RETURNS (Path): The folder of one config (= table) of the corpus."""
    return corpus / DATA / config


def shard_file(corpus: Path, config: str, split: str, shard: int, shards: int) -> Path:
    """RETURNS (Path): The Parquet file of one shard of a config's split (0-based `shard` of
    `shards`)."""
    return config_dir(corpus, config) / f"{split}-{shard:05d}-of-{shards:05d}.parquet"


def split_file(corpus: Path, config: str, split: str) -> Path:
    """RETURNS (Path): The file of a config's split published as one shard (a split of fewer
    than publish.shards.SHARD_MIN_DOCS documents)."""
    return shard_file(corpus, config, split, 0, 1)


def split_of_file(path: Path) -> str:
    """RETURNS (str): The split of a data file, from its name ('train-0000...' -> 'train')."""
    return path.name.split("-", 1)[0]


SCHEMAS_ENV = "SUMMIT_SCHEMAS_DIR"
# The toolkit package folder (summit_corpus/); the checkout's root is two levels above it.
_PACKAGE = Path(__file__).resolve().parents[1]


def schemas_dir() -> Path:
    """The folder of the project's contract files (annotation scheme, split settings).

    In order: the folder named by $SUMMIT_SCHEMAS_DIR; `./schemas` when the current folder is
    a corpus project (it holds `schemas/annotation_scheme.yaml`); the `schemas/` of the source
    checkout the package runs from; the copy of `schemas/` installed with the package.
    RETURNS (Path): The folder.
    """
    if os.environ.get(SCHEMAS_ENV):
        return Path(os.environ[SCHEMAS_ENV])
    for candidate in (Path.cwd() / "schemas", _PACKAGE.parents[1] / "schemas"):
        if (candidate / "annotation_scheme.yaml").is_file():
            return candidate
    return _PACKAGE / "_schemas"
