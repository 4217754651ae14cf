"""Faults during a build: --out is always the whole old or the whole new corpus.

Builds run in child processes and are stopped at named fault points (build/faults.py), so each
test hits its moment exactly: SIGKILL inside the swap, SIGTERM while validating, and so on.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fault_helpers import SEEDS, copy_seeds, corpus_command, dead_pid, start_corpus_command

from summit_corpus.build import faults, swap
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core import layout
from summit_corpus.core.errors import BuildError
from summit_corpus.publish.datasheet import LABELS_PLOT
from summit_corpus.validate import validate_corpus


def manifest(corpus: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((corpus / layout.MANIFEST).read_text())
    return data


def leftovers(folder: Path) -> list[str]:
    """Everything a build leaves beside --out besides the corpus, its lock, cache, datasheet."""
    kept = {"corpus", ".corpus.lock", ".corpus-cache", "seeds", "DATASHEET.md", "docs"}
    names = [p.name for p in folder.iterdir() if p.name not in kept]
    names += [p.name for p in (folder / ".corpus-cache").rglob("*.tmp")]
    names += [p.name for p in (folder / "docs").rglob("*.tmp")]
    return sorted(n for n in names if not n.endswith(".png"))


def build_args(folder: Path) -> list[str | Path]:
    return [
        "build",
        "--seeds",
        folder / "seeds",
        "--out",
        folder / "corpus",
        "--datasheet",
        folder / "DATASHEET.md",
        "--annotations",
        folder / "no-annotations",
    ]


@pytest.fixture(scope="module")
def two_corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A folder with a built corpus of two seeds and a third seed added since, and the
    manifest the new corpus (three seeds) has."""
    base = tmp_path_factory.mktemp("two")
    newer = tmp_path_factory.mktemp("newer")
    copy_seeds(newer, 3)
    build_corpus(newer / "seeds", newer / "corpus", annotations=None, progress=False)
    copy_seeds(base, 2)
    build_corpus(base / "seeds", base / "corpus", annotations=None, progress=False)
    shutil.copy(sorted(SEEDS.iterdir())[2], base / "seeds")
    return base, manifest(newer / "corpus")


def fresh_copy(two_corpora: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    base, _ = two_corpora
    folder = tmp_path / "project"
    shutil.copytree(base, folder, symlinks=True)
    return folder


# Fault points a build reaches with --datasheet and an empty cache, with the swap used there.
KILL_POINTS = [
    ("build.locked", "exchange"),
    ("staging.batch", "exchange"),
    ("cache.entry_written", "exchange"),
    ("publish.written", "exchange"),
    ("publish.validated", "exchange"),
    ("datasheet.staged", "exchange"),
    ("swap.begin", "exchange"),
    ("swap.exchanged", "exchange"),  # the new corpus is in, the old one not yet deleted
    ("swap.removing_old", "exchange"),  # half of the old corpus deleted
    ("datasheet.renamed", "exchange"),
    ("swap.begin", "rename"),
    ("swap.moved_old", "rename"),  # --out is missing: the next build puts it back
    ("swap.exchanged", "rename"),
    ("swap.removing_old", "rename"),
]


@pytest.mark.slow
class TestKilledBuild:
    @pytest.mark.parametrize(("point", "mode"), KILL_POINTS)
    def test_sigkill_at_any_point_leaves_a_whole_valid_corpus(
        self,
        two_corpora: tuple[Path, dict[str, str]],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        point: str,
        mode: str,
    ) -> None:
        """A build SIGKILLed at `point` leaves --out the whole old or the whole new corpus,
        valid; the next build recovers the leftovers and leaves none."""
        folder = fresh_copy(two_corpora, tmp_path)
        old, new = manifest(folder / "corpus"), two_corpora[1]
        env = {faults.POINT_ENV: point, faults.ACTION_ENV: "kill", swap.SWAP_ENV: mode}
        result = corpus_command(*build_args(folder), env=env)
        assert result.returncode == -signal.SIGKILL, result.stderr
        out = folder / "corpus"
        if point == "swap.moved_old":
            assert not out.exists()  # the fallback's one gap, closed by the next build
        else:
            assert validate_corpus(out).ok
            assert manifest(out) in (old, new)
            assert manifest(out) == (new if point in AFTER_SWAP else old)
        monkeypatch.setenv(swap.SWAP_ENV, mode)
        summary = build_corpus(
            folder / "seeds",
            out,
            annotations=None,
            datasheet=folder / "DATASHEET.md",
            progress=False,
        )
        assert summary.recovered or point == "build.locked"
        assert manifest(out) == new
        assert leftovers(folder) == []
        assert validate_corpus(out).ok


AFTER_SWAP = {"swap.exchanged", "swap.removing_old", "datasheet.renamed"}


class TestRecovery:
    def test_old_corpus_is_restored_when_out_is_missing(self, tmp_path: Path) -> None:
        """`.corpus.old-PID` of a dead build is moved back to --out, even by a failing build."""
        seeds = copy_seeds(tmp_path, 2)
        out = tmp_path / "corpus"
        build_corpus(seeds, out, annotations=None, progress=False)
        before = manifest(out)
        os.rename(out, tmp_path / f".corpus.old-{dead_pid()}")
        (seeds / "empty.txt").write_bytes(b"")
        with pytest.raises(BuildError):
            build_corpus(seeds, out, annotations=None, progress=False)
        assert manifest(out) == before
        assert [p.name for p in tmp_path.glob(".corpus.old-*")] == []

    def test_leftovers_of_dead_builds_are_removed_and_reported(self, tmp_path: Path) -> None:
        """Staging, temp and old folders and temp files of dead builds go; the summary says so."""
        seeds = copy_seeds(tmp_path, 1)
        pid = dead_pid()
        for kind in swap.KINDS:
            (tmp_path / f".corpus.{kind}-{pid}" / "data").mkdir(parents=True)
        temp = tmp_path / f".DATASHEET.md.{pid}.abc123.tmp"
        temp.write_text("half a datasheet")
        summary = build_corpus(
            seeds,
            tmp_path / "corpus",
            annotations=None,
            datasheet=tmp_path / "DATASHEET.md",
            progress=False,
        )
        assert sorted(p.name for p in tmp_path.glob(".corpus.*")) == [".corpus.lock"]
        assert not temp.exists()
        assert len(summary.recovered) == 4
        assert all(line.startswith("recovered: ") for line in summary.recovered)

    def test_leftovers_of_a_live_process_stay(self, tmp_path: Path) -> None:
        """A folder whose process still runs is not touched (it may be writing it)."""
        seeds = copy_seeds(tmp_path, 1)
        live = tmp_path / f".corpus.staging-{os.getppid()}"
        live.mkdir()
        build_corpus(seeds, tmp_path / "corpus", annotations=None, progress=False)
        assert live.is_dir()


class TestLock:
    def test_second_build_is_refused_while_one_runs(self, tmp_path: Path) -> None:
        """A build of a corpus another build holds stops with one line naming the other's pid."""
        copy_seeds(tmp_path, 1)
        ready = tmp_path / "ready"
        env = {faults.POINT_ENV: "build.locked", faults.ACTION_ENV: "pause"}
        first = start_corpus_command(
            *build_args(tmp_path), env={**env, faults.READY_ENV: str(ready)}
        )
        try:
            wait_for(ready, first)
            second = corpus_command(*build_args(tmp_path))
            assert second.returncode == 1
            assert second.stderr.strip().splitlines() == [second.stderr.strip()]
            assert "one_build_at_a_time" in second.stderr and str(first.pid) in second.stderr
        finally:
            ready.unlink(missing_ok=True)
            first.communicate(timeout=600)
        assert first.returncode == 0


def wait_for(ready: Path, process: subprocess.Popen[str], timeout: float = 300) -> None:
    """Wait until a paused child has reached its fault point."""
    deadline = time.monotonic() + timeout
    while not ready.exists():
        assert process.poll() is None, "the build ended before its fault point"
        assert time.monotonic() < deadline
        time.sleep(0.05)


class TestSignals:
    @pytest.mark.parametrize(
        ("sig", "point"),
        [
            (signal.SIGTERM, "staging.batch"),  # while articles are parsed
            (signal.SIGINT, "staging.batch"),  # Ctrl-C, same moment
            (signal.SIGTERM, "publish.validated"),  # the new corpus is complete, not swapped
            (signal.SIGINT, "datasheet.staged"),  # the datasheet's temp files exist
        ],
    )
    def test_signal_leaves_the_corpus_and_says_so_in_one_line(
        self,
        two_corpora: tuple[Path, dict[str, str]],
        tmp_path: Path,
        sig: signal.Signals,
        point: str,
    ) -> None:
        """SIGTERM acts as Ctrl-C: exit 130, one line saying the previous corpus is intact."""
        folder = fresh_copy(two_corpora, tmp_path)
        before = manifest(folder / "corpus")
        sheet = (
            (folder / "DATASHEET.md").read_bytes() if (folder / "DATASHEET.md").exists() else None
        )
        ready = tmp_path / "ready"
        env = {faults.POINT_ENV: point, faults.ACTION_ENV: "pause", faults.READY_ENV: str(ready)}
        child = start_corpus_command(*build_args(folder), env=env)
        wait_for(ready, child)
        child.send_signal(sig)
        _, stderr = child.communicate(timeout=300)
        assert child.returncode == 130, stderr
        assert stderr.strip().splitlines() == [
            f"build interrupted ({sig.name}): nothing was changed; the previous corpus at "
            f"{folder / 'corpus'} is intact."
        ]
        assert manifest(folder / "corpus") == before
        now = (folder / "DATASHEET.md").read_bytes() if (folder / "DATASHEET.md").exists() else None
        assert now == sheet
        assert leftovers(folder) == []


class TestFailureAfterTheSwap:
    def test_datasheet_error_leaves_the_old_corpus_and_datasheet(self, tmp_path: Path) -> None:
        """A datasheet that cannot be written fails the build before the swap: both stay old."""
        seeds = copy_seeds(tmp_path, 1)
        out, sheet = tmp_path / "corpus", tmp_path / "sheet" / "DATASHEET.md"
        build_corpus(seeds, out, annotations=None, datasheet=sheet, progress=False)
        before, sheet_before = manifest(out), sheet.read_bytes()
        copy_seeds(tmp_path / "more", 2)
        shutil.copy(sorted((tmp_path / "more" / "seeds").iterdir())[1], seeds)
        (sheet.parent / LABELS_PLOT).unlink()
        (sheet.parent / LABELS_PLOT).mkdir()  # the plot cannot be replaced
        with pytest.raises(BuildError):
            build_corpus(seeds, out, annotations=None, datasheet=sheet, progress=False)
        assert manifest(out) == before
        assert sheet.read_bytes() == sheet_before
