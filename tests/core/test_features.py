"""The Hugging Face features made without `datasets` are the ones `datasets` makes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from summit_corpus.core import features
from summit_corpus.core import tables as T
from summit_corpus.core.scheme import load_scheme
from summit_corpus.export import bigbio
from summit_corpus.publish import documents_schema, ner_labels

datasets = pytest.importorskip("datasets")


def _bigbio_kb_features() -> object:
    """BigBio's `kb_features` as its schema module declares them, in `datasets` objects."""
    from datasets import Features, Sequence, Value

    string = Value("string")
    offsets = Sequence([Value("int32")])
    normalized = [{"db_name": string, "db_id": string}]
    return Features(
        {
            "id": string,
            "document_id": string,
            "passages": [
                {"id": string, "type": string, "text": Sequence(string), "offsets": offsets}
            ],
            "entities": [
                {
                    "id": string,
                    "type": string,
                    "text": Sequence(string),
                    "offsets": offsets,
                    "normalized": normalized,
                }
            ],
            "events": [
                {
                    "id": string,
                    "type": string,
                    "trigger": {"text": Sequence(string), "offsets": offsets},
                    "arguments": [{"role": string, "ref_id": string}],
                }
            ],
            "coreferences": [{"id": string, "entity_ids": Sequence(string)}],
            "relations": [
                {
                    "id": string,
                    "type": string,
                    "arg1_id": string,
                    "arg2_id": string,
                    "normalized": normalized,
                }
            ],
        }
    )


def _published_features() -> dict[str, features.Features]:
    """The features of every published config, and of every table."""
    out = {t.name: features.features_of(t.schema) for t in T.TABLES_BY_NAME.values()}
    out["documents"] = features.features_of(documents_schema())
    out["ner"] = features.features_of(T.NER.schema, {"ner_tags": ner_labels(load_scheme())})
    out["bigbio_kb"] = bigbio.kb_features()
    return out


class TestSameAsDatasets:
    def test_datasets_reads_them_back_unchanged(self) -> None:
        """`datasets.Features.from_dict` of each config's features writes the same dict back."""
        for name, made in _published_features().items():
            assert features.to_datasets(made).to_dict() == made, name

    def test_the_arrow_schema_and_its_metadata_are_byte_for_byte_those_of_datasets(self) -> None:
        """The schema the files carry, `huggingface` metadata included, is what `datasets`
        gives, so a file reads without a cast and with its ClassLabel names."""
        for name, made in _published_features().items():
            theirs = features.to_datasets(made).arrow_schema
            ours = features.arrow_schema(made)
            assert ours == theirs, name
            assert ours.metadata == theirs.metadata, name

    def test_bigbio_kb_features_are_bigbios(self) -> None:
        """The `bigbio_kb` features equal BigBio's own declaration (its `Sequence`s included)."""
        assert features.to_datasets(bigbio.kb_features()) == _bigbio_kb_features()

    def test_class_label_names_are_found_in_a_list(self) -> None:
        """A list of ClassLabels names its labels; a plain value names none."""
        tags = features.features_of(T.NER.schema, {"ner_tags": ["O", "B-PERSON"]})
        assert features.class_label_names(tags["ner_tags"]) == ["O", "B-PERSON"]
        assert features.class_label_names(tags["doc_id"]) is None

    def test_a_timestamp_keeps_its_unit_and_zone_both_ways(self) -> None:
        """timestamp[ms, tz=UTC] becomes a Value of that dtype, and back."""
        feature = features.arrow_to_feature(pa.timestamp("ms", tz="UTC"))
        assert feature == {"dtype": "timestamp[ms, tz=UTC]", "_type": "Value"}
        assert features.arrow_type(feature) == pa.timestamp("ms", tz="UTC")


class TestNoDatasetsImport:
    def test_publishing_and_validating_do_not_import_datasets_or_the_hub(
        self, tmp_path: Path, repo: Path
    ) -> None:
        """Writing a corpus folder and validating it never imports `datasets` (its import
        is half a second of every rebuild) nor `huggingface_hub` (a quarter: the card needs
        its template file only); only loading the result does."""
        script = textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            from summit_corpus.core.scheme import load_scheme
            from summit_corpus.publish import write_dataset
            from summit_corpus.publish.datasheet import read_corpus
            from summit_corpus.validate.corpus import validate_corpus

            tables, assignment = read_corpus(Path({str(repo / "corpus")!r}))
            out = Path({str(tmp_path / "corpus")!r})
            write_dataset(tables, assignment, out, load_scheme())
            validate_corpus(out)
            heavy = ("datasets", "huggingface_hub")
            print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == "[]"
        assert (tmp_path / "corpus" / "README.md").is_file()
