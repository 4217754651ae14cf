"""`corpus studio start|status|stop` as a new annotator meets them: progress, a taken port,
the URL and user to log in with, a wrong token, and a server found without its --data-dir."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from studio_fixtures import StudioServer, corpus_command
from summit_corpus.annotate import connect, studio
from summit_corpus.annotate.studio import LABEL_STUDIO_VERSION
from summit_corpus.core.errors import StudioError

CREDENTIALS = {
    "LABEL_STUDIO_USERNAME": "admin@example.org",
    "LABEL_STUDIO_PASSWORD": "pw",
    "LABEL_STUDIO_API_KEY": "secret-token-123456",
}


def _corpus(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*corpus_command(), *args], env=env, capture_output=True, text=True, timeout=300
    )


class TestTakenPort:
    def test_start_refuses_at_once_when_another_program_listens(self, tmp_path: Path):
        """A port held by another program is refused in well under a second, before install."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
            other.bind(("127.0.0.1", 0))
            other.listen()
            port = other.getsockname()[1]
            config = studio.default_config(port, tmp_path / "data", tmp_path / "venv")
            began = time.monotonic()
            with pytest.raises(StudioError, match="rule 'port_free'.*another program"):
                studio.start(config, environ=CREDENTIALS)
            assert time.monotonic() - began < 5
        assert not (tmp_path / "venv").exists()
        assert not (tmp_path / "data" / studio.STATE_FILE).exists()


class TestStateFile:
    def test_state_file_defaults_to_the_users_state_folder(self, tmp_path: Path):
        """SUMMIT_STUDIO_STATE wins; else XDG_STATE_HOME, else ~/.local/state."""
        assert studio.default_state_file({"SUMMIT_STUDIO_STATE": str(tmp_path / "s.json")}) == (
            tmp_path / "s.json"
        )
        xdg = studio.default_state_file({"XDG_STATE_HOME": str(tmp_path)})
        assert xdg == tmp_path / "summit-corpus" / "studio-servers.json"
        assert Path.home() / ".local" / "state" in studio.default_state_file({}).parents

    def test_a_chosen_data_dir_is_not_replaced_by_another_server(self, tmp_path: Path):
        """With --data-dir, status looks only there (the list is not consulted)."""
        config = studio.default_config(1, tmp_path / "mine", tmp_path)
        assert config.data_dir_chosen
        assert studio.status(config).data_dir == tmp_path / "mine"


@pytest.mark.studio
class TestRunningServer:
    def test_start_printed_progress_url_and_user(self, studio: StudioServer):
        """`corpus studio start` said what it did, then where to log in and as whom."""
        out = studio.start_output
        assert f"Starting Label Studio {LABEL_STUDIO_VERSION}" in out
        assert f"log in at {studio.url}/user/login/ as {studio.username}" in out
        assert studio.env["LABEL_STUDIO_PASSWORD"] not in out
        assert studio.api_key not in out

    def test_status_finds_the_server_without_its_data_dir(
        self, studio: StudioServer, tmp_path: Path
    ):
        """From another folder, with no --data-dir, status names the running server."""
        env = {k: v for k, v in studio.env.items() if k != "SUMMIT_STUDIO_DATA_DIR"}
        env["HOME"] = str(tmp_path)  # the default data folder is empty
        out = _corpus("studio", "status", env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"running at {studio.url}" in out.stdout
        assert str(studio.data_dir) in out.stdout

    def test_a_second_start_on_the_port_is_refused_at_once(
        self, studio: StudioServer, tmp_path: Path
    ):
        """Starting another data folder on the running server's port fails fast, naming it."""
        began = time.monotonic()
        out = _corpus(
            "studio",
            "start",
            "--port",
            str(studio.port),
            "--data-dir",
            str(tmp_path),
            env=studio.env,
        )
        assert out.returncode == 1
        assert "rule 'port_free'" in out.stderr
        assert time.monotonic() - began < 60

    def test_wrong_token_says_the_token_is_wrong(self, studio: StudioServer):
        """A 401 is reported as a wrong LABEL_STUDIO_API_KEY, not as an unreachable server."""
        with pytest.raises(StudioError, match=r"rule 'api_key'.*refuses the token \(401\)"):
            connect(studio.url, "0" * 40)
