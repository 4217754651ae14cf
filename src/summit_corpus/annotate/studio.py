"""Run a local Label Studio server: install it into its own venv, start, stop, report status.

Label Studio's dependency tree is large (Django and ~150 packages) and must not meet the corpus
package's, so it lives in a virtual environment of its own, made on first start with the
interpreter that runs this module and the pinned version `LABEL_STUDIO_VERSION`.

The server binds 127.0.0.1 only (`--internal-host`; `--host` would only set the public URL
prefix), keeps its SQLite database in a data folder the user chooses, and creates the admin user
and its API token from the environment on first start. Telemetry and version checks are switched
off so that start-up never waits for the internet. The process id and port are written to
`studio.json` in the data folder, and the server is also listed in a per-user state file
(SUMMIT_STUDIO_STATE, else ~/.local/state/summit-corpus/studio-servers.json), so that `status`
and `stop` find it without the same --data-dir. The token is never written anywhere by this
module. `start` reports progress (install, start-up) through a callback, refuses at once when
another program holds the port, and names the URL and the user to log in with.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

from summit_corpus.core.errors import Errors, StudioError
from summit_corpus.core.io import pid_alive

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
ENV_STATE = "SUMMIT_STUDIO_STATE"

Progress = Callable[[str], None]
# How often `start` says it is still waiting for the server.
_PROGRESS_EVERY = 10.0
# Label Studio deletes the selected region on Backspace and every region on Ctrl+Backspace
# (the "delete a word" key) when the focus is outside a text box, so a word deleted after a
# stray click beside the Note box deletes spans. Both get Ctrl+Shift (+Alt) instead, unless
# the server's environment already sets EDITOR_KEYMAP. The trash button still deletes.
SAFE_KEYMAP = {
    "region:delete": {
        "key": "ctrl+shift+backspace",
        "mac": "ctrl+shift+backspace",
        "description": "Delete selected region",
    },
    "region:delete-all": {
        "key": "ctrl+shift+alt+backspace",
        "mac": "ctrl+shift+alt+backspace",
        "description": "Delete all regions",
    },
}
# What Label Studio's log says when it cannot bind its port.
_PORT_IN_USE = ("address already in use", "port is in use", "errno 98")

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
    data_dir_chosen (bool): Whether --data-dir or SUMMIT_STUDIO_DATA_DIR named `data_dir`
        (else `status`/`stop` also look for a server started elsewhere).
    state_file (Path): The per-user list of started servers.
    """

    port: int
    data_dir: Path
    venv: Path
    data_dir_chosen: bool = False
    state_file: Path = field(default_factory=lambda: default_state_file())

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
    data_dir (Path): The data folder looked at (the server's, if it was found elsewhere).
    username (str | None): The admin to log in as (LABEL_STUDIO_USERNAME), if known.
    """

    running: bool
    pid: int | None
    port: int | None
    url: str | None
    version: str | None
    data_dir: Path
    username: str | None = None

    def describe(self) -> str:
        if not self.running:
            return f"Label Studio is not running (data dir {self.data_dir})."
        lines = [
            f"Label Studio {self.version or '?'} is running at {self.url} "
            f"(pid {self.pid}, data dir {self.data_dir}).",
            f"Annotate at {self.url}/projects/ : log in at {self.url}/user/login/ as "
            + (
                f"{self.username}"
                if self.username
                else "the LABEL_STUDIO_USERNAME it was started with"
            )
            + " with the password in LABEL_STUDIO_PASSWORD.",
            f"Push and pull with LABEL_STUDIO_URL={self.url} (and LABEL_STUDIO_API_KEY).",
        ]
        return "\n".join(lines)


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
    chosen = data_dir is not None or bool(env.get(ENV_DATA_DIR))
    if data_dir is None:
        data_dir = Path(
            env.get(ENV_DATA_DIR) or home / ".local" / "share" / "summit-corpus" / "label-studio"
        )
    if venv is None:
        venv = Path(
            env.get(ENV_VENV)
            or home / ".cache" / "summit-corpus" / f"label-studio-{LABEL_STUDIO_VERSION}"
        )
    return StudioConfig(
        port=port,
        data_dir=data_dir.expanduser(),
        venv=venv.expanduser(),
        data_dir_chosen=chosen,
        state_file=default_state_file(env),
    )


def default_state_file(environ: Mapping[str, str] | None = None) -> Path:
    """RETURNS (Path): SUMMIT_STUDIO_STATE, else ~/.local/state/summit-corpus/studio-servers.json
    (XDG_STATE_HOME is honoured): the per-user list of servers `start` started."""
    env = os.environ if environ is None else environ
    if env.get(ENV_STATE):
        return Path(env[ENV_STATE]).expanduser()
    base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "summit-corpus" / "studio-servers.json"


def ensure_installed(venv: Path, *, quiet: bool = True, progress: Progress | None = None) -> Path:
    """Create `venv` and install the pinned `label-studio` into it, unless it is already there.

    venv (Path): Folder of the virtual environment.
    quiet (bool): Pass `-q` to pip.
    progress (Callable[[str], None] | None): Told what is happening (install takes minutes).
    RETURNS (Path): The `label-studio` executable.
    """
    exe = venv / "bin" / "label-studio"
    if exe.exists() and _installed_version(venv) == LABEL_STUDIO_VERSION:
        return exe
    began = time.monotonic()
    if progress:
        progress(
            f"Installing label-studio {LABEL_STUDIO_VERSION} into {venv} "
            "(once per machine; a few minutes)..."
        )
    if not (venv / "bin" / "python").exists():
        _run([sys.executable, "-m", "venv", str(venv)], Errors.E601, venv=venv)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("-q")
    _run([*pip, f"label-studio=={LABEL_STUDIO_VERSION}"], Errors.E601, venv=venv)
    if not exe.exists():
        raise StudioError(Errors.E601.format(venv=venv, detail="no bin/label-studio after install"))
    if progress:
        progress(
            f"Installed label-studio {LABEL_STUDIO_VERSION} ({time.monotonic() - began:.0f} s)."
        )
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
    env.setdefault("EDITOR_KEYMAP", json.dumps(SAFE_KEYMAP))
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


# --- the per-user list of started servers ----------------------------------------------------
def _read_servers(state_file: Path) -> list[dict[str, Any]]:
    try:
        value = json.loads(state_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return []
    servers = value.get("servers") if isinstance(value, dict) else None
    return [
        s
        for s in servers or []
        if isinstance(s, dict)
        and isinstance(s.get("pid"), int)
        and isinstance(s.get("port"), int)
        and isinstance(s.get("data_dir"), str)
    ]


def _write_servers(state_file: Path, servers: list[dict[str, Any]]) -> None:
    from summit_corpus.core.io import write_text

    state_file.parent.mkdir(parents=True, exist_ok=True)
    write_text(state_file, json.dumps({"servers": servers}, indent=1, sort_keys=True) + "\n")


def _remember(config: StudioConfig, pid: int, username: str | None) -> None:
    kept = [s for s in _read_servers(config.state_file) if s["data_dir"] != str(config.data_dir)]
    entry = {"pid": pid, "port": config.port, "data_dir": str(config.data_dir)}
    if username:
        entry["username"] = username
    _write_servers(config.state_file, [*kept, entry])


def _forget(config: StudioConfig, data_dir: Path) -> None:
    servers = _read_servers(config.state_file)
    kept = [s for s in servers if s["data_dir"] != str(data_dir)]
    if kept != servers:
        _write_servers(config.state_file, kept)


def _status_of(data_dir: Path, username: str | None = None) -> StudioStatus:
    state = _read_state(data_dir)
    if state is None:
        return StudioStatus(False, None, None, None, None, data_dir)
    pid, port = state["pid"], state["port"]
    url = f"http://{HOST}:{port}"
    if not (pid_alive(pid) and _is_studio(pid)) or not healthy(url):
        return StudioStatus(False, pid, port, None, None, data_dir)
    version = _get_json(f"{url}/api/version") or {}
    release = version.get("release") if isinstance(version.get("release"), str) else None
    return StudioStatus(True, pid, port, url, release, data_dir, username)  # type: ignore[arg-type]


def status(config: StudioConfig) -> StudioStatus:
    """Report whether a server runs: the one of `config.data_dir`, else (when no data folder
    was chosen) one that `start` recorded in the per-user state file, preferring
    `config.port`.

    config (StudioConfig): Settings: `data_dir`, `data_dir_chosen`, `port`, `state_file`.
    RETURNS (StudioStatus): What was found.
    """
    recorded = {s["data_dir"]: s for s in _read_servers(config.state_file)}
    own = recorded.get(str(config.data_dir), {})
    found = _status_of(config.data_dir, own.get("username"))
    if found.running or config.data_dir_chosen:
        return found
    others = sorted(recorded.values(), key=lambda s: (s["port"] != config.port, s["port"]))
    for server in others:
        elsewhere = _status_of(Path(server["data_dir"]), server.get("username"))
        if elsewhere.running:
            return elsewhere
    return found


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as error:
            return error.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def _log_says_port_in_use(log: Path, offset: int) -> bool:
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            tail = handle.read().decode("utf-8", "replace").lower()
    except OSError:
        return False
    return any(marker in tail for marker in _PORT_IN_USE)


def start(
    config: StudioConfig,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = 300.0,
    install: bool = True,
    progress: Progress | None = None,
) -> StudioStatus:
    """Start Label Studio in the background and wait until `/health` answers.

    A server already running from the same data folder is left alone and reported. A port that
    another program holds is refused at once.

    config (StudioConfig): Port, data folder and venv.
    environ (Mapping[str, str] | None): Environment with the admin's LABEL_STUDIO_USERNAME,
        LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY; None means `os.environ`.
    timeout (float): Seconds to wait for `/health` (a fresh data folder runs migrations).
    install (bool): Create the venv and install Label Studio if missing.
    progress (Callable[[str], None] | None): Told each step and, while waiting, every 10 s.
    RETURNS (StudioStatus): The running server.
    """
    say = progress or (lambda message: None)
    env = server_env(environ)
    username = env[ENV_USERNAME]
    current = _status_of(config.data_dir, username)
    if current.running:
        return current
    if _port_taken(config.port):
        raise StudioError(Errors.E603.format(url=config.url, data_dir=config.data_dir))
    exe = ensure_installed(config.venv, progress=say) if install else config.executable
    if not exe.exists():
        raise StudioError(Errors.E601.format(venv=config.venv, detail="not installed"))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    log = config.data_dir / LOG_FILE
    offset = log.stat().st_size if log.exists() else 0
    fresh = not (config.data_dir / "label_studio.sqlite3").exists()
    process = _spawn(exe, config, env, log)
    state = {"pid": process.pid, "port": config.port}
    (config.data_dir / STATE_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")
    _remember(config, process.pid, username)
    say(
        f"Starting Label Studio {LABEL_STUDIO_VERSION} at {config.url} (pid {process.pid}, "
        f"log {log})"
        + (
            "; a new data folder runs its database migrations first (about a minute)"
            if fresh
            else ""
        )
        + "..."
    )
    began = time.monotonic()
    told = began
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            _clear(config)
            raise StudioError(Errors.E604.format(code=process.returncode, log=log))
        if _log_says_port_in_use(log, offset):
            _terminate(process.pid)
            _clear(config)
            raise StudioError(Errors.E603.format(url=config.url, data_dir=config.data_dir))
        if healthy(config.url):
            return _status_of(config.data_dir, username)
        if time.monotonic() - told >= _PROGRESS_EVERY:
            told = time.monotonic()
            say(f"... still starting ({told - began:.0f} s)")
        time.sleep(0.5)
    _terminate(process.pid)
    _clear(config)
    raise StudioError(Errors.E605.format(timeout=timeout, url=config.url, log=log))


def _spawn(
    exe: Path, config: StudioConfig, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
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
    # The log goes through logfilter (e-mail addresses redacted), a process of its own that
    # outlives this command with the server and ends when the server closes its output.
    log.touch()
    redactor = subprocess.Popen(
        [sys.executable, "-m", "summit_corpus.annotate.logfilter", str(log)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pipe = cast(IO[bytes], redactor.stdin)
    try:
        # A new session: the server outlives this command and a Ctrl-C here does not reach it.
        return subprocess.Popen(
            cmd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=pipe,
            stderr=subprocess.STDOUT,
            cwd=config.data_dir,
            start_new_session=True,
        )
    finally:
        pipe.close()


def _clear(config: StudioConfig, data_dir: Path | None = None) -> None:
    folder = config.data_dir if data_dir is None else data_dir
    (folder / STATE_FILE).unlink(missing_ok=True)
    _forget(config, folder)


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
        if not pid_alive(pid):
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


def stop(config: StudioConfig) -> StudioStatus | None:
    """Stop a server: the one of `config.data_dir`, else (no data folder chosen) the one
    `status` finds in the per-user state file. SIGTERM to its process group.

    config (StudioConfig): Settings, as for `status`.
    RETURNS (StudioStatus | None): The server that was stopped, or None if none ran.
    """
    found = status(config)
    folder = found.data_dir
    state = _read_state(folder)
    if state is None:
        _forget(config, folder)
        return None
    pid = state["pid"]
    # A stale studio.json may name a pid the system has since given to another program.
    was_alive = pid_alive(pid) and _is_studio(pid)
    if was_alive:
        _terminate(pid)
    _clear(config, folder)
    return found if was_alive else None


def state_as_dict(value: StudioStatus) -> dict[str, object]:
    """RETURNS (dict[str, object]): `value` as JSON-ready data (`corpus studio status --json`)."""
    data = asdict(value)
    data["data_dir"] = str(value.data_dir)
    return data
