"""The report: one `Failure` per rule a row breaks, and the `ValidationReport` of a corpus.

`RULES` names every rule (stable names; tests and users match on them) with its message code
in errors.Errors (E2xx). A failing row gives one `Failure` per rule it breaks, naming the
table, the row's ids, the rule and the offending value; nothing stops at the first failure.
`ValidationReport.lines` prints at most `limit` (default 20) failures per (table, rule) and
then one line saying how many more there are; `ValidationReport.to_json` keeps them all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from summit_corpus.core import tables as T
from summit_corpus.core.errors import Errors

DEFAULT_LIMIT = 20


# Every rule: name -> (message code in errors.Errors, what it checks). The names are stable
# (tests and users match on them); the README lists them from here.
RULES: dict[str, tuple[str, str]] = {
    # column schema (pandera built-ins)
    "column_present": ("E201", "every column of the table definition is present"),
    "unknown_column": ("E202", "no column outside the table definition"),
    "dtype": ("E203", "the column has the Arrow type of the table definition"),
    "not_null": ("E204", "no null in a column that is not nullable"),
    "min_value": ("E205", "integer column at least its `ge` bound"),
    "allowed_values": ("E206", "value from the column's fixed vocabulary"),
    "in_vocabulary": ("E207", "label from the annotation scheme's vocabulary"),
    "pattern": ("E208", "value matches the column's regular expression in full"),
    "vocabulary_missing": ("E209", "the scheme provides the vocabulary a column names"),
    # rule schema: one row at a time, own table
    "unique_key": ("E210", "the table's key (ids unique per document) identifies one row"),
    "start_before_end": ("E211", "start < end"),
    "text_sha256_matches": ("E212", "text_sha256 is the SHA-256 of the text"),
    "updates_in_text": ("E213", "update sections lie within the text, start < end"),
    "removed_line_numbers_unique": ("E214", "removed lines have distinct line numbers >= 1"),
    "update_sections_match_text": (
        "E249",
        "update sections are ordered, start a line, end at their last non-space character, "
        "leave only whitespace between them, and name the first line after their header",
    ),
    "nested_not_null": ("E215", "no null in a non-nullable field of a nested record"),
    "whitespace_is_space": ("E216", "a token's `whitespace` holds whitespace only"),
    "rows_sorted": ("E217", "rows are in the table's sort order within each file"),
    "stated_time_matches": (
        "E219",
        "published_at/updated_at are the UTC of the *_local time stated (null for a date only)",
    ),
    "source_rebuilds": (
        "E218",
        "text, removed lines and line ends rebuild the raw file (its source_sha256)",
    ),
    # rule schema: cross-table
    "document_exists": ("E220", "the row's doc_id is a document"),
    "offsets_in_text": ("E221", "0 <= start and end <= len(document text)"),
    "surface_matches_text": ("E222", "`text` equals the document text[start:end]"),
    "ids_consecutive": ("E223", "ids run 0, 1, 2, ... within each document"),
    "sentences_no_overlap": ("E224", "a sentence starts at or after the previous one's end"),
    "sentence_gaps_are_space": (
        "E225",
        "only whitespace before the first, between and after the last sentence",
    ),
    "sentence_exists": ("E226", "a token's sentence_id is a sentence of its document"),
    "token_in_sentence": ("E227", "a token lies inside its sentence"),
    "tokens_no_overlap": ("E228", "a token starts at or after the previous one's end"),
    "tokens_rebuild_text": (
        "E229",
        "tokens and their whitespace rebuild the text from the first token on",
    ),
    "head_token_exists": ("E230", "head_token_id is a token of the same document"),
    "head_in_sentence": ("E231", "a token's head lies in the token's sentence"),
    "span_on_token_boundaries": ("E232", "a span starts at a token start and ends at a token end"),
    "head_span_exists": ("E233", "a relation's head_span_id is a span of its document"),
    "tail_span_exists": ("E234", "a relation's tail_span_id is a span of its document"),
    "endpoint_same_layer": ("E235", "a relation's spans are in the relation's layer"),
    "endpoint_labels_allowed": ("E236", "the scheme allows the relation between these labels"),
    "value_of_label": ("E237", "a document label's value is one of that label's values"),
    "single_choice": ("E238", "a single-choice label has one value per annotation"),
    "annotation_exists": ("E239", "annotation_id is an annotation of the document"),
    "stale_flag_matches": (
        "E247",
        "an annotation is stale exactly when its text_sha256 is not the document's",
    ),
    "root_heads_itself": ("E248", "a ROOT token is its own head"),
    "document_in_one_split": ("E240", "a document is in one split only"),
    "split_matches_document": ("E241", "a row is in its document's split"),
    "assigned_split_matches_file": ("E242", "a document's `split` column names its file's split"),
    "group_in_one_split": ("E243", "a leakage group's documents share one split"),
    "group_size_matches": ("E244", "group_size is the number of documents in the group"),
    "nested_matches_table": (
        "E245",
        "the documents config's nested records equal the flat table's rows",
    ),
    "ner_matches_tables": ("E246", "the ner config equals the tokens and spans it is made from"),
    "bigbio_matches_documents": (
        "E262",
        "the bigbio_kb config equals the examples the documents config makes",
    ),
    "ner_iob2_valid": (
        "E261",
        "ner tags are IOB2: no sentence starts with I-, an I-X follows B-X or I-X",
    ),
    # corpus folder
    "table_present": ("E250", "the corpus has the core tables"),
    "parquet_readable": ("E251", "every data file is a readable Parquet file"),
    "split_name": ("E252", "data files are named <split>-*.parquet with a known split"),
    "manifest_present": ("E253", "MANIFEST.json exists and maps paths to SHA-256"),
    "manifest_hash_matches": ("E254", "every file's SHA-256 is the one in the manifest"),
    "manifest_lists_file": ("E255", "every file of the corpus is in the manifest"),
    "manifest_file_exists": ("E256", "every file in the manifest exists"),
    "check_error": ("E257", "a check ran without crashing"),
    "card_yaml": ("E258", "the dataset card's YAML header parses"),
    "card_configs_match": ("E259", "the card's configs list exactly the data files"),
}


@dataclass(frozen=True, slots=True)
class Failure:
    """One rule broken by one row (or by a file, for folder rules).

    table (str): Table name, or "manifest" / a table for folder rules.
    row (dict[str, Any]): The row's ids (its table key), or {"path": ...} for file rules.
    rule (str): Stable snake_case rule name, a key of `RULES`.
    value (Any): The offending value (JSON-serialisable).
    message (str): The full message, naming where, the rule, the value and what to do.
    column (str | None): The column the rule is about, where it is about one.
    file (str | None): The data file (relative to the corpus folder), where known.
    index (int | None): 0-based row number within `file` (or the in-memory table).
    """

    table: str
    row: dict[str, Any]
    rule: str
    value: Any
    message: str
    column: str | None = None
    file: str | None = None
    index: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "rule": self.rule,
            "value": self.value,
            "message": self.message,
            "column": self.column,
            "file": self.file,
            "index": self.index,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Every failure found in a corpus.

    failures (tuple[Failure, ...]): All failures, sorted by table, rule, file and row.
    rows (dict[str, int]): Rows checked per table.
    """

    failures: tuple[Failure, ...]
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, dict[str, int]]:
        """RETURNS (dict[str, dict[str, int]]): table -> rule -> number of failures."""
        out: dict[str, dict[str, int]] = {}
        for (table_name, rule), n in sorted(
            Counter((f.table, f.rule) for f in self.failures).items()
        ):
            out.setdefault(table_name, {})[rule] = n
        return out

    def to_json(self) -> dict[str, Any]:
        """RETURNS (dict[str, Any]): ok, rows per table, counts and every failure (uncapped)."""
        return {
            "ok": self.ok,
            "rows": dict(sorted(self.rows.items())),
            "counts": self.counts(),
            "failures": [f.to_json() for f in self.failures],
        }

    def lines(self, limit: int | None = DEFAULT_LIMIT) -> list[str]:
        """One line per failure, at most `limit` per (table, rule), then a count of the rest.

        limit (int | None): Lines per (table, rule); None prints every failure.
        RETURNS (list[str]): The lines, ending with a summary line.
        """
        out: list[str] = []
        shown: Counter[tuple[str, str]] = Counter()
        totals = Counter((f.table, f.rule) for f in self.failures)
        for f in self.failures:
            key = (f.table, f.rule)
            shown[key] += 1
            if limit is None or shown[key] <= limit:
                out.append(f.message)
            elif shown[key] == limit + 1:
                out.append(
                    f"{f.table}: rule '{f.rule}': ... and {totals[key] - limit} more "
                    "(all of them with --format json)"
                )
        checked = sum(self.rows.values())
        if self.ok:
            out.append(f"corpus valid: {checked} rows in {len(self.rows)} tables, 0 failures")
        else:
            out.append(
                f"corpus INVALID: {len(self.failures)} failure(s) of {len(totals)} "
                f"(table, rule) pair(s) in {checked} rows"
            )
        return out


def _where(definition: T.Table, row: Mapping[str, Any], file: str | None) -> str:
    ids = ", ".join(f"{k}={v!r}" for k, v in row.items())
    place = f" ({file})" if file else ""
    return f"{definition.name}{place} [{ids}]" if ids else f"{definition.name}{place}"


def _message(rule: str, where: str, value: Any, column: str | None) -> str:
    code = RULES[rule][0]
    template: str = getattr(Errors, code)
    return template.format(where=where, column=column or "", value=_short(value))


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _table_failure(
    table_name: str, rule: str, value: Any, column: str | None = None, file: str | None = None
) -> Failure:
    where = f"{table_name} ({file})" if file else table_name
    message = getattr(Errors, RULES[rule][0]).format(
        where=where, column=column or "", value=_short(value)
    )
    return Failure(table_name, {}, rule, _jsonable(value), message, column, file, None)
