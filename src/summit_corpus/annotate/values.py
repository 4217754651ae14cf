"""The values of the Label Studio round trip: control names, keys, and what a task is.

`Task` is what `to_tasks` makes and `push` imports; `Problem` is a result that could not be
placed; `Conversion` is what `from_export` makes of an export. The constants are the contract
with the labeling config (core/generated.py's `labeling_config`) and with the snapshot folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

# Control names of the labeling config (the contract with core/generated.py's `labeling_config`).
TEXT_NAME = "text"
SPAN_CONTROL = "label"
NOTE_CONTROL = "note"

SOURCE = "label-studio"
DEFAULT_PROJECT = "Summit News Corpus"
ENV_PSEUDONYM_KEY = "SUMMIT_PSEUDONYM_KEY"
SCHEME_MARK = "scheme_version="
SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}Z\.json$")
AGREEMENT_FILE = "agreement.json"
REMOVED_FILE = "removed.json"  # annotations taken out with `pull --remove-missing`
# Span labels that may run over several sentences (a quotation does); every other span lies in
# one sentence. publish.configs.NER_EXCLUDED_LABELS leaves the same labels out of `ner`.
MULTI_SENTENCE_LABELS = ("QUOTE",)

ADJUDICATION_RULE = (
    "per task, the annotation marked ground truth (the most recently updated one if several); "
    "otherwise the most recently updated annotation that was not skipped (ties: highest "
    "annotation id). Skipped annotations and annotations of stale tasks never count."
)


@dataclass(frozen=True, slots=True)
class Task:
    """One Label Studio task: a document and its model layer.

    doc_id (str): The document's id.
    text (str): The document's clean text, exactly as stored in the corpus.
    text_sha256 (str): SHA-256 of `text` (UTF-8); with `doc_id` the task's key.
    source_file (str): The raw file the document came from.
    prediction (tuple[dict[str, Any], ...]): Model-layer results in Label Studio's format.
    model_version (str): Names the model layer's sources.
    """

    doc_id: str
    text: str
    text_sha256: str
    source_file: str
    prediction: tuple[dict[str, Any], ...] = ()
    model_version: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc_id, self.text_sha256)

    def to_json(self) -> dict[str, Any]:
        """RETURNS (dict[str, Any]): The task in Label Studio's import format."""
        task: dict[str, Any] = {
            "data": {
                "text": self.text,
                "doc_id": self.doc_id,
                "text_sha256": self.text_sha256,
                "source_file": self.source_file,
            }
        }
        if self.prediction:
            task["predictions"] = [
                {"model_version": self.model_version, "result": list(self.prediction)}
            ]
        return task


@dataclass(frozen=True, slots=True)
class Problem:
    """A result that could not be placed in the document (kept in the snapshot and the notes).

    task_id (int | None): Label Studio task.
    annotation_id (str | None): Label Studio annotation.
    region_id (str | None): Region (result) id.
    doc_id (str | None): The task's document.
    rule (str): Stable snake_case reason, e.g. 'region_text_matches'.
    detail (str): The values involved.
    snapshot (str | None): The snapshot file the task is in, where known.
    """

    task_id: int | None
    annotation_id: str | None
    region_id: str | None
    doc_id: str | None
    rule: str
    detail: str
    snapshot: str | None = None

    @property
    def loses_data(self) -> bool:
        """Whether what the problem is about is in no table (not even as a note)."""
        return self.rule in LOSING_RULES

    def __str__(self) -> str:
        where = f"{self.snapshot}: " if self.snapshot else ""
        return (
            f"{where}task {self.task_id} annotation {self.annotation_id} region {self.region_id} "
            f"(doc {self.doc_id}): rule '{self.rule}': {self.detail}"
        )


# Problems whose annotations end in no table at all (the others keep the result's raw JSON
# in annotation_notes): a build refuses them unless told to go on without those annotations.
LOSING_RULES = frozenset(
    {"document_exists", "task_format", "annotations_format", "annotation_format", "snapshot_name"}
)


@dataclass(frozen=True, slots=True)
class Conversion:
    """The corpus tables made from one or more exports, and what could not be placed.

    tables (dict[str, pa.Table]): spans, relations, document_labels, annotations,
        annotation_notes (human and adjudicated layers).
    problems (tuple[Problem, ...]): Regions that do not match their document, unknown
        documents, stale tasks.
    utf16_regions (int): Regions whose offsets were UTF-16 code units and were converted.
    results (int): Result items read from the export(s).
    snapshots (dict[int, str]): Task id -> the snapshot file it was read from (when read
        from snapshot files).
    """

    tables: dict[str, pa.Table]
    problems: tuple[Problem, ...] = ()
    utf16_regions: int = 0
    results: int = 0
    snapshots: dict[int, str] = field(default_factory=dict)
