"""Offline tests of the server settings: environment, defaults, and refusals."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from studio_fixtures import corpus_command
from summit_corpus.annotate import studio
from summit_corpus.core.errors import StudioError

CREDENTIALS = {
    "LABEL_STUDIO_USERNAME": "admin@example.org",
    "LABEL_STUDIO_PASSWORD": "pw",
    "LABEL_STUDIO_API_KEY": "secret-token-123456",
}


class TestServerEnv:
    def test_token_becomes_the_legacy_user_token(self):
        """The API key is handed to Label Studio as its admin token, with legacy tokens on."""
        env = studio.server_env(CREDENTIALS)
        assert env["LABEL_STUDIO_USER_TOKEN"] == "secret-token-123456"
        assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"

    def test_telemetry_and_version_checks_are_off(self):
        """Sentry, analytics and the latest-version check are switched off."""
        env = studio.server_env(CREDENTIALS)
        assert (env["SENTRY_DSN"], env["FRONTEND_SENTRY_DSN"]) == ("", "")
        assert (env["LATEST_VERSION_CHECK"], env["COLLECT_ANALYTICS"]) == ("false", "false")

    def test_backspace_deletes_no_region(self):
        """Region deletion moves from Backspace / Ctrl+Backspace to Ctrl+Shift combinations."""
        keymap = json.loads(studio.server_env(CREDENTIALS)["EDITOR_KEYMAP"])
        assert keymap["region:delete"]["key"] == "ctrl+shift+backspace"
        assert keymap["region:delete-all"]["key"] == "ctrl+shift+alt+backspace"

    def test_an_own_editor_keymap_is_kept(self):
        """An EDITOR_KEYMAP already in the environment is passed on unchanged."""
        env = studio.server_env({**CREDENTIALS, "EDITOR_KEYMAP": "{}"})
        assert env["EDITOR_KEYMAP"] == "{}"

    def test_our_python_path_does_not_leak_into_the_server(self):
        """PYTHONPATH and VIRTUAL_ENV of the corpus's environment are not passed on."""
        env = studio.server_env({**CREDENTIALS, "PYTHONPATH": "/x", "VIRTUAL_ENV": "/v"})
        assert "PYTHONPATH" not in env and "VIRTUAL_ENV" not in env

    @pytest.mark.parametrize("missing", sorted(CREDENTIALS))
    def test_refuses_without_credentials(self, missing):
        """A missing username, password or token is an error that names the variable."""
        env = {k: v for k, v in CREDENTIALS.items() if k != missing}
        with pytest.raises(StudioError, match=f"rule 'studio_credentials': {missing}"):
            studio.server_env(env)


class TestDefaultConfig:
    def test_port_comes_from_label_studio_url(self, tmp_path: Path):
        """Without --port the port of LABEL_STUDIO_URL is used."""
        config = studio.default_config(
            data_dir=tmp_path, venv=tmp_path, environ={"LABEL_STUDIO_URL": "http://127.0.0.1:9123"}
        )
        assert (config.port, config.url) == (9123, "http://127.0.0.1:9123")

    def test_defaults_live_outside_the_corpus(self):
        """The default data folder and venv are under the home folder, not the working tree."""
        config = studio.default_config(environ={})
        assert config.port == 8080
        assert Path.home() in config.data_dir.parents and Path.home() in config.venv.parents
        assert studio.LABEL_STUDIO_VERSION in config.venv.name

    def test_options_beat_the_environment(self, tmp_path: Path):
        """--port/--data-dir/--venv win over the environment."""
        env = {"SUMMIT_STUDIO_DATA_DIR": "/nope", "SUMMIT_STUDIO_VENV": "/nope"}
        config = studio.default_config(7000, tmp_path / "d", tmp_path / "v", environ=env)
        assert (config.port, config.data_dir, config.venv) == (7000, tmp_path / "d", tmp_path / "v")


class TestWithoutServer:
    def test_status_of_an_empty_data_dir_is_not_running(self, tmp_path: Path):
        """A data folder without studio.json reports no server."""
        state = studio.status(studio.default_config(1, tmp_path, tmp_path))
        assert (state.running, state.pid) == (False, None)

    def test_stale_state_file_is_not_a_server(self, tmp_path: Path):
        """A studio.json naming a process that is not Label Studio is not stopped or trusted."""
        (tmp_path / studio.STATE_FILE).write_text(json.dumps({"pid": 1, "port": 1}))
        config = studio.default_config(1, tmp_path, tmp_path)
        assert studio.status(config).running is False
        assert studio.stop(config) is None

    def test_cli_start_refuses_without_credentials(self, tmp_path: Path):
        """`corpus studio start` without the admin variables exits 1 and names them."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        out = subprocess.run(
            [
                *corpus_command(),
                "studio",
                "start",
                "--data-dir",
                str(tmp_path / "d"),
                "--venv",
                str(tmp_path / "v"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 1
        assert "rule 'studio_credentials'" in out.stderr
        assert not (tmp_path / "v").exists()
