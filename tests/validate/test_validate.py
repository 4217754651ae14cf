"""Validation: a valid corpus passes, and each rule catches the corruption it names."""

from __future__ import annotations

import functools
import hashlib
import importlib.abc
import importlib.util
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from summit_corpus.build.ingest import rebuild_raw
from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.publish import documents_config, ner_config, ner_labels
from summit_corpus.validate import (
    DEFINITIONS,
    NESTED_TABLES,
    RULES,
    Failure,
    ValidationReport,
    check_manifest,
    column_schema,
    count_failures_plain,
    validate_corpus,
    validate_tables,
)

VOCABULARIES: dict[str, Any] = {
    "span_labels": ["PERSON", "ORG", "GPE", "LOC", "NORP", "DATE", "EVENT", "QUOTE"],
    "relation_labels": ["speaker", "affiliation", "participant", "date", "location"],
    "document_label_names": ["summit_status", "topics"],
    "document_label_values": ["proposed", "held", "no_plans", "diplomacy", "security"],
    "relation_endpoints": {
        "speaker": (["QUOTE"], ["PERSON", "ORG", "GPE"]),
        "participant": (["PERSON", "GPE", "ORG"], ["EVENT"]),
        "date": (["EVENT"], ["DATE"]),
        "affiliation": (["PERSON"], ["ORG", "GPE", "NORP"]),
        "location": (["EVENT"], ["GPE", "LOC"]),
    },
    "label_values": {
        "summit_status": ["proposed", "held", "no_plans"],
        "topics": ["diplomacy", "security"],
    },
    "single_choice": ["summit_status"],
}

# Two documents; sentences joined by the separators after them. Emoji (one of them two code
# points), curly quotes and CRLF line ends make code point offsets differ from byte offsets.
DOCS = {
    "a/one": [
        ("Putin 👋 met Biden in Geneva.", "\r\n"),
        ("The “summit” was held on Tuesday.", " "),
        ("🇷🇺 Peskov said: “No plans.”", "\r\n"),
    ],
    "b/two": [
        ("Biden said talks will go on.", "\r\n\r\n"),
        ("Moscow agreed.", ""),
    ],
}
# Publication time as stated (local, with offset) and in UTC.
STATED = {"b/two": (datetime(2021, 4, 15, 6, 36, tzinfo=UTC), "2021-04-15T12:06:00+05:30")}
# A dated update section: from its header line to the end of the text.
UPDATES = {
    "b/two": lambda text: [
        {
            "timestamp": "2021-04-15",
            "start": text.index("Moscow"),
            "end": len(text),
            "heading": None,
        }
    ]
}
TOKEN = re.compile(r"\w+|[^\w\s]")
ANNOTATION = "ann-1"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _span(
    doc_id: str, text: str, span_id: str, surface: str, label: str, nth: int = 0, **extra: Any
) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    row = {
        "doc_id": doc_id,
        "span_id": span_id,
        "start": start,
        "end": start + len(surface),
        "text": surface,
        "label": label,
        "layer": "prediction",
        "source": "test",
        "score": None,
        "annotator": None,
        "annotation_id": None,
    }
    row.update(extra)
    return row


def _relation(
    doc_id: str, rid: str, head: str, tail: str, label: str, **extra: Any
) -> dict[str, Any]:
    row = {
        "doc_id": doc_id,
        "relation_id": rid,
        "head_span_id": head,
        "tail_span_id": tail,
        "label": label,
        "layer": "prediction",
        "source": "test",
        "score": None,
        "annotator": None,
        "annotation_id": None,
    }
    row.update(extra)
    return row


def make_tables() -> dict[str, pa.Table]:
    """RETURNS (dict[str, pa.Table]): A small valid corpus, every table, built from tables.py."""
    documents, sentences, tokens = [], [], []
    for doc_id, parts in DOCS.items():
        text = "".join(s + sep for s, sep in parts)
        documents.append(
            {
                "doc_id": doc_id,
                "source_file": f"{doc_id}.txt",
                "source_sha256": _sha("raw" + text),
                "text_sha256": _sha(text),
                "text": text,
                "title": "Title",
                "standfirst": None,
                "published_at": STATED.get(doc_id, (None, None))[0],
                "published_at_local": STATED.get(doc_id, (None, None))[1],
                "updated_at": None,
                "updated_at_local": None,
                "byline": ["Ann Writer"],
                "credits": [],
                "updates": UPDATES.get(doc_id, lambda text: [])(text),
                "removed_lines": [
                    {
                        "line_no": 1,
                        "text": "Advertisement",
                        "reason": "furniture",
                        "newline": "\r\n",
                    }
                ],
                "final_newline": "",
                "has_bom": False,
            }
        )
        documents[-1]["source_sha256"] = hashlib.sha256(rebuild_raw(documents[-1])).hexdigest()
        offset, tid = 0, 0
        for sid, (sentence, sep) in enumerate(parts):
            sentences.append(
                {
                    "doc_id": doc_id,
                    "sentence_id": sid,
                    "start": offset,
                    "end": offset + len(sentence),
                    "text": sentence,
                }
            )
            first = tid
            matches = list(TOKEN.finditer(sentence))
            for m in matches:
                start, end = offset + m.start(), offset + m.end()
                tokens.append(
                    {
                        "doc_id": doc_id,
                        "token_id": tid,
                        "sentence_id": sid,
                        "start": start,
                        "end": end,
                        "text": m.group(),
                        "lemma": m.group().lower(),
                        "pos": "X",
                        "tag": "XX",
                        "dep": "ROOT" if tid == first else "dep",
                        "head_token_id": first,
                        "whitespace": "",
                    }
                )
                tid += 1
            offset += len(sentence) + len(sep)
        doc_tokens = [t for t in tokens if t["doc_id"] == doc_id]
        for i, t in enumerate(doc_tokens):
            following = doc_tokens[i + 1]["start"] if i + 1 < len(doc_tokens) else len(text)
            t["whitespace"] = text[t["end"] : following]
    text_a = documents[0]["text"]
    text_b = documents[1]["text"]
    spans = [
        _span("a/one", text_a, "s1", "Putin", "PERSON"),
        _span("a/one", text_a, "s2", "Biden", "PERSON"),
        _span("a/one", text_a, "s3", "Geneva", "GPE"),
        _span("a/one", text_a, "s4", "summit", "EVENT"),
        _span("a/one", text_a, "s5", "Tuesday", "DATE"),
        _span("a/one", text_a, "s6", "Peskov", "PERSON"),
        _span("a/one", text_a, "s7", "No plans.", "QUOTE"),
        _span(
            "a/one",
            text_a,
            "h1",
            "Peskov",
            "PERSON",
            layer="human",
            source="label-studio",
            annotator="ann01",
            annotation_id=ANNOTATION,
        ),
        _span(
            "a/one",
            text_a,
            "h2",
            "No plans.",
            "QUOTE",
            layer="human",
            source="label-studio",
            annotator="ann01",
            annotation_id=ANNOTATION,
        ),
        _span("b/two", text_b, "s1", "Moscow", "GPE"),
    ]
    relations = [
        _relation("a/one", "r1", "s7", "s6", "speaker"),
        _relation("a/one", "r2", "s1", "s4", "participant"),
        _relation("a/one", "r3", "s4", "s5", "date"),
        _relation(
            "a/one",
            "r4",
            "h2",
            "h1",
            "speaker",
            layer="human",
            source="label-studio",
            annotator="ann01",
            annotation_id=ANNOTATION,
        ),
    ]
    document_labels = [
        {
            "doc_id": "a/one",
            "name": "summit_status",
            "value": "held",
            "layer": "prediction",
            "source": "test",
            "score": None,
            "annotator": None,
            "annotation_id": None,
        },
        {
            "doc_id": "a/one",
            "name": "topics",
            "value": "diplomacy",
            "layer": "prediction",
            "source": "test",
            "score": None,
            "annotator": None,
            "annotation_id": None,
        },
        {
            "doc_id": "a/one",
            "name": "topics",
            "value": "security",
            "layer": "prediction",
            "source": "test",
            "score": None,
            "annotator": None,
            "annotation_id": None,
        },
        {
            "doc_id": "b/two",
            "name": "summit_status",
            "value": "no_plans",
            "layer": "human",
            "source": "label-studio",
            "score": None,
            "annotator": "ann01",
            "annotation_id": "ann-2",
        },
    ]
    annotations = [
        {
            "doc_id": "a/one",
            "annotation_id": ANNOTATION,
            "task_id": 1,
            "text_sha256": _sha(text_a),
            "annotator": "ann01",
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": 12.5,
            "created_at": None,
            "updated_at": None,
            "stale": False,
        },
        {
            "doc_id": "b/two",
            "annotation_id": "ann-2",
            "task_id": 2,
            "text_sha256": _sha(text_b),
            "annotator": "ann01",
            "was_cancelled": False,
            "ground_truth": False,
            "lead_time": None,
            "created_at": None,
            "updated_at": None,
            "stale": False,
        },
    ]
    notes = [
        {
            "doc_id": "a/one",
            "annotation_id": ANNOTATION,
            "result_index": 0,
            "kind": "note",
            "from_name": "note",
            "text": "fine",
            "raw_json": "{}",
            "annotator": "ann01",
        },
    ]
    rows = {
        "documents": documents,
        "sentences": sentences,
        "tokens": tokens,
        "spans": spans,
        "relations": relations,
        "document_labels": document_labels,
        "annotations": annotations,
        "annotation_notes": notes,
    }
    built = {name: T.table(name).from_rows(r) for name, r in rows.items()}
    built["split_assignment"] = T.SPLIT_ASSIGNMENT.from_rows(
        [
            {"doc_id": d, "split": SPLIT_OF_DOC[d], "group_id": d, "group_size": 1,
             "story_key": None, "near_duplicate_of": None, "near_duplicate_jaccard": None,
             "grouped_by": []}
            for d in DOCS
        ]
    )  # fmt: skip
    built["ner"] = ner_config(built, ner_labels(load_scheme_stub())).table
    # The documents config nests every annotation table: here, copies of the flat tables.
    for name in NESTED_TABLES:
        built[f"nested:{name}"] = built[name]
    return built


class load_scheme_stub:  # noqa: N801 - stands in for scheme.load_scheme() in publish calls
    """The fixture's vocabularies in the shape publish.ner_labels reads."""

    @staticmethod
    def vocabularies() -> dict[str, Any]:
        return VOCABULARIES


SPLIT_OF_DOC = {"a/one": "train", "b/two": "test"}


def split_arrays(tables: dict[str, pa.Table]) -> dict[str, pa.Array]:
    return {
        name: pa.array(
            [SPLIT_OF_DOC.get(d, "train") for d in t.column("doc_id").to_pylist()], pa.string()
        )
        for name, t in tables.items()
        if not name.startswith("nested:")
    }


def run(
    tables: dict[str, pa.Table],
    splits: dict[str, pa.Array] | None = None,
    vocabularies: dict[str, Any] | None = None,
    plain: bool = False,
) -> Any:
    """Validate fixture tables ('nested:<name>' keys are the documents config's records)."""
    flat = {k: v for k, v in tables.items() if not k.startswith("nested:")}
    nested = {k.split(":", 1)[1]: v for k, v in tables.items() if k.startswith("nested:")}
    splits = splits if splits is not None else split_arrays(flat)
    vocabularies = vocabularies if vocabularies is not None else VOCABULARIES
    if plain:
        return count_failures_plain(flat, splits, vocabularies, nested=nested)
    return validate_tables(flat, splits, vocabularies, nested=nested)


def validate(
    tables: dict[str, pa.Table], splits: dict[str, pa.Array] | None = None
) -> ValidationReport:
    return run(tables, splits)  # type: ignore[no-any-return]


def rules_of(report: ValidationReport) -> set[tuple[str, str]]:
    return {(f.table, f.rule) for f in report.failures}


def edit(
    tables: dict[str, pa.Table], name: str, change: Callable[[list[dict[str, Any]]], None]
) -> dict[str, pa.Table]:
    """RETURNS: A copy of `tables` with table `name`'s rows changed in place by `change`."""
    rows = tables[name].to_pylist()
    change(rows)
    out = dict(tables)
    out[name] = pa.Table.from_pylist(rows, schema=DEFINITIONS[name.split(":")[-1]].schema)
    return out


def set_field(
    name: str, index: int, column: str, value: Any
) -> Callable[[dict[str, pa.Table]], dict[str, pa.Table]]:
    def corrupt(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
        def change(rows: list[dict[str, Any]]) -> None:
            rows[index][column] = value

        return edit(tables, name, change)

    return corrupt


def _row(tables: dict[str, pa.Table], table_name: str, **match: Any) -> int:
    for i, row in enumerate(tables[table_name].to_pylist()):
        if all(row[k] == v for k, v in match.items()):
            return i
    raise LookupError(match)


@pytest.fixture()
def valid() -> dict[str, pa.Table]:
    return make_tables()


class TestValidCorpus:
    def test_valid_tables_pass(self, valid: dict[str, pa.Table]) -> None:
        """The fixture corpus, with emoji and CRLF, breaks no rule."""
        report = validate(valid)
        assert report.failures == (), report.lines()
        assert report.ok

    def test_fixture_offsets_differ_from_bytes(self, valid: dict[str, pa.Table]) -> None:
        """The fixture really exercises code point offsets (multi-byte text before spans)."""
        text = valid["documents"].column("text")[0].as_py()
        assert len(text.encode("utf-8")) > len(text)
        assert "\r\n" in text

    def test_a_missing_pyspark_is_looked_for_once(self, valid: dict[str, pa.Table]) -> None:
        """pandera's column check imports its optional pyspark engine on every column; without
        pyspark, validating never asks the import system for it again after the first try."""
        if importlib.util.find_spec("pyspark") is not None:
            pytest.skip("pyspark is installed: its engine imports, and stays imported")
        assert validate(valid).ok  # the first try
        looked_for: list[str] = []

        class Recorder(importlib.abc.MetaPathFinder):
            def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
                if name.startswith(("pyspark", "pandera.engines.pyspark")):
                    looked_for.append(name)

        sys.meta_path.insert(0, Recorder())
        try:
            for _ in range(2):
                assert validate(valid).ok
        finally:
            sys.meta_path.pop(0)
        assert looked_for == []

    def test_every_row_reported(self, valid: dict[str, pa.Table]) -> None:
        """Every failing row gets its own failure, not only the first."""
        tokens = valid["tokens"]
        broken = dict(valid)
        broken["tokens"] = tokens.set_column(
            tokens.schema.get_field_index("text"),
            "text",
            pa.array(["x"] * tokens.num_rows, pa.string()),
        )
        failures = [f for f in validate(broken).failures if f.rule == "surface_matches_text"]
        assert len(failures) == tokens.num_rows - sum(
            1 for t in tokens.column("text").to_pylist() if t == "x"
        )

    def test_failure_names_table_row_rule_value(self, valid: dict[str, pa.Table]) -> None:
        """A failure names its table, the row's ids, the rule and the offending value."""
        i = _row(valid, "tokens", doc_id="a/one", text="Biden")
        broken = set_field("tokens", i, "text", "Bidem")(valid)
        [failure] = [f for f in validate(broken).failures if f.rule == "surface_matches_text"]
        assert failure.table == "tokens"
        assert failure.row == {"doc_id": "a/one", "token_id": 3}
        assert failure.value["text"] == "Bidem" and failure.value["expected"] == "Biden"
        assert "tokens [doc_id='a/one', token_id=3]" in failure.message
        assert "rule 'surface_matches_text'" in failure.message
        assert '"Bidem"' in failure.message


# Each case: (rule, table the failure is in, corruption). One case per rule.
CORRUPTIONS: list[tuple[str, str, Callable[[dict[str, pa.Table]], dict[str, pa.Table]]]] = []


def case(
    rule: str, table: str
) -> Callable[[Callable[[dict[str, pa.Table]], dict[str, pa.Table]]], Any]:
    def register(fn: Callable[[dict[str, pa.Table]], dict[str, pa.Table]]) -> Any:
        CORRUPTIONS.append((rule, table, fn))
        return fn

    return register


@case("column_present", "tokens")
def _drop_column(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {**t, "tokens": t["tokens"].drop_columns(["lemma"])}


@case("unknown_column", "sentences")
def _extra_column(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    s = t["sentences"]
    return {**t, "sentences": s.append_column("mood", pa.array(["calm"] * s.num_rows))}


@case("dtype", "tokens")
def _wrong_type(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    tok = t["tokens"]
    i = tok.schema.get_field_index("start")
    return {**t, "tokens": tok.set_column(i, "start", pc.cast(tok.column("start"), pa.int64()))}


@case("not_null", "spans")
def _null_label(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("spans", 0, "label", None)(t)


@case("min_value", "sentences")
def _negative_id(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("sentences", 0, "sentence_id", -1)(t)


@case("allowed_values", "spans")
def _bad_layer(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("spans", 0, "layer", "gold")(t)


@case("in_vocabulary", "spans")
def _unknown_label(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("spans", 0, "label", "PRESIDENT")(t)


@case("pattern", "documents")
def _bad_sha_pattern(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("documents", 0, "source_sha256", "ABC")(t)


@case("unique_key", "tokens")
def _duplicate_id(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("tokens", 1, "token_id", 0)(t)


@case("start_before_end", "spans")
def _empty_span(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["end"] = rows[0]["start"]
        rows[0]["text"] = ""

    return edit(t, "spans", change)


@case("text_sha256_matches", "documents")
def _stale_hash(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("documents", 0, "text_sha256", _sha("other"))(t)


@case("updates_in_text", "documents")
def _update_outside(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field(
        "documents",
        1,
        "updates",
        [{"timestamp": "2021", "start": 10, "end": 10_000, "heading": None}],
    )(t)


@case("update_sections_match_text", "documents")
def _update_ends_early(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    text = t["documents"].column("text")[1].as_py()
    section = {"timestamp": "2021", "start": text.index("Moscow"), "end": len(text) - 1}
    return set_field("documents", 1, "updates", [{**section, "heading": None}])(t)


@case("removed_line_numbers_unique", "documents")
def _repeated_line(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    line = {"line_no": 3, "text": "x", "reason": "furniture", "newline": "\n"}
    return set_field("documents", 0, "removed_lines", [line, line])(t)


@case("nested_not_null", "documents")
def _null_nested(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    line = {"line_no": 3, "text": None, "reason": "furniture", "newline": "\n"}
    return set_field("documents", 0, "removed_lines", [line])(t)


@case("whitespace_is_space", "tokens")
def _letters_in_whitespace(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("tokens", 0, "whitespace", " x")(t)


@case("document_exists", "spans")
def _orphan_span(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("spans", 0, "doc_id", "c/ghost")(t)


@case("offsets_in_text", "spans")
def _span_past_end(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "spans", doc_id="b/two")

    def change(rows: list[dict[str, Any]]) -> None:
        rows[i]["start"], rows[i]["end"] = 1000, 1006

    return edit(t, "spans", change)


@case("surface_matches_text", "spans")
def _changed_surface(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("spans", 0, "text", "Putih")(t)


@case("ids_consecutive", "tokens")
def _gap_in_ids(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        last = max(i for i, r in enumerate(rows) if r["doc_id"] == "b/two")
        rows[last]["token_id"] += 5

    return edit(t, "tokens", change)


@case("sentences_no_overlap", "sentences")
def _overlapping_sentences(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        # Start the second sentence inside the first; its text follows the new start.
        text = t["documents"].column("text")[0].as_py()
        rows[1]["start"] = rows[0]["end"] - 3
        rows[1]["text"] = text[rows[1]["start"] : rows[1]["end"]]

    return edit(t, "sentences", change)


@case("sentence_gaps_are_space", "sentences")
def _text_outside_sentences(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["end"] -= 1  # the final "." is now in no sentence
        rows[0]["text"] = rows[0]["text"][:-1]

    return edit(t, "sentences", change)


@case("sentence_exists", "tokens")
def _orphan_token(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("tokens", 0, "sentence_id", 42)(t)


@case("token_in_sentence", "tokens")
def _token_in_wrong_sentence(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("tokens", 0, "sentence_id", 1)(t)


@case("tokens_no_overlap", "tokens")
def _overlapping_tokens(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[1]["start"] = rows[0]["start"] + 1
        text = t["documents"].column("text")[0].as_py()
        rows[1]["text"] = text[rows[1]["start"] : rows[1]["end"]]

    return edit(t, "tokens", change)


@case("tokens_rebuild_text", "tokens")
def _lost_whitespace(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "tokens", doc_id="a/one", text="Geneva")
    return set_field("tokens", i + 1, "whitespace", " ")(t)  # the "." before "\r\n"


@case("head_token_exists", "tokens")
def _dangling_head(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("tokens", 0, "head_token_id", 999)(t)


@case("head_in_sentence", "tokens")
def _head_elsewhere(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "tokens", doc_id="a/one", sentence_id=1)
    return set_field("tokens", 0, "head_token_id", i)(t)


@case("span_on_token_boundaries", "spans")
def _split_token(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["end"] -= 1
        rows[0]["text"] = rows[0]["text"][:-1]

    return edit(t, "spans", change)


@case("head_span_exists", "relations")
def _dangling_head_span(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("relations", 0, "head_span_id", "s99")(t)


@case("tail_span_exists", "relations")
def _dangling_tail_span(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("relations", 0, "tail_span_id", "s99")(t)


@case("endpoint_same_layer", "relations")
def _cross_layer(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "relations", relation_id="r4")
    return set_field("relations", i, "tail_span_id", "s6")(t)


@case("endpoint_labels_allowed", "relations")
def _speaker_of_date(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "relations", relation_id="r1")
    return set_field("relations", i, "tail_span_id", "s5")(t)


@case("value_of_label", "document_labels")
def _value_of_other_label(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "document_labels", name="summit_status", doc_id="a/one")
    return set_field("document_labels", i, "value", "security")(t)


@case("single_choice", "document_labels")
def _two_statuses(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows.append({**rows[0], "value": "proposed"})

    return edit(t, "document_labels", change)


@case("annotation_exists", "spans")
def _unknown_annotation(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    i = _row(t, "spans", span_id="h1")
    return set_field("spans", i, "annotation_id", "ann-404")(t)


@case("vocabulary_missing", "relations")
def _no_vocabulary(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return t  # the test below drops the vocabulary instead


@case("rows_sorted", "tokens")
def _swapped_rows(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0], rows[1] = rows[1], rows[0]

    out = edit(t, "tokens", change)
    out["nested:tokens"] = out["tokens"]
    return out


@case("source_rebuilds", "documents")
def _changed_line_end(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("documents", 1, "final_newline", "\n")(t)


@case("nested_matches_table", "tokens")
def _nested_lemma(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("nested:tokens", 2, "lemma", "meeted")(t)


@case("assigned_split_matches_file", "split_assignment")
def _assigned_elsewhere(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("split_assignment", 0, "split", "validation")(t)


@case("group_in_one_split", "split_assignment")
def _group_across_splits(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[1]["group_id"] = rows[0]["group_id"]
        rows[0]["group_size"] = rows[1]["group_size"] = 2

    return edit(t, "split_assignment", change)


@case("group_size_matches", "split_assignment")
def _wrong_group_size(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("split_assignment", 0, "group_size", 3)(t)


@case("ner_matches_tables", "ner")
def _wrong_ner_tag(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["ner_tags"] = [0] * len(rows[0]["ner_tags"])

    return edit(t, "ner", change)


# Tags of the fixture: O=0, B-PERSON=1, I-PERSON=2, B-ORG=3, I-ORG=4, B-GPE=5, I-GPE=6, ...
@case("ner_iob2_valid", "ner")
def _sentence_starts_inside(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    def change(rows: list[dict[str, Any]]) -> None:
        rows[0]["ner_tags"] = [6, *rows[0]["ner_tags"][1:]]  # I-GPE on "Putin"

    return edit(t, "ner", change)


@case("stated_time_matches", "documents")
def _utc_not_local(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("documents", 1, "published_at", datetime(2021, 4, 15, 12, 6, tzinfo=UTC))(t)


@case("stale_flag_matches", "annotations")
def _stale_flag(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("annotations", 0, "stale", True)(t)


@case("root_heads_itself", "tokens")
def _root_with_head(t: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return set_field("tokens", 0, "head_token_id", 1)(t)


@functools.cache
def corrupted(rule: str) -> tuple[dict[str, pa.Table], dict[str, Any], ValidationReport]:
    """RETURNS: The fixture corpus broken by `rule`'s corruption, its vocabularies, its report.

    Cached: the pandera run of each corruption is shared by the tests that look at it.
    """
    [corrupt] = [c[2] for c in CORRUPTIONS if c[0] == rule]
    vocabularies = dict(VOCABULARIES)
    if rule == "vocabulary_missing":
        del vocabularies["relation_labels"]
    broken = corrupt(make_tables())
    return broken, vocabularies, run(broken, vocabularies=vocabularies)


class TestRules:
    @pytest.mark.parametrize(
        ("rule", "table"), [c[:2] for c in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS]
    )
    def test_corruption_fails_with_rule(self, rule: str, table: str) -> None:
        """Each corruption makes validation fail with its rule's name on its table."""
        _, _, report = corrupted(rule)
        assert not report.ok
        assert (table, rule) in rules_of(report), report.lines()
        assert all(f.rule in RULES for f in report.failures)

    def test_every_rule_has_a_corruption(self) -> None:
        """Every table rule is tripped by a corruption here (folder rules: TestCorpusFolder;
        bigbio_matches_documents: tests/validate/test_validate_bigbio.py)."""
        folder_rules = {
            "table_present",
            "parquet_readable",
            "split_name",
            "manifest_present",
            "manifest_hash_matches",
            "manifest_lists_file",
            "manifest_file_exists",
            "document_in_one_split",
            "split_matches_document",
            "check_error",
            "card_yaml",  # the card rules: tests/validate/test_faults_validate.py
            "card_configs_match",
            "bigbio_matches_documents",
        }
        assert set(RULES) - folder_rules == {c[0] for c in CORRUPTIONS}


class TestIob2:
    @staticmethod
    def _tags(valid: dict[str, pa.Table], tags: list[int]) -> ValidationReport:
        def change(rows: list[dict[str, Any]]) -> None:
            rows[0]["ner_tags"] = tags

        return validate(edit(valid, "ner", change))

    def test_sentence_start_names_the_token(self, valid: dict[str, pa.Table]) -> None:
        """An I- tag on a sentence's first token fails, naming the token and 'sentence start'."""
        report = self._tags(valid, [6, 0, 0, 1, 0, 5, 0])
        (failure,) = [f for f in report.failures if f.rule == "ner_iob2_valid"]
        assert failure.value["tokens"] == [
            {"position": 0, "token": "Putin", "tag": "I-GPE", "after": "sentence start"}
        ]

    def test_inside_tag_after_another_entity_fails(self, valid: dict[str, pa.Table]) -> None:
        """I-PERSON right after B-GPE is not IOB2."""
        report = self._tags(valid, [1, 0, 0, 1, 0, 5, 2])
        assert ("ner", "ner_iob2_valid") in rules_of(report)

    def test_inside_tag_after_its_begin_passes(self, valid: dict[str, pa.Table]) -> None:
        """B-GPE I-GPE is IOB2 (the row then differs from the tables, a different rule)."""
        report = self._tags(valid, [1, 0, 0, 1, 0, 5, 6])
        assert ("ner", "ner_iob2_valid") not in rules_of(report)
        assert ("ner", "ner_matches_tables") in rules_of(report)


class TestSplits:
    def test_document_in_two_splits(self, valid: dict[str, pa.Table]) -> None:
        """A document whose rows are in two split files fails 'document_in_one_split'."""
        docs = valid["documents"]
        doubled = {**valid, "documents": pa.concat_tables([docs, docs.slice(0, 1)])}
        splits = split_arrays(valid)
        splits["documents"] = pa.array(["train", "test", "test"])
        report = validate(doubled, splits)
        assert ("documents", "document_in_one_split") in rules_of(report)

    def test_row_in_other_split_than_its_document(self, valid: dict[str, pa.Table]) -> None:
        """A token filed under another split than its document fails 'split_matches_document'."""
        splits = split_arrays(valid)
        tokens = splits["tokens"].to_pylist()
        tokens[0] = "validation"
        splits["tokens"] = pa.array(tokens)
        report = validate(valid, splits)
        assert [(f.table, f.rule, f.row) for f in report.failures] == [
            ("tokens", "split_matches_document", {"doc_id": "a/one", "token_id": 0})
        ]


def write_corpus(root: Path, tables: dict[str, pa.Table]) -> Path:
    """Write tables as a corpus folder, one file per split, with its manifest; RETURNS it."""
    flat = {k: v for k, v in tables.items() if not k.startswith("nested:")}
    if "split_assignment" in flat:
        assignment = flat.pop("split_assignment")
        flat["documents"] = documents_config(flat, assignment)
    for name, table in flat.items():
        splits = [SPLIT_OF_DOC.get(d, "train") for d in table.column("doc_id").to_pylist()]
        for split in sorted(set(splits)):
            mask = pa.array([s == split for s in splits])
            io.write_parquet(layout.split_file(root, name, split), table.filter(mask))
    io.write_text(root / layout.CARD, "# card\n")
    write_manifest(root)
    return root


def write_manifest(root: Path) -> None:
    files = [p for p in root.rglob("*") if p.is_file() and p.name != layout.MANIFEST]
    io.write_json(root / layout.MANIFEST, io.file_manifest(root, files))


class TestCorpusFolder:
    def test_valid_folder_passes(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A corpus folder written from the valid tables passes, manifest included."""
        report = validate_corpus(write_corpus(tmp_path, valid), VOCABULARIES)
        assert report.ok, report.lines()
        assert report.rows["tokens"] == valid["tokens"].num_rows

    def test_documents_config_with_nested_tables_passes(
        self, tmp_path: Path, valid: dict[str, pa.Table]
    ) -> None:
        """The published documents config (assignment and nested records) is read and passes."""
        root = write_corpus(tmp_path, valid)
        names = pq.read_schema(layout.split_file(root, "documents", "train")).names
        assert {"split", "group_id", "tokens", "spans"} <= set(names)
        report = validate_corpus(root, VOCABULARIES)
        assert report.ok, report.lines()
        assert report.rows["split_assignment"] == 2

    def test_manifest_catches_changed_file(
        self, tmp_path: Path, valid: dict[str, pa.Table]
    ) -> None:
        """A data file changed after the build fails 'manifest_hash_matches', once: its rows
        are not decoded (a damaged page would only repeat that the file changed; with the
        manifest rewritten to match, the content rules run, see the next test)."""
        root = write_corpus(tmp_path, valid)
        broken = set_field("spans", 0, "text", "Putih")(valid)
        io.write_parquet(
            layout.split_file(root, "spans", "train"),
            broken["spans"].filter(pc.equal(broken["spans"].column("doc_id"), "a/one")),
        )
        report = validate_corpus(root, VOCABULARIES)
        assert rules_of(report) == {("manifest", "manifest_hash_matches")}

    def test_content_rule_fails_with_rewritten_manifest(
        self, tmp_path: Path, valid: dict[str, pa.Table]
    ) -> None:
        """With the manifest rewritten to match a corrupted file, the content rule still fails."""
        root = write_corpus(tmp_path, valid)
        broken = set_field("spans", 0, "text", "Putih")(valid)
        io.write_parquet(
            layout.split_file(root, "spans", "train"),
            broken["spans"].filter(pc.equal(broken["spans"].column("doc_id"), "a/one")),
        )
        write_manifest(root)
        assert check_manifest(root) == []
        report = validate_corpus(root, VOCABULARIES)
        # The documents config still nests the old span: that is a failure too.
        assert rules_of(report) == {
            ("spans", "surface_matches_text"),
            ("spans", "nested_matches_table"),
        }
        [failure] = [f for f in report.failures if f.rule == "surface_matches_text"]
        assert failure.file == "data/spans/train-00000-of-00001.parquet"

    def test_missing_manifest(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A corpus without MANIFEST.json fails 'manifest_present'."""
        root = write_corpus(tmp_path, valid)
        (root / layout.MANIFEST).unlink()
        assert ("manifest", "manifest_present") in rules_of(validate_corpus(root, VOCABULARIES))

    def test_unlisted_and_missing_files(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A file not in the manifest and a manifest entry without file both fail."""
        root = write_corpus(tmp_path, valid)
        (root / "notes.txt").write_text("stray\n")
        manifest = json.loads((root / layout.MANIFEST).read_text())
        manifest["gone.json"] = "0" * 64
        (root / layout.MANIFEST).write_text(json.dumps(manifest))
        rules = rules_of(validate_corpus(root, VOCABULARIES))
        assert ("manifest", "manifest_lists_file") in rules
        assert ("manifest", "manifest_file_exists") in rules

    def test_missing_core_table(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A corpus without a tokens folder fails 'table_present'."""
        root = write_corpus(tmp_path, {k: v for k, v in valid.items() if k != "tokens"})
        assert ("tokens", "table_present") in rules_of(validate_corpus(root, VOCABULARIES))

    def test_unreadable_parquet(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A data file that is not Parquet fails 'parquet_readable'."""
        root = write_corpus(tmp_path, valid)
        layout.split_file(root, "relations", "train").write_bytes(b"not parquet")
        write_manifest(root)
        assert ("relations", "parquet_readable") in rules_of(validate_corpus(root, VOCABULARIES))

    def test_unknown_split_name(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A data file named after no known split fails 'split_name'."""
        root = write_corpus(tmp_path, valid)
        src = layout.split_file(root, "relations", "train")
        src.rename(src.with_name("dev-00000-of-00001.parquet"))
        write_manifest(root)
        assert ("relations", "split_name") in rules_of(validate_corpus(root, VOCABULARIES))


class TestReport:
    def test_text_output_caps_per_rule(self) -> None:
        """Text output shows at most `limit` failures per (table, rule) and counts the rest."""
        failures = tuple(
            Failure("tokens", {"token_id": i}, "not_null", None, f"m{i}") for i in range(5)
        )
        lines = ValidationReport(failures, {"tokens": 5}).lines(limit=2)
        assert lines[:2] == ["m0", "m1"]
        assert "... and 3 more" in lines[2]
        assert lines[-1].startswith("corpus INVALID: 5 failure(s)")

    def test_json_keeps_every_failure(self) -> None:
        """JSON output lists every failure and counts per table and rule."""
        failures = tuple(
            Failure("tokens", {"token_id": i}, "not_null", None, f"m{i}") for i in range(30)
        )
        data = ValidationReport(failures, {"tokens": 30}).to_json()
        assert len(data["failures"]) == 30
        assert data["counts"] == {"tokens": {"not_null": 30}}
        assert data["ok"] is False
        json.dumps(data)


class TestSchemas:
    @pytest.mark.parametrize("definition", T.ALL_TABLES, ids=[t.name for t in T.ALL_TABLES])
    def test_column_schema_derives_from_definition(self, definition: T.Table) -> None:
        """Every column of tables.py is in the pandera schema with its nullability."""
        schema = column_schema(definition, VOCABULARIES)
        assert list(schema.columns) == definition.names
        assert {n: c.nullable for n, c in schema.columns.items()} == {
            c.name: c.nullable for c in definition.columns
        }

    def test_empty_tables_pass(self) -> None:
        """Empty tables of every definition are valid."""
        assert validate_tables({t.name: t.empty() for t in T.ALL_TABLES}, None, VOCABULARIES).ok


STRUCTURAL = ("column_present", "unknown_column", "dtype")


class TestPlainBaseline:
    # Structural failures skip a table's row rules in both paths, but pandera reports them
    # per column and the baseline per table, so their counts are not compared.
    @pytest.mark.parametrize("rule", [c[0] for c in CORRUPTIONS if c[0] not in STRUCTURAL])
    def test_plain_counts_match_pandera(self, rule: str) -> None:
        """The plain pyarrow baseline counts the same failing rows per rule as pandera."""
        broken, vocabularies, report = corrupted(rule)
        plain = run(broken, vocabularies=vocabularies, plain=True)
        pandera_counts = {
            (t, r): n for t, rules in report.counts().items() for r, n in rules.items()
        }
        assert plain == pandera_counts


class TestDocumentsConfig:
    def test_missing_nested_column(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A published documents config without its nested tokens fails 'column_present'."""
        root = write_corpus(tmp_path, valid)
        for path in layout.config_dir(root, "documents").glob("*.parquet"):
            io.write_parquet(path, pq.read_table(path).drop_columns(["tokens"]))
        write_manifest(root)
        failures = validate_corpus(root, VOCABULARIES).failures
        assert [(f.table, f.rule, f.column) for f in failures] == [
            ("documents", "column_present", "tokens")
        ]

    def test_nested_column_of_wrong_type(self, tmp_path: Path, valid: dict[str, pa.Table]) -> None:
        """A documents config whose nested spans are not records fails 'dtype'."""
        root = write_corpus(tmp_path, valid)
        for path in layout.config_dir(root, "documents").glob("*.parquet"):
            table = pq.read_table(path)
            i = table.schema.get_field_index("spans")
            table = table.set_column(i, "spans", pa.array([["x"]] * table.num_rows))
            io.write_parquet(path, table)
        write_manifest(root)
        rules = rules_of(validate_corpus(root, VOCABULARIES))
        assert ("documents", "dtype") in rules
