"""The annotation scheme file, its model, and the files generated from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from summit_corpus.cli import app
from summit_corpus.core.errors import SchemeError
from summit_corpus.core.generated import (
    check_generated,
    guidelines,
    labeling_config,
    write_generated,
)
from summit_corpus.core.scheme import SCHEME_PATH, load_scheme


def _raw() -> dict[str, Any]:
    return yaml.safe_load(SCHEME_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


class TestLoadScheme:
    def test_committed_scheme_loads(self):
        """The committed scheme file passes its model and has a semantic version."""
        scheme = load_scheme()
        assert scheme.version.count(".") == 2
        assert {s.name for s in scheme.span_labels} >= {"PERSON", "ORG", "QUOTE", "EVENT"}

    def test_vocabularies_have_the_names_tables_use(self):
        """`vocabularies` has exactly the keys tables.Column.vocabulary names."""
        vocab = load_scheme().vocabularies()
        assert set(vocab) == {
            "span_labels",
            "relation_labels",
            "document_label_names",
            "document_label_values",
        }
        assert vocab["document_label_names"] == ("summit_status", "topics")
        assert "being prepared" in vocab["document_label_values"]
        assert "speaker" in vocab["relation_labels"]

    def test_missing_file_names_the_rule(self, tmp_path: Path):
        """A missing scheme file raises with rule 'exists' and the path."""
        with pytest.raises(SchemeError) as info:
            load_scheme(tmp_path / "nope.yaml")
        assert info.value.rule == "exists"
        assert "nope.yaml" in str(info.value)

    @pytest.mark.parametrize(
        ("change", "needle"),
        [
            # a relation may only name span labels the scheme defines
            (lambda r: r["relation_labels"][0].update(tail=["NOBODY"]), "NOBODY"),
            # colours must be #rrggbb so Label Studio can paint them
            (lambda r: r["span_labels"][0].update(colour="red"), "colour"),
            # two labels with one name would make exports ambiguous
            (lambda r: r["span_labels"].append(dict(r["span_labels"][0])), "unique"),
            # the spaCy mapping may only target scheme labels
            (lambda r: r["spacy"]["labels"].update(FAC="PLACE"), "PLACE"),
            # a document-label cue must name a value of that label
            (lambda r: r["rules"]["topics"]["cues"].update(gossip=["x"]), "gossip"),
            # unknown keys are typos, not extensions
            (lambda r: r.update(colour_scheme="x"), "colour_scheme"),
        ],
    )
    def test_rejects_inconsistent_scheme(self, tmp_path: Path, change, needle: str):
        """An inconsistent scheme fails with rule 'scheme_model' naming the problem."""
        raw = _raw()
        change(raw)
        with pytest.raises(SchemeError) as info:
            load_scheme(_write(tmp_path, raw))
        assert info.value.rule == "scheme_model"
        assert needle in str(info.value)

    def test_allows_relation_follows_head_and_tail(self):
        """A speaker relation may go from a QUOTE to a PERSON but not the other way round."""
        scheme = load_scheme()
        assert scheme.allows_relation("speaker", "QUOTE", "PERSON")
        assert not scheme.allows_relation("speaker", "PERSON", "QUOTE")


class TestLabelingConfig:
    def test_config_follows_the_contract(self):
        """The config has the Text, Labels, Relations, Choices and TextArea the round trip uses."""
        scheme = load_scheme()
        root = ET.fromstring(labeling_config(scheme))
        assert root.tag == "View"
        text = root.find("Text")
        assert text is not None and text.attrib == {"name": "text", "value": "$text"}
        labels = root.find("Labels")
        assert labels is not None
        assert (labels.get("name"), labels.get("toName")) == ("label", "text")
        assert [label.get("value") for label in labels] == [s.name for s in scheme.span_labels]
        assert all(label.get("background", "").startswith("#") for label in labels)
        relations = root.find("Relations")
        assert relations is not None
        assert [r.get("value") for r in relations] == [r.name for r in scheme.relation_labels]
        choices = {c.get("name"): c for c in root.findall("Choices")}
        assert choices["summit_status"].get("choice") == "single"
        assert choices["topics"].get("choice") == "multiple"
        assert all(c.get("toName") == "text" for c in choices.values())
        assert [c.get("value") for c in choices["summit_status"]] == list(
            scheme.document_label("summit_status").value_names
        )
        note = root.find("TextArea")
        assert note is not None and (note.get("name"), note.get("toName")) == ("note", "text")

    def test_committed_files_are_current(self):
        """schemas/labeling_config.xml and GUIDELINES.md equal what the scheme generates."""
        assert check_generated(load_scheme()) == []

    def test_stale_file_is_reported(self, tmp_path: Path):
        """A generated file that differs from the scheme is reported by name."""
        scheme = load_scheme()
        write_generated(scheme, tmp_path)
        (tmp_path / "GUIDELINES.md").write_text("old\n", encoding="utf-8")
        stale = check_generated(scheme, tmp_path)
        assert len(stale) == 1 and "GUIDELINES.md" in stale[0]

    def test_guidelines_describe_every_label(self):
        """The guidelines list every span label, relation and document-label value."""
        scheme = load_scheme()
        page = guidelines(scheme)
        for name in scheme.vocabularies()["span_labels"] + scheme.vocabularies()["relation_labels"]:
            assert f"`{name}`" in page
        for value in scheme.vocabularies()["document_label_values"]:
            assert f"`{value}`" in page


class TestSchemeCli:
    def test_check_passes_on_committed_files(self):
        """`corpus scheme check` exits 0 when the generated files are current."""
        result = CliRunner().invoke(app, ["scheme", "check"])
        assert result.exit_code == 0, result.output
        assert "current" in result.output

    def test_check_fails_on_broken_scheme(self, tmp_path: Path):
        """`corpus scheme check` exits 1 with the rule name for a broken scheme file."""
        path = tmp_path / "scheme.yaml"
        path.write_text("version: [", encoding="utf-8")
        result = CliRunner().invoke(app, ["scheme", "check", "--scheme", str(path)])
        assert result.exit_code == 1
        assert "rule 'yaml'" in result.output


class TestLabelStudioAcceptsConfig:
    def test_sdk_validates_the_generated_config(self):
        """label-studio-sdk's LabelInterface parses and validates the generated config."""
        from label_studio_sdk.label_interface import LabelInterface

        interface = LabelInterface(labeling_config(load_scheme()))
        interface.validate()  # raises on a broken config
        names = {c.name for c in interface.controls}
        assert names == {"label", "summit_status", "topics", "note"}

    def test_sdk_accepts_gold_results_and_refuses_unknown_labels(self):
        """The gold results validate against the config; a label outside the scheme does not."""
        from label_studio_sdk.label_interface import LabelInterface

        from summit_corpus.annotate.gold import resolve_gold

        gold_path = Path(__file__).resolve().parents[2] / "annotations" / "gold" / "seeds_gold.yaml"
        from summit_corpus.build.ingest import clean, discover

        interface = LabelInterface(labeling_config(load_scheme()))
        seeds = Path(__file__).resolve().parents[2] / "seeds"
        documents = {d.doc_id: d.text for d in (clean(raw) for raw in discover(seeds))}
        for results in resolve_gold(gold_path, documents).values():
            assert interface.validate_annotation({"result": results})
        bad = {"id": "a", "from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": 0, "end": 3, "text": "abc", "labels": ["NOPE"]}}  # fmt: skip
        assert not interface.validate_annotation({"result": [bad]})
