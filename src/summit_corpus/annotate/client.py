"""The network client: the only module that talks to Label Studio (through `label-studio-sdk` 2.x).

The SDK is imported lazily, inside the functions that talk to a server, so importing the
`annotate` package (for `corpus build`, which reads snapshots offline) never loads it. The SDK
is generated code whose fields are all optional, so every answer used here is checked.

- `connect`: a client for LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY, checked to answer.
- `push`: creates or updates the project from the scheme (the scheme version is recorded in the
  project's description) and imports the tasks that are not there yet, keyed by `doc_id` and the
  SHA-256 of the text; a document whose text changed gets a new task and its old task is
  reported as stale.
- `export_project`: every task with every annotation (Label Studio's full JSON export, not
  JSON_MIN or CoNLL), users expanded; `pulling.pull` turns it into a snapshot.
- `ensure_user`, `enter_annotations`: accounts and annotations entered through the API, as the
  web UI saves them (for scripts and tests).
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from summit_corpus.annotate.reports import PushReport
from summit_corpus.annotate.tasks import annotation_identity, human_annotations
from summit_corpus.annotate.values import (
    DEFAULT_PROJECT,
    SCHEME_MARK,
    Task,
)
from summit_corpus.core.errors import AnnotateError, Errors, StudioError


def connect(url: str | None = None, api_key: str | None = None) -> Any:
    """Open a client to a Label Studio server and check that it answers.

    url (str | None): Base URL; None reads LABEL_STUDIO_URL (default http://127.0.0.1:8080).
    api_key (str | None): Admin token; None reads LABEL_STUDIO_API_KEY.
    RETURNS (LabelStudio): The SDK client.
    """
    from label_studio_sdk import LabelStudio

    url = (url or os.environ.get("LABEL_STUDIO_URL") or "http://127.0.0.1:8080").rstrip("/")
    api_key = api_key or os.environ.get("LABEL_STUDIO_API_KEY")
    if not api_key:
        raise StudioError(Errors.E607)
    client = LabelStudio(base_url=url, api_key=api_key, timeout=120)  # type: ignore[no-untyped-call]
    try:
        user = client.users.whoami()
    except Exception as error:  # the SDK raises httpx and ApiError types alike
        # never echo the token: only the error's class and status
        code = getattr(error, "status_code", None)
        if code in (401, 403):
            raise StudioError(Errors.E615.format(url=url)) from None
        detail = f"{type(error).__name__} {code or ''}".strip()
        raise StudioError(Errors.E606.format(url=url, detail=detail)) from None
    _checked_id(user, "GET /api/current-user")
    client._summit_url = url  # type: ignore[attr-defined]  # kept for messages only
    return client


@contextmanager
def server_errors(client: Any, what: str) -> Iterator[None]:
    """Turn a lost server or an error answer into one StudioError line.

    The SDK's ApiError prints the response headers (cookies included) and httpx errors come
    with a long traceback; the message keeps only the URL, the status and a short body.

    client (LabelStudio): SDK client from `connect` (its URL is named).
    what (str): The operation, for the message ('push', 'pull').
    """
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    url = getattr(client, "_summit_url", "Label Studio")
    try:
        yield
    except ApiError as error:
        body = " ".join(str(error.body).split())[:200]
        raise StudioError(
            Errors.E617.format(url=url, status=error.status_code, what=what, detail=body)
        ) from None
    except (httpx.HTTPError, ConnectionError) as error:
        raise StudioError(
            Errors.E616.format(url=url, what=what, detail=type(error).__name__)
        ) from None


@contextmanager
def _push_lock(client: Any, title: str) -> Iterator[None]:
    """Let one push at a time work on a project from this machine (fcntl.flock, waiting).

    Two pushes at once would each create the project, or import the same new tasks; the
    second waits until the first is done and then finds what it made. (Pushes from two
    machines are settled by `ensure_project`: the oldest project of a title wins.)
    """
    import fcntl
    import hashlib
    import tempfile

    url = getattr(client, "_summit_url", "")
    digest = hashlib.sha256(f"{url}\0{title}".encode()).hexdigest()[:16]
    folder = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    with open(folder / f"summit-corpus-push-{digest}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _checked_id(answer: Any, what: str, chars: int | None = None) -> int:
    """RETURNS (int): The id of an object the server sent, which must have one (E612 naming
    `what` and the first `chars` characters of the answer, all of them for None)."""
    found = getattr(answer, "id", None)
    if not isinstance(found, int):
        raise StudioError(Errors.E612.format(what=what, detail=repr(answer)[:chars]))
    return found


def _titled(client: Any, title: str) -> list[Any]:
    """RETURNS (list[Any]): The projects of this title, the oldest (lowest id) first."""
    return sorted(
        (p for p in client.projects.list(title=title) if getattr(p, "title", None) == title),
        key=lambda p: p.id if isinstance(getattr(p, "id", None), int) else 1 << 62,
    )


def _find_project(client: Any, title: str) -> Any | None:
    """RETURNS (Any | None): The project of this title (the oldest, if there are several)."""
    found = _titled(client, title)
    return client.projects.get(found[0].id) if found else None


def _recorded_version(project: Any) -> str | None:
    description = getattr(project, "description", None) or ""
    for line in description.splitlines():
        if line.startswith(SCHEME_MARK):
            return line.removeprefix(SCHEME_MARK).strip()
    return None


def _description(scheme_version: str) -> str:
    return (
        "Summit News Corpus: correct the model layer (predictions) and add what it missed.\n"
        f"{SCHEME_MARK}{scheme_version}"
    )


def ensure_project(
    client: Any, title: str, label_config: str, scheme_version: str
) -> tuple[int, bool]:
    """Create the project, or update its labeling config when it or the scheme version changed.

    client (LabelStudio): SDK client from `connect`.
    title (str): Project title (the project's key).
    label_config (str): Labeling config XML generated from the scheme.
    scheme_version (str): Scheme version, recorded in the project's description.
    RETURNS (tuple[int, bool]): Project id, and whether the config was written.
    """
    project = _find_project(client, title)
    if project is None:
        created = client.projects.create(
            title=title,
            label_config=label_config,
            description=_description(scheme_version),
            show_skip_button=True,
            enable_empty_annotation=True,
        )
        created_id = _checked_id(created, "project create")
        # Another machine may have created one at the same moment: the oldest one wins, and
        # the one made here (still empty) is deleted.
        same = [p.id for p in _titled(client, title) if isinstance(getattr(p, "id", None), int)]
        if same and same[0] != created_id:
            client.projects.delete(created_id)
            return ensure_project(client, title, label_config, scheme_version)
        return created_id, True
    # Label Studio stores the XML as sent, less its final newline: a config that changed
    # without a new scheme version (colours, hotkeys) is written too.
    stored = getattr(project, "label_config", None)
    same_config = isinstance(stored, str) and stored.rstrip("\n") == label_config.rstrip("\n")
    if _recorded_version(project) == scheme_version and same_config:
        return project.id, False
    from label_studio_sdk.core.api_error import ApiError

    try:
        client.projects.update(
            project.id, label_config=label_config, description=_description(scheme_version)
        )
    except ApiError as error:
        raise AnnotateError(
            Errors.E613.format(title=title, detail=str(error.body)[:300]), rule="label_config"
        ) from None
    return project.id, True


def _request(client: Any, method: str, path: str, *, params: Any = None, body: Any = None) -> Any:
    """One request through the SDK's own HTTP client (its base URL, token, timeout and retries),
    with a JSON body made here: the SDK's generated models walk every result of every prediction
    on the way out and on the way back, 3-4 s of CPU for 1,000 tasks with predictions.

    RETURNS (Any): The answer's JSON (None for an empty answer).
    """
    from label_studio_sdk.core.api_error import ApiError

    content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    answer = client._client_wrapper.httpx_client.request(
        path,
        method=method,
        params=params,
        content=content,
        headers={"content-type": "application/json"} if content is not None else None,
    )
    if not 200 <= answer.status_code < 300:
        try:
            detail: Any = answer.json()
        except ValueError:
            detail = answer.text
        raise ApiError(status_code=answer.status_code, headers=dict(answer.headers), body=detail)
    return answer.json() if answer.content else None


def _task_pages(client: Any, project_id: int, **params: Any) -> Iterator[dict[str, Any]]:
    """Every task of GET /api/tasks (pages of 1,000, by id), checked to be a task."""
    seen, page = 0, 1
    while True:
        answer = _request(
            client,
            "GET",
            "api/tasks/",
            params={"project": project_id, "page_size": 1000, "page": page, **params},
        )
        found = answer.get("tasks") if isinstance(answer, dict) else None
        total = answer.get("total") if isinstance(answer, dict) else None
        if not isinstance(found, list) or not isinstance(total, int):
            raise StudioError(Errors.E612.format(what="task list", detail=repr(answer)[:200]))
        for task in found:
            if not isinstance(task, dict) or not isinstance(task.get("id"), int):
                raise StudioError(Errors.E612.format(what="task list", detail=repr(task)[:200]))
            yield task
        seen += len(found)
        if seen >= total or not found:
            return
        page += 1


def list_tasks(client: Any, project_id: int) -> list[dict[str, Any]]:
    """All tasks of a project: id, data and annotation counts, checked.

    client (LabelStudio): SDK client.
    project_id (int): The project.
    RETURNS (list[dict]): {"id", "doc_id", "text_sha256", "annotations"} per task, by id.
    """
    found = []
    # Only the fields needed: the full task serializer costs the server several times more.
    for task in _task_pages(
        client,
        project_id,
        fields="task_only",
        include="id,data,total_annotations,cancelled_annotations",
    ):
        data = task.get("data")
        if not isinstance(data, dict):
            raise StudioError(Errors.E612.format(what="task list", detail=repr(task)[:200]))
        found.append(
            {
                "id": task["id"],
                "doc_id": data.get("doc_id"),
                "text_sha256": data.get("text_sha256"),
                "annotations": int(task.get("total_annotations") or 0)
                + int(task.get("cancelled_annotations") or 0),
            }
        )
    return sorted(found, key=lambda t: t["id"])


def push(
    client: Any,
    tasks: Sequence[Task],
    *,
    project: str = DEFAULT_PROJECT,
    label_config: str,
    scheme_version: str,
    human: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    batch_size: int = 500,
) -> PushReport:
    """Create/update the project and import the tasks it does not have yet.

    client (LabelStudio): SDK client from `connect`.
    tasks (Sequence[Task]): Tasks from `to_tasks`.
    project (str): Project title.
    label_config (str): Labeling config XML.
    scheme_version (str): Scheme version recorded in the project.
    human (Mapping[str, Sequence[Mapping]] | None): Human-layer rows ("spans", "relations",
        "document_labels", optional "annotations"/"annotation_notes") to push back as
        annotations onto tasks that have none yet; None pushes no annotations.
    batch_size (int): Tasks per import request.
    RETURNS (PushReport): What was done.
    """
    with server_errors(client, "push"), _push_lock(client, project):
        began = time.perf_counter()
        project_id, config_updated = ensure_project(client, project, label_config, scheme_version)
        existing = list_tasks(client, project_id)
        have = {(t["doc_id"], t["text_sha256"]): t for t in existing}
        current = {t.doc_id: t.text_sha256 for t in tasks}
        stale = tuple(
            (t["id"], t["doc_id"], t["annotations"])
            for t in existing
            if t["doc_id"] in current and t["text_sha256"] != current[t["doc_id"]]
        )
        new = [t for t in tasks if t.key not in have]
        created_ids = _import_tasks(client, project_id, new, batch_size)
        earlier = {k: t["id"] for k, t in have.items()}
        version, added = _one_model_version(client, project_id, tasks, earlier, batch_size)
        n_annotations = 0
        if human is not None:
            # Every task of a document is a target; what is on it already is compared by
            # identity (`annotation_identity`), not by the task's annotation counter, so a
            # push resumed after the server died adds only what is missing, and a task
            # annotated in Label Studio since (annotations that are not the corpus's) gets
            # nothing.
            n_annotations = _push_annotations(client, tasks, {**earlier, **created_ids}, human)
        return PushReport(
            project_id=project_id,
            created=len(new),
            existing=len(tasks) - len(new),
            stale=stale,
            config_updated=config_updated,
            annotations_created=n_annotations,
            seconds=time.perf_counter() - began,
            model_version=version,
            predictions_added=added,
        )


def _import_tasks(
    client: Any, project_id: int, new: Sequence[Task], batch_size: int
) -> dict[tuple[str, str], int]:
    """Import the tasks the project does not have, `batch_size` per request.

    RETURNS (dict[tuple[str, str], int]): Task key -> id of each task imported.
    """
    created_ids: dict[tuple[str, str], int] = {}
    for i in range(0, len(new), batch_size):
        batch = new[i : i + batch_size]
        # each task with its prediction inline: one request, and the server validates the
        # predictions once per batch (measured beside POST .../import/predictions: BENCHMARKS.md)
        answer = _request(
            client,
            "POST",
            f"api/projects/{project_id}/import",
            params={"return_task_ids": "true"},
            body=[t.to_json() for t in batch],
        )
        ids = answer.get("task_ids") if isinstance(answer, dict) else None
        if not isinstance(ids, list) or len(ids) != len(batch):
            raise StudioError(Errors.E612.format(what="task import", detail=repr(answer)[:300]))
        created_ids.update({t.key: task_id for t, task_id in zip(batch, ids, strict=True)})
    return created_ids


def _one_model_version(
    client: Any,
    project_id: int,
    tasks: Sequence[Task],
    earlier: Mapping[tuple[str, str], int],
    batch_size: int = 500,
) -> tuple[str, int]:
    """Make the push's model_version the project's and give every task a prediction under it.

    Label Studio's labeling queue shows only predictions whose model_version is the project's
    (and sets the project's to the first one ever imported), so a task imported by an earlier
    push, under another version, would open blank: it gets the current model layer as a new
    prediction under this push's version (the older prediction stays). The tasks this push
    imported carry theirs already.

    earlier (Mapping[tuple[str, str], int]): Task key -> id of the tasks that were there before.
    RETURNS (tuple[str, int]): The model_version, and how many tasks got a prediction now.
    """
    versions = sorted({t.model_version for t in tasks if t.prediction})
    if not versions:
        return "", 0
    if len(versions) > 1:
        raise AnnotateError(
            Errors.E614.format(count=len(versions), versions="; ".join(versions)[:300]),
            rule="one_model_version",
        )
    version = versions[0]
    wanted = {earlier[t.key]: t for t in tasks if t.prediction and t.key in earlier}
    lacking = _tasks_lacking(client, project_id, version, set(wanted)) if wanted else set()
    missing = [
        {"task": task_id, "result": list(t.prediction), "model_version": version}
        for task_id, t in sorted(wanted.items())
        if task_id in lacking
    ]
    for i in range(0, len(missing), batch_size):
        batch = missing[i : i + batch_size]
        answer = _request(
            client, "POST", f"api/projects/{project_id}/import/predictions", body=batch
        )
        if not isinstance(answer, dict) or answer.get("created") != len(batch):
            raise StudioError(Errors.E612.format(what="prediction import", detail=repr(answer)))
    project = client.projects.get(project_id)
    if getattr(project, "model_version", None) != version:
        client.projects.update(project_id, model_version=version)
    return version, len(missing)


def _tasks_lacking(client: Any, project_id: int, version: str, ids: set[int]) -> set[int]:
    """RETURNS (set[int]): Which of the tasks `ids` have no prediction under `version`.

    The Data Manager's filter ("model version does not contain") answers with those tasks
    alone, without reading any prediction's result. It matches a substring (and SQLite's LIKE
    ignores ASCII case), so when another version in the project contains this one the
    predictions are listed and their versions compared exactly.
    """
    counts = _request(client, "GET", f"api/projects/{project_id}/model-versions/")
    if not isinstance(counts, dict):
        raise StudioError(Errors.E612.format(what="model versions", detail=repr(counts)[:200]))
    if any(version.lower() in str(v).lower() and v != version for v in counts):
        shown: dict[int, set[str | None]] = defaultdict(set)
        for prediction in client.predictions.list(project=project_id):
            shown[prediction.task].add(prediction.model_version)
        return {i for i in ids if version not in shown[i]}
    rule = {
        "filter": "filter:tasks:predictions_model_versions",
        "operator": "not_contains",
        "type": "List",
        "value": [version],
    }
    query = json.dumps({"filters": {"conjunction": "and", "items": [rule]}})
    pages = _task_pages(client, project_id, fields="task_only", include="id", query=query)
    return {task["id"] for task in pages} & ids


def _push_annotations(
    client: Any,
    tasks: Sequence[Task],
    targets: Mapping[tuple[str, str], int],
    human: Mapping[str, Sequence[Mapping[str, Any]]],
) -> int:
    """Add the human layer's annotations (`human_annotations`) that a task lacks.

    RETURNS (int): How many annotations were created.
    """
    wanted: dict[int, list[dict[str, Any]]] = {}
    accounts: dict[str, int] = {}
    for task_id, found in human_annotations(tasks, targets, human).items():
        for annotation, email in found:
            if email is not None:
                if email not in accounts:
                    accounts[email] = ensure_user(client, email)
                annotation["completed_by"] = accounts[email]  # and its annotator
        wanted[task_id] = [annotation for annotation, _ in found]
    count = 0
    for task_id, pushing in sorted(wanted.items()):
        there = [annotation_identity(a) for a in _annotations_of(client, task_id)]
        ours = [annotation_identity(a) for a in pushing]
        if any(identity not in ours for identity in there):
            continue  # annotated in Label Studio since: the corpus's copy is not wanted
        for annotation, identity in zip(pushing, ours, strict=True):
            if identity in there:
                there.remove(identity)  # already pushed (a resumed push)
                continue
            client.annotations.create(task_id, **annotation)
            count += 1
    return count


def _annotations_of(client: Any, task_id: int) -> list[Any]:
    """RETURNS (list[Any]): Every annotation of a task, skipped ones included (the task's
    own view; GET /api/tasks/{id}/annotations/ leaves out the skipped ones)."""
    found = getattr(client.tasks.get(task_id), "annotations", None)
    if not isinstance(found, list):
        raise StudioError(Errors.E612.format(what=f"task {task_id}", detail="no annotation list"))
    return found


def ensure_user(client: Any, email: str) -> int:
    """Find or create an annotator account (for a second annotator, or the gold reader).

    client (LabelStudio): SDK client.
    email (str): The account's e-mail (replaced by a pseudonym on pull).
    RETURNS (int): The user id.
    """
    for user in client.users.list():
        if getattr(user, "email", None) == email and isinstance(getattr(user, "id", None), int):
            return int(user.id)
    created = client.users.create(email=email, username=email.split("@")[0])
    return int(_checked_id(created, "user create", 200))


def enter_annotations(
    client: Any,
    project_id: int,
    results: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    completed_by: int | None = None,
    ground_truth: bool = False,
) -> dict[str, int]:
    """Enter one annotation per document, as the web UI saves one, onto tasks with none yet.

    client (LabelStudio): SDK client.
    project_id (int): The project.
    results (Mapping[str, Sequence[Mapping]]): doc_id -> Label Studio `result` list.
    completed_by (int | None): Annotator's user id; None is the token's own user.
    ground_truth (bool): Mark the annotations as ground truth.
    RETURNS (dict[str, int]): doc_id -> new annotation id, for the documents entered.
    """
    tasks = {}
    for t in list_tasks(client, project_id):
        # the newest task of a document is the current one (a changed text makes a new task)
        tasks[t["doc_id"]] = t
    entered = {}
    for doc_id in sorted(results):
        task = tasks.get(doc_id)
        if task is None or task["annotations"]:
            continue
        extra: dict[str, Any] = {} if completed_by is None else {"completed_by": completed_by}
        made = client.annotations.create(
            task["id"],
            result=list(results[doc_id]),
            was_cancelled=False,
            ground_truth=ground_truth,
            **extra,
        )
        entered[doc_id] = int(_checked_id(made, "annotation create", 200))
    return entered


def export_project(client: Any, project_id: int, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Export every task of a project with all annotations (full JSON, users expanded).

    The export-snapshot API is used (not the sync download) because it can expand
    `completed_by` to the user object, which gives each annotator a stable identity (their
    e-mail) across servers; the e-mail is replaced by a pseudonym before anything is written.

    client (LabelStudio): SDK client.
    project_id (int): The project.
    timeout (float): Seconds to wait for the export to finish.
    RETURNS (list[dict]): The export: all tasks, sorted by id.
    """
    export = client.projects.exports.create(
        project_id,
        title="summit-corpus pull",
        serialization_options={"annotations__completed_by": {"only_id": False}},
        task_filter_options={"only_with_annotations": False},
    )
    export_id = _checked_id(export, "export create", 300)
    try:
        deadline = time.monotonic() + timeout
        while True:
            state = getattr(client.projects.exports.get(project_id, export_id), "status", None)
            if state == "completed":
                break
            if state == "failed" or time.monotonic() > deadline:
                raise StudioError(Errors.E612.format(what="export", detail=f"status {state}"))
            time.sleep(0.2)
        raw = b"".join(client.projects.exports.download(project_id, export_id, export_type="JSON"))
    finally:
        client.projects.exports.delete(project_id, export_id)
    value = json.loads(raw)
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise StudioError(Errors.E612.format(what="export download", detail="not a task list"))
    return sorted(value, key=lambda t: t.get("id") or 0)
