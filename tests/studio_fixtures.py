"""pytest plugin: a real Label Studio server for the round-trip tests.

Register it in tests/conftest.py with `pytest_plugins = ["studio_fixtures"]`. The session
fixture `studio` starts Label Studio through the project's own command (`corpus studio start`)
on a free loopback port with a temporary data folder and a fresh admin and token, and stops it
(`corpus studio stop`) at the end of the session. The Label Studio venv comes from
SUMMIT_STUDIO_VENV (or the default cache folder); `corpus studio start` installs it if missing.
Set SUMMIT_SKIP_STUDIO=1 to skip the tests marked `studio` on a machine without network.

The session fixture `browser` is a headless Chromium driven by Playwright: Debian's `chromium`
package (SUMMIT_CHROMIUM, else `chromium` on the PATH, else /usr/bin/chromium), launched
through `executable_path`, so Playwright never downloads a browser. `.ci/run` installs both.
Without them the browser tests are skipped, except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True, slots=True)
class StudioServer:
    """A running Label Studio started for the test session.

    url (str): Base URL (loopback).
    port (int): Its port.
    api_key (str): The admin's token (never printed).
    username (str): The admin's e-mail.
    data_dir (Path): Its temporary data folder.
    env (dict[str, str]): Environment for `corpus` subprocesses that talk to it.
    start_output (str): What `corpus studio start` printed.
    """

    url: str
    port: int
    api_key: str
    username: str
    data_dir: Path
    env: dict[str, str]
    start_output: str = ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def corpus_command() -> list[str]:
    """RETURNS (list[str]): How to run the `corpus` command of the installed package."""
    exe = shutil.which("corpus", path=str(Path(sys.executable).parent)) or shutil.which("corpus")
    return [exe] if exe else [sys.executable, "-c", "from summit_corpus.cli import app; app()"]


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    """A Label Studio server for the whole session, started with `corpus studio start`."""
    if os.environ.get("SUMMIT_SKIP_STUDIO") == "1":
        pytest.skip("SUMMIT_SKIP_STUDIO=1: Label Studio tests switched off")
    data_dir = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    api_key = secrets.token_hex(20)
    username = "admin@summit-corpus.test"
    env = dict(os.environ)
    # `corpus` subprocesses may run in another folder: a relative PYTHONPATH (src) must not
    # silently switch them to another copy of the package.
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p
        )
    env.update(
        {
            "LABEL_STUDIO_URL": f"http://127.0.0.1:{port}",
            "LABEL_STUDIO_USERNAME": username,
            "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(16),
            "LABEL_STUDIO_API_KEY": api_key,
            "SUMMIT_PSEUDONYM_KEY": secrets.token_hex(16),
            # the per-user list of started servers, kept out of the real home folder
            "SUMMIT_STUDIO_STATE": str(data_dir.parent / f"{data_dir.name}-servers.json"),
        }
    )
    where = ["--port", str(port), "--data-dir", str(data_dir)]
    started = subprocess.run(
        [*corpus_command(), "studio", "start", *where],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,  # a fresh machine installs Label Studio first
        check=False,
    )
    if started.returncode != 0:
        log = data_dir / "label-studio.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        pytest.fail(f"corpus studio start failed:\n{started.stdout}\n{started.stderr}\n{tail}")
    server = StudioServer(
        url=f"http://127.0.0.1:{port}",
        port=port,
        api_key=api_key,
        username=username,
        data_dir=data_dir,
        env=env,
        start_output=started.stdout,
    )
    try:
        yield server
    finally:
        subprocess.run(
            [*corpus_command(), "studio", "stop", *where],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


def chromium_path() -> Path | None:
    """RETURNS (Path | None): Debian's Chromium, if installed."""
    named = os.environ.get("SUMMIT_CHROMIUM") or shutil.which("chromium")
    for candidate in (named, "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


# Headless, offline and quiet: no sandbox (CI containers run as root), no GPU, no update,
# sync or first-run traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: CI must run the browser tests (.ci/run installs it)")
    pytest.skip(f"{what}: browser tests skipped")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright `Browser`) for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Python playwright is not installed (pip install '.[test]')")
    executable = chromium_path()
    if executable is None:
        _missing("no chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def studio_client(studio: StudioServer) -> Any:
    """An SDK client for the session's server, made by `annotate.connect`."""
    from summit_corpus.annotate import connect

    return connect(studio.url, studio.api_key)
