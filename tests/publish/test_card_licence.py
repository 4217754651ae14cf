"""The card's licence metadata, the LICENSE files and the bigbio_kb config as users load them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from summit_corpus.core import layout
from summit_corpus.core.features import to_datasets

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"


def front_matter() -> dict:
    text = (CORPUS / layout.CARD).read_text(encoding="utf-8")
    data: dict = yaml.safe_load(text.split("---\n")[1])
    return data


class TestLicence:
    def test_card_links_the_licence_file_beside_it(self) -> None:
        """license_link names corpus/LICENSE, which exists and states every kind of material."""
        meta = front_matter()
        assert meta["license"] == "other" and meta["license_link"] == "LICENSE"
        text = (CORPUS / meta["license_link"]).read_text(encoding="utf-8")
        assert "CC BY 4.0" in text and "copyright of their publishers" in text
        assert "MIT" in text

    def test_repository_licence_says_code_mit_annotations_cc_by_texts_publishers(self) -> None:
        """The repository's LICENSE states the three terms and carries the MIT text."""
        text = (REPO / "LICENSE").read_text(encoding="utf-8")
        assert "1. Code: MIT License" in text
        assert "Creative Commons Attribution 4.0" in text
        assert "3. Article texts: copyright of their publishers" in text
        assert "Permission is hereby granted, free of charge" in text


class TestBigBioConfig:
    def test_load_dataset_reads_it_with_bigbio_features(self) -> None:
        """load_dataset("corpus", "bigbio_kb") gives BigBio's kb_features and one row per doc."""
        datasets = pytest.importorskip("datasets")
        from summit_corpus.export import bigbio, read_documents

        loaded = datasets.load_dataset(str(CORPUS), "bigbio_kb")
        assert loaded["train"].features == to_datasets(bigbio.kb_features())
        rows = [r for split in loaded for r in loaded[split]]
        assert bigbio.check_examples(rows) == []
        expected = [bigbio.to_example(d) for d in read_documents(CORPUS)]
        key = lambda r: r["id"]  # noqa: E731
        assert sorted(rows, key=key) == sorted(expected, key=key)
