"""Where things live in a corpus folder (the published Hugging Face dataset folder).

corpus/
  README.md                          dataset card (YAML configs + prose), publish.py
  croissant.json                     ML Commons Croissant metadata, publish.py
  MANIFEST.json                      SHA-256 of every other file in the folder, build.py
  data/<config>/<split>-00000-of-00001.parquet
"""

from __future__ import annotations

from pathlib import Path

DATA = "data"
MANIFEST = "MANIFEST.json"
CARD = "README.md"
CROISSANT = "croissant.json"


def config_dir(corpus: Path, config: str) -> Path:
    """RETURNS (Path): The folder of one config (= table) of the corpus."""
    return corpus / DATA / config


def split_file(corpus: Path, config: str, split: str) -> Path:
    """RETURNS (Path): The single Parquet file of one config and split."""
    return config_dir(corpus, config) / f"{split}-00000-of-00001.parquet"


def split_of_file(path: Path) -> str:
    """RETURNS (str): The split a data file belongs to, from its name ('train-0000...' -> 'train')."""
    return path.name.split("-", 1)[0]
