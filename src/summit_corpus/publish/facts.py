"""Facts about the corpus (counts and ranges) that the card, Croissant and the datasheet state.

`FactsAccumulator` gathers them chunk by chunk, holding counters rather than rows, so the
writer and the datasheet never need the whole corpus in memory; `corpus_facts` is the same over
tables held whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.core import tables as T
from summit_corpus.publish.configs import SchemeLike
from summit_corpus.publish.ner import NerResult

# Facts that are the least or greatest value seen (None before any).
_BOUNDS = ("published_min", "published_max", "annotated_max")
# Tables whose rows are counted per layer and label (document labels per layer and name).
_LABELLED = {T.SPANS.name: "label", T.RELATIONS.name: "label", T.DOCUMENT_LABELS.name: "name"}
# The columns `FactsAccumulator.add` reads of each table besides doc_id, where it reads any:
# of every other table it counts the rows only (documents: every column).
_READ = {
    T.ANNOTATIONS.name: ("updated_at", "created_at"),
    T.SPANS.name: ("layer", "label", "annotator", "source"),
    T.RELATIONS.name: ("layer", "label"),
    T.DOCUMENT_LABELS.name: ("layer", "name"),
}


def read_columns(table: pa.Table, name: str) -> pa.Table:
    """RETURNS (pa.Table): `table` (the rows of table `name`) with only the columns the
    facts read, so that a caller who cuts it into parts copies no more than they need."""
    if name == T.DOCUMENTS.name:
        return table
    wanted = ("doc_id", *_READ.get(name, ()))
    return table.select([c for c in wanted if c in table.column_names])


def _pairs(table: pa.Table, a: str, b: str) -> Counter[tuple[Any, Any]]:
    """RETURNS (Counter): Row counts per (a, b) value pair, computed by Arrow."""
    if table.num_rows == 0:
        return Counter()
    counted = table.select([a, b]).group_by([a, b]).aggregate([([], "count_all")]).to_pydict()
    return Counter(
        dict(zip(zip(counted[a], counted[b], strict=True), counted["count_all"], strict=True))
    )


def _values(column: pa.ChunkedArray | pa.Array) -> Counter[Any]:
    """RETURNS (Counter): Row counts per value of one column, computed by Arrow."""
    counts = pc.value_counts(column)
    return Counter(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )


class FactsAccumulator:
    """The corpus facts of `corpus_facts`, gathered chunk by chunk (documents never repeat).

    Memory holds counters, one set of group ids and the credits and annotators seen, not rows.
    """

    def __init__(self) -> None:
        self.rows: Counter[str] = Counter()
        self.documents = 0
        self.published_min: Any = None
        self.published_max: Any = None
        self.published_stated = 0
        # Every date the articles state (publication, update, dated update sections, the
        # event the lead reports), as YYYY-MM-DD, and the documents that state one.
        self.dated: set[str] = set()
        self.dated_documents = 0
        self.annotated_max: str | None = None
        self.characters = 0
        self.split_documents: Counter[str] = Counter()
        self.groups: set[str] = set()
        self.grouped_by: Counter[str] = Counter()
        self.story_keys = 0
        self.near_duplicates = 0
        self.bylines = 0
        self.credits: set[str] = set()
        self.by_layer: dict[str, Counter[tuple[str, str]]] = {n: Counter() for n in _LABELLED}
        self.labelled_present: set[str] = set()
        self.annotators: set[str] = set()
        self.spans_present = False
        self.sources: Counter[str] = Counter()
        self.ner_layers: Counter[str] = Counter()
        self.ner_dropped = 0

    def add(self, tables: Mapping[str, pa.Table], assignment: pa.Table) -> None:
        """Count one chunk: some documents, every row of theirs, and their split assignment.

        tables (Mapping[str, pa.Table]): Table name -> the chunk's rows (documents needed).
        assignment (pa.Table): tables.SPLIT_ASSIGNMENT rows of the chunk's documents.
        """
        for name, table in tables.items():
            self.rows[name] += table.num_rows
        documents = tables[T.DOCUMENTS.name]
        self.documents += documents.num_rows
        published = documents.column("published_at")
        stated = published.length() - published.null_count
        if stated:
            self.published_stated += stated
            low, high = pc.min(published).as_py(), pc.max(published).as_py()
            self.published_min = low if self.published_min is None else min(self.published_min, low)
            self.published_max = (
                high if self.published_max is None else max(self.published_max, high)
            )
        self._add_dates(documents, assignment, tables.get(T.ANNOTATIONS.name))
        self.characters += int(pc.sum(pc.utf8_length(documents.column("text"))).as_py() or 0)
        self.bylines += sum(1 for b in documents.column("byline").to_pylist() if b)
        self.credits.update(c for cs in documents.column("credits").to_pylist() for c in cs)
        self.split_documents.update(_values(assignment.column("split")))
        self.groups.update(assignment.column("group_id").to_pylist())
        self.grouped_by.update(r for rs in assignment.column("grouped_by").to_pylist() for r in rs)
        self.story_keys += sum(1 for k in assignment.column("story_key").to_pylist() if k)
        self.near_duplicates += sum(
            1 for k in assignment.column("near_duplicate_of").to_pylist() if k
        )
        for name, key in _LABELLED.items():
            table = tables.get(name)
            if table is not None and table.num_rows:
                self.labelled_present.add(name)
                self.by_layer[name].update(_pairs(table, "layer", key))
        spans = tables.get(T.SPANS.name)
        if spans is not None:
            self.spans_present = True
            self.annotators.update(a for a in spans.column("annotator").to_pylist() if a)
            model = spans.filter(pc.equal(spans.column("layer"), T.LAYER_PREDICTION))
            self.sources.update(_values(model.column("source")))

    def _add_dates(
        self, documents: pa.Table, assignment: pa.Table, annotations: pa.Table | None
    ) -> None:
        story = dict(
            zip(
                assignment.column("doc_id").to_pylist(),
                assignment.column("story_key").to_pylist(),
                strict=True,
            )
        )
        # Chunks carry the columns they have (a table may come without the optional ones).
        wanted = ("published_at", "updated_at", "updates")
        columns = ["doc_id", *(c for c in wanted if c in documents.column_names)]
        for row in documents.select(columns).to_pylist():
            stamps = (row.get("published_at"), row.get("updated_at"))
            dates = {d.date().isoformat() for d in stamps if d}
            dates |= {u["timestamp"][:10] for u in row.get("updates") or [] if u["timestamp"]}
            key = story.get(row["doc_id"])
            dates |= {key[:10]} if key else set()
            self.dated |= dates
            self.dated_documents += bool(dates)
        if annotations is not None and annotations.num_rows:
            times = pc.max(
                pc.coalesce(annotations.column("updated_at"), annotations.column("created_at"))
            )
            latest = times.as_py()
            if latest is not None:
                day = latest.date().isoformat()
                self.annotated_max = max(self.annotated_max or day, day)

    def add_ner(self, ner: NerResult) -> None:
        """Count one chunk's ner rows by layer, and the overlapping spans it left out."""
        self.ner_layers.update(_values(ner.table.column("layer")))
        self.ner_dropped += ner.dropped_overlaps

    def merge(self, other: FactsAccumulator) -> None:
        """Add what `other` gathered of other documents (a shard's facts to the corpus's)."""
        for name, mine in vars(self).items():
            theirs = getattr(other, name)
            if name in _BOUNDS:
                bound = min if name.endswith("_min") else max
                present = [v for v in (mine, theirs) if v is not None]
                setattr(self, name, bound(present) if present else None)
            elif name == "by_layer":
                for table, counts in theirs.items():
                    mine[table].update(counts)
            elif isinstance(mine, Counter | set):
                mine.update(theirs)
            elif isinstance(mine, bool):
                setattr(self, name, mine or theirs)
            else:
                setattr(self, name, mine + theirs)

    def state(self) -> dict[str, Any]:
        """RETURNS (dict[str, Any]): What was gathered, as JSON (`from_state` reads it back),
        so a rebuild takes a kept shard's facts without reading its rows."""
        out: dict[str, Any] = {}
        for name, value in vars(self).items():
            if name == "by_layer":
                value = {
                    t: sorted(([*k, n] for k, n in c.items()), key=str) for t, c in value.items()
                }
            elif isinstance(value, Counter):
                value = sorted(value.items(), key=str)
            elif isinstance(value, set):
                value = sorted(value, key=str)
            elif isinstance(value, datetime):
                value = value.isoformat()
            out[name] = value
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> FactsAccumulator:
        """RETURNS (FactsAccumulator): The accumulator `state` was taken of.
        RAISES (KeyError, TypeError, ValueError): `state` is not one (a damaged memo)."""
        facts = cls()
        for name, empty in vars(cls()).items():
            value = state[name]
            if name == "by_layer":
                value = {t: Counter({(a, b): n for a, b, n in value[t]}) for t in empty}
            elif isinstance(empty, Counter):
                value = Counter(dict((k, int(n)) for k, n in value))
            elif isinstance(empty, set):
                value = set(value)
            elif name in _BOUNDS and value is not None and name.startswith("published"):
                value = datetime.fromisoformat(value)
            setattr(facts, name, value)
        return facts

    def facts(self, scheme: SchemeLike | None = None, ner: bool = False) -> dict[str, Any]:
        """The facts gathered so far.

        scheme (SchemeLike | None): The scheme, for its version.
        ner (bool): Include the ner config's counts (`add_ner` was called).
        RETURNS (dict[str, Any]): JSON-compatible facts (sorted keys where order is not meaning).
        """
        facts: dict[str, Any] = {
            "rows": dict(sorted(self.rows.items())),
            "documents": self.documents,
            "scheme_version": getattr(scheme, "version", None),
            "published_min": self.published_min.isoformat() if self.published_stated else None,
            "published_max": self.published_max.isoformat() if self.published_stated else None,
            "published_stated": self.published_stated,
            "dated_min": min(self.dated) if self.dated else None,
            "dated_max": max(self.dated) if self.dated else None,
            "dated_documents": self.dated_documents,
            "annotated_max": self.annotated_max,
            "characters": self.characters,
            "split_documents": {s: self.split_documents.get(s, 0) for s in T.SPLITS},
            "groups": len(self.groups),
            "grouped_by": dict(sorted(self.grouped_by.items())),
            "story_keys": self.story_keys,
            "near_duplicates": self.near_duplicates,
            "bylines": self.bylines,
            "credits": sorted(self.credits),
        }
        for name in _LABELLED:
            by_layer: dict[str, dict[str, int]] = {}
            if name in self.labelled_present:
                for (layer, label), n in sorted(self.by_layer[name].items()):
                    by_layer.setdefault(layer, {})[label] = n
            facts[f"{name}_by_layer"] = by_layer
        facts["annotators"] = sorted(self.annotators)
        # Sources of the model layer only: the human layers' source is the annotation tool.
        facts["sources"] = dict(sorted(self.sources.items())) if self.spans_present else {}
        if ner:
            facts["ner_layers"] = dict(sorted(self.ner_layers.items()))
            facts["ner_dropped_overlaps"] = self.ner_dropped
        return facts


def corpus_facts(
    tables: Mapping[str, pa.Table],
    assignment: pa.Table,
    scheme: SchemeLike | None = None,
    ner: NerResult | None = None,
) -> dict[str, Any]:
    """Counts and ranges the card, Croissant and the datasheet state, all from the tables.

    tables (Mapping[str, pa.Table]): Table name -> table.
    assignment (pa.Table): tables.SPLIT_ASSIGNMENT.
    scheme (SchemeLike | None): The scheme, for its version.
    ner (NerResult | None): The ner build, for its layer counts.
    RETURNS (dict[str, Any]): JSON-compatible facts (sorted keys where order is not meaning).
    """
    accumulator = FactsAccumulator()
    accumulator.add(tables, assignment)
    if ner is not None:
        accumulator.add_ner(ner)
    return accumulator.facts(scheme, ner=ner is not None)
