"""The Label Studio round trip: tasks out, every annotation back, nothing a user typed lost.

The annotation loop, and where each step lives:
1. `corpus build` makes the documents and the model layer (spans, relations, document labels
   with layer `prediction`).
2. `corpus annotate push` (`commands.push_corpus`) reads them from the built corpus;
   `tasks.to_tasks` makes one `Task` per document with the model layer as its prediction, and
   `client.push` creates or updates the Label Studio project and imports the new tasks.
3. People correct the predictions and add what the model missed, in the browser (the server
   is run by `corpus studio`, see `studio`).
4. `corpus annotate pull` (`pulling.pull`) exports every task with every annotation, replaces
   annotator e-mails by pseudonyms (`snapshots.pseudonymise`) and writes a dated snapshot
   under `annotations/<project>/`, with inter-annotator agreement (`iaa`) beside it.
5. The next `corpus build` reads every snapshot offline (`history.convert_snapshots`): the
   newest version of each annotation, named independently of any server (`identity`); then
   `convert.from_export` turns them into the `human` and `adjudicated` layers, placing each
   region in its document with `offsets.resolve_offsets`.

Modules:
- `values`: control names, keys, `Task`, `Problem`, `Conversion`.
- `tasks`, `offsets`, `convert`, `iaa`: pure (no server, no files).
- `snapshots`: the snapshot files, written and read; `history`: all of them read as one
  (append-only: new, changed, gone; explicit removals); `identity`: server-independent names;
  `pulling`: the pull and what it reports.
- `client`: the only module that imports `label_studio_sdk` (lazily, in the functions that
  talk to a server), so importing this package never loads the SDK.
- `commands`: the corpus-level entry points the CLI calls.
- `studio` (runs the server), `gold` (the seeds' gold layer), `evaluate` (model vs. gold),
  `human` (the layers a build publishes, refused when a label is outside the scheme).

The names below are re-exported so that `from summit_corpus import annotate` keeps working.
"""

from __future__ import annotations

from summit_corpus.annotate.client import (
    connect,
    ensure_project,
    ensure_user,
    enter_annotations,
    export_project,
    list_tasks,
    push,
)
from summit_corpus.annotate.commands import push_corpus, read_corpus_tables, write_text_report
from summit_corpus.annotate.convert import count_results, from_export, iter_results
from summit_corpus.annotate.history import convert_snapshots, read_snapshots, snapshot_doc_ids
from summit_corpus.annotate.iaa import agreement, format_agreement
from summit_corpus.annotate.identity import annotation_name
from summit_corpus.annotate.offsets import region_problems, resolve_offsets
from summit_corpus.annotate.pulling import pull, rule_breaks
from summit_corpus.annotate.reports import PullReport, PushReport
from summit_corpus.annotate.snapshots import (
    load_snapshot,
    project_slug,
    pseudonym,
    pseudonymise,
    snapshot_bytes,
    snapshot_files,
)
from summit_corpus.annotate.tasks import layer_results, text_sha256, to_tasks
from summit_corpus.annotate.values import (
    ADJUDICATION_RULE,
    AGREEMENT_FILE,
    DEFAULT_PROJECT,
    ENV_PSEUDONYM_KEY,
    NOTE_CONTROL,
    SCHEME_MARK,
    SNAPSHOT_NAME,
    SOURCE,
    SPAN_CONTROL,
    TEXT_NAME,
    Conversion,
    Problem,
    Task,
)

__all__ = [
    "ADJUDICATION_RULE",
    "AGREEMENT_FILE",
    "DEFAULT_PROJECT",
    "ENV_PSEUDONYM_KEY",
    "NOTE_CONTROL",
    "SCHEME_MARK",
    "SNAPSHOT_NAME",
    "SOURCE",
    "SPAN_CONTROL",
    "TEXT_NAME",
    "Conversion",
    "Problem",
    "PullReport",
    "PushReport",
    "Task",
    "agreement",
    "annotation_name",
    "connect",
    "convert_snapshots",
    "count_results",
    "ensure_project",
    "ensure_user",
    "enter_annotations",
    "export_project",
    "format_agreement",
    "from_export",
    "iter_results",
    "layer_results",
    "list_tasks",
    "load_snapshot",
    "project_slug",
    "pseudonym",
    "pseudonymise",
    "pull",
    "push",
    "push_corpus",
    "read_corpus_tables",
    "read_snapshots",
    "region_problems",
    "resolve_offsets",
    "rule_breaks",
    "snapshot_bytes",
    "snapshot_doc_ids",
    "snapshot_files",
    "text_sha256",
    "to_tasks",
    "write_text_report",
]
