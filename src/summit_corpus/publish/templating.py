"""The templates that word the dataset card and the datasheet from their facts.

Templates live in `templates/` beside this module; the environment, its filters and
`StrictUndefined` are `core/templating.py`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from summit_corpus.core import templating
from summit_corpus.core.templating import counts, day, markdown_table, plural, thousands

__all__ = [
    "counts",
    "day",
    "environment",
    "markdown_table",
    "plural",
    "render",
    "sections",
    "thousands",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def environment() -> jinja2.Environment:
    """RETURNS (jinja2.Environment): The publish templates' environment, made once."""
    return templating.environment(TEMPLATES_DIR)


def render(name: str, facts: Mapping[str, Any]) -> str:
    """Word a template from its facts.

    name (str): Template file name in `templates/`.
    facts (Mapping[str, Any]): The template's variables.
    RETURNS (str): The rendered text.
    """
    return templating.render(name, facts, TEMPLATES_DIR)


def sections(name: str, facts: Mapping[str, Any]) -> jinja2.environment.TemplateModule:
    """Render a template of `{% set %}` blocks and return them as attributes.

    name (str): Template file name in `templates/`.
    facts (Mapping[str, Any]): The template's variables.
    RETURNS (TemplateModule): One attribute per top-level `{% set %}` of the template.
    """
    return environment().get_template(name).make_module(dict(facts))
