"""`corpus build --out DIR` writes nothing outside DIR: its datasheet goes with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def tree_state() -> list[str]:
    """Every change, untracked and ignored file of the checkout, as git sees them."""
    run = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--ignored"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(line for line in run.stdout.splitlines() if "__pycache__" not in line)


class TestBuildOut:
    def test_a_build_into_another_folder_leaves_the_checkout_unchanged(
        self, tmp_path: Path
    ) -> None:
        """Run from the repository root, a build into a temporary folder changes no file of
        the checkout, and the datasheet with its plots lands in that folder (in its manifest)."""
        import json

        if not (REPO / ".git").exists():
            pytest.skip("not a git checkout")
        before = tree_state()
        out = tmp_path / "corpus"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        run = subprocess.run(
            [sys.executable, "-c", "from summit_corpus.cli import app; app()", "build",
             "--out", str(out)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert tree_state() == before
        manifest = json.loads((out / "MANIFEST.json").read_text())
        for name in ("DATASHEET.md", "docs/datasheet/labels.svg", "LICENSE", "README.md"):
            assert name in manifest, name
        assert "](docs/datasheet/labels.svg)" in (out / "DATASHEET.md").read_text()
