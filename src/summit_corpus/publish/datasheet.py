"""DATASHEET.md: Datasheets for Datasets (Gebru et al., 2021) answered from the published corpus.

`render(corpus_dir, out_path)` reads the published folder (layout.py) shard by shard and batch
by batch (`summary.py`'s `summarize_corpus`: only the columns it counts, one batch in memory at
a time, counts gathered by `publish.FactsAccumulator`; a build keeps what each shard gave, so a
rebuild reads only the shards it wrote), takes agreement from `annotate.agreement` and
model-vs-human scores from `evaluate.evaluate_tables` (over the human and adjudicated layers
only), computes the facts the datasheet states (`datasheet_facts`), words them with
templates/datasheet.md.j2, and writes the datasheet and two SVG plots (`plots.py`) beside it
(label distribution, article length). Up to `DOCUMENT_TABLE_LIMIT` documents it lists each
one and plots one bar per document; above it, a summary per split and a length histogram.
Nothing in the output depends on the time or the machine: rows are sorted and the plots are
laid out by code, so two renders of the same corpus are byte-identical.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
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
from summit_corpus.publish.summary import (
    DOCUMENT_TABLE_LIMIT as DOCUMENT_TABLE_LIMIT,  # re-exported: the summary was made here
)
from summit_corpus.publish.summary import MEMO_FOLDER
from summit_corpus.publish.summary import CorpusSummary as CorpusSummary
from summit_corpus.publish.summary import summarize_corpus as summarize_corpus

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
    cache_dir: Path | None = None,
) -> Datasheet:
    """Render the datasheet from a published corpus (no writing).

    The corpus is read shard by shard and batch by batch (`summarize_corpus`), so memory does
    not grow with its text or tokens; code computes the facts (`datasheet_facts`) and
    templates/datasheet.md.j2 words them.

    corpus_dir (Path): The published folder.
    scheme (Any | None): The annotation scheme; None loads schemas/annotation_scheme.yaml.
    document_table_limit (int): List every document up to this many; above it, summarize
        per split and plot a length histogram instead of one bar per document.
    cache_dir (Path | None): A build's cache folder: what each shard gave is kept in its
        `datasheet` folder for the next render (`summary.MEMO_FOLDER`); None reads every shard.
    RETURNS (Datasheet): Markdown and SVG plots.
    """
    from summit_corpus.core.scheme import load_scheme
    from summit_corpus.core.split_config import load_split_config

    scheme = load_scheme() if scheme is None else scheme
    memo = cache_dir / MEMO_FOLDER if cache_dir is not None else None
    summary = summarize_corpus(corpus_dir, scheme, document_table_limit, memo)
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


def render(corpus_dir: Path, out_path: Path, cache_dir: Path | None = None) -> None:
    """Write DATASHEET.md and its SVG plots (in FIGURES_DIR beside it) from a published corpus.

    corpus_dir (Path): The published folder.
    out_path (Path): Where DATASHEET.md goes; the plots go into FIGURES_DIR of its folder.
    cache_dir (Path | None): As in `render_text`.
    """
    sheet = render_text(corpus_dir, cache_dir=cache_dir)
    for name, data in sorted(sheet.images.items()):
        io.write_atomic(out_path.parent / name, data)
    io.write_text(out_path, sheet.markdown)
