"""Validate a corpus: every table, every cross-table rule, every failure.

What the stage checks: each table's columns (presence, Arrow type, nullability, bounds,
vocabularies, patterns; a pandera column schema per table), about 40 row rules within and
across tables (ids, offsets into the document text, tokens rebuilding the text, relation
endpoints, label values, splits and leakage groups, the published documents config's nested
records and the ner config), and the corpus folder (data files readable and named by split,
MANIFEST.json). Nothing stops at the first failure: every broken rule of every row is one
`Failure`, named by table, row ids, rule and value.

Where things are:

- `report`: `RULES` (every rule's stable name and message code), `Failure`, `ValidationReport`.
- `texts`: all document texts as one UTF-8 buffer, cut by code point offsets (`_Docs`).
- `arrays`: the numpy/Arrow helpers the rules share (lookups, keys, masks).
- `context`: the corpus the rules see (`_Context`), one table with its shared arrays
  (`_Frame`), and the scheme's vocabularies and label constraints (`_Scheme`).
- `rules/`: the row rules, one module per table family (documents, sentences, tokens, spans,
  relations, labels, annotations, splits, nested, ner; `common` for rules many tables share,
  `sequence` for rows in document order, `manifest` for MANIFEST.json); `rules/__init__`
  says which table gets which rules.
- `schemas`: the pandera schemas (`column_schema`, `rule_schema`).
- `run`: running the schemas and rules on tables (`validate_tables`).
- `corpus`: a corpus folder, streamed in chunks of whole documents (`validate_corpus`).
- `files`: a corpus folder's data files as read, and the folder rules on them.
- `plain`: the same checks without pandera (`count_failures_plain`, the benchmark baseline).

To add a rule: name it in `report.RULES` with a new message in core/errors.py, write its check
and detail in the family module under `rules/`, and list it in that module's rule tuple (see
`rules/__init__`). The rule names are stable (tests and users match on them).
"""

from summit_corpus.validate.context import (
    DEFINITIONS,
    EXTRA_TABLES,
    LABEL_VALUES,
    NESTED_TABLES,
    RELATION_ENDPOINTS,
    ROW,
    SINGLE_CHOICE,
)
from summit_corpus.validate.corpus import validate_corpus
from summit_corpus.validate.plain import count_failures_plain
from summit_corpus.validate.report import DEFAULT_LIMIT, RULES, Failure, ValidationReport
from summit_corpus.validate.rules import rules_for
from summit_corpus.validate.rules.manifest import check_manifest
from summit_corpus.validate.run import _validate_part as _validate_part
from summit_corpus.validate.run import nested_tables, validate_tables
from summit_corpus.validate.schemas import column_schema, rule_schema

__all__ = [
    "DEFAULT_LIMIT",
    "DEFINITIONS",
    "EXTRA_TABLES",
    "LABEL_VALUES",
    "NESTED_TABLES",
    "RELATION_ENDPOINTS",
    "ROW",
    "RULES",
    "SINGLE_CHOICE",
    "Failure",
    "ValidationReport",
    "check_manifest",
    "column_schema",
    "count_failures_plain",
    "nested_tables",
    "rule_schema",
    "rules_for",
    "validate_corpus",
    "validate_tables",
]
