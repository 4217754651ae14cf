"""Every error a user can cause in `corpus build` is a message from errors.py, never a
traceback, and the previous corpus is left as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fault_helpers import SEEDS, copy_seeds, corpus_command, start_corpus_command

from summit_corpus.build import faults
from summit_corpus.build.corpus import build_corpus


@dataclass
class Case:
    """A `corpus build` the user gets wrong: its arguments, environment and expected rule."""

    args: list[str | Path]
    rule: str
    env: dict[str, str] = field(default_factory=dict)
    unprivileged: bool = False
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def build_args(folder: Path, **overrides: Path) -> list[str | Path]:
    options = {
        "seeds": folder / "seeds",
        "out": folder / "out" / "corpus",
        "datasheet": folder / "DATASHEET.md",
        "annotations": folder / "no-annotations",
        **overrides,
    }
    return ["build", *[a for k, v in options.items() for a in (f"--{k}", v)]]


@contextmanager
def tiny_disk(folder: Path) -> Iterator[bool]:
    """A 400 KB tmpfs at `folder` where mounting is allowed; YIELDS whether it is mounted."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def read_only_parent(folder: Path) -> Case:
    (folder / "out").mkdir()
    os.chmod(folder / "out", 0o555)
    return Case(build_args(folder), "disk_write", unprivileged=True)


def unreadable_seed(folder: Path) -> Case:
    target = folder / "seeds" / "locked.txt"
    target.write_bytes((SEEDS / sorted(os.listdir(SEEDS))[1]).read_bytes())
    os.chmod(target, 0)
    return Case(build_args(folder), "readable", unprivileged=True)


def unreadable_seeds_folder(folder: Path) -> Case:
    os.chmod(folder / "seeds", 0o300)
    return Case(build_args(folder), "readable", unprivileged=True)


def missing_seeds(folder: Path) -> Case:
    return Case(build_args(folder, seeds=folder / "nope"), "seeds_dir")


def out_is_a_file(folder: Path) -> Case:
    (folder / "out").mkdir()
    (folder / "out" / "corpus").write_text("my notes\n")
    return Case(build_args(folder), "out_is_corpus")


def out_is_another_folder(folder: Path) -> Case:
    (folder / "out" / "corpus").mkdir(parents=True)
    (folder / "out" / "corpus" / "thesis.tex").write_text("\\section{}\n")
    return Case(build_args(folder), "out_is_corpus")


def datasheet_is_a_folder(folder: Path) -> Case:
    (folder / "DATASHEET.md").mkdir()
    return Case(build_args(folder), "datasheet_target")


def injected_full_disk(folder: Path) -> Case:
    env = {
        faults.POINT_ENV: "staging.batch",
        faults.ACTION_ENV: "raise",
        faults.ERRNO_ENV: "ENOSPC",
    }
    return Case(build_args(folder), "disk_write", env=env)


def unwritable_cache(folder: Path) -> Case:
    (folder / "cache").mkdir()
    os.chmod(folder / "cache", 0o555)
    return Case(
        [*build_args(folder), "--cache-dir", folder / "cache"], "disk_write", unprivileged=True
    )


def unknown_engine(folder: Path) -> Case:
    return Case([*build_args(folder), "--engine", "spark"], "engine_known")


CASES = [
    read_only_parent,  # --out's folder cannot be written
    unreadable_seed,  # a seed file without read permission
    unreadable_seeds_folder,  # --seeds itself cannot be listed
    missing_seeds,  # --seeds does not exist
    out_is_a_file,  # --out names a file: it would be replaced
    out_is_another_folder,  # --out names a folder that is not a corpus
    datasheet_is_a_folder,  # the datasheet cannot be put in place after the swap
    injected_full_disk,  # ENOSPC while staging rows
    unwritable_cache,  # --cache-dir is read-only
    unknown_engine,  # --engine spark
]


def assert_messages_only(result: subprocess.CompletedProcess[str], rule: str) -> None:
    """Exit 1; stderr holds messages only (each naming a rule or saying the build failed)."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines, "no message"
    assert f"rule '{rule}'" in result.stderr
    for line in lines:
        assert "rule '" in line or line.startswith("build failed"), line


class TestUserErrors:
    @pytest.mark.parametrize("make", CASES, ids=[c.__name__ for c in CASES])
    def test_each_error_is_a_message_and_the_corpus_stays(
        self, tmp_path: Path, make: Callable[[Path], Case]
    ) -> None:
        """The build stops with messages from errors.py naming the rule; no traceback."""
        os.chmod(tmp_path, 0o755)
        copy_seeds(tmp_path, 1)
        case = make(tmp_path)
        try:
            result = corpus_command(*case.args, env=case.env, unprivileged=case.unprivileged)
        finally:
            for path in [tmp_path, *tmp_path.rglob("*")]:
                if not path.is_symlink():
                    os.chmod(path, 0o755)
        assert_messages_only(result, case.rule)

    def test_full_disk_is_one_message(self, tmp_path: Path) -> None:
        """A real full disk (a 400 KB tmpfs under --out) fails with a 'disk_write' message and
        leaves the previous corpus."""
        seeds = copy_seeds(tmp_path, 1)
        disk = tmp_path / "disk"
        with tiny_disk(disk) as mounted:
            if not mounted:
                pytest.skip("cannot mount a tmpfs here (injected_full_disk covers ENOSPC)")
            out = disk / "corpus"
            build_corpus(seeds, out, annotations=None, progress=False, cache=False)
            before = (out / "MANIFEST.json").read_text()
            for path in sorted(SEEDS.iterdir())[1:]:
                shutil.copy(path, seeds)
            result = corpus_command(
                *build_args(tmp_path, out=out, datasheet=tmp_path / "DATASHEET.md")
            )
            assert_messages_only(result, "disk_write")
            assert "No space left on device" in result.stderr
            assert (out / "MANIFEST.json").read_text() == before
            assert sorted(p.name for p in disk.iterdir()) == [
                ".corpus-cache",
                ".corpus.lock",
                "corpus",
            ]

    def test_lost_race_is_one_message(self, tmp_path: Path) -> None:
        """A folder written at --out during the build (by something that ignores the lock) is
        not replaced: one 'out_unchanged' message, and the folder is left as it was."""
        copy_seeds(tmp_path, 1)
        ready = tmp_path / "ready"
        env = {
            faults.POINT_ENV: "swap.begin",
            faults.ACTION_ENV: "pause",
            faults.READY_ENV: str(ready),
        }
        child = start_corpus_command(*build_args(tmp_path), env=env)
        deadline = 300.0
        import time

        start = time.monotonic()
        while not ready.exists():
            assert child.poll() is None and time.monotonic() - start < deadline
            time.sleep(0.05)
        intruder = tmp_path / "out" / "corpus"
        intruder.mkdir(parents=True)
        (intruder / "other.txt").write_text("someone else's\n")
        ready.unlink()
        _, stderr = child.communicate(timeout=300)
        assert child.returncode == 1
        assert "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1 and "rule 'out_unchanged'" in stderr
        assert [p.name for p in intruder.iterdir()] == ["other.txt"]
