"""`corpus annotate pull`: the project's export as a new snapshot, and what it changes.

The pull writes the pseudonymised export as a dated snapshot (none when it equals the latest),
then says what it changes in the history (`history.compare`: new, changed, no longer on the
server), which regions do not fit their document, and which break a rule of the corpus
(`rule_breaks`: a span across a sentence break, or one that splits a token), naming task,
annotation, region and text, so an annotator can fix them before `corpus build`. Annotations no
longer on the server stay in the corpus unless `remove_missing` is given, and then the pull
lists each one it removes. Agreement is computed over the whole history.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.annotate.client import _find_project, export_project, server_errors
from summit_corpus.annotate.convert import from_export
from summit_corpus.annotate.history import compare, merged_export, record_removals
from summit_corpus.annotate.iaa import agreement
from summit_corpus.annotate.identity import annotation_name
from summit_corpus.annotate.offsets import resolve_offsets
from summit_corpus.annotate.reports import PullReport
from summit_corpus.annotate.snapshots import project_slug, pseudonymise, snapshot_bytes
from summit_corpus.annotate.values import (
    AGREEMENT_FILE,
    DEFAULT_PROJECT,
    ENV_PSEUDONYM_KEY,
    MULTI_SENTENCE_LABELS,
    SNAPSHOT_NAME,
    Problem,
)
from summit_corpus.core import layout, tables
from summit_corpus.core.errors import AnnotateError, Errors
from summit_corpus.core.io import read_parquet_dir, write_atomic, write_json


# --- rules a region must keep (checked at pull time) -------------------------------------------
def _bounds(table: pa.Table, doc_ids: set[str]) -> dict[str, list[tuple[int, int]]]:
    if table.num_rows == 0:
        return {}
    wanted = table.filter(pc.is_in(table.column("doc_id"), pa.array(sorted(doc_ids), pa.string())))
    out: dict[str, list[tuple[int, int]]] = {}
    cols = wanted.select(["doc_id", "start", "end"]).to_pydict()
    for doc_id, start, end in zip(cols["doc_id"], cols["start"], cols["end"], strict=True):
        out.setdefault(doc_id, []).append((start, end))
    return {d: sorted(v) for d, v in out.items()}


def _inside(bounds: list[tuple[int, int]], starts: list[int], at: int) -> tuple[int, int] | None:
    """The unit (sentence or token) with start < at < end, if any."""
    i = bisect.bisect_right(starts, at) - 1
    if i >= 0 and bounds[i][0] < at < bounds[i][1]:
        return bounds[i]
    return None


def _broken(
    text: str,
    span: tuple[int, int, list[str]],
    sent_starts: list[int],
    toks: list[tuple[int, int]],
    tok_starts: list[int],
) -> list[tuple[str, str]]:
    """RETURNS (list[tuple[str, str]]): (rule, why) for each rule a span (start, end, labels)
    breaks."""
    start, end, labels = span
    out = []
    crossed = [s for s in sent_starts if start < s < end]
    if crossed and not set(labels) <= set(MULTI_SENTENCE_LABELS):
        out.append(("span_in_one_sentence", f"crosses the sentence break at {crossed[0]}"))
    for edge, name in ((start, "start"), (end, "end")):
        token = _inside(toks, tok_starts, edge)
        if token is not None:
            word = text[token[0] : token[1]]
            out.append(("span_whole_tokens", f"{name} splits the token {word!r}"))
    return out


def rule_breaks(
    export: Sequence[Mapping[str, Any]], sentences: pa.Table, tokens: pa.Table
) -> list[Problem]:
    """Regions that break a rule of the corpus: across a sentence break (labels other than
    `MULTI_SENTENCE_LABELS`), or splitting a token.

    export (Sequence[Mapping]): Label Studio's JSON export (pseudonymised).
    sentences (pa.Table): The corpus's sentences (doc_id, start, end).
    tokens (pa.Table): The corpus's tokens (doc_id, start, end).
    RETURNS (list[Problem]): One problem per region and rule, naming task, annotation, region,
        its offsets and its text.
    """
    doc_ids = {
        t["data"]["doc_id"]
        for t in export
        if isinstance(t.get("data"), Mapping) and isinstance(t["data"].get("doc_id"), str)
    }
    by_sentence, by_token = _bounds(sentences, doc_ids), _bounds(tokens, doc_ids)
    found: list[Problem] = []
    for task in export:
        data = task.get("data") or {}
        doc_id, text = data.get("doc_id"), data.get("text")
        if not isinstance(doc_id, str) or not isinstance(text, str):
            continue
        sents, toks = by_sentence.get(doc_id, []), by_token.get(doc_id, [])
        sent_starts, tok_starts = [s for s, _ in sents], [s for s, _ in toks]
        for annotation in task.get("annotations") or []:
            ann_id = annotation_name(doc_id, annotation)
            for index, item in enumerate(annotation.get("result") or []):
                if not isinstance(item, Mapping) or item.get("type") != "labels":
                    continue
                value = item.get("value") or {}
                placed = resolve_offsets(
                    text, value.get("start"), value.get("end"), value.get("text")
                )
                if placed is None:
                    continue  # reported as a mismatch
                start, end, _ = placed
                labels = [str(x) for x in value.get("labels") or []]
                shown = f"{','.join(labels)} [{start}, {end}) {text[start:end]!r}"
                for rule, why in _broken(text, (start, end, labels), sent_starts, toks, tok_starts):
                    region = str(item.get("id", f"#{index}"))
                    found.append(
                        Problem(task.get("id"), ann_id, region, doc_id, rule, f"{shown} {why}")
                    )
    return found


def _corpus_units(corpus: Path | None) -> tuple[pa.Table, pa.Table]:
    empty = (tables.SENTENCES.empty(), tables.TOKENS.empty())
    if corpus is None or not layout.config_dir(corpus, "tokens").is_dir():
        return empty
    return (
        read_parquet_dir(layout.config_dir(corpus, "sentences")),
        read_parquet_dir(layout.config_dir(corpus, "tokens")),
    )


# --- the pull ----------------------------------------------------------------------------------
def _texts(tasks: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {
        t["data"]["doc_id"]: t["data"]["text"]
        for t in tasks
        if isinstance(t.get("data"), dict)
        and isinstance(t["data"].get("doc_id"), str)
        and isinstance(t["data"].get("text"), str)
    }


def pull(
    client: Any,
    *,
    project: str = DEFAULT_PROJECT,
    annotations_dir: Path = Path("annotations"),
    key: str | None = None,
    now: datetime | None = None,
    remove_missing: bool = False,
    corpus: Path | None = None,
) -> PullReport:
    """Export the project, store it as a dated, pseudonymised snapshot, report what changed.

    client (LabelStudio): SDK client from `connect`.
    project (str): Project title.
    annotations_dir (Path): Folder of snapshots; the snapshot goes to `<dir>/<project-slug>/`.
    key (str | None): Pseudonym key; None reads SUMMIT_PSEUDONYM_KEY (refused if missing).
    now (datetime | None): Time the snapshot is named after; None is the current UTC time.
    remove_missing (bool): Remove from the corpus the annotations pulled from this project
        before that the server no longer has (listed; their snapshots stay).
    corpus (Path | None): A built corpus whose sentences and tokens regions are checked
        against; None (or no corpus there) skips that check.
    RETURNS (PullReport): The snapshot, counts, changes, problems and agreement.
    """
    with server_errors(client, "pull"):
        return _pull(
            client,
            project=project,
            annotations_dir=annotations_dir,
            key=key,
            now=now,
            remove_missing=remove_missing,
            corpus=corpus,
        )


def _pull(
    client: Any,
    *,
    project: str,
    annotations_dir: Path,
    key: str | None,
    now: datetime | None,
    remove_missing: bool,
    corpus: Path | None,
) -> PullReport:
    key = key or os.environ.get(ENV_PSEUDONYM_KEY)
    if not key:
        raise AnnotateError(Errors.E608, rule="pseudonym_key")
    found = _find_project(client, project)
    if found is None:
        url = getattr(client, "_summit_url", "the server")
        raise AnnotateError(Errors.E609.format(title=project, url=url), rule="project_exists")
    export = pseudonymise(export_project(client, found.id), key)
    data = snapshot_bytes(export)
    folder = annotations_dir / project_slug(project)
    previous = sorted(p for p in folder.glob("*.json") if SNAPSHOT_NAME.match(p.name))
    if previous and previous[-1].read_bytes() == data:
        path, written = previous[-1], False
    else:
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        path, written = folder / f"{stamp}.json", True
    changes = compare(annotations_dir, folder, export, path.name)
    if written:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    if remove_missing and changes.gone:
        record_removals(folder, changes.gone, path.name)
    history = merged_export(annotations_dir)
    scores = agreement(from_export(history, {**_texts(history), **_texts(export)}).tables)
    write_json(folder / AGREEMENT_FILE, scores)
    # Every problem of the conversion a build will make of this snapshot, naming the file.
    converted = from_export(export, _texts(export))
    problems = tuple(dataclasses.replace(p, snapshot=str(path)) for p in converted.problems)
    sentences, tokens = _corpus_units(corpus)
    n_ann = sum(len(t.get("annotations") or []) for t in export)
    n_res = sum(len(a.get("result") or []) for t in export for a in t.get("annotations") or [])
    return PullReport(
        path,
        written,
        len(export),
        n_ann,
        n_res,
        problems,
        scores,
        changes,
        remove_missing and bool(changes.gone),
        tuple(rule_breaks(export, sentences, tokens)),
    )
