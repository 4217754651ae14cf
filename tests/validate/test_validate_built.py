"""Validation of a real built corpus: it passes, and corruptions of its files are caught."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from summit_corpus.cli import app
from summit_corpus.core import io, layout
from summit_corpus.validate import validate_corpus

Rows = list[dict[str, Any]]


def corrupt_copy(built: Path, tmp_path: Path, config: str, change: Callable[[Rows], None]) -> Path:
    """Copy the corpus, change the rows of one config's first file, and rewrite the manifest.

    RETURNS (Path): The corrupted copy (its manifest matches its files).
    """
    root = tmp_path / "corpus"
    shutil.copytree(built, root)
    path = sorted(layout.config_dir(root, config).glob("*.parquet"))[0]
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows)
    nullable = pa.schema([f.with_nullable(True) for f in table.schema])
    io.write_parquet(path, pa.Table.from_pylist(rows, schema=nullable))
    files = [p for p in root.rglob("*") if p.is_file() and p.name != layout.MANIFEST]
    io.write_json(root / layout.MANIFEST, io.file_manifest(root, files))
    return root


def _first_with(rows: Rows, key: str) -> dict[str, Any]:
    return next(r for r in rows if r[key])


# Each case: (config, corruption, (table, rule) that must be reported).
CASES: list[tuple[str, Callable[[Rows], None], tuple[str, str]]] = [
    # a token's surface string no longer matches the text
    ("tokens", lambda r: r[5].update(text=r[5]["text"] + "x"), ("tokens", "surface_matches_text")),
    # a token row deleted: ids jump and the text is no longer rebuilt
    ("tokens", lambda r: r.pop(10), ("tokens", "ids_consecutive")),
    # a required value nulled (published fields are nullable: the rule, not the file, forbids it)
    ("tokens", lambda r: r[0].update(lemma=None), ("tokens", "not_null")),
    ("documents", lambda r: r[0].update(text_sha256=None), ("documents", "not_null")),
    # a required field of a nested record nulled
    (
        "documents",
        lambda r: _first_with(r, "removed_lines")["removed_lines"][0].update(reason=None),
        ("documents", "nested_not_null"),
    ),
    # a sentence shortened by one character
    (
        "sentences",
        lambda r: r[2].update(end=r[2]["end"] - 1, text=r[2]["text"][:-1]),
        ("sentences", "sentence_gaps_are_space"),
    ),
    # a label outside the scheme
    ("spans", lambda r: r[0].update(label="PRESIDENT"), ("spans", "in_vocabulary")),
    # a relation pointing at no span
    ("relations", lambda r: r[0].update(tail_span_id="nope"), ("relations", "tail_span_exists")),
    # the documents config's nested tokens edited
    (
        "documents",
        lambda r: _first_with(r, "tokens")["tokens"][3].update(text="QQ"),
        ("tokens", "nested_matches_table"),
    ),
    # a document's text edited
    (
        "documents",
        lambda r: r[0].update(text=r[0]["text"].replace("e", "E", 1)),
        ("documents", "text_sha256_matches"),
    ),
    # a ner tag changed
    (
        "ner",
        lambda r: r[0].update(ner_tags=[1] + r[0]["ner_tags"][1:]),
        ("ner", "ner_matches_tables"),
    ),
]


class TestBuiltCorpus:
    def test_built_corpus_is_valid(self, built_corpus: Path) -> None:
        """The corpus `corpus build` makes from the seeds passes every rule."""
        report = validate_corpus(built_corpus)
        assert report.ok, report.lines()
        assert report.rows["tokens"] > 1000

    @pytest.mark.parametrize(("config", "change", "expected"), CASES, ids=[c[2][1] for c in CASES])
    def test_corruption_is_caught_with_manifest_rewritten(
        self,
        built_corpus: Path,
        tmp_path: Path,
        config: str,
        change: Callable[[Rows], None],
        expected: tuple[str, str],
    ) -> None:
        """A corrupted file fails its content rule even though the manifest matches it."""
        root = corrupt_copy(built_corpus, tmp_path, config, change)
        report = validate_corpus(root)
        found = {(f.table, f.rule) for f in report.failures}
        assert expected in found, report.lines()
        assert not any(f.table == "manifest" for f in report.failures)


class TestValidateCommand:
    def test_exit_zero_on_valid_corpus(self, built_corpus: Path) -> None:
        """`corpus validate DIR` exits 0 and says the corpus is valid."""
        result = CliRunner().invoke(app, ["validate", str(built_corpus)])
        assert result.exit_code == 0, result.output
        assert "corpus valid" in result.output

    def test_json_lists_every_failure(self, built_corpus: Path, tmp_path: Path) -> None:
        """`--format json` exits 1 and lists each failing row with table, row, rule and value."""
        root = corrupt_copy(
            built_corpus, tmp_path, "tokens", lambda r: [x.update(text="#") for x in r[:3]]
        )
        result = CliRunner().invoke(app, ["validate", str(root), "--format", "json"])
        assert result.exit_code == 1
        data = json.loads(result.output)
        surface = [f for f in data["failures"] if f["rule"] == "surface_matches_text"]
        assert len(surface) == 3
        assert {"table", "row", "rule", "value", "message"} <= set(surface[0])
        assert surface[0]["row"]["token_id"] == 0

    def test_text_names_table_rule_and_value(self, built_corpus: Path, tmp_path: Path) -> None:
        """Text output has one line per failure naming table, row ids, rule and value."""
        root = corrupt_copy(built_corpus, tmp_path, "spans", lambda r: r[0].update(label="X"))
        result = CliRunner().invoke(app, ["validate", str(root)])
        assert result.exit_code == 1
        [line] = [x for x in result.output.splitlines() if "'in_vocabulary'" in x]
        assert line.startswith("spans (data/spans/")
        assert "span_id=" in line and '"X"' in line
