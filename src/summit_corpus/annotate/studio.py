"""Run a local Label Studio server: install it into its own venv, start, stop, report status.

Label Studio's dependency tree is large (Django and ~150 packages) and must not meet the corpus
package's, so it lives in a virtual environment of its own, made on first start with the
interpreter that runs this module and the pinned version `LABEL_STUDIO_VERSION`.

The server binds 127.0.0.1 only (`--internal-host`; `--host` would only set the public URL
prefix), keeps its SQLite database in a data folder the user chooses, and creates the admin user
and its API token from the environment on first start. Telemetry and version checks are switched
off so that start-up never waits for the internet. The process id and port are written to
`studio.json` in the data folder; the token is never written anywhere by this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from summit_corpus.core.errors import Errors, StudioError

LABEL_STUDIO_VERSION = "1.23.2"
DEFAULT_URL = "http://127.0.0.1:8080"
HOST = "127.0.0.1"
STATE_FILE = "studio.json"
LOG_FILE = "label-studio.log"

# Environment variables this module reads.
ENV_URL = "LABEL_STUDIO_URL"
ENV_API_KEY = "LABEL_STUDIO_API_KEY"
ENV_USERNAME = "LABEL_STUDIO_USERNAME"
ENV_PASSWORD = "LABEL_STUDIO_PASSWORD"
ENV_VENV = "SUMMIT_STUDIO_VENV"
ENV_DATA_DIR = "SUMMIT_STUDIO_DATA_DIR"

# Start-up without the internet: no Sentry, no analytics, no "latest version" request.
_OFFLINE_ENV = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
}


@dataclass(frozen=True, slots=True)
class StudioConfig:
    """Where a Label Studio server lives and how to reach it.

    port (int): Loopback port the server listens on.
    data_dir (Path): Folder of its SQLite database, uploads, log and `studio.json`.
    venv (Path): Virtual environment that holds the `label-studio` package.
    """

    port: int
    data_dir: Path
    venv: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"


@dataclass(frozen=True, slots=True)
class StudioStatus:
    """What `status` found.

    running (bool): Whether the recorded process is alive and `/health` answers.
    pid (int | None): Process id from `studio.json`, if any.
    port (int | None): Port from `studio.json`, if any.
    url (str | None): Base URL of the server, if it runs.
    version (str | None): Version reported by `/api/version`, if it runs.
    data_dir (Path): The data folder looked at.
    """

    running: bool
    pid: int | None
    port: int | None
    url: str | None
    version: str | None
    data_dir: Path

    def describe(self) -> str:
        if not self.running:
            return f"Label Studio is not running (data dir {self.data_dir})."
        return (
            f"Label Studio {self.version or '?'} is running at {self.url} "
            f"(pid {self.pid}, data dir {self.data_dir})."
        )


def default_config(
    port: int | None = None,
    data_dir: Path | None = None,
    venv: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> StudioConfig:
    """Resolve the server's settings from options, then the environment, then defaults.

    port (int | None): --port; else the port of LABEL_STUDIO_URL; else 8080.
    data_dir (Path | None): --data-dir; else SUMMIT_STUDIO_DATA_DIR; else
        ~/.local/share/summit-corpus/label-studio (outside the corpus).
    venv (Path | None): --venv; else SUMMIT_STUDIO_VENV; else
        ~/.cache/summit-corpus/label-studio-<version>.
    environ (Mapping[str, str] | None): Environment to read; None means `os.environ`.
    RETURNS (StudioConfig): The resolved settings.
    """
    env = os.environ if environ is None else environ
    if port is None:
        port = urlsplit(env.get(ENV_URL) or DEFAULT_URL).port or 8080
    home = Path.home()
    if data_dir is None:
        data_dir = Path(
            env.get(ENV_DATA_DIR) or home / ".local" / "share" / "summit-corpus" / "label-studio"
        )
    if venv is None:
        venv = Path(
            env.get(ENV_VENV)
            or home / ".cache" / "summit-corpus" / f"label-studio-{LABEL_STUDIO_VERSION}"
        )
    return StudioConfig(port=port, data_dir=data_dir.expanduser(), venv=venv.expanduser())


def ensure_installed(venv: Path, *, quiet: bool = True) -> Path:
    """Create `venv` and install the pinned `label-studio` into it, unless it is already there.

    venv (Path): Folder of the virtual environment.
    quiet (bool): Pass `-q` to pip.
    RETURNS (Path): The `label-studio` executable.
    """
    exe = venv / "bin" / "label-studio"
    if exe.exists() and _installed_version(venv) == LABEL_STUDIO_VERSION:
        return exe
    if not (venv / "bin" / "python").exists():
        _run([sys.executable, "-m", "venv", str(venv)], Errors.E601, venv=venv)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("-q")
    _run([*pip, f"label-studio=={LABEL_STUDIO_VERSION}"], Errors.E601, venv=venv)
    if not exe.exists():
        raise StudioError(Errors.E601.format(venv=venv, detail="no bin/label-studio after install"))
    return exe


def _installed_version(venv: Path) -> str | None:
    # `label-studio --version` starts a server on 0.0.0.0:8080 and never returns, so the
    # version comes from the package metadata instead.
    found = sorted((venv / "lib").glob("python3*/site-packages/label_studio-*.dist-info"))
    if not found:
        return None
    return found[-1].name.removeprefix("label_studio-").removesuffix(".dist-info")


def _run(cmd: list[str], message: str, *, venv: Path) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise StudioError(message.format(venv=venv, detail=" | ".join(detail)))


def server_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Build the server's environment: admin user and token from ours, telemetry off.

    environ (Mapping[str, str] | None): Environment to start from; None means `os.environ`.
    RETURNS (dict[str, str]): Environment for the `label-studio` process.
    """
    env = dict(os.environ if environ is None else environ)
    missing = [k for k in (ENV_USERNAME, ENV_PASSWORD, ENV_API_KEY) if not env.get(k)]
    if missing:
        raise StudioError(Errors.E602.format(names=", ".join(missing)))
    env.update(_OFFLINE_ENV)
    # Label Studio names the admin's token LABEL_STUDIO_USER_TOKEN; new organisations refuse
    # legacy tokens (401) unless this flag is set when the organisation is created.
    env["LABEL_STUDIO_USER_TOKEN"] = env[ENV_API_KEY]
    env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] = "true"
    env.pop("LABEL_STUDIO_HOST", None)
    # The server gets its own interpreter and packages; ours must not leak in.
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(key, None)
    return env


def _read_state(data_dir: Path) -> dict[str, int] | None:
    path = data_dir / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if not isinstance(state, dict) or not all(
        isinstance(state.get(k), int) for k in ("pid", "port")
    ):
        return None
    return {"pid": int(state["pid"]), "port": int(state["port"])}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child (ours, not yet reaped) counts as dead.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_studio(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc (macOS): trust the recorded pid
    return b"label-studio" in cmdline or b"label_studio" in cmdline


def _get_json(url: str, timeout: float = 2.0) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            value = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return value if isinstance(value, dict) else None


def healthy(url: str) -> bool:
    """RETURNS (bool): Whether `GET {url}/health` answers `{"status": "UP"}`."""
    answer = _get_json(f"{url.rstrip('/')}/health")
    return bool(answer) and answer.get("status") == "UP"  # type: ignore[union-attr]


def status(config: StudioConfig) -> StudioStatus:
    """Report whether the server recorded in `config.data_dir` runs.

    config (StudioConfig): Settings; only `data_dir` is read.
    RETURNS (StudioStatus): What was found.
    """
    state = _read_state(config.data_dir)
    if state is None:
        return StudioStatus(False, None, None, None, None, config.data_dir)
    pid, port = state["pid"], state["port"]
    url = f"http://{HOST}:{port}"
    if not (_alive(pid) and _is_studio(pid)) or not healthy(url):
        return StudioStatus(False, pid, port, None, None, config.data_dir)
    version = _get_json(f"{url}/api/version") or {}
    release = version.get("release") if isinstance(version.get("release"), str) else None
    return StudioStatus(True, pid, port, url, release, config.data_dir)  # type: ignore[arg-type]


def start(
    config: StudioConfig,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = 300.0,
    install: bool = True,
) -> StudioStatus:
    """Start Label Studio in the background and wait until `/health` answers.

    A server already running from the same data folder is left alone and reported.

    config (StudioConfig): Port, data folder and venv.
    environ (Mapping[str, str] | None): Environment with the admin's LABEL_STUDIO_USERNAME,
        LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY; None means `os.environ`.
    timeout (float): Seconds to wait for `/health` (a fresh data folder runs migrations).
    install (bool): Create the venv and install Label Studio if missing.
    RETURNS (StudioStatus): The running server.
    """
    current = status(config)
    if current.running:
        return current
    env = server_env(environ)
    exe = ensure_installed(config.venv) if install else config.executable
    if not exe.exists():
        raise StudioError(Errors.E601.format(venv=config.venv, detail="not installed"))
    if healthy(config.url):
        raise StudioError(Errors.E603.format(url=config.url, data_dir=config.data_dir))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    log = config.data_dir / LOG_FILE
    cmd = [
        str(exe),
        "start",
        "--no-browser",
        "--enable-legacy-api-token",
        "--internal-host",
        HOST,
        "--port",
        str(config.port),
        "--data-dir",
        str(config.data_dir),
    ]
    with log.open("ab") as out:
        # A new session: the server outlives this command and a Ctrl-C here does not reach it.
        process = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=config.data_dir,
            start_new_session=True,
        )
    state = {"pid": process.pid, "port": config.port}
    (config.data_dir / STATE_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            (config.data_dir / STATE_FILE).unlink(missing_ok=True)
            raise StudioError(Errors.E604.format(code=process.returncode, log=log))
        if healthy(config.url):
            return status(config)
        time.sleep(0.5)
    _terminate(process.pid)
    (config.data_dir / STATE_FILE).unlink(missing_ok=True)
    raise StudioError(Errors.E605.format(timeout=timeout, url=config.url, log=log))


def _terminate(pid: int, grace: float = 20.0) -> None:
    # The server runs in its own session, so its process group id is its pid: SIGTERM to the
    # group reaches any worker it started. A backgrounded server ignores SIGINT.
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not _alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _reap(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(config: StudioConfig) -> bool:
    """Stop the server recorded in `config.data_dir` (SIGTERM to its process id).

    config (StudioConfig): Settings; only `data_dir` is read.
    RETURNS (bool): Whether a running server was stopped.
    """
    state = _read_state(config.data_dir)
    if state is None:
        return False
    pid = state["pid"]
    # A stale studio.json may name a pid the system has since given to another program.
    was_alive = _alive(pid) and _is_studio(pid)
    if was_alive:
        _terminate(pid)
    (config.data_dir / STATE_FILE).unlink(missing_ok=True)
    return was_alive


def state_as_dict(value: StudioStatus) -> dict[str, object]:
    """RETURNS (dict[str, object]): `value` as JSON-ready data (`corpus studio status --json`)."""
    data = asdict(value)
    data["data_dir"] = str(value.data_dir)
    return data
