"""Corpus-level entry points (used by the CLI): a built corpus's tables into Label Studio.

`corpus annotate push` is `push_corpus`; `corpus annotate agreement` reads the documents with
`read_corpus_tables`. `corpus annotate pull` is `client.pull` with `client.connect`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from summit_corpus.annotate.client import connect, push
from summit_corpus.annotate.reports import PushReport
from summit_corpus.annotate.tasks import model_version, to_tasks
from summit_corpus.annotate.values import DEFAULT_PROJECT
from summit_corpus.core import layout, tables
from summit_corpus.core.errors import AnnotateError, Errors
from summit_corpus.core.io import read_parquet_dir, write_text


def read_corpus_tables(corpus: Path, names: Iterable[str]) -> dict[str, pa.Table]:
    """Read tables of a built corpus; documents must exist, the others may be missing.

    corpus (Path): The corpus folder.
    names (Iterable[str]): Table names to read.
    RETURNS (dict[str, pa.Table]): name -> table (empty when its folder has no files).
    """
    out = {}
    for name in names:
        folder = layout.config_dir(corpus, name)
        definition = tables.table(name)
        if not any(folder.glob("*.parquet")):
            if name == tables.DOCUMENTS.name:
                raise AnnotateError(
                    Errors.E611.format(corpus=corpus, table=name, folder=folder),
                    rule="corpus_tables",
                    path=folder,
                )
            out[name] = definition.empty()
            continue
        table = read_parquet_dir(folder)
        keep = [c for c in definition.names if c in table.column_names]
        out[name] = table.select(keep)
    return out


def push_corpus(
    corpus: Path,
    *,
    project: str = DEFAULT_PROJECT,
    with_annotations: bool = True,
    client: Any | None = None,
) -> PushReport:
    """`corpus annotate push`: the corpus's documents and model layer into Label Studio.

    corpus (Path): The built corpus folder.
    project (str): Project title.
    with_annotations (bool): Also push the corpus's human layer as annotations, onto tasks
        that have none (a fresh server gets it, so annotators correct rather than redo).
    client (LabelStudio | None): SDK client; None connects from the environment.
    RETURNS (PushReport): What was done.
    """
    from summit_corpus.core.generated import labeling_config
    from summit_corpus.core.scheme import load_scheme

    scheme = load_scheme()
    names = ["documents", "spans", "relations", "document_labels"]
    if with_annotations:
        names += ["annotations", "annotation_notes"]
    read = read_corpus_tables(corpus, names)
    layer = tables.LAYER_PREDICTION
    sources = [
        source
        for name in ("spans", "relations", "document_labels")
        for source, row_layer in zip(
            read[name].column("source").to_pylist(),
            read[name].column("layer").to_pylist(),
            strict=True,
        )
        if row_layer == layer
    ]
    tasks = to_tasks(
        read["documents"],
        read["spans"],
        read["relations"],
        read["document_labels"],
        model_version=model_version(scheme.version, sources),
    )
    human = None
    if with_annotations:
        human = {name: read[name].to_pylist() for name in names[1:]}
    return push(
        client or connect(),
        tasks,
        project=project,
        label_config=labeling_config(scheme),
        scheme_version=scheme.version,
        human=human,
    )


def write_text_report(path: Path, text: str) -> None:
    """Write a plain-text report atomically (used by scripts)."""
    write_text(path, text if text.endswith("\n") else text + "\n")
