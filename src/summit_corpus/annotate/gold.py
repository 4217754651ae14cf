"""The gold human layer of the seeds: a reviewable YAML source resolved to Label Studio results.

`annotations/gold/seeds_gold.yaml` names each span by its exact surface text and a context
that occurs once in the document (the span in [brackets]), so the file reads like the
article and survives edits elsewhere in the text. `resolve_gold` turns it into offsets
against the corpus's clean text, in Label Studio's JSON export `result` format, which the
Label Studio round trip enters into a real server (and which `gold_rows` turns into table
rows for tests and for evaluation before a snapshot exists).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from summit_corpus.core.errors import Errors, SchemeError
from summit_corpus.core.scheme import SPAN_CONTROL, TEXT_NAME, Scheme, load_scheme

# Relative to the corpus project (the repository root), where `corpus` commands run.
GOLD_PATH = Path("annotations") / "gold" / "seeds_gold.yaml"
GOLD_SOURCE = "gold/seeds_gold.yaml"
_CONTEXT = re.compile(r"^(?P<left>[^\[\]]*)\[(?P<span>[^\[\]]+)\](?P<right>[^\[\]]*)$")


def _fail(path: Path, rule: str, message: str) -> SchemeError:
    return SchemeError(message, path=path, rule=rule)


def _locate(path: Path, doc_id: str, text: str, span: Mapping[str, Any]) -> tuple[int, int]:
    span_id = span.get("id", "?")
    surface = span.get("text")
    if not isinstance(surface, str) or not surface:
        raise _fail(
            path,
            "gold_reference",
            Errors.E507.format(
                path=path, doc_id=doc_id, detail=f"span {span_id!r} needs a non-empty 'text'"
            ),
        )
    if "at" in span:
        match = _CONTEXT.match(str(span["at"]))
        if match is None or match["span"] != surface:
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(
                    path=path,
                    doc_id=doc_id,
                    detail=f"span {span_id!r}: 'at' must hold the text {surface!r} in [brackets] "
                    f"(got {span['at']!r})",
                ),
            )
        context = match["left"] + surface + match["right"]
        hits = [m.start() for m in re.finditer(re.escape(context), text)]
        if not hits:
            raise _fail(
                path,
                "gold_found",
                Errors.E505.format(
                    path=path, doc_id=doc_id, span_id=span_id, what=f"context {context!r}"
                ),
            )
        if len(hits) > 1:
            raise _fail(
                path,
                "gold_unique",
                Errors.E506.format(
                    path=path, doc_id=doc_id, span_id=span_id, context=context, count=len(hits)
                ),
            )
        start = hits[0] + len(match["left"])
    else:
        occurrence = int(span.get("occurrence", 1))
        pattern = rf"(?<!\w){re.escape(surface)}(?!\w)"
        starts = [m.start() for m in re.finditer(pattern, text)]
        if len(starts) < occurrence or occurrence < 1:
            raise _fail(
                path,
                "gold_found",
                Errors.E505.format(
                    path=path,
                    doc_id=doc_id,
                    span_id=span_id,
                    what=f"occurrence {occurrence} of {surface!r} ({len(starts)} found)",
                ),
            )
        start = starts[occurrence - 1]
    return start, start + len(surface)


def load_gold(path: Path = GOLD_PATH) -> dict[str, Any]:
    """RETURNS (dict[str, Any]): The gold file as read, with its `documents` mapping checked."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("documents"), dict):
        raise _fail(
            path,
            "gold_reference",
            Errors.E507.format(
                path=path, doc_id="-", detail="the file must map 'documents' to documents"
            ),
        )
    return raw


def resolve_gold(
    path: Path, documents: Mapping[str, str], scheme: Scheme | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Resolve the gold file to Label Studio annotation results, one list per document.

    path (Path): The gold YAML file (e.g. annotations/gold/seeds_gold.yaml).
    documents (Mapping[str, str]): doc_id -> the document's clean text (documents.text).
    scheme (Scheme | None): Scheme to check labels against; None loads the default one.
    RETURNS (dict[str, list[dict]]): doc_id -> `result` list: `labels` regions (ids are the
        gold span ids), `relation` items and one `choices` item per document label.
    RAISES (SchemeError): A span is not found, a context is not unique, a label or a
        relation breaks the scheme, or a document is not in `documents`.
    """
    scheme = load_scheme() if scheme is None else scheme
    vocab = scheme.vocabularies()
    gold = load_gold(path)
    resolved: dict[str, list[dict[str, Any]]] = {}
    for doc_id in sorted(gold["documents"]):
        entry = gold["documents"][doc_id] or {}
        if doc_id not in documents:
            raise _fail(path, "gold_documents", Errors.E508.format(path=path, doc_id=doc_id))
        results, labels, texts = _gold_spans(path, doc_id, documents[doc_id], entry, vocab)
        results += _gold_relations(path, doc_id, entry, scheme, vocab, labels, texts)
        results += _gold_document_labels(path, doc_id, entry, scheme)
        resolved[doc_id] = results
    return resolved


def _gold_spans(
    path: Path,
    doc_id: str,
    text: str,
    entry: Mapping[str, Any],
    vocab: Mapping[str, tuple[str, ...]],
) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """RETURNS (tuple): A document's `labels` results, and span id -> label and -> text."""
    results: list[dict[str, Any]] = []
    labels: dict[str, str] = {}
    texts: dict[str, str] = {}
    placed: list[tuple[int, int, str, str]] = []
    for span in entry.get("spans") or []:
        span_id, label = str(span.get("id")), span.get("label")
        if label not in vocab["span_labels"]:
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(
                    path=path,
                    doc_id=doc_id,
                    detail=f"span {span_id!r}: label must be one of {vocab['span_labels']!r} "
                    f"(got {label!r})",
                ),
            )
        if span_id in labels:
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(
                    path=path, doc_id=doc_id, detail=f"span id {span_id!r} is used twice"
                ),
            )
        start, end = _locate(path, doc_id, text, span)
        labels[span_id], texts[span_id] = label, text[start:end]
        placed.append((start, end, label, span_id))
        results.append(
            {
                "id": span_id,
                "from_name": SPAN_CONTROL,
                "to_name": TEXT_NAME,
                "type": "labels",
                "value": {
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "labels": [label],
                },
            }
        )
    _check_overlaps(path, doc_id, placed)
    return results, labels, texts


def _gold_relations(
    path: Path,
    doc_id: str,
    entry: Mapping[str, Any],
    scheme: Scheme,
    vocab: Mapping[str, tuple[str, ...]],
    labels: Mapping[str, str],
    texts: Mapping[str, str],
) -> list[dict[str, Any]]:
    """RETURNS (list[dict]): A document's `relation` results, checked against spans and scheme."""
    results: list[dict[str, Any]] = []
    for n, rel in enumerate(entry.get("relations") or []):
        head, tail, label = str(rel.get("head")), str(rel.get("tail")), rel.get("label")
        problem = None
        if head not in labels or tail not in labels:
            problem = f"relation {n}: head {head!r} and tail {tail!r} must be span ids"
        elif label not in vocab["relation_labels"]:
            allowed = vocab["relation_labels"]
            problem = f"relation {n}: label must be one of {allowed!r} (got {label!r})"
        elif not scheme.allows_relation(label, labels[head], labels[tail]):
            problem = (
                f"relation {n}: '{label}' may not link {labels[head]} {head!r} to "
                f"{labels[tail]} {tail!r}"
            )
        else:
            for key, sid in (("head_text", head), ("tail_text", tail)):
                if key in rel and rel[key] != texts[sid]:
                    problem = (
                        f"relation {n}: {key} {rel[key]!r} is not span {sid!r} ({texts[sid]!r})"
                    )
        if problem:
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(path=path, doc_id=doc_id, detail=problem),
            )
        results.append(
            {
                "from_id": head,
                "to_id": tail,
                "type": "relation",
                "direction": "right",
                "labels": [label],
            }
        )
    return results


def _gold_document_labels(
    path: Path, doc_id: str, entry: Mapping[str, Any], scheme: Scheme
) -> list[dict[str, Any]]:
    """RETURNS (list[dict]): A document's `choices` results, one per document label it names."""
    results: list[dict[str, Any]] = []
    for name, values in sorted((entry.get("document_labels") or {}).items()):
        try:
            doc_label = scheme.document_label(name)
        except KeyError:
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(
                    path=path, doc_id=doc_id, detail=f"no document label {name!r} in the scheme"
                ),
            ) from None
        values = list(values or [])
        bad = [v for v in values if v not in doc_label.value_names]
        how = "one" if doc_label.choice == "single" else "some"
        if bad or (doc_label.choice == "single" and len(values) > 1):
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(
                    path=path,
                    doc_id=doc_id,
                    detail=f"{name}: values must be {how} of {doc_label.value_names!r} "
                    f"(got {values!r})",
                ),
            )
        if values:
            results.append(
                {
                    "id": name,
                    "from_name": name,
                    "to_name": TEXT_NAME,
                    "type": "choices",
                    "value": {"choices": values},
                }
            )
    return results


def _check_overlaps(path: Path, doc_id: str, placed: list[tuple[int, int, str, str]]) -> None:
    # Entity spans never overlap each other; a QUOTE may contain entity spans.
    entities = sorted(p for p in placed if p[2] != "QUOTE")
    for a, b in zip(entities, entities[1:], strict=False):
        if b[0] < a[1]:
            raise _fail(
                path,
                "gold_reference",
                Errors.E507.format(
                    path=path, doc_id=doc_id, detail=f"spans {a[3]!r} and {b[3]!r} overlap"
                ),
            )


def gold_rows(
    resolved: Mapping[str, list[dict[str, Any]]],
    layer: str,
    source: str = GOLD_SOURCE,
) -> dict[str, list[dict[str, Any]]]:
    """Turn resolved gold results into rows of the spans, relations and document_labels tables.

    resolved (Mapping[str, list[dict]]): Output of `resolve_gold`.
    layer (str): Layer to give the rows (e.g. tables.LAYER_ADJUDICATED).
    source (str): Source to give the rows.
    RETURNS (dict[str, list[dict]]): "spans", "relations", "document_labels" -> row dicts.
    """
    rows: dict[str, list[dict[str, Any]]] = {"spans": [], "relations": [], "document_labels": []}
    prov = {
        "layer": layer,
        "source": source,
        "score": None,
        "annotator": None,
        "annotation_id": None,
    }
    for doc_id in sorted(resolved):
        n_rel = 0
        for item in resolved[doc_id]:
            if item["type"] == "labels":
                value = item["value"]
                rows["spans"].append(
                    {
                        "doc_id": doc_id,
                        "span_id": item["id"],
                        "start": value["start"],
                        "end": value["end"],
                        "text": value["text"],
                        "label": value["labels"][0],
                        **prov,
                    }
                )
            elif item["type"] == "relation":
                n_rel += 1
                rows["relations"].append(
                    {
                        "doc_id": doc_id,
                        "relation_id": f"r{n_rel:04d}",
                        "head_span_id": item["from_id"],
                        "tail_span_id": item["to_id"],
                        "label": item["labels"][0],
                        **prov,
                    }
                )
            elif item["type"] == "choices":
                for value in item["value"]["choices"]:
                    rows["document_labels"].append(
                        {"doc_id": doc_id, "name": item["from_name"], "value": value, **prov}
                    )
    return rows
