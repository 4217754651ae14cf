"""Validation of a damaged corpus folder: one line per damaged file, never a traceback.

Byte flips run in a child process, so that a decoder crash fails the test instead of killing
the test run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from summit_corpus.build.corpus import write_manifest
from summit_corpus.core import layout
from summit_corpus.validate import validate_corpus

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"

# The child flips one byte of a data file at a time and validates, twice: as the corruption
# arrives (the manifest still has the old hash) and with the manifest rewritten to match it
# (so that the damaged file is decoded). It prints what it saw as JSON.
FLIPPER = """
import json, random, sys
from pathlib import Path
from summit_corpus.build.corpus import write_manifest
from summit_corpus.validate import validate_corpus

corpus, flips, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
files = sorted((corpus / "data").rglob("*.parquet"))
manifest = (corpus / "MANIFEST.json").read_bytes()
seen = {"flips": 0, "one_line": 0, "other": [], "rewritten_invalid": 0, "rewritten_valid": 0}
for _ in range(flips):
    path = rng.choice(files)
    intact = path.read_bytes()
    damaged = bytearray(intact)
    damaged[rng.randrange(len(damaged))] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(damaged))
    seen["flips"] += 1
    report = validate_corpus(corpus)
    rules = [(f.rule, f.file) for f in report.failures]
    rel = path.relative_to(corpus).as_posix()
    if rules == [("manifest_hash_matches", rel)]:
        seen["one_line"] += 1
    else:
        seen["other"].append([rel, rules[:5]])
    write_manifest(corpus)
    report = validate_corpus(corpus)  # must not raise, whatever the bytes decode to
    seen["rewritten_valid" if report.ok else "rewritten_invalid"] += 1
    path.write_bytes(intact)
    (corpus / "MANIFEST.json").write_bytes(manifest)
print(json.dumps(seen))
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the committed corpus."""
    copy = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", copy)
    return copy


def rules_of(corpus: Path) -> list[tuple[str, str | None]]:
    return [(f.rule, f.file) for f in validate_corpus(corpus).failures]


def set_card(corpus: Path, card: str) -> None:
    (corpus / layout.CARD).write_text(card, encoding="utf-8")
    write_manifest(corpus)  # the manifest matches: only the card rules can tell


class TestDamagedDataFiles:
    @pytest.mark.slow
    def test_byte_flips_give_one_failure_naming_the_file(self, corpus: Path) -> None:
        """Each of 40 byte flips is one 'manifest_hash_matches' failure for that file, and with
        the manifest rewritten to match, validation still reports instead of crashing."""
        child = subprocess.run(
            [sys.executable, "-c", FLIPPER, corpus, "40", "11"],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=False,
            timeout=1200,
        )
        assert child.returncode == 0, f"validation crashed ({child.returncode}): {child.stderr}"
        seen = json.loads(child.stdout)
        assert seen["flips"] == 40
        assert seen["other"] == []
        assert seen["one_line"] == 40
        assert seen["rewritten_invalid"] + seen["rewritten_valid"] == 40

    def test_command_prints_the_file_and_both_hashes(self, corpus: Path) -> None:
        """`corpus validate` names the damaged file, expected and actual SHA-256, exit 1."""
        path = corpus / "data" / "tokens" / "train-00000-of-00001.parquet"
        expected = json.loads((corpus / layout.MANIFEST).read_text())[
            "data/tokens/train-00000-of-00001.parquet"
        ]
        damaged = bytearray(path.read_bytes())
        damaged[len(damaged) // 2] ^= 0xFF
        path.write_bytes(bytes(damaged))
        import hashlib

        actual = hashlib.sha256(bytes(damaged)).hexdigest()
        child = subprocess.run(
            [sys.executable, "-c", "from summit_corpus.cli import app; app()", "validate", corpus],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert child.returncode == 1
        assert "Traceback" not in child.stdout + child.stderr
        first, summary = child.stdout.strip().splitlines()
        assert first.startswith("manifest (data/tokens/train-00000-of-00001.parquet): ")
        assert f'"expected": "{expected}"' in first and f'"actual": "{actual}"' in first
        assert summary.startswith("corpus INVALID: 1 failure(s)")


class TestCard:
    def test_committed_card_passes(self, corpus: Path) -> None:
        """The card the build writes parses and lists exactly the data files."""
        assert rules_of(corpus) == []

    def test_card_yaml_that_does_not_parse_fails(self, corpus: Path) -> None:
        """Broken YAML in the card's header fails 'card_yaml', although the manifest matches."""
        card = (corpus / layout.CARD).read_text()
        set_card(corpus, card.replace("configs:\n", "configs: [\n", 1))
        assert rules_of(corpus) == [("card_yaml", "README.md")]

    def test_card_header_that_never_closes_fails(self, corpus: Path) -> None:
        """A YAML header without its closing '---' fails 'card_yaml'."""
        set_card(corpus, "---\npretty_name: Summit News Corpus\n# Summit News Corpus\n")
        assert rules_of(corpus) == [("card_yaml", "README.md")]

    @pytest.mark.parametrize(
        ("old", "new"),
        [
            ("path: data/tokens/train-*.parquet", "path: data/tokenz/train-*.parquet"),  # no file
            ("- config_name: relations\n", "- config_name: relations_x\n"),  # still ok: files
            (
                "  - split: train\n    path: data/spans/train-*",
                "  - split: test\n    path: data/spans/train-*",
            ),  # wrong split
        ],
    )
    def test_card_configs_must_match_the_files(self, corpus: Path, old: str, new: str) -> None:
        """A config naming files that are not there, or under another split, fails
        'card_configs_match'; so does a data file in no config."""
        card = (corpus / layout.CARD).read_text()
        assert old in card
        set_card(corpus, card.replace(old, new, 1))
        found = rules_of(corpus)
        if "relations_x" in new:
            assert found == []  # a config's name is free; its files are what must match
        else:
            assert found and {rule for rule, _ in found} == {"card_configs_match"}

    def test_data_file_in_no_config_fails(self, corpus: Path) -> None:
        """A data file the card's configs do not list fails 'card_configs_match'."""
        card = (corpus / layout.CARD).read_text()
        lines = card.splitlines(keepends=True)
        start = lines.index("- config_name: relations\n")
        del lines[start : start + 6]
        set_card(corpus, "".join(lines))
        assert ("card_configs_match", "README.md") in rules_of(corpus)


class TestManifest:
    def test_garbage_manifest_is_one_line(self, corpus: Path) -> None:
        """A MANIFEST.json that is not JSON is one 'manifest_present' line, no traceback."""
        (corpus / layout.MANIFEST).write_bytes(b"\x00\xff{not json")
        child = subprocess.run(
            [sys.executable, "-c", "from summit_corpus.cli import app; app()", "validate", corpus],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert child.returncode == 1
        assert "Traceback" not in child.stderr
        assert "rule 'manifest_present'" in child.stdout
