"""scripts/bench_studio.py at a small N against the session's real server (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio_fixtures import StudioServer

pytestmark = pytest.mark.studio

REPO = Path(__file__).resolve().parents[2]


def test_small_run_prints_every_figure_and_writes_its_section(
    studio: StudioServer, tmp_path: Path
) -> None:
    """Each figure beside its target, the load, the command, every import option; the
    BENCHMARKS.md section is written between its markers and the rest of the file kept."""
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\n## Quotes and speakers in real news\n\nkept\n")
    command = [
        sys.executable,
        str(REPO / "scripts" / "bench_studio.py"),
        "--corpus",
        str(REPO / "corpus"),
        "--tasks",
        "4",
        "--repeat",
        "1",
        "--data-dir",
        str(studio.data_dir),
        "--compare-imports",
        "--benchmarks",
        str(report),
    ]

    def run() -> str:
        done = subprocess.run(
            command, env=studio.env, capture_output=True, text=True, timeout=900, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        return done.stdout

    out = run()
    for name, target in (("push", 30), ("re-push", 3), ("pull", 10)):
        assert re.search(rf"^{name}: .*target <= {target} s: (pass|MISS)$", out, re.M), out
    assert re.search(r"^re-push: 0 tasks created, 0 predictions added", out, re.M), out
    assert re.search(r"^push: 4 tasks created", out, re.M), out
    assert "command: python scripts/bench_studio.py --corpus" in out
    assert len(re.findall(r"^load average \(1, 5, 15 min\) at (start|end): ", out, re.M)) == 2
    assert len(re.findall(r"^import option: .*server CPU [0-9.]+ s", out, re.M)) == 10, out
    run()  # a second run replaces the section
    text = report.read_text()
    assert text.startswith("# Benchmarks\n\n## Quotes and speakers in real news\n\nkept\n")
    assert text.count("## Label Studio") == 1
    section = text[text.index("<!-- scripts/bench_studio.py: begin -->") :]
    assert section.rstrip().endswith("<!-- scripts/bench_studio.py: end -->")
    assert "| push of 4 tasks" in section and "Load average" in section
    assert section.count("| tasks, then POST import/predictions") == 3
