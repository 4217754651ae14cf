"""The human and adjudicated layers a build publishes, read from the Label Studio snapshots.

They sit beside the model layer in the same tables, told apart by `layer`; the build merges
them into each chunk of documents it publishes (`build/corpus.py`). A label the scheme does
not have, or an annotation that would be in no table, is refused here, before anything is
written, with one line per problem naming snapshot file, task, annotation and region.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from summit_corpus.annotate.history import convert_snapshots, snapshot_doc_ids
from summit_corpus.annotate.values import Problem
from summit_corpus.core import tables
from summit_corpus.core.errors import BuildError, Errors
from summit_corpus.core.scheme import load_scheme


def read_human_layer(
    annotations: Path | None, staged_documents: Path, allow_loss: bool
) -> tuple[dict[str, pa.Table], tuple[str, ...]]:
    """The human and adjudicated layers from the Label Studio snapshots in `annotations`.

    Only the documents the snapshots have tasks for are read from the staged documents.
    RETURNS (tuple[dict[str, pa.Table], tuple[str, ...]]): The tables, and one line per
        problem of the conversion (naming snapshot file, task, annotation and region).
    RAISES (BuildError): A label outside the scheme, or (unless `allow_loss`) a problem whose
        annotations would be in no table.
    """
    if annotations is None or not annotations.is_dir():
        return {}, ()

    wanted = pa.array(sorted(snapshot_doc_ids(annotations)), pa.string())
    documents = pq.read_table(
        staged_documents,
        columns=["doc_id", "text", "text_sha256"],
        filters=pc.is_in(pc.field("doc_id"), value_set=wanted),
    )
    converted = convert_snapshots(annotations, documents)
    problems = [*converted.problems, *outside_scheme(converted, load_scheme())]
    refused = [
        str(p) for p in problems if p.rule == "label_in_scheme" or (p.loses_data and not allow_loss)
    ]
    if refused:
        raise BuildError(Errors.E111.format(count=len(refused)), refused)
    return converted.tables, tuple(f"annotations: {p}" for p in problems)


def outside_scheme(converted: Any, scheme: Any) -> list[Any]:
    """RETURNS (list[Problem]): One problem per human span or relation label, or document
    label value, that the annotation scheme does not have, naming where it came from."""
    allowed = {
        "spans": {label.name for label in scheme.span_labels},
        "relations": {label.name for label in scheme.relation_labels},
    }
    values = {d.name: set(d.value_names) for d in scheme.document_labels}
    rows = converted.tables["annotations"].select(["annotation_id", "task_id"]).to_pylist()
    tasks = {r["annotation_id"]: r["task_id"] for r in rows}
    snapshots = converted.snapshots
    found = []
    for name, key in (("spans", "span_id"), ("relations", "relation_id")):
        for row in converted.tables[name].to_pylist():
            if row["layer"] == tables.LAYER_HUMAN and row["label"] not in allowed[name]:
                task = tasks.get(row["annotation_id"])
                region = row[key].removeprefix(f"{row['annotation_id']}-")
                detail = f"{name} label {row['label']!r} is not in the annotation scheme"
                found.append(
                    Problem(
                        task,
                        row["annotation_id"],
                        region,
                        row["doc_id"],
                        "label_in_scheme",
                        detail,
                        snapshots.get(task),
                    )
                )
    for row in converted.tables["document_labels"].to_pylist():
        if row["layer"] == tables.LAYER_HUMAN and row["value"] not in values.get(row["name"], ()):
            task = tasks.get(row["annotation_id"])
            detail = f"document label {row['name']}={row['value']!r} is not in the scheme"
            found.append(
                Problem(
                    task,
                    row["annotation_id"],
                    None,
                    row["doc_id"],
                    "label_in_scheme",
                    detail,
                    snapshots.get(task),
                )
            )
    return found
