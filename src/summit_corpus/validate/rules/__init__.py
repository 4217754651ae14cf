"""The row rules: which rules each table gets, in the order they run.

A table gets, in this order: the rules of its shape (`_shape_rules`: unique key, sort order,
list vocabularies, nested records), the document rules of its doc_id (`common.OFFSET_RULES`
where it has start/end/text, else `common.DOCUMENT_EXISTS`; not the documents themselves),
its own rules (`TABLE_RULES`), and 'annotation_exists' where its rows name an annotation.
The split rules (a row in its document's split) are added where splits are known
(`splits._split_rules`, by `run._applicable_rules`).

Each family module holds the checks of one table (or of one concern several tables share)
and declares its rules in a tuple at its end. To add a rule: write its check (one bool per row,
True where the row passes) and its detail (the offending values) in the family module, list a
`_Rule` in that module's tuple, and name it in `report.RULES` with a message code of
core/errors.py. A rule that reads other tables names them in `needs`; it is skipped when one
is missing.
"""

from __future__ import annotations

import pyarrow as pa

from summit_corpus.core import tables as T
from summit_corpus.validate.context import NESTED_TABLES
from summit_corpus.validate.rules.annotations import ANNOTATION_EXISTS, ANNOTATION_RULES
from summit_corpus.validate.rules.base import RuleMaker, _Rule, _values
from summit_corpus.validate.rules.common import (
    DOCUMENT_EXISTS,
    OFFSET_RULES,
    _key_detail,
    _list_in_vocabulary,
    _rows_sorted,
    _sort_detail,
    _unique_key,
)
from summit_corpus.validate.rules.documents import DOCUMENT_RULES
from summit_corpus.validate.rules.labels import LABEL_RULES
from summit_corpus.validate.rules.ner import NER_RULES
from summit_corpus.validate.rules.nested import _nested_flat_detail, _nested_matches_flat
from summit_corpus.validate.rules.relations import RELATION_RULES
from summit_corpus.validate.rules.sentences import SENTENCE_RULES
from summit_corpus.validate.rules.spans import SPAN_RULES
from summit_corpus.validate.rules.splits import ASSIGNMENT_RULES
from summit_corpus.validate.rules.tokens import TOKEN_RULES

# Each table's own rules, run after its shape and document rules.
TABLE_RULES: dict[str, tuple[_Rule | RuleMaker, ...]] = {
    "documents": DOCUMENT_RULES,
    "sentences": SENTENCE_RULES,
    "tokens": TOKEN_RULES,
    "spans": SPAN_RULES,
    "relations": RELATION_RULES,
    "document_labels": LABEL_RULES,
    "annotations": ANNOTATION_RULES,
    "split_assignment": ASSIGNMENT_RULES,
    "ner": NER_RULES,
}

# Tables whose rows name an annotation: 'annotation_exists' runs last on them.
ANNOTATED_TABLES = ("spans", "relations", "document_labels", "annotation_notes")


def rules_for(definition: T.Table) -> list[_Rule]:
    """The row rules of one table (besides its column schema), in the order they run.

    definition (Table): The table's definition.
    RETURNS (list[_Rule]): Its rules; each has a stable `name` from `RULES`.
    """
    name = definition.name
    rules = _shape_rules(definition)
    if name != "documents" and "doc_id" in definition.names:
        has_offsets = {"start", "end", "text"} <= set(definition.names)
        rules += OFFSET_RULES if has_offsets else (DOCUMENT_EXISTS,)
    rules += [r if isinstance(r, _Rule) else r(definition) for r in TABLE_RULES.get(name, ())]
    if name in ANNOTATED_TABLES:
        rules.append(ANNOTATION_EXISTS)
    return rules


def _shape_rules(definition: T.Table) -> list[_Rule]:
    """RETURNS (list[_Rule]): The rules any table gets from its definition's key, sort order,
    list columns with a vocabulary, and records nested in the documents config."""
    key_rule = _Rule("unique_key", _unique_key(definition), _key_detail(definition), None)
    rules: list[_Rule] = [key_rule] if definition.key else []
    if definition.sort_by:
        rules.append(_Rule("rows_sorted", _rows_sorted(definition), _sort_detail(definition)))
    for c in definition.columns:
        if c.vocabulary is not None and pa.types.is_list(c.type):
            rule = _Rule(
                "in_vocabulary", _list_in_vocabulary(c), _values(c.name), c.name, (c.vocabulary,)
            )
            rules.append(rule)
    if definition.name in NESTED_TABLES:
        rules.append(
            _Rule(
                "nested_matches_table",
                _nested_matches_flat,
                _nested_flat_detail,
                None,
                (f"nested:{definition.name}",),
            )
        )
    return rules
