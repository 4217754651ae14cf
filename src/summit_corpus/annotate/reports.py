"""What a push or a pull did: the reports the `corpus annotate` commands print."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summit_corpus.annotate.history import Changes
from summit_corpus.annotate.iaa import format_agreement
from summit_corpus.annotate.values import Problem


@dataclass(frozen=True, slots=True)
class PushReport:
    """What `push` did.

    project_id (int): The Label Studio project.
    created (int): Tasks imported now.
    existing (int): Tasks that were already there (same doc_id and text SHA-256).
    stale (tuple[tuple[int, str, int], ...]): (task id, doc_id, annotations) of tasks whose
        document text has changed since.
    config_updated (bool): Whether the labeling config was (re)written.
    annotations_created (int): Human annotations pushed back (--with-annotations).
    seconds (float): Wall time of the push.
    model_version (str): The push's model_version, now the project's.
    predictions_added (int): Earlier tasks given the model layer under this model_version.
    """

    project_id: int
    created: int
    existing: int
    stale: tuple[tuple[int, str, int], ...] = ()
    config_updated: bool = False
    annotations_created: int = 0
    seconds: float = 0.0
    model_version: str = ""
    predictions_added: int = 0

    def describe(self) -> str:
        lines = [
            f"project {self.project_id}: {self.created} task(s) created, {self.existing} already "
            f"there, {self.annotations_created} annotation(s) pushed"
            + (", labeling config updated" if self.config_updated else "")
            + f" ({self.seconds:.1f} s)."
        ]
        if self.model_version:
            lines.append(
                f"predictions: model_version {self.model_version} (the project's, so the "
                "labeling queue shows them on every task)"
                + (
                    f"; added to {self.predictions_added} earlier task(s)"
                    if self.predictions_added
                    else ""
                )
                + "."
            )
        for task_id, doc_id, n in self.stale:
            lines.append(
                f"stale: task {task_id} (doc {doc_id}) was made from an older text; its {n} "
                "annotation(s) are kept as they are and not re-anchored."
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PullReport:
    """What `pull` did.

    snapshot (Path): The snapshot holding the export (new, or the identical latest one).
    written (bool): Whether a new snapshot file was written (False: nothing changed).
    tasks (int): Tasks in the export.
    annotations (int): Annotations in the export (skipped ones included).
    results (int): Result items in all annotations.
    problems (tuple[Problem, ...]): What of the export does not convert (naming the file).
    agreement (dict[str, Any]): Inter-annotator agreement over the whole history.
    changes (Changes): New, changed and no-longer-on-the-server annotations.
    removed (bool): Whether the annotations no longer on the server were removed.
    rule_breaks (tuple[Problem, ...]): Regions across a sentence break or splitting a token.
    """

    snapshot: Path
    written: bool
    tasks: int
    annotations: int
    results: int
    problems: tuple[Problem, ...] = ()
    agreement: dict[str, Any] = field(default_factory=dict)
    changes: Changes = field(default_factory=Changes)
    removed: bool = False
    rule_breaks: tuple[Problem, ...] = ()

    def describe(self) -> str:
        state = "written" if self.written else "unchanged (same as the latest snapshot)"
        lines = [
            f"{self.snapshot}: {state}; {self.tasks} task(s), {self.annotations} annotation(s), "
            f"{self.results} result(s)."
        ]
        lines += self.changes.lines(removed=self.removed)
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"fix in Label Studio: {p}" for p in self.rule_breaks]
        lines.append(format_agreement(self.agreement))
        return "\n".join(lines)
