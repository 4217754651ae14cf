"""The `corpus-validate` pre-commit hook, run by pre-commit itself on another repository.

`pre-commit try-repo` clones this repository, installs it into a virtualenv of its own as
`language: python` hooks are, and runs the hook in a temporary git repository that holds a
copy of the committed corpus: once as it is (the hook passes), once with a corrupted file
(it fails and names the rule). So that the test needs no download, the hook's virtualenv
gets this package's dependencies from the test's own environment (PYTHONPATH, and pip told
not to resolve dependencies); pre-commit, the hook manifest, the install of this repository
and the `corpus validate` entry point are the real ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HOOK = "corpus-validate"

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache, shared by the runs of this module (the hook env is made once)."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def corpus_repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the committed corpus under corpus/."""
    repo = tmp_path / "data-repo"
    shutil.copytree(REPO / "corpus", repo / "corpus")
    git(repo, "init", "-q")
    git(repo, "add", "corpus")
    git(repo, "commit", "-q", "-m", "corpus")
    return repo


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This environment's installed packages except summit_corpus itself (links to them), so
    the hook imports the copy pre-commit installed, not the one under test's environment."""
    folder = tmp_path_factory.mktemp("dependencies")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("summit_corpus", "summit-corpus", "__editable__")):
            (folder / entry.name).symlink_to(entry)
    return folder


def try_repo(repo: Path, home: Path, dependencies: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PYTHONPATH": str(dependencies),
        "PIP_NO_DEPS": "1",
        "NO_COLOR": "1",
    }
    env.pop("SUMMIT_SCHEMAS_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), HOOK, "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


class TestPreCommitHook:
    def test_a_clean_corpus_passes(
        self, corpus_repo: Path, pre_commit_home: Path, dependencies: Path
    ) -> None:
        """The hook validates the copied corpus and passes."""
        run = try_repo(corpus_repo, pre_commit_home, dependencies)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "corpus validate (Summit News Corpus)" in run.stdout
        assert "Passed" in run.stdout

    def test_a_corrupted_file_fails_and_is_named(
        self, corpus_repo: Path, pre_commit_home: Path, dependencies: Path
    ) -> None:
        """A spans file changed after the build fails the hook, naming the file and the rule."""
        import pyarrow.parquet as pq

        path = corpus_repo / "corpus" / "data" / "spans" / "train-00000-of-00001.parquet"
        table = pq.read_table(path)
        texts = table.column("text").to_pylist()
        texts[0] = texts[0] + "!"
        table = table.set_column(table.schema.get_field_index("text"), "text", [texts])
        pq.write_table(table, path)
        run = try_repo(corpus_repo, pre_commit_home, dependencies)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "Failed" in run.stdout
        assert "data/spans/train-00000-of-00001.parquet" in run.stdout
        assert "rule 'manifest_hash_matches'" in run.stdout
