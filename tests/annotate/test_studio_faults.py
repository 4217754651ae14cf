"""Label Studio faults against the real server: resumed and concurrent pushes, a server that
dies mid-push, error answers (never their headers)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_studio_roundtrip import LABEL_CONFIG, TEXT_A, TEXT_B, _documents

from studio_fixtures import StudioServer, corpus_command
from summit_corpus import annotate
from summit_corpus.core.errors import StudioError

pytestmark = pytest.mark.studio


def region(rid: str, text: str, word: str, label: str) -> dict[str, Any]:
    start = text.index(word)
    return {
        "id": rid,
        "type": "labels",
        "from_name": "label",
        "to_name": "text",
        "value": {"start": start, "end": start + len(word), "text": word, "labels": [label]},
    }


def human_rows(annotation_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """The human layer of four annotations (two per document), those of `annotation_ids`."""
    export = []
    for task_id, (doc_id, text) in enumerate((("doc_a", TEXT_A), ("doc_b", TEXT_B)), start=1):
        annotations = [
            {
                "id": 100 * task_id + k,
                "completed_by": k,
                "result": [
                    region(f"r{k}", text, "Putin", "PERSON"),
                    region(f"s{k}", text, "Dec.2", "DATE" if k == 1 else "EVENT"),
                ],
            }
            for k in (1, 2)
        ]
        export.append(
            {
                "id": task_id,
                "data": {"doc_id": doc_id, "text": text, "text_sha256": annotate.text_sha256(text)},
                "annotations": [a for a in annotations if a["id"] in annotation_ids],
            }
        )
    tables = annotate.from_export(export, _documents()).tables
    return {
        name: [r for r in table.to_pylist() if r.get("layer", "human") == "human"]
        for name, table in tables.items()
    }


def push(client: Any, project: str, ids: list[int]) -> annotate.PushReport:
    return annotate.push(
        client,
        annotate.to_tasks(_documents()),
        project=project,
        label_config=LABEL_CONFIG,
        scheme_version="1.0.0",
        human=human_rows(ids),
    )


def annotation_count(client: Any, project_id: int) -> int:
    return sum(
        len(client.annotations.list(t["id"])) for t in annotate.list_tasks(client, project_id)
    )


class TestResumedPush:
    def test_resumed_push_adds_only_what_is_missing(self, studio_client: Any) -> None:
        """A push that stopped after some annotations, run again, adds the others once."""
        first = push(studio_client, "resumed push", [101, 201])  # the push that died
        assert first.annotations_created == 2
        again = push(studio_client, "resumed push", [101, 102, 201, 202])
        assert again.annotations_created == 2
        third = push(studio_client, "resumed push", [101, 102, 201, 202])
        assert third.annotations_created == 0
        assert annotation_count(studio_client, first.project_id) == 4

    def test_task_annotated_in_studio_gets_no_copy(self, studio_client: Any) -> None:
        """A task with an annotation that is not the corpus's is left alone."""
        project = "annotated in studio"
        made = push(studio_client, project, [])
        task = next(
            t for t in annotate.list_tasks(studio_client, made.project_id) if t["doc_id"] == "doc_a"
        )
        studio_client.annotations.create(task["id"], result=[], was_cancelled=True)
        report = push(studio_client, project, [101, 102, 201, 202])
        assert report.annotations_created == 2  # doc_b's only
        assert len(studio_client.tasks.get(task["id"]).annotations) == 1  # with skipped ones


class TestConcurrentPushes:
    def test_two_pushes_at_once_make_one_project(
        self, studio: StudioServer, tmp_path: Path
    ) -> None:
        """Two `corpus annotate push` started together make one project and one set of tasks."""
        corpus = tmp_path / "corpus"
        repo = Path(__file__).resolve().parents[2]
        import shutil

        shutil.copytree(repo / "corpus", corpus)
        project = "pushed twice at once"
        command = [
            *corpus_command(),
            "annotate",
            "push",
            "--corpus",
            str(corpus),
            "--project",
            project,
        ]
        runs = [
            subprocess.Popen(
                command, env=studio.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        for run in runs:
            _, err = run.communicate(timeout=600)
            assert run.returncode == 0, err
        client = annotate.connect(studio.url, studio.api_key)
        same = [p for p in client.projects.list(title=project) if p.title == project]
        assert len(same) == 1
        tasks = annotate.list_tasks(client, same[0].id)
        assert len(tasks) == len({t["doc_id"] for t in tasks})


class _DyingProxy:
    """A TCP proxy to the server that forwards `requests` HTTP requests, then dies: every
    connection is closed and no new one is accepted (a server that went away mid-push)."""

    def __init__(self, target_port: int, requests: int) -> None:
        self.target_port = target_port
        self.left = requests
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, counting: bool) -> None:
        try:
            while data := source.recv(65536):
                if counting:
                    with self.lock:
                        self.left -= data.count(b" HTTP/1.1\r\n")
                        if self.left < 0:
                            self.die()
                            return
                sink.sendall(data)
        except OSError:
            pass

    def die(self) -> None:
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class TestLostServer:
    @pytest.mark.parametrize("requests", [1, 4, 8])
    def test_server_lost_mid_push_is_one_line(self, studio: StudioServer, requests: int) -> None:
        """A server that stops answering after `requests` requests gives one line with the URL
        and what to do, and no traceback."""
        proxy = _DyingProxy(studio.port, requests)
        repo = Path(__file__).resolve().parents[2]
        env = {**studio.env, "LABEL_STUDIO_URL": f"http://127.0.0.1:{proxy.port}"}
        result = subprocess.run(
            [
                *corpus_command(),
                "annotate",
                "push",
                "--corpus",
                str(repo / "corpus"),
                "--project",
                f"lost {requests}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        proxy.die()
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert f"http://127.0.0.1:{proxy.port}" in line and "rule 'studio_reachable'" in line


class TestErrorAnswers:
    def test_error_answer_never_shows_headers_or_cookies(self, studio_client: Any) -> None:
        """An error answer becomes one line with the status, without response headers."""
        with (
            pytest.raises(StudioError) as caught,
            annotate.client.server_errors(studio_client, "test"),
        ):
            studio_client.projects.get(987654321)
        message = str(caught.value)
        assert "HTTP 404" in message and "\n" not in message
        for secret in ("headers", "cookie", "Cookie", "sessionid", "csrftoken", "Token "):
            assert secret not in message


class TestStudioLog:
    def test_log_holds_no_e_mail_addresses(self, studio: StudioServer, studio_client: Any) -> None:
        """A request Label Studio logs with the user's e-mail leaves `<e-mail>` in the log."""
        import re

        import httpx

        made = studio_client.projects.create(title="empty queue", label_config=LABEL_CONFIG)
        answer = httpx.get(
            f"{studio.url}/api/projects/{made.id}/next/",
            headers={"Authorization": f"Token {studio.api_key}"},
        )
        assert answer.status_code == 404  # 'There are no tasks for <the admin's e-mail>'
        log = studio.data_dir / "label-studio.log"
        deadline = time.monotonic() + 30
        while b"There are no tasks for" not in log.read_bytes():
            assert time.monotonic() < deadline
            time.sleep(0.2)
        text = log.read_text(errors="replace")
        assert "There are no tasks for <e-mail>" in text
        assert studio.username not in text
        assert not re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}", text)
