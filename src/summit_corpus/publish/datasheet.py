"""DATASHEET.md: Datasheets for Datasets (Gebru et al., 2021) answered from the published corpus.

`render(corpus_dir, out_path)` reads the published folder (layout.py) batch by batch
(`summarize_corpus`: only the columns it counts, one batch in memory at a time, counts gathered
by `publish.FactsAccumulator`), takes agreement from `annotate.agreement` and model-vs-human
scores from `evaluate.evaluate_tables` (over the human and adjudicated layers only), computes
the facts the datasheet states (`datasheet_facts`), words them with templates/datasheet.md.j2,
and writes the datasheet and two SVG plots (`plots.py`) beside it (label distribution, article
length). Up to `DOCUMENT_TABLE_LIMIT` documents it lists each one and plots one bar per
document; above it, a summary per split and a length histogram. Nothing in the output depends
on the time or the machine: rows are sorted and the plots are laid out by code, so two renders
of the same corpus are byte-identical.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import CorpusError, Errors
from summit_corpus.core.split_config import SplitConfig
from summit_corpus.publish import templating
from summit_corpus.publish.plots import (
    LAYER_COLOURS as LAYER_COLOURS,  # re-exported: the plots were defined here
)
from summit_corpus.publish.plots import plot_labels, plot_length_histogram, plot_lengths

# The plots live in a folder of their own beside DATASHEET.md (paths relative to it, as the
# Markdown links them).
FIGURES_DIR = "docs/datasheet"
LABELS_PLOT = f"{FIGURES_DIR}/labels.svg"
LENGTHS_PLOT = f"{FIGURES_DIR}/article-length.svg"


@dataclass(frozen=True, slots=True)
class Datasheet:
    """A rendered datasheet: its Markdown and its plots.

    markdown (str): DATASHEET.md text.
    images (dict[str, bytes]): File name (beside the datasheet) -> SVG bytes.
    """

    markdown: str
    images: dict[str, bytes]


def read_corpus(corpus_dir: Path) -> tuple[dict[str, pa.Table], pa.Table]:
    """Read a published corpus back into its tables and split assignment.

    corpus_dir (Path): The published folder (data/<config>/<split>-*.parquet).
    RETURNS (tuple[dict[str, pa.Table], pa.Table]): Table name -> table (tables.py schemas; a
        table with no files is empty), and tables.SPLIT_ASSIGNMENT from the documents config.
    """
    folder = layout.config_dir(corpus_dir, T.DOCUMENTS.name)
    if not any(folder.glob("*.parquet")):
        raise CorpusError(Errors.E705.format(path=folder, table=T.DOCUMENTS.name))
    documents = io.read_parquet_dir(folder)
    assignment = T.SPLIT_ASSIGNMENT.sorted(
        documents.select(T.SPLIT_ASSIGNMENT.names).cast(T.SPLIT_ASSIGNMENT.schema)
    )
    tables = {
        T.DOCUMENTS.name: T.DOCUMENTS.sorted(
            documents.select(T.DOCUMENTS.names).cast(T.DOCUMENTS.schema)
        )
    }
    for definition in T.ALL_TABLES[1:]:
        part = io.read_parquet_dir(
            layout.config_dir(corpus_dir, definition.name), definition.schema
        )
        tables[definition.name] = definition.sorted(part)
    return tables, assignment


# --- reading the corpus in bounded batches ---------------------------------------------------
# Up to this many documents the datasheet lists each one; above it, a summary per split.
DOCUMENT_TABLE_LIMIT = 50
# Rows per batch: documents carry their text (read for the character count), the other
# configs only short columns.
_DOCUMENT_BATCH_ROWS = 256
_BATCH_ROWS = 65_536
_DOCUMENT_COLUMNS = (
    "doc_id",
    "text",
    "title",
    "published_at",
    "published_at_local",
    "updated_at",  # with `updates`: the dates the articles state (facts.dated_min/max)
    "updates",
    "byline",
    "credits",
    "split",
    "group_id",
    "story_key",
    "near_duplicate_of",
    "grouped_by",
)
# Only the reason of each removed line, not the line itself (a nested column path).
_REMOVED_REASON = "removed_lines.list.element.reason"


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    """What the datasheet states about a published corpus, gathered batch by batch.

    facts (dict[str, Any]): `publish.FactsAccumulator.facts` over every table.
    lengths (dict[str, int]): doc_id -> tokens.
    sentences (dict[str, int]): doc_id -> sentences.
    split_of (dict[str, str]): doc_id -> split.
    documents (list[dict[str, Any]]): Per document (by doc_id) its headline, stated
        publication, byline and assignment; empty when the corpus has more documents than
        the table limit.
    removed (dict[str, int]): Removed lines per reason.
    label_values (dict[tuple[str, str, str], int]): (name, value, layer) -> document labels.
    agreement_tables (dict[str, pa.Table]): The annotations and the human layer's spans and
        document labels (all `annotate.agreement` reads).
    evaluation_tables (dict[str, pa.Table]): Spans, relations and document labels of the
        documents an adjudicated layer covers (all `evaluate.evaluate_tables` reads).
    """

    facts: dict[str, Any]
    lengths: dict[str, int]
    sentences: dict[str, int]
    split_of: dict[str, str]
    documents: list[dict[str, Any]]
    removed: dict[str, int]
    label_values: dict[tuple[str, str, str], int]
    agreement_tables: dict[str, pa.Table]
    evaluation_tables: dict[str, pa.Table]


def _files(corpus_dir: Path, name: str) -> list[Path]:
    return sorted(layout.config_dir(corpus_dir, name).glob("*.parquet"))


def _batches(files: Sequence[Path], columns: Sequence[str], rows: int) -> Iterator[pa.Table]:
    """Batches of some columns of every file in turn: one batch in memory at a time."""
    for path in files:
        parquet = io.open_parquet(path)
        for batch in parquet.iter_batches(batch_size=rows, columns=list(columns)):
            yield pa.Table.from_batches([batch])


def _doc_counts(column: Any) -> Counter[str]:
    """RETURNS (Counter[str]): Rows per value of a string column, counted by Arrow."""
    counts = pc.value_counts(column)
    return Counter(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )


class _TableReader:
    """Reads one config batch by batch, keeping the rows a filter selects (typed, sorted)."""

    def __init__(self, corpus_dir: Path, definition: T.Table) -> None:
        self.definition = definition
        self.files = _files(corpus_dir, definition.name)

    def batches(self) -> Iterator[pa.Table]:
        for batch in _batches(self.files, self.definition.names, _BATCH_ROWS):
            yield batch.cast(self.definition.schema)

    def select(self, keep: Callable[[pa.Table], Any] | None) -> pa.Table:
        """RETURNS (pa.Table): The rows `keep` marks (all if None), sorted by the definition."""
        parts = [b if keep is None else b.filter(keep(b)) for b in self.batches()]
        if not parts:
            return self.definition.schema.empty_table()
        return self.definition.sorted(pa.concat_tables(parts))


class _Summary:
    """The passes of `summarize_corpus` over one corpus, sharing its facts accumulator."""

    def __init__(self, corpus_dir: Path) -> None:
        from summit_corpus.publish.facts import FactsAccumulator

        self.corpus_dir = corpus_dir
        self.accumulator = FactsAccumulator()
        self._no_documents = T.DOCUMENTS.schema.empty_table()
        self._no_assignment = T.SPLIT_ASSIGNMENT.schema.empty_table()
        # Every table is in the row counts, with 0 rows when the corpus has no file of it.
        for definition in T.ALL_TABLES[1:]:
            self.count(definition.name, definition.schema.empty_table())

    def count(self, name: str, table: pa.Table) -> None:
        """Count a batch of a table other than documents."""
        self.accumulator.add(
            {T.DOCUMENTS.name: self._no_documents, name: table}, self._no_assignment
        )

    def documents(
        self, files: Sequence[Path], listed: bool
    ) -> tuple[dict[str, str], list[dict[str, Any]], Counter[str]]:
        """RETURNS (tuple): doc_id -> split, the listed documents' rows (by doc_id; none when
        not `listed`) and removed lines per reason."""
        split_of: dict[str, str] = {}
        documents: list[dict[str, Any]] = []
        removed: Counter[str] = Counter()
        columns = [*_DOCUMENT_COLUMNS, _REMOVED_REASON]
        for batch in _batches(files, columns, _DOCUMENT_BATCH_ROWS):
            self.accumulator.add({T.DOCUMENTS.name: batch}, batch)
            ids = batch.column("doc_id").to_pylist()
            split_of.update(zip(ids, batch.column("split").to_pylist(), strict=True))
            reasons = pc.struct_field(pc.list_flatten(batch.column("removed_lines")), "reason")
            removed.update(_doc_counts(reasons))
            if listed:
                documents += batch.drop_columns(["text", "removed_lines"]).to_pylist()
        documents.sort(key=lambda r: r["doc_id"])
        return split_of, documents, removed

    def per_document(self) -> dict[str, Counter[str]]:
        """RETURNS (dict[str, Counter[str]]): Sentences, tokens and notes: doc_id -> rows."""
        per_doc: dict[str, Counter[str]] = {}
        for definition in (T.SENTENCES, T.TOKENS, T.ANNOTATION_NOTES):
            per_doc[definition.name] = Counter()
            files = _files(self.corpus_dir, definition.name)
            for batch in _batches(files, ["doc_id"], _BATCH_ROWS):
                self.count(definition.name, batch)
                per_doc[definition.name].update(_doc_counts(batch.column("doc_id")))
        return per_doc

    def layers(
        self,
    ) -> tuple[dict[str, pa.Table], set[str], Counter[tuple[str, str, str]]]:
        """RETURNS (tuple): The human layer's spans and document labels, the documents an
        adjudicated layer covers, and document labels per (name, value, layer)."""
        adjudicated: set[str] = set()
        human: dict[str, pa.Table] = {}
        label_values: Counter[tuple[str, str, str]] = Counter()
        for definition in (T.SPANS, T.DOCUMENT_LABELS):
            parts = []
            for batch in _TableReader(self.corpus_dir, definition).batches():
                self.count(definition.name, batch)
                layer = batch.column("layer")
                parts.append(batch.filter(pc.equal(layer, T.LAYER_HUMAN)))
                reference = batch.filter(pc.equal(layer, T.LAYER_ADJUDICATED))
                adjudicated.update(pc.unique(reference.column("doc_id")).to_pylist())
                if definition is T.DOCUMENT_LABELS:
                    names, values = batch.column("name"), batch.column("value")
                    label_values.update(
                        zip(names.to_pylist(), values.to_pylist(), layer.to_pylist(), strict=True)
                    )
            human[definition.name] = definition.sorted(
                pa.concat_tables(parts) if parts else definition.schema.empty_table()
            )
        return human, adjudicated, label_values

    def evaluation(self, adjudicated: set[str]) -> dict[str, pa.Table]:
        """RETURNS (dict[str, pa.Table]): Spans, relations and document labels of the
        documents an adjudicated layer covers."""
        wanted = pa.array(sorted(adjudicated), pa.string())
        return {
            d.name: _TableReader(self.corpus_dir, d).select(
                lambda batch: pc.is_in(batch.column("doc_id"), value_set=wanted)
            )
            for d in (T.SPANS, T.RELATIONS, T.DOCUMENT_LABELS)
        }


def summarize_corpus(
    corpus_dir: Path, scheme: Any | None = None, document_table_limit: int = DOCUMENT_TABLE_LIMIT
) -> CorpusSummary:
    """Gather the datasheet's figures from a published corpus, one batch at a time.

    Memory holds counters, a few values per document and the human and adjudicated layers'
    rows; never the text or the tokens of the whole corpus.

    corpus_dir (Path): The published folder (data/<config>/<split>-*.parquet).
    scheme (Any | None): The annotation scheme, for its version in the facts.
    document_table_limit (int): Keep per-document rows up to this many documents.
    RETURNS (CorpusSummary): The figures.
    """
    document_files = _files(corpus_dir, T.DOCUMENTS.name)
    if not document_files:
        folder = layout.config_dir(corpus_dir, T.DOCUMENTS.name)
        raise CorpusError(Errors.E705.format(path=folder, table=T.DOCUMENTS.name))
    total = sum(pq.ParquetFile(path).metadata.num_rows for path in document_files)
    run = _Summary(corpus_dir)
    split_of, documents, removed = run.documents(document_files, total <= document_table_limit)
    per_doc = run.per_document()
    human, adjudicated, label_values = run.layers()
    for batch in _TableReader(corpus_dir, T.RELATIONS).batches():
        run.count(T.RELATIONS.name, batch)
    annotations = _TableReader(corpus_dir, T.ANNOTATIONS).select(None)
    run.count(T.ANNOTATIONS.name, annotations)
    evaluation = run.evaluation(adjudicated)
    ids = sorted(split_of)
    return CorpusSummary(
        facts=run.accumulator.facts(scheme),
        lengths={d: per_doc[T.TOKENS.name].get(d, 0) for d in ids},
        sentences={d: per_doc[T.SENTENCES.name].get(d, 0) for d in ids},
        split_of=split_of,
        documents=documents,
        removed=dict(sorted(removed.items())),
        label_values=dict(sorted(label_values.items())),
        agreement_tables={T.ANNOTATIONS.name: annotations, **human},
        evaluation_tables=evaluation,
    )


# --- the facts the datasheet states ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """Inter-annotator agreement as the datasheet states it (from `annotate.agreement`).

    annotations (int): Label Studio annotations in the build.
    annotators (int): Distinct annotators among them.
    documents (int): Documents with two or more annotators (0 when `pairs` is 0).
    pairs (int): Annotator pairs compared.
    span_rows (list[list[Any]]): Per span label: label, F1, matches, spans.
    label_rows (list[list[Any]]): Per document label: name, Krippendorff's alpha.
    """

    annotations: int
    annotators: int
    documents: int
    pairs: int
    span_rows: list[list[Any]]
    label_rows: list[list[Any]]


@dataclass(frozen=True, slots=True)
class DatasheetFacts:
    """Everything templates/datasheet.md.j2 states, computed from the published corpus.

    facts (dict[str, Any]): `publish.FactsAccumulator.facts` over every table.
    rows (dict[str, int]): Rows per table (0 for a table with no file).
    tokens_min, tokens_median, tokens_max (int): Tokens per document (0 with no documents).
    listed (bool): Every document gets a row (`document_rows`); else `split_rows` summarize.
    document_rows (list[list[Any]]): Per document, the document table's cells.
    split_rows (list[list[str]]): Per split and 'all': documents, sentences, tokens and the
        token-length quantiles (empty when `listed`).
    published_from, published_to (str | None): Stated publication dates' range (days).
    layers (list[str]): The layers with spans, relations or document labels, sorted.
    label_rows, relation_rows (list[list[Any]]): Per scheme label, rows per layer.
    document_label_rows (list[list[Any]]): Name, value, layer, documents.
    agreement (AgreementFacts | None): None when the build has no human annotation.
    evaluation (str | None): The model layer scored against the adjudicated layer
        (`evaluate.render`); None when there is no adjudicated layer.
    dropped (dict[str, int]): Reason -> model predictions the build dropped
        (`dropped_predictions.parquet`).
    """

    facts: dict[str, Any]
    rows: dict[str, int]
    labels_plot: str
    lengths_plot: str
    tokens_min: int
    tokens_median: int
    tokens_max: int
    listed: bool
    document_table_limit: int
    document_rows: list[list[Any]]
    split_rows: list[list[str]]
    published_from: str | None
    published_to: str | None
    span_labels: int
    relation_labels: int
    layers: list[str]
    label_rows: list[list[Any]]
    relation_rows: list[list[Any]]
    document_label_rows: list[list[Any]]
    split_config: SplitConfig
    removed: dict[str, int]
    human_layers: list[str]
    scheme_version: str
    ner_tags: int
    provenance: str
    agreement: AgreementFacts | None
    evaluation: str | None
    dropped: dict[str, int] = field(default_factory=dict)


def _agreement(tables: Mapping[str, pa.Table]) -> AgreementFacts | None:
    annotations = tables.get(T.ANNOTATIONS.name)
    if annotations is None or annotations.num_rows == 0:
        return None
    from summit_corpus.annotate import agreement

    result = agreement(tables)
    annotators = {a for a in annotations.column("annotator").to_pylist() if a}
    if not result.get("pairs"):
        return AgreementFacts(annotations.num_rows, len(annotators), 0, 0, [], [])
    return AgreementFacts(
        annotations=annotations.num_rows,
        annotators=len(annotators),
        documents=result["documents"],
        pairs=result["pairs"],
        span_rows=[
            [label, s["f1"], s["matches"], s["spans"]] for label, s in result["spans"].items()
        ],
        label_rows=[[k, v] for k, v in result["document_labels"].items()],
    )


def _evaluation(tables: Mapping[str, pa.Table]) -> str | None:
    spans = tables[T.SPANS.name]
    if not any(x == T.LAYER_ADJUDICATED for x in spans.column("layer").to_pylist()):
        return None
    from summit_corpus.annotate.evaluate import evaluate_tables, render

    result = evaluate_tables(spans, tables[T.RELATIONS.name], tables[T.DOCUMENT_LABELS.name])
    return render(result).strip()


def _quantile(values: Sequence[int], q: float) -> int:
    """Nearest-rank quantile of sorted integers (q=0.5 is the datasheet's median, n // 2)."""
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


def _document_rows(summary: CorpusSummary) -> list[list[Any]]:
    """Every document with its split and group: the document table's cells."""
    return [
        [
            f"`{r['doc_id']}`",
            (r["title"] or "(no headline stated)").replace("|", "\\|"),
            r["published_at_local"] or "not stated",
            ", ".join(r["byline"]) or "none",
            summary.sentences[r["doc_id"]],
            summary.lengths[r["doc_id"]],
            r["split"],
            f"`{r['group_id']}`",
            r["story_key"] or "none",
            ", ".join(r["grouped_by"]) or "none",
        ]
        for r in summary.documents
    ]


def _split_rows(summary: CorpusSummary) -> list[list[str]]:
    """Documents, sentences and token-length quantiles per split, for corpora too big to list."""
    quantiles = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9)
    rows = []
    for split in (*T.SPLITS, "all"):
        ids = [d for d, s in summary.split_of.items() if split in (s, "all")]
        lengths = sorted(summary.lengths[d] for d in ids)
        rows.append(
            [
                split,
                f"{len(ids):,}",
                f"{sum(summary.sentences[d] for d in ids):,}",
                f"{sum(lengths):,}",
                *[f"{_quantile(lengths, q):,}" for q in quantiles],
                f"{lengths[-1] if lengths else 0:,}",
            ]
        )
    return rows


def _per_layer(
    by_layer: Mapping[str, Mapping[str, int]], labels: Sequence[str], layers: Sequence[str]
) -> list[list[Any]]:
    """RETURNS (list[list[Any]]): Per label, its count in each layer."""
    return [[label, *[by_layer.get(x, {}).get(label, 0) for x in layers]] for label in labels]


def datasheet_facts(
    summary: CorpusSummary, scheme: Any, split_config: SplitConfig, document_table_limit: int
) -> DatasheetFacts:
    """Compute what the datasheet states from a corpus summary.

    summary (CorpusSummary): From `summarize_corpus`.
    scheme (Any): The annotation scheme (labels, BIO tags).
    split_config (SplitConfig): The split settings (proportions, reader links).
    document_table_limit (int): List every document up to this many.
    RETURNS (DatasheetFacts): The template's facts.
    """
    from summit_corpus.publish.card import HUMAN_LAYER_PROVENANCE
    from summit_corpus.publish.configs import ner_labels

    facts = summary.facts
    vocabularies = scheme.vocabularies()
    listed = len(summary.lengths) <= document_table_limit
    tables = ("spans", "relations", "document_labels")
    layers = sorted({layer for t in tables for layer in facts[f"{t}_by_layer"]})
    token_counts = sorted(summary.lengths.values())
    stated = bool(facts["published_min"])
    return DatasheetFacts(
        facts=facts,
        rows={d.name: facts["rows"].get(d.name, 0) for d in T.ALL_TABLES},
        labels_plot=LABELS_PLOT,
        lengths_plot=LENGTHS_PLOT,
        tokens_min=token_counts[0] if token_counts else 0,
        tokens_median=token_counts[len(token_counts) // 2] if token_counts else 0,
        tokens_max=token_counts[-1] if token_counts else 0,
        listed=listed,
        document_table_limit=document_table_limit,
        document_rows=_document_rows(summary) if listed else [],
        split_rows=[] if listed else _split_rows(summary),
        published_from=facts["published_min"][:10] if stated else None,
        published_to=facts["published_max"][:10] if stated else None,
        span_labels=len(vocabularies["span_labels"]),
        relation_labels=len(vocabularies["relation_labels"]),
        layers=layers,
        label_rows=_per_layer(facts["spans_by_layer"], vocabularies["span_labels"], layers),
        relation_rows=_per_layer(
            facts["relations_by_layer"], vocabularies["relation_labels"], layers
        ),
        document_label_rows=[[*key, n] for key, n in summary.label_values.items()],
        split_config=split_config,
        removed=summary.removed,
        human_layers=[x for x in layers if x != T.LAYER_PREDICTION],
        scheme_version=str(facts.get("scheme_version")),
        ner_tags=len(ner_labels(scheme)),
        provenance=HUMAN_LAYER_PROVENANCE,
        agreement=_agreement(summary.agreement_tables),
        evaluation=_evaluation(summary.evaluation_tables),
    )


def dropped_predictions(corpus_dir: Path) -> dict[str, int]:
    """RETURNS (dict[str, int]): Reason -> predictions the build dropped (sorted by reason);
    empty when the corpus has no `dropped_predictions.parquet`."""
    path = corpus_dir / layout.DROPPED_PREDICTIONS
    if not path.is_file():
        return {}
    reasons = pq.read_table(path, columns=["reason"]).column("reason").to_pylist()
    return dict(sorted(Counter(reasons).items()))


# --- the datasheet ---------------------------------------------------------------------------
def render_text(
    corpus_dir: Path,
    scheme: Any | None = None,
    document_table_limit: int = DOCUMENT_TABLE_LIMIT,
) -> Datasheet:
    """Render the datasheet from a published corpus (no writing).

    The corpus is read batch by batch (`summarize_corpus`), so memory does not grow with its
    text or tokens; code computes the facts (`datasheet_facts`) and templates/datasheet.md.j2
    words them.

    corpus_dir (Path): The published folder.
    scheme (Any | None): The annotation scheme; None loads schemas/annotation_scheme.yaml.
    document_table_limit (int): List every document up to this many; above it, summarize
        per split and plot a length histogram instead of one bar per document.
    RETURNS (Datasheet): Markdown and SVG plots.
    """
    from summit_corpus.core.scheme import load_scheme
    from summit_corpus.core.split_config import load_split_config

    scheme = load_scheme() if scheme is None else scheme
    summary = summarize_corpus(corpus_dir, scheme, document_table_limit)
    facts = datasheet_facts(summary, scheme, load_split_config(), document_table_limit)
    facts = replace(facts, dropped=dropped_predictions(corpus_dir))
    labels = list(scheme.vocabularies()["span_labels"])
    lengths = plot_lengths if facts.listed else plot_length_histogram
    images = {
        LABELS_PLOT: plot_labels(facts.facts["spans_by_layer"], labels),
        LENGTHS_PLOT: lengths(summary.lengths, summary.split_of),
    }
    variables = {f.name: getattr(facts, f.name) for f in fields(facts)}
    markdown = templating.render("datasheet.md.j2", variables)
    return Datasheet(markdown.rstrip() + "\n", images)


def render(corpus_dir: Path, out_path: Path) -> None:
    """Write DATASHEET.md and its SVG plots (in FIGURES_DIR beside it) from a published corpus.

    corpus_dir (Path): The published folder.
    out_path (Path): Where DATASHEET.md goes; the plots go into FIGURES_DIR of its folder.
    """
    sheet = render_text(corpus_dir)
    for name, data in sorted(sheet.images.items()):
        io.write_atomic(out_path.parent / name, data)
    io.write_text(out_path, sheet.markdown)
