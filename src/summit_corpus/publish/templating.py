"""The Jinja2 environment that words the dataset card and the datasheet from their facts.

Templates live in `templates/` beside this module. `StrictUndefined` makes a fact the template
names but the code does not give fail the build instead of printing "". The filters are the
few number wordings both documents share.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


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


@functools.cache
def environment() -> jinja2.Environment:
    """RETURNS (jinja2.Environment): The templates folder's environment, made once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(n=plural, counts=counts, thousands=thousands, date=day)
    env.globals["table"] = markdown_table
    return env


def render(name: str, facts: Mapping[str, Any]) -> str:
    """Word a template from its facts.

    name (str): Template file name in `templates/`.
    facts (Mapping[str, Any]): The template's variables.
    RETURNS (str): The rendered text.
    """
    return environment().get_template(name).render(**facts)


def sections(name: str, facts: Mapping[str, Any]) -> jinja2.environment.TemplateModule:
    """Render a template of `{% set %}` blocks and return them as attributes.

    name (str): Template file name in `templates/`.
    facts (Mapping[str, Any]): The template's variables.
    RETURNS (TemplateModule): One attribute per top-level `{% set %}` of the template.
    """
    return environment().get_template(name).make_module(dict(facts))
