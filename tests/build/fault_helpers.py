"""Helpers of the build tests: the `corpus` command in a child process, seed copies, a corpus
folder's bytes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
SRC = Path(__file__).resolve().parents[2] / "src"


def corpus_bytes(corpus: Path) -> dict[str, str]:
    """RETURNS (dict[str, str]): Every file of `corpus` (relative POSIX path) -> its SHA-256."""
    return {
        p.relative_to(corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(corpus.rglob("*"))
        if p.is_file()
    }


def copy_seeds(folder: Path, count: int = 2) -> Path:
    """RETURNS (Path): `folder`/seeds holding the first `count` seed articles."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    for path in sorted(SEEDS.iterdir())[:count]:
        shutil.copy(path, seeds / path.name)
    return seeds


def _command(args: tuple[str | Path, ...], unprivileged: bool) -> list[str]:
    command = [sys.executable, "-c", "from summit_corpus.cli import app; app()"]
    command += [str(a) for a in args]
    if unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    return command


def _env(env: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "CI": "1", **(env or {})}


def corpus_command(
    *args: str | Path,
    env: dict[str, str] | None = None,
    unprivileged: bool = False,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run `corpus ARGS` in a child process (so that a kill or a crash is its own) and wait.

    env (dict[str, str] | None): Variables added to this process's environment.
    unprivileged (bool): Drop the capabilities that let root ignore file permissions.
    """
    return subprocess.run(
        _command(args, unprivileged),
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_corpus_command(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `corpus ARGS` in a child process; RETURNS the running process (pipes for output)."""
    return subprocess.Popen(
        _command(args, False),
        env=_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def dead_pid() -> int:
    """RETURNS (int): The id of a process that has exited (no process has it now)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
