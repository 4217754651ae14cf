"""Tasks out (pure): documents and the model layer -> one Label Studio task per document.

The model layer becomes the task's prediction, and its result ids are the spans' `span_id`s, so
a correction made in Label Studio still names the span it corrects. `layer_results` also turns
the human layer back into annotation results, and `human_annotations` into the annotations
`push --with-annotations` sends (the client adds each annotator's account on the server).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from summit_corpus import __version__
from summit_corpus.annotate.identity import import_id, pseudonym_email
from summit_corpus.annotate.values import SPAN_CONTROL, TEXT_NAME, Task
from summit_corpus.core import tables
from summit_corpus.core.io import sha256_bytes


def text_sha256(text: str) -> str:
    """RETURNS (str): SHA-256 of `text` encoded as UTF-8 (the corpus's `text_sha256`)."""
    return sha256_bytes(text.encode("utf-8"))


def model_version(scheme_version: str, sources: Iterable[str]) -> str:
    """Name the model layer of one push: toolkit, scheme and every rule set that made it.

    Label Studio's labeling queue shows only the predictions whose `model_version` is the
    project's, so every task of a push carries this one string (not the sources the task
    happens to have) and `push` sets the project's `model_version` to it.

    scheme_version (str): The scheme's version.
    sources (Iterable[str]): The `source` of the model-layer rows pushed.
    RETURNS (str): e.g. `summit-corpus-0.1.0/scheme-1.1.0/rule/event.v1+...+spacy/...`.
    """
    return f"summit-corpus-{__version__}/scheme-{scheme_version}/" + "+".join(sorted(set(sources)))


def _rows_by_doc(table: pa.Table | None, layer: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if table is None or table.num_rows == 0:
        return grouped
    for row in table.to_pylist():
        if row.get("layer") == layer:
            grouped[row["doc_id"]].append(row)
    return grouped


def layer_results(
    spans: Sequence[Mapping[str, Any]],
    relations: Sequence[Mapping[str, Any]],
    document_labels: Sequence[Mapping[str, Any]],
    *,
    region_id: Any = None,
) -> list[dict[str, Any]]:
    """Turn one document's rows of one layer (or annotation) into Label Studio results.

    spans (Sequence[Mapping]): Span rows of the document.
    relations (Sequence[Mapping]): Relation rows of the document.
    document_labels (Sequence[Mapping]): Document-label rows of the document.
    region_id (Callable[[str], str] | None): Maps a span_id to the region id to use; None
        keeps the span_id (the model layer: result ids = span ids).
    RETURNS (list[dict]): `labels` results, then `relation`s, then one `choices` per label name.
    """
    rid = region_id or (lambda span_id: span_id)
    results: list[dict[str, Any]] = []
    for s in sorted(spans, key=lambda r: (r["start"], r["end"], r["span_id"])):
        item: dict[str, Any] = {
            "id": rid(s["span_id"]),
            "from_name": SPAN_CONTROL,
            "to_name": TEXT_NAME,
            "type": "labels",
            "value": {
                "start": s["start"],
                "end": s["end"],
                "text": s["text"],
                "labels": [s["label"]],
            },
        }
        if s.get("score") is not None:
            item["score"] = s["score"]
        results.append(item)
    for r in sorted(relations, key=lambda r: r["relation_id"]):
        results.append(
            {
                "from_id": rid(r["head_span_id"]),
                "to_id": rid(r["tail_span_id"]),
                "type": "relation",
                "direction": "right",
                "labels": [r["label"]],
            }
        )
    chosen: dict[str, list[str]] = defaultdict(list)
    for d in document_labels:
        chosen[d["name"]].append(d["value"])
    for name in sorted(chosen):
        results.append(
            {
                "id": f"doc-{name}",
                "from_name": name,
                "to_name": TEXT_NAME,
                "type": "choices",
                "value": {"choices": sorted(chosen[name])},
            }
        )
    return results


def to_tasks(
    documents: pa.Table,
    spans: pa.Table | None = None,
    relations: pa.Table | None = None,
    document_labels: pa.Table | None = None,
    *,
    model_version: str | None = None,
) -> list[Task]:
    """Make one task per document, with the model layer as its prediction.

    documents (pa.Table): The documents table (doc_id, text, text_sha256, source_file).
    spans (pa.Table | None): The spans table; only `prediction` rows are used.
    relations (pa.Table | None): The relations table; only `prediction` rows are used.
    document_labels (pa.Table | None): The document_labels table; `prediction` rows.
    model_version (str | None): The predictions' model_version, the same for every task;
        None joins the sources of all model-layer rows (of every document).
    RETURNS (list[Task]): Tasks sorted by doc_id.
    """
    layer = tables.LAYER_PREDICTION
    by_doc = [_rows_by_doc(t, layer) for t in (spans, relations, document_labels)]
    if model_version is None:
        model_version = "; ".join(
            sorted({row["source"] for g in by_doc for rows in g.values() for row in rows})
        )
    tasks = []
    for doc in sorted(
        documents.select(["doc_id", "text", "text_sha256", "source_file"]).to_pylist(),
        key=lambda d: d["doc_id"],
    ):
        doc_id = doc["doc_id"]
        s, r, d = (g.get(doc_id, []) for g in by_doc)
        result = layer_results(s, r, d)
        tasks.append(
            Task(
                doc_id=doc_id,
                text=doc["text"],
                text_sha256=doc["text_sha256"],
                source_file=doc["source_file"],
                prediction=tuple(result),
                model_version=model_version,
            )
        )
    return tasks


def annotation_identity(annotation: Any) -> str:
    """RETURNS (str): What makes an annotation the same one: its result items (id, type,
    control names, value) and its flags, as canonical JSON (fields the server adds, its ids
    and times do not count)."""

    def get(name: str) -> Any:
        if isinstance(annotation, Mapping):
            return annotation.get(name)
        return getattr(annotation, name, None)

    items = []
    for item in get("result") or []:
        item = item if isinstance(item, Mapping) else {}
        keys = ("id", "type", "from_name", "to_name", "value", "from_id", "to_id", "labels")
        items.append({k: item.get(k) for k in keys if item.get(k) is not None})
    items.sort(key=lambda i: json.dumps(i, sort_keys=True))
    flags = [bool(get("was_cancelled")), bool(get("ground_truth"))]
    return json.dumps([items, flags], sort_keys=True, ensure_ascii=False)


def human_annotations(
    tasks: Sequence[Task],
    targets: Mapping[tuple[str, str], int],
    human: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[int, list[tuple[dict[str, Any], str | None]]]:
    """The human layer's annotations, as `push --with-annotations` sends them to a task.

    tasks (Sequence[Task]): The pushed tasks (a document's annotations go to its current one).
    targets (Mapping[tuple[str, str], int]): Task key (doc_id, text SHA-256) -> task id.
    human (Mapping[str, Sequence[Mapping]]): Human-layer rows ("spans", "relations",
        "document_labels", optional "annotations"/"annotation_notes").
    RETURNS (dict[int, list[tuple[dict, str | None]]]): Task id -> each annotation's fields,
        with its annotator's pseudonym e-mail (None for none), in (doc_id, annotation_id)
        order. Stale annotations and documents without a target are left out.
    """
    grouped: dict[tuple[str, str], dict[str, list[Mapping[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for name in ("spans", "relations", "document_labels", "annotation_notes"):
        for row in human.get(name, ()):
            if row.get("layer", tables.LAYER_HUMAN) == tables.LAYER_HUMAN and row.get(
                "annotation_id"
            ):
                grouped[(row["doc_id"], row["annotation_id"])][name].append(row)
    meta = {(a["doc_id"], a["annotation_id"]): a for a in human.get("annotations", ())}
    for key, a in meta.items():
        if a.get("was_cancelled") and not a.get("stale"):
            grouped[key].setdefault("spans", [])
    sha = {t.doc_id: t.text_sha256 for t in tasks}
    wanted: dict[int, list[tuple[dict[str, Any], str | None]]] = defaultdict(list)
    for (doc_id, ann_id), rows in sorted(grouped.items()):
        task_id = targets.get((doc_id, sha.get(doc_id, "")))
        info = meta.get((doc_id, ann_id), {})
        if task_id is None or info.get("stale"):
            continue
        prefix = f"{ann_id}-"
        result = layer_results(
            rows["spans"],
            rows["relations"],
            rows["document_labels"],
            region_id=lambda span_id, p=prefix: span_id.removeprefix(p),
        )
        for n in sorted(rows["annotation_notes"], key=lambda r: r["result_index"]):
            if n["kind"] == "note":
                result.append(json.loads(n["raw_json"]))
        annotation: dict[str, Any] = {
            "result": result,
            "was_cancelled": bool(info.get("was_cancelled", False)),
            "ground_truth": bool(info.get("ground_truth", False)),
            "lead_time": info.get("lead_time"),
        }
        carried = import_id(ann_id)
        if carried is not None:
            annotation["import_id"] = carried  # it keeps its name on this server
        annotator = info.get("annotator")
        email = pseudonym_email(annotator) if isinstance(annotator, str) and annotator else None
        wanted[task_id].append((annotation, email))
    return dict(wanted)
