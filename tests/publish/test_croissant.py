"""croissant.json: what mlcroissant validates, declares, and reads back as the Parquet rows."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from summit_corpus.core import layout

mlc = pytest.importorskip("mlcroissant")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus() -> Path:
    """The committed corpus (tests/test_committed_corpus.py checks it is the seeds' build)."""
    return REPO / "corpus"


@pytest.fixture(scope="module")
def metadata(corpus: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((corpus / layout.CROISSANT).read_text(encoding="utf-8"))
    return data


def plain(value: Any) -> Any:
    """A value as mlcroissant and pyarrow both can give it: text, lists, ISO times."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {k.rsplit("/", 1)[-1]: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def parquet_rows(corpus: Path, config: str) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(layout.config_dir(corpus, config).glob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return [plain(r) for r in rows]


def key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


class TestCroissantMetadata:
    def test_validates_without_warnings(self, corpus: Path, caplog) -> None:
        """mlcroissant validates croissant.json and logs no warning."""
        with caplog.at_level(logging.WARNING):
            mlc.Dataset(jsonld=str(corpus / layout.CROISSANT))
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warnings == []

    def test_declares_both_conformances_url_date_and_licence_urls(self, metadata) -> None:
        """Croissant 1.0 and RAI 1.0, the url and datePublished it requires, licences as URLs."""
        assert metadata["conformsTo"] == [
            "http://mlcommons.org/croissant/1.0",
            "http://mlcommons.org/croissant/RAI/1.0",
        ]
        assert metadata["url"] and metadata["datePublished"]
        urls = [item["url"] for item in metadata["license"]]
        assert "https://creativecommons.org/licenses/by/4.0/" in urls and "LICENSE" in urls

    def test_timeframe_is_the_range_the_articles_state_under_both_spellings(
        self, corpus: Path, metadata
    ) -> None:
        """Both key spellings hold [first, last] of every date the articles state."""
        dates = set()
        for row in parquet_rows(corpus, "documents"):
            dates |= {row[k][:10] for k in ("published_at", "updated_at") if row[k]}
            dates |= {u["timestamp"][:10] for u in row["updates"] if u["timestamp"]}
            dates |= {row["story_key"][:10]} if row["story_key"] else set()
        expected = [min(dates), max(dates)]
        assert expected[0] < expected[1]  # a range, not one instant
        assert metadata["rai:dataCollectionTimeframe"] == expected
        assert metadata["rai:dataCollectionTimeFrame"] == expected

    def test_every_column_is_a_field_and_ner_tags_have_names(self, corpus: Path, metadata) -> None:
        """Each config's columns are fields (records with sub-fields); tag names are listed."""
        sets = {r["@id"]: r for r in metadata["recordSet"]}
        for folder in sorted((corpus / layout.DATA).iterdir()):
            schema = pq.read_schema(next(folder.glob("*.parquet")))
            assert [f["name"] for f in sets[folder.name]["field"]] == schema.names
        documents = {f["name"]: f for f in sets["documents"]["field"]}
        assert [f["name"] for f in documents["spans"]["subField"]][:3] == [
            "span_id",
            "start",
            "end",
        ]
        names = pq.read_schema(next((corpus / "data" / "ner").glob("*.parquet")))
        features = json.loads(names.metadata[b"huggingface"])["info"]["features"]
        tag_names = features["ner_tags"]["feature"]["names"]
        data = sets["ner_tags_names"]["data"]
        assert [d["ner_tags_names/name"] for d in data] == tag_names
        ner_tags = next(f for f in sets["ner"]["field"] if f["name"] == "ner_tags")
        assert "1=B-PERSON" in ner_tags["description"]


def _configs(corpus: Path) -> list[str]:
    return sorted(p.name for p in (corpus / layout.DATA).iterdir())


class TestCroissantRecords:
    @pytest.mark.parametrize("config", _configs(REPO / "corpus"))
    def test_records_are_the_parquet_rows(self, corpus: Path, config: str) -> None:
        """mlcroissant reads every record set's records, equal to the config's Parquet rows.

        mlcroissant 1.1 returns a list of records nested in another list of records (BigBio's
        `normalized`, an event's `arguments` and `trigger`) beside its parent, one record per
        parent element: those are checked to be as empty as the Parquet says they are.
        """
        dataset = mlc.Dataset(jsonld=str(corpus / layout.CROISSANT))
        loaded, deeper = [], []
        for record in dataset.records(config):
            top = {k: v for k, v in record.items() if k.count("/") == 1}
            loaded.append(plain(top))
            deeper += [plain(v) for k, v in record.items() if k.count("/") > 1]
        expected = parquet_rows(corpus, config)
        schema = pq.read_schema(next(layout.config_dir(corpus, config).glob("*.parquet")))
        assert sorted(map(key, loaded)) == sorted(map(key, _without_deeper(expected, schema)))
        # What mlcroissant cannot place is empty in the Parquet too.
        for row in expected:
            for column, members in _deeper_fields(schema).items():
                assert all(_empty_or_none(e[m]) for e in row[column] for m in members)
        assert all(_empty(v) for v in deeper)

    def test_tag_names_record_set_reads_back(self, corpus: Path) -> None:
        """The inline ner_tags_names record set yields index -> name."""
        dataset = mlc.Dataset(jsonld=str(corpus / layout.CROISSANT))
        records = [plain(r) for r in dataset.records("ner_tags_names")]
        assert records[0] == {"index": 0, "name": "O"}


def _deeper_fields(schema: pa.Schema) -> dict[str, set[str]]:
    """RETURNS (dict): Column -> members of its records that are records or lists of them."""
    out: dict[str, set[str]] = {}
    for f in schema:
        inner = f.type.value_type if pa.types.is_list(f.type) else f.type
        if pa.types.is_struct(inner):
            for child in (inner.field(i) for i in range(inner.num_fields)):
                t = child.type.value_type if pa.types.is_list(child.type) else child.type
                if pa.types.is_struct(t):
                    out.setdefault(f.name, set()).add(child.name)
    return out


def _without_deeper(rows: list[dict[str, Any]], schema: pa.Schema) -> list[dict[str, Any]]:
    """Rows with records nested in records dropped (they are checked apart)."""
    deeper = _deeper_fields(schema)
    out = []
    for row in rows:
        kept = dict(row)
        for column, members in deeper.items():
            kept[column] = [{k: v for k, v in e.items() if k not in members} for e in row[column]]
        out.append(kept)
    return out


def _empty_or_none(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty_or_none(v) for v in value.values())
    return value is None or value == []


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(_empty(v) for v in value)
    return value is None
