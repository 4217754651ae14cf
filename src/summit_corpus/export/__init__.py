"""Exports: the published corpus in the formats people train and annotate with.

`export_corpus(corpus, "spacy" | "conll" | "brat" | "bigbio_kb", out, layer=...)` reads the
corpus's `documents` config a row group at a time and writes one format:

- `spacy`: `<split>.spacy` DocBins (entities, sentence starts, quotes and their speakers);
- `conll`: `<split>.conll`, CoNLL-2003 text with IOB2 tags;
- `brat`: `<split>/<id>.txt` + `.ann` standoff pairs and BRAT's config files;
- `bigbio_kb`: `<split>.parquet` in BigBio's KB schema (also published as a corpus config).

Each format has a reader beside its writer, and the round-trip tests read every export back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from summit_corpus.core.errors import Errors, ExportError
from summit_corpus.core.scheme import Scheme, load_scheme
from summit_corpus.export.documents import (
    LAYER_BEST,
    LAYER_CHOICES,
    ExportDocument,
    by_split,
    documents_of_row,
    read_documents,
)

FORMATS = ("spacy", "conll", "brat", "bigbio_kb")


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote.

    format (str): The format.
    out (Path): The export folder.
    layer (str): The layer asked for.
    documents (dict[str, int]): Split -> documents written.
    files (list[Path]): The files written.
    """

    format: str
    out: Path
    layer: str
    documents: dict[str, int]
    files: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        counts = ", ".join(f"{split} {n}" for split, n in self.documents.items()) or "none"
        return (
            f"exported {sum(self.documents.values())} documents ({self.layer} layer) as "
            f"{self.format} into {self.out}: {counts}; {len(self.files)} files"
        )


def _label_values(scheme: Scheme) -> dict[str, tuple[str, ...]]:
    return {label.name: label.value_names for label in scheme.document_labels}


def _writer(
    fmt: str, out: Path, scheme: Scheme
) -> Callable[[str, list[ExportDocument]], list[Path]]:
    """RETURNS: A function writing one split's documents, returning the files it wrote."""
    if fmt == "spacy":
        from summit_corpus.export import spacy_docs

        def spacy_split(split: str, docs: list[ExportDocument]) -> list[Path]:
            path = out / f"{split}.spacy"
            spacy_docs.write_docbin(path, docs, label_values=_label_values(scheme))
            return [path]

        return spacy_split
    if fmt == "conll":
        from summit_corpus.export import conll

        def conll_split(split: str, docs: list[ExportDocument]) -> list[Path]:
            path = out / f"{split}.conll"
            conll.write_conll(path, docs)
            return [path]

        return conll_split
    if fmt == "brat":
        from summit_corpus.export import brat

        def brat_split(split: str, docs: list[ExportDocument]) -> list[Path]:
            brat.write_brat(out, docs, scheme)
            written = [p for d in docs for p in brat.document_paths(out, d)]
            return [*written, out / "annotation.conf", out / "visual.conf"]

        return brat_split
    from summit_corpus.export import bigbio

    def kb_split(split: str, docs: list[ExportDocument]) -> list[Path]:
        path = out / f"{split}.parquet"
        bigbio.write_kb(path, docs)
        return [path]

    return kb_split


def export_documents(
    documents: Iterable[ExportDocument],
    fmt: str,
    out: Path,
    *,
    layer: str = LAYER_BEST,
    scheme: Scheme | None = None,
) -> ExportReport:
    """Write export documents in one format, one file (or folder) per split.

    documents (Iterable[ExportDocument]): The documents (from `read_documents`).
    fmt (str): One of FORMATS.
    out (Path): The export folder (created if missing).
    layer (str): The layer the documents were read with (for the report).
    scheme (Scheme | None): The annotation scheme; None: the project's.
    RETURNS (ExportReport): What was written.
    """
    if fmt not in FORMATS:
        raise ExportError(
            Errors.E901.format(name=fmt, formats=", ".join(FORMATS)), rule="export_format"
        )
    scheme = scheme if scheme is not None else load_scheme()
    write = _writer(fmt, out, scheme)
    files: list[Path] = []
    counts: dict[str, int] = {}
    for split, docs in by_split(documents).items():
        files += write(split, docs)
        counts[split] = len(docs)
    return ExportReport(fmt, out, layer, counts, sorted(set(files)))


def export_corpus(
    corpus: Path,
    fmt: str,
    out: Path,
    *,
    layer: str = LAYER_BEST,
    scheme: Scheme | None = None,
) -> ExportReport:
    """Export a published corpus in one format.

    corpus (Path): The corpus folder.
    fmt (str): 'spacy', 'conll', 'brat' or 'bigbio_kb'.
    out (Path): The export folder.
    layer (str): 'best' (the `ner` config's choice per document: adjudicated, else the model
        layer), 'prediction', 'human' (one document per annotation) or 'adjudicated';
        documents without rows of an explicit layer are left out.
    scheme (Scheme | None): The annotation scheme; None: the project's.
    RETURNS (ExportReport): What was written.
    """
    if fmt not in FORMATS:
        raise ExportError(
            Errors.E901.format(name=fmt, formats=", ".join(FORMATS)), rule="export_format"
        )
    if layer not in LAYER_CHOICES:
        raise ExportError(
            Errors.E902.format(name=layer, layers=", ".join(LAYER_CHOICES)), rule="export_layer"
        )
    documents = read_documents(corpus, layer)
    return export_documents(documents, fmt, out, layer=layer, scheme=scheme)


__all__ = [
    "FORMATS",
    "LAYER_BEST",
    "LAYER_CHOICES",
    "ExportDocument",
    "ExportReport",
    "documents_of_row",
    "export_corpus",
    "export_documents",
    "read_documents",
]
