"""The Jinja2 environments that word the project's documents from their facts.

One environment per templates folder (`publish/templates/` for the dataset card and the
datasheet, `core/templates/` for the annotators' guidelines). `StrictUndefined` makes a fact
the template names but the code does not give fail instead of printing "". The filters are the
few wordings the documents share.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

CORE_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """RETURNS (str): '1 article', '2,500 articles' (`plural_noun` where adding 's' is wrong)."""
    return f"{count:,} {noun if count == 1 else (plural_noun or noun + 's')}"


def counts(mapping: Mapping[str, Any], separator: str = " ") -> str:
    """RETURNS (str): 'train 3, test 1' (keys in the mapping's order), or 'none' if empty."""
    return ", ".join(f"{k}{separator}{v:,}" for k, v in mapping.items()) if mapping else "none"


def thousands(value: float) -> str:
    """RETURNS (str): The number with thousands separators ('2,352')."""
    return f"{value:,}"


def markdown_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """RETURNS (str): A Markdown table: header, rule and one line per row (no final newline)."""
    lines = ["| " + " | ".join(str(c) for c in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def day(value: str | None) -> str:
    """RETURNS (str): The date part of an ISO timestamp, or 'not stated'."""
    return value[:10] if value else "not stated"


def markdown_cell(text: str) -> str:
    """RETURNS (str): The text on one line with `|` escaped, for a Markdown table cell or
    list item (YAML's folded prose keeps line breaks where the file wraps)."""
    return " ".join(text.split()).replace("|", "\\|")


@functools.cache
def environment(folder: Path = CORE_TEMPLATES_DIR) -> jinja2.Environment:
    """RETURNS (jinja2.Environment): The environment of one templates folder, made once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(n=plural, counts=counts, thousands=thousands, date=day, md=markdown_cell)
    env.globals["table"] = markdown_table
    return env


def render(name: str, facts: Mapping[str, Any], folder: Path = CORE_TEMPLATES_DIR) -> str:
    """Word a template from its facts.

    name (str): Template file name in `folder`.
    facts (Mapping[str, Any]): The template's variables.
    folder (Path): The templates folder.
    RETURNS (str): The rendered text.
    """
    return environment(folder).get_template(name).render(**facts)
