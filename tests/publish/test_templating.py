"""The Jinja2 templates that word the dataset card and the datasheet (publish/templating.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import jinja2
import pytest

from summit_corpus.core import templating as core_templating
from summit_corpus.publish import templating
from summit_corpus.publish.card import SECTIONS

REPO = Path(__file__).resolve().parents[2]


class TestEnvironment:
    def test_a_missing_fact_fails_the_render(self):
        """A fact the template names but the code does not give raises instead of printing ''."""
        with pytest.raises(jinja2.UndefinedError, match="facts"):
            templating.sections("card.md.j2", {"pretty_name_value": "x"})

    def test_card_template_words_every_section(self):
        """card.md.j2 defines one block per section the card fills, and no block is left out."""
        source = (templating.TEMPLATES_DIR / "card.md.j2").read_text(encoding="utf-8")
        for name in SECTIONS:
            assert f"{{% set {name} " in source or f"{{% set {name}%" in source, name

    def test_output_keeps_its_trailing_newline(self):
        """keep_trailing_newline: a template ending in a newline renders with it."""
        text = templating.environment().from_string("{{ 3 | n('article') }}\n").render()
        assert text == "3 articles\n"

    @pytest.mark.parametrize(
        ("package", "folder"),
        [
            ("summit_corpus.publish", templating.TEMPLATES_DIR),
            ("summit_corpus.core", core_templating.CORE_TEMPLATES_DIR),
        ],
    )
    def test_every_template_ships_with_the_package(self, package: str, folder: Path):
        """pyproject's package-data covers every template file of each templates folder."""
        config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
        globs = config["tool"]["setuptools"]["package-data"][package]
        shipped = {p for g in globs for p in folder.parent.glob(g)}
        templates = set(folder.iterdir())
        assert templates and templates <= shipped


class TestFilters:
    # one, many (plain 's'), and a given plural
    @pytest.mark.parametrize(
        ("count", "noun", "plural", "expected"),
        [
            (1, "article", None, "1 article"),  # singular: no 's'
            (2500, "article", None, "2,500 articles"),  # thousands separator and 's'
            (2, "entity", "entities", "2 entities"),  # irregular plural given
        ],
    )
    def test_plural_words_a_count(self, count, noun, plural, expected):
        """`n` writes the count with thousands separators and the noun in the right number."""
        assert templating.plural(count, noun, plural) == expected

    def test_counts_lists_keys_in_order_or_none(self):
        """`counts` keeps the mapping's order and says 'none' for an empty mapping."""
        assert templating.counts({"train": 1200, "test": 3}) == "train 1,200, test 3"
        assert templating.counts({"train": 1}, ": ") == "train: 1"
        assert templating.counts({}) == "none"

    def test_markdown_table_has_a_rule_under_the_header(self):
        """`table` draws the header, one '---|' per column, then one line per row."""
        assert (
            templating.markdown_table(["a", "b"], [[1, "x"]]) == "| a | b |\n|---|---|\n| 1 | x |"
        )
