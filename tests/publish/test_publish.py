"""Publishing the Hugging Face dataset folder (src/summit_corpus/publish.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import PublishError
from summit_corpus.core.features import arrow_schema, to_datasets
from summit_corpus.core.scheme import load_scheme
from summit_corpus.publish import (
    DatasetWriter,
    arrow_to_feature,
    build_configs,
    documents_config,
    ner_config,
    ner_labels,
    write_dataset,
)

PUBLISHED = dt.datetime(2021, 4, 14, 9, 0, tzinfo=dt.UTC)
TEXTS = {
    "a": "Putin met Biden in Geneva. “We talked,” Putin said.",
    "b": "Peskov spoke on Monday.",
    "c": "The Kremlin said no summit is planned.",
}


def _tokens(doc_id: str, text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Whitespace tokens and '.'-ended sentences of a tiny text, as table rows."""
    sentences, tokens, start, sid = [], [], 0, 0
    words = text.split(" ")
    pos = 0
    for i, word in enumerate(words):
        end = pos + len(word)
        last = i == len(words) - 1
        tokens.append(
            {"doc_id": doc_id, "token_id": i, "sentence_id": sid, "start": pos, "end": end,
             "text": word, "lemma": word.lower(), "pos": "X", "tag": "XX", "dep": "dep",
             "head_token_id": i, "whitespace": "" if last else " "}
        )  # fmt: skip
        if word.endswith(".") or last:
            sentences.append(
                {
                    "doc_id": doc_id,
                    "sentence_id": sid,
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                }
            )
            sid, start = sid + 1, end + 1
        pos = end + 1
    return sentences, tokens


def _span(
    doc_id: str, sid: str, surface: str, label: str, layer: str, nth: int = 0
) -> dict[str, Any]:
    text = TEXTS[doc_id]
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return {
        "doc_id": doc_id, "span_id": sid, "start": start, "end": start + len(surface),
        "text": surface, "label": label, "layer": layer, "source": "test",
        "score": None, "annotator": None, "annotation_id": None,
    }  # fmt: skip


def _corpus() -> dict[str, pa.Table]:
    docs, sentences, tokens = [], [], []
    for doc_id, text in TEXTS.items():
        docs.append(
            {c: None for c in T.DOCUMENTS.names}
            | {"doc_id": doc_id, "source_file": f"{doc_id}.txt", "source_sha256": "0" * 64,
               "text_sha256": "1" * 64, "text": text, "byline": [], "credits": [], "updates": [],
               "removed_lines": [], "final_newline": "\n", "has_bom": False,
               "published_at": PUBLISHED if doc_id == "a" else None}
        )  # fmt: skip
        s, t = _tokens(doc_id, text)
        sentences += s
        tokens += t
    spans = [
        _span("a", "p1", "Putin", "PERSON", "prediction"),
        _span("a", "p2", "Putin met", "EVENT", "prediction"),  # overlaps p1, longer: wins
        _span("a", "h1", "Putin", "PERSON", "adjudicated"),
        _span("a", "h2", "Biden in Geneva.", "GPE", "adjudicated"),
        _span("a", "h3", "We talked,", "QUOTE", "adjudicated"),
        _span("a", "h4", "Putin", "PERSON", "adjudicated", nth=1),
        _span("b", "p1", "Peskov", "PERSON", "prediction"),
    ]
    relations = [
        {"doc_id": "a", "relation_id": "r1", "head_span_id": "h3", "tail_span_id": "h4",
         "label": "speaker", "layer": "adjudicated", "source": "test", "score": None,
         "annotator": None, "annotation_id": None}
    ]  # fmt: skip
    labels = [
        {"doc_id": "c", "name": "summit_status", "value": "no plans", "layer": "prediction",
         "source": "test", "score": None, "annotator": None, "annotation_id": None}
    ]  # fmt: skip
    return {
        "documents": T.DOCUMENTS.from_rows(docs),
        "sentences": T.SENTENCES.from_rows(sentences),
        "tokens": T.TOKENS.from_rows(tokens),
        "spans": T.SPANS.from_rows(spans),
        "relations": T.RELATIONS.from_rows(relations),
        "document_labels": T.DOCUMENT_LABELS.from_rows(labels),
    }


def _assignment(splits: dict[str, str]) -> pa.Table:
    return T.SPLIT_ASSIGNMENT.from_rows(
        [
            {"doc_id": d, "split": s, "group_id": d, "group_size": 1, "story_key": None,
             "near_duplicate_of": None, "near_duplicate_jaccard": None, "grouped_by": []}
            for d, s in splits.items()
        ]
    )  # fmt: skip


ALL_SPLITS = {"a": "train", "b": "validation", "c": "test"}


@pytest.fixture(scope="module")
def scheme():
    return load_scheme()


@pytest.fixture(scope="module")
def published(tmp_path_factory, scheme) -> Path:
    out = tmp_path_factory.mktemp("pub") / "corpus"
    write_dataset(_corpus(), _assignment(ALL_SPLITS), out, scheme)
    return out


@pytest.fixture()
def offline(tmp_path, monkeypatch) -> Iterator[Path]:
    """No network and a private cache for `datasets`."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    yield tmp_path / "cache"


def _load(path: Path, config: str | None, cache: Path) -> Any:
    import datasets

    datasets.disable_progress_bars()
    return datasets.load_dataset(str(path), config, cache_dir=str(cache))


def _front_matter(card: Path) -> dict[str, Any]:
    text = card.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


class TestFeatures:
    def test_timestamp_keeps_unit_and_zone(self):
        """A UTC timestamp column becomes a timestamp Value with its unit and zone."""
        assert arrow_to_feature(T.TIMESTAMP) == {"dtype": "timestamp[ms, tz=UTC]", "_type": "Value"}

    def test_class_label_needs_integers(self):
        """A ClassLabel over a string column is refused with the type named."""
        with pytest.raises(TypeError, match="ClassLabel needs an integer column \\(got string\\)"):
            arrow_to_feature(pa.string(), ["O"])

    def test_bio_names_leave_quotes_out(self, scheme):
        """The ner tag names are O and B-/I- of every span label but QUOTE."""
        names = ner_labels(scheme)
        assert names[0] == "O" and "B-PERSON" in names and "I-EVENT" in names
        assert not any("QUOTE" in n for n in names)


class TestDocumentsConfig:
    def test_nested_lists_hold_each_documents_rows(self):
        """Each document row nests exactly its own sentences, tokens and spans."""
        corpus = _corpus()
        docs = documents_config(corpus, _assignment(ALL_SPLITS)).to_pylist()
        for doc in docs:
            for name in ("sentences", "tokens", "spans", "relations", "document_labels"):
                flat = [r for r in corpus[name].to_pylist() if r["doc_id"] == doc["doc_id"]]
                assert [{k: v for k, v in r.items() if k != "doc_id"} for r in flat] == doc[name]

    def test_document_without_assignment_is_refused(self):
        """Publishing a document the assignment does not know names the document."""
        with pytest.raises(PublishError, match="doc 'c' has rows but no split") as info:
            documents_config(_corpus(), _assignment({"a": "train", "b": "train"}))
        assert info.value.rule == "publish_assignment"


class TestNerConfig:
    def test_adjudicated_layer_feeds_documents_that_have_it(self, scheme):
        """Doc 'a' is tagged from its adjudicated spans, quotes left out."""
        result = ner_config(_corpus(), ner_labels(scheme))
        names = ner_labels(scheme)
        first = result.table.to_pylist()[0]
        assert first["layer"] == "adjudicated"
        assert first["tokens"] == ["Putin", "met", "Biden", "in", "Geneva."]
        assert [names[t] for t in first["ner_tags"]] == ["B-PERSON", "O", "B-GPE", "I-GPE", "I-GPE"]
        second = result.table.to_pylist()[1]
        assert [names[t] for t in second["ner_tags"]] == ["O", "O", "B-PERSON", "O"]

    def test_other_documents_use_the_model_layer(self, scheme):
        """A document without adjudicated rows takes its prediction spans."""
        rows = {r["doc_id"]: r for r in ner_config(_corpus(), ner_labels(scheme)).table.to_pylist()}
        assert rows["b"]["layer"] == "prediction"
        assert rows["b"]["ner_tags"][0] == ner_labels(scheme).index("B-PERSON")

    def test_overlapping_spans_keep_the_longer(self, scheme):
        """Of two overlapping spans in one layer the longer is tagged and the other counted."""
        corpus = _corpus()
        corpus["spans"] = corpus["spans"].filter(
            pa.compute.equal(corpus["spans"]["layer"], "prediction")
        )
        result = ner_config(corpus, ner_labels(scheme))
        names = ner_labels(scheme)
        assert [names[t] for t in result.table.to_pylist()[0]["ner_tags"][:2]] == [
            "B-EVENT",
            "I-EVENT",
        ]
        assert result.dropped_overlaps == 1


class TestWriteDataset:
    def test_every_config_and_split_loads_offline_with_matching_rows(
        self, published, offline, scheme
    ):
        """load_dataset reads each config and split with the rows and features we published."""
        configs, rows_of, _ = build_configs(_corpus(), _assignment(ALL_SPLITS), scheme)
        for config in configs:
            loaded = _load(published, config.name, offline)
            assert set(loaded) == set(config.splits)
            for split, rows in rows_of[config.name].items():
                assert loaded[split].num_rows == rows.num_rows
                assert loaded[split].features == to_datasets(config.features)
                assert loaded[split].to_list() == rows.to_pylist() or config.name == "documents"

    def test_default_config_is_documents(self, published, offline):
        """Loading the folder without a config name gives the documents config."""
        loaded = _load(published, None, offline)
        assert "sentences" in loaded["train"].features and loaded["train"][0]["doc_id"] == "a"

    def test_loading_logs_no_warning(self, published, offline, scheme, caplog):
        """load_dataset of every config logs no warning: the card holds nothing it ignores."""
        configs, _, _ = build_configs(_corpus(), _assignment(ALL_SPLITS), scheme)
        with caplog.at_level(logging.WARNING, logger="datasets"):
            for config in configs:
                _load(published, config.name, offline)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    def test_ner_tags_are_a_class_label(self, published, offline, scheme):
        """The ner config declares its tags as a ClassLabel with the scheme's BIO names."""
        loaded = _load(published, "ner", offline)
        assert loaded["train"].features["ner_tags"].feature.names == list(ner_labels(scheme))

    def test_empty_split_is_absent_and_the_rest_loads(self, tmp_path, offline, scheme):
        """With no test documents, no test file is written and loading still works."""
        out = tmp_path / "corpus"
        write_dataset(
            _corpus(), _assignment({"a": "train", "b": "train", "c": "validation"}), out, scheme
        )
        assert not layout.split_file(out, "documents", "test").exists()
        loaded = _load(out, "documents", offline)
        assert {k: v.num_rows for k, v in loaded.items()} == {"train": 2, "validation": 1}
        card = (out / layout.CARD).read_text()
        assert "`documents`/test" in card

    def test_flat_files_have_exactly_the_table_columns(self, published):
        """Flat configs hold tables.py's columns and types, every field nullable (not-null is
        the validator's rule), and read back as tables.py's schema by a cast."""
        for definition in (T.SENTENCES, T.TOKENS, T.SPANS):
            nullable = pa.schema([f.with_nullable(True) for f in definition.schema])
            for path in sorted(layout.config_dir(published, definition.name).glob("*.parquet")):
                table = pq.read_table(path)
                assert table.schema.remove_metadata() == nullable
                assert table.cast(definition.schema).schema == definition.schema

    def test_files_hold_exactly_the_features_arrow_schema(self, published, scheme):
        """Each file's schema is its config's features' Arrow schema (timestamps in ms), so
        `datasets` reads batches without casting them."""
        configs, _, _ = build_configs(_corpus(), _assignment(ALL_SPLITS), scheme)
        for config in configs:
            for path in sorted(layout.config_dir(published, config.name).glob("*.parquet")):
                read = pq.read_table(path).schema
                assert read == arrow_schema(config.features), path
                assert read.metadata == arrow_schema(config.features).metadata, path
        documents = pq.read_schema(layout.split_file(published, "documents", "train"))
        assert documents.field("published_at").type == pa.timestamp("ms", tz="UTC")

    def test_files_alone_give_the_config_features(self, published, offline, scheme):
        """Loading the Parquet files without the card gives each config's features, ClassLabel
        names and struct field order included (the card declares none)."""
        import datasets

        configs, _, _ = build_configs(_corpus(), _assignment(ALL_SPLITS), scheme)
        for config in configs:
            files = {s: str(layout.split_file(published, config.name, s)) for s in config.splits}
            loaded = datasets.load_dataset("parquet", data_files=files, cache_dir=str(offline))
            for split in config.splits:
                assert loaded[split].features == to_datasets(config.features), config.name
        tags = datasets.load_dataset(
            "parquet",
            data_files=str(layout.split_file(published, "ner", "train")),
            cache_dir=str(offline),
        )["train"].features["ner_tags"]
        assert tags.feature.names == list(ner_labels(scheme))

    def test_output_is_byte_identical_across_runs(self, tmp_path, published, scheme):
        """Publishing the same tables twice gives the same bytes in every file."""
        again = tmp_path / "again"
        write_dataset(_corpus(), _assignment(ALL_SPLITS), again, scheme)
        first = {
            p.relative_to(published): p.read_bytes() for p in published.rglob("*") if p.is_file()
        }
        second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
        assert first == second

    def test_chunk_by_chunk_is_byte_identical_to_one_piece(self, tmp_path, published, scheme):
        """Publishing one document at a time writes the bytes publishing all at once writes."""
        corpus, out = _corpus(), tmp_path / "chunked"
        writer = DatasetWriter(out, scheme, list(corpus))
        for doc_id in TEXTS:
            writer.add(
                {
                    name: table.filter(pc.equal(table.column("doc_id"), doc_id))
                    for name, table in corpus.items()
                },
                _assignment(ALL_SPLITS),
            )
        writer.close()
        whole = {
            p.relative_to(published): p.read_bytes() for p in published.rglob("*") if p.is_file()
        }
        chunked = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert chunked == whole

    def test_a_shard_is_closed_once_the_next_one_begins(self, tmp_path, scheme, monkeypatch):
        """Documents added in doc_id order finish each shard's files as soon as a document of
        the next shard comes (no buffer or open file per finished shard), with the bytes of
        one piece; a document of a finished shard is refused."""
        from summit_corpus.publish import shards

        monkeypatch.setattr(shards, "SHARD_MIN_DOCS", 1)
        monkeypatch.setattr(shards, "SHARD_SPREAD", 1)
        corpus = _corpus()
        assignment = _assignment({"a": "train", "b": "train", "c": "train"})
        whole = tmp_path / "whole"
        write_dataset(corpus, assignment, whole, scheme)
        out = tmp_path / "chunked"
        writer = DatasetWriter(out, scheme, list(corpus))

        def rows_of(doc_id: str) -> dict[str, pa.Table]:
            return {n: t.filter(pc.equal(t.column("doc_id"), doc_id)) for n, t in corpus.items()}

        writer.add(rows_of("a"), assignment)
        first = layout.shard_file(out, "documents", "train", 0, 3)
        assert not first.exists()
        writer.add(rows_of("b"), assignment)
        assert first.exists()
        with pytest.raises(ValueError, match="doc_id order"):
            writer.add(rows_of("a"), assignment)
        writer.add(rows_of("c"), assignment)
        writer.close()
        files = {p.relative_to(whole): p.read_bytes() for p in whole.rglob("*") if p.is_file()}
        assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == files

    def test_a_document_file_has_row_groups_of_fixed_size(self, tmp_path, scheme):
        """Documents are stored in row groups of DOCUMENT_GROUP_ROWS, so readers can stream them."""
        from summit_corpus.publish import writer as publish

        corpus, out = _corpus(), tmp_path / "groups"
        assignment = _assignment({"a": "train", "b": "train", "c": "train"})
        publish.DOCUMENT_GROUP_ROWS, saved = 2, publish.DOCUMENT_GROUP_ROWS
        try:
            write_dataset(corpus, assignment, out, scheme)
        finally:
            publish.DOCUMENT_GROUP_ROWS = saved
        metadata = pq.ParquetFile(layout.split_file(out, "documents", "train")).metadata
        assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 1]

    def test_a_ner_file_has_row_groups_of_its_own_size(self, tmp_path, scheme, monkeypatch):
        """The ner config, a sentence of tokens per row, is grouped by NER_GROUP_ROWS."""
        from summit_corpus.publish import writer as publish

        corpus, out = _corpus(), tmp_path / "groups"
        assignment = _assignment({"a": "train", "b": "train", "c": "train"})
        monkeypatch.setattr(publish, "NER_GROUP_ROWS", 1)
        write_dataset(corpus, assignment, out, scheme)
        metadata = pq.ParquetFile(layout.split_file(out, "ner", "train")).metadata
        sentences = corpus["sentences"].num_rows
        assert sentences > 1
        assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
            1
        ] * sentences

    def test_a_failed_write_leaves_no_data_file(self, tmp_path, scheme):
        """Rows of a document with no split assignment abort the write without partial files."""
        out = tmp_path / "out"
        with pytest.raises(PublishError) as info:
            write_dataset(_corpus(), _assignment({"a": "train", "b": "train"}), out, scheme)
        assert info.value.rule == "publish_assignment"
        assert not [p for p in out.rglob("*") if p.is_file()]

    def test_writes_only_inside_the_folder(self, tmp_path, scheme):
        """Nothing appears beside the output folder."""
        write_dataset(_corpus(), _assignment(ALL_SPLITS), tmp_path / "out", scheme)
        assert [p.name for p in tmp_path.iterdir()] == ["out"]

    def test_unknown_table_is_refused(self, tmp_path, scheme):
        """A table with no published config is an error naming it."""
        corpus = _corpus() | {"mystery": pa.table({"doc_id": ["a"]})}
        with pytest.raises(PublishError, match="'mystery'") as info:
            write_dataset(corpus, _assignment(ALL_SPLITS), tmp_path / "out", scheme)
        assert info.value.rule == "publish_table"


class TestCard:
    def test_front_matter_declares_configs_and_features(self, published):
        """The YAML lists each config's data files per split and documents as default; not the
        features, which the files carry, nor a dataset_info."""
        meta = _front_matter(published / layout.CARD)
        configs = {c["config_name"]: c for c in meta["configs"]}
        assert configs["documents"]["default"] is True
        assert configs["ner"]["data_files"] == [
            {"split": s, "path": f"data/ner/{s}-*.parquet"} for s in ("train", "validation", "test")
        ]
        # features come from the files' metadata (test_files_alone_give_the_config_features)
        assert not any("features" in c for c in configs.values())
        # datasets would ignore split counts without Arrow sizes, and warn on every load
        assert "dataset_info" not in meta
        for key in ("license", "language", "task_categories", "size_categories", "pretty_name",
                    "annotations_creators", "source_datasets"):  # fmt: skip
            assert meta[key]

    def test_no_template_placeholder_is_left(self, published):
        """Every section of the Hub's template is filled from the data."""
        card = (published / layout.CARD).read_text()
        assert "[More Information Needed]" not in card and "Dataset Name" not in card
        assert "{{ " not in card and "{%" not in card

    def test_card_states_the_counts(self, published):
        """The card's summary gives the numbers of the tables."""
        card = (published / layout.CARD).read_text()
        assert "3 English news articles" in card and "7 labelled spans" in card


class TestCroissant:
    def test_croissant_validates_and_reads_records(self, published):
        """mlcroissant accepts the metadata, and a record set yields the table's rows."""
        mlc = pytest.importorskip("mlcroissant")
        dataset = mlc.Dataset(jsonld=str(published / layout.CROISSANT))
        assert {r.name for r in dataset.metadata.record_sets} >= {"documents", "ner", "sentences"}
        records = list(dataset.records("sentences"))
        assert len(records) == _corpus()["sentences"].num_rows

    def test_croissant_has_responsible_ai_fields(self, published):
        """The RAI fields users look for are present and not empty."""
        data = json.loads((published / layout.CROISSANT).read_text())
        keys = ("dataCollection", "dataAnnotationProtocol", "dataBiases", "dataLimitations",
                "personalSensitiveInformation", "dataUseCases")  # fmt: skip
        for key in keys:
            assert data[f"rai:{key}"]


class TestBuiltCorpus:
    def test_every_config_and_split_of_the_build_loads(self, built_corpus, offline):
        """Each published config of a real build loads, with the Parquet files' row counts."""
        meta = _front_matter(built_corpus / layout.CARD)
        for config in meta["configs"]:
            loaded = _load(built_corpus, config["config_name"], offline)
            for item in config["data_files"]:
                path = layout.split_file(built_corpus, config["config_name"], item["split"])
                assert loaded[item["split"]].num_rows == pq.ParquetFile(path).metadata.num_rows

    def test_no_document_is_in_two_splits(self, built_corpus):
        """Each doc_id appears in one documents file only, and every flat row follows it."""
        split_of: dict[str, str] = {}
        for path in sorted(layout.config_dir(built_corpus, "documents").glob("*.parquet")):
            for doc_id in pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist():
                assert doc_id not in split_of
                split_of[doc_id] = layout.split_of_file(path)
        for folder in sorted((built_corpus / layout.DATA).iterdir()):
            for path in sorted(folder.glob("*.parquet")):
                # bigbio_kb names the column as BigBio does.
                column = "doc_id" if "doc_id" in pq.read_schema(path).names else "document_id"
                ids = set(pq.read_table(path, columns=[column]).column(column).to_pylist())
                assert {split_of[d] for d in ids} <= {layout.split_of_file(path)}
