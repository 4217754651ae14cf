"""Inter-annotator agreement (IAA) of the human layer (pure): span F1 and Krippendorff's alpha.

`corpus annotate pull` writes it next to the snapshot (agreement.json), `corpus annotate
agreement` prints it, and the datasheet reports it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import pyarrow as pa

from summit_corpus.annotate.values import ADJUDICATION_RULE
from summit_corpus.core import tables


def _alpha_nominal(units: Sequence[Sequence[str]]) -> float | None:
    """Krippendorff's alpha (nominal) over units with their coders' values."""
    pairable = [u for u in units if len(u) >= 2]
    if not pairable:
        return None
    coincidence: dict[tuple[str, str], float] = defaultdict(float)
    for values in pairable:
        m = len(values)
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidence[(a, b)] += 1.0 / (m - 1)
    totals: dict[str, float] = defaultdict(float)
    for (a, _), v in coincidence.items():
        totals[a] += v
    n = sum(totals.values())
    observed = sum(v for (a, b), v in coincidence.items() if a != b)
    expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (n - 1)
    if expected == 0:
        return 1.0 if observed == 0 else 0.0
    return 1.0 - observed / expected


def _human_answers(
    converted: Mapping[str, pa.Table],
) -> tuple[
    dict[str, list[tuple[str, str]]],
    dict[str, set[tuple[int, int, str]]],
    dict[str, dict[str, set[str]]],
    set[str],
]:
    """The human annotations that count (not skipped, not stale), grouped for comparison.

    converted (Mapping[str, pa.Table]): Tables from `from_export` / `read_snapshots`.
    RETURNS (tuple): doc_id -> [(annotation id, annotator)], annotation id -> its spans as
        (start, end, label), annotation id -> name -> chosen values, and the names used.
    """
    anns = [
        a for a in converted["annotations"].to_pylist() if not a["was_cancelled"] and not a["stale"]
    ]
    by_doc: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a in anns:
        by_doc[a["doc_id"]].append((a["annotation_id"], a["annotator"] or a["annotation_id"]))
    spans: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    for s in converted["spans"].to_pylist():
        if s["layer"] == tables.LAYER_HUMAN:
            spans[s["annotation_id"]].add((s["start"], s["end"], s["label"]))
    choices: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    names: set[str] = set()
    for d in converted["document_labels"].to_pylist():
        if d["layer"] == tables.LAYER_HUMAN:
            choices[d["annotation_id"]][d["name"]].add(d["value"])
            names.add(d["name"])
    return by_doc, spans, choices, names


def agreement(converted: Mapping[str, pa.Table]) -> dict[str, Any]:
    """Inter-annotator agreement of the human layer.

    Spans: pooled pairwise F1 per label (exact start, end and label) over documents with at
    least two annotations by different annotators. Document labels: Krippendorff's alpha
    (nominal) per single-choice name, and per value (chosen / not chosen) for multi-choice
    names.

    converted (Mapping[str, pa.Table]): Tables from `from_export` / `read_snapshots`.
    RETURNS (dict[str, Any]): {"documents": n, "pairs": n, "spans": {label: {...}},
        "document_labels": {name: alpha or {value: alpha}}, "adjudication": rule}.
    """
    by_doc, spans, choices, names = _human_answers(converted)
    tp: dict[str, int] = defaultdict(int)
    size: dict[str, int] = defaultdict(int)
    docs = pairs = 0
    units: dict[str, list[list[str]]] = defaultdict(list)
    multi: dict[str, bool] = {}
    for name in names:
        multi[name] = any(len(c.get(name, ())) > 1 for c in choices.values())
    for doc_id in sorted(by_doc):
        # one annotation per annotator: the last one they made
        latest = dict(
            sorted(
                ((who, ann) for ann, who in by_doc[doc_id]),
                key=lambda x: int(x[1]) if x[1].isdigit() else 0,
            )
        )
        if len(latest) < 2:
            continue
        docs += 1
        for a, b in combinations(sorted(latest.values()), 2):
            pairs += 1
            for label in {x[2] for x in spans[a] | spans[b]}:
                sa = {x for x in spans[a] if x[2] == label}
                sb = {x for x in spans[b] if x[2] == label}
                tp[label] += len(sa & sb)
                size[label] += len(sa) + len(sb)
        for name in sorted(names):
            given = [choices[ann].get(name, set()) for ann in latest.values()]
            if multi[name]:
                values = sorted(set().union(*given))
                for v in values:
                    units[f"{name}={v}"].append(["yes" if v in g else "no" for g in given])
            else:
                units[name].append([next(iter(g)) for g in given if g])
    span_scores = {
        label: {
            "f1": round(2 * tp[label] / size[label], 4) if size[label] else None,
            "matches": tp[label],
            "spans": size[label],
        }
        for label in sorted(size)
    }
    doc_scores: dict[str, Any] = {}
    for key in sorted(units):
        alpha = _alpha_nominal(units[key])
        doc_scores[key] = None if alpha is None else round(alpha, 4)
    return {
        "documents": docs,
        "pairs": pairs,
        "spans": span_scores,
        "document_labels": doc_scores,
        "adjudication": ADJUDICATION_RULE,
    }


def format_agreement(result: Mapping[str, Any]) -> str:
    """RETURNS (str): `agreement`'s result as lines for a terminal."""
    if not result:
        return "agreement: not computed."
    if not result.get("pairs"):
        return "agreement: no document has annotations by two annotators."
    lines = [f"agreement over {result['documents']} document(s), {result['pairs']} pair(s):"]
    for label, s in result["spans"].items():
        lines.append(f"  span {label}: F1 {s['f1']} ({s['matches']} matches / {s['spans']} spans)")
    for name, alpha in result["document_labels"].items():
        lines.append(f"  document label {name}: Krippendorff's alpha {alpha}")
    return "\n".join(lines)
