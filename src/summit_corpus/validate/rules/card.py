"""The card rules: the dataset card's YAML header parses and its configs match the data files.

`datasets.load_dataset` reads the card's `configs` to find each config's files; a header that
does not parse, or names files that are not there, breaks loading although every data file is
valid. Checked when the folder has a card with a YAML header (a folder of tables alone has
none; without a header `load_dataset` finds the files by their names).
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import yaml

from summit_corpus.core import io, layout
from summit_corpus.core.errors import Errors
from summit_corpus.validate.report import RULES, Failure, _jsonable, _short


def check_card(corpus_dir: Path) -> list[Failure]:
    """Check README.md's YAML header and its configs against the data files.

    corpus_dir (Path): The corpus folder.
    RETURNS (list[Failure]): 'card_yaml' for a header that does not parse or never closes,
        'card_configs_match' for each config or data file the card and the folder disagree on.
    """
    path = corpus_dir / layout.CARD
    try:
        card = path.read_text(encoding="utf-8") if path.is_file() else ""
        if not card.startswith("---"):
            return []  # no metadata header: nothing load_dataset would read from the card
        header = _header(card)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        detail = " ".join(str(error).split())
        return [_card_failure("card_yaml", detail)]
    configs = header.get("configs")
    if not isinstance(configs, list) or not all(_is_config(c) for c in configs):
        return [_card_failure("card_configs_match", "'configs' is not a list of configs")]
    files = sorted(
        p.relative_to(corpus_dir).as_posix() for p in (corpus_dir / layout.DATA).rglob("*.parquet")
    )
    failures = []
    covered: set[str] = set()
    for config in configs:
        for entry in config["data_files"]:
            matched = [f for f in files if fnmatch(f, entry["path"])]
            covered.update(matched)
            if not matched:
                value = f"config {config['config_name']!r} split {entry['split']!r}: "
                failures.append(
                    _card_failure("card_configs_match", value + f"no file matches {entry['path']}")
                )
            for file in matched:
                if layout.split_of_file(Path(file)) != entry["split"]:
                    value = f"{file} is listed as split {entry['split']!r}"
                    failures.append(_card_failure("card_configs_match", value))
    for file in files:
        if file not in covered:
            failures.append(_card_failure("card_configs_match", f"{file} is in no config"))
    return failures


def _header(card: str) -> dict[str, Any]:
    """RETURNS (dict[str, Any]): The card's YAML header. RAISES (ValueError): There is none."""
    lines = card.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("README.md does not start with a '---' YAML header")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            header = io.load_yaml("".join(lines[1:index]))
            if not isinstance(header, dict):
                raise ValueError("the YAML header is not a mapping")
            return header
    raise ValueError("the YAML header has no closing '---'")


def _is_config(config: Any) -> bool:
    return (
        isinstance(config, dict)
        and isinstance(config.get("config_name"), str)
        and isinstance(config.get("data_files"), list)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("split"), str)
            and isinstance(e.get("path"), str)
            for e in config["data_files"]
        )
    )


def _card_failure(rule: str, value: str) -> Failure:
    message = getattr(Errors, RULES[rule][0]).format(
        where=f"card ({layout.CARD})", column="", value=_short(value)
    )
    return Failure(
        "card", {"path": layout.CARD}, rule, _jsonable(value), message, None, layout.CARD
    )
