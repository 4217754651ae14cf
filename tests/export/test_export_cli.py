"""`corpus export FORMAT`: a thin command over the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from summit_corpus.cli import app


class TestExportCommand:
    @pytest.mark.parametrize(
        ("fmt", "file"),
        [
            ("spacy", "train.spacy"),  # DocBin per split
            ("conll", "train.conll"),  # CoNLL-2003 per split
            ("brat", "annotation.conf"),  # BRAT folder with its config
            ("bigbio_kb", "train.parquet"),  # BigBio KB Parquet per split
        ],
    )
    def test_writes_the_format_into_out(
        self, seed_corpus: Path, tmp_path: Path, fmt: str, file: str
    ) -> None:
        """Each format lands in --out and the command says how many documents it wrote."""
        result = CliRunner().invoke(
            app, ["export", fmt, "--corpus", str(seed_corpus), "--out", str(tmp_path)]
        )
        assert result.exit_code == 0, result.output
        assert "exported 5 documents (best layer)" in result.output
        assert (tmp_path / file).is_file()

    def test_unknown_format_is_named_with_the_choices(self, seed_corpus: Path) -> None:
        """An unknown format exits 2 naming the rule and the formats, without a traceback."""
        result = CliRunner().invoke(app, ["export", "xml", "--corpus", str(seed_corpus)])
        assert result.exit_code == 2
        assert "rule 'export_format': no export format 'xml'" in result.output
        assert "spacy, conll, brat, bigbio_kb" in result.output

    def test_unknown_layer_is_named(self, seed_corpus: Path, tmp_path: Path) -> None:
        """An unknown --layer exits 2 naming the layers."""
        result = CliRunner().invoke(
            app, ["export", "conll", "--layer", "gold", "--corpus", str(seed_corpus)]
        )
        assert result.exit_code == 2
        assert "rule 'export_layer': no layer 'gold'" in result.output

    def test_a_folder_without_a_corpus_is_named(self, tmp_path: Path) -> None:
        """Exporting from a folder with no documents config says to build first."""
        result = CliRunner().invoke(app, ["export", "conll", "--corpus", str(tmp_path)])
        assert result.exit_code == 2
        assert "rule 'corpus_documents'" in result.output
