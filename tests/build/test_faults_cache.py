"""Cache faults: a damaged entry is never used, never crashes the build, and is repaired.

Bit flips are tried in a child process, so that a crash inside Arrow's decoder (SIGSEGV,
SIGABRT) fails the test instead of killing the test run.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from fault_helpers import SRC, copy_seeds

from summit_corpus.build import cache, ingest, pipeline, reuse
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core import layout

# The child: flip one bit of an entry at a time, read it through ArticleCache.get, and compare
# what comes back with the rows of the intact entry. It prints a JSON count.
FLIPPER = """
import json, random, sys
from pathlib import Path
from summit_corpus.build import cache, ingest

root, version, seeds, flips, seed = sys.argv[1:6]
store = cache.ArticleCache(Path(root), version)
rng = random.Random(int(seed))
counts = {"flips": 0, "refused": 0, "same": 0, "different": 0}
for path in sorted(Path(seeds).iterdir()):
    raw = ingest.RawArticle(path=path, source_file=path.name, data=path.read_bytes())
    entry = store.path(raw)
    intact = entry.read_bytes()
    good = store.get(raw)
    assert good is not None, "the intact entry must be readable"
    for _ in range(int(flips)):
        position = rng.randrange(len(intact) * 8)
        damaged = bytearray(intact)
        damaged[position // 8] ^= 1 << (position % 8)
        entry.write_bytes(bytes(damaged))
        counts["flips"] += 1
        got = store.get(raw)
        if got is None:
            counts["refused"] += 1
        elif set(got) == set(good) and all(got[n].equals(good[n]) for n in good):
            counts["same"] += 1
        else:
            counts["different"] += 1
    entry.write_bytes(intact)
print(json.dumps(counts))
"""


def corpus_files(corpus: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((corpus / layout.MANIFEST).read_text())
    return data


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """Seeds, a cache filled by building them, and the manifest of that clean build."""
    folder = tmp_path_factory.mktemp("warm")
    seeds = copy_seeds(folder, 2)
    build_corpus(
        seeds, folder / "corpus", annotations=None, progress=False, cache_dir=folder / "cache"
    )
    return seeds, folder / "cache", corpus_files(folder / "corpus")


class TestBitFlips:
    def test_no_flipped_bit_crashes_or_changes_rows(
        self, warm: tuple[Path, Path, dict[str, str]]
    ) -> None:
        """Every one of 400 single-bit flips per entry is refused (or harmless), never a crash."""
        seeds, store, _ = warm
        child = subprocess.run(
            [sys.executable, "-c", FLIPPER, store, pipeline.pipeline_version(), seeds, "400", "7"],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert child.returncode == 0, f"the reader crashed ({child.returncode}): {child.stderr}"
        counts = json.loads(child.stdout)
        assert counts["flips"] == 800
        assert counts["different"] == 0
        assert counts["refused"] == 800  # the checksum catches every flip, header included

    def test_build_over_flipped_entries_equals_a_clean_build(
        self, warm: tuple[Path, Path, dict[str, str]], tmp_path: Path
    ) -> None:
        """A build over damaged entries publishes the clean build's bytes, re-parses and
        rewrites each damaged entry, and counts them in the summary."""
        seeds, store, clean = warm
        version = pipeline.pipeline_version()
        article_cache = cache.ArticleCache(store, version)
        rng = random.Random(3)
        intact = {}
        for path in sorted(seeds.iterdir()):
            raw = ingest.RawArticle(path=path, source_file=path.name, data=path.read_bytes())
            entry = article_cache.path(raw)
            intact[entry] = entry.read_bytes()
            damaged = bytearray(intact[entry])
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
            entry.write_bytes(bytes(damaged))
        reuse.drop(article_cache)  # the kept staged set would spare the build every entry
        out = tmp_path / "corpus"
        summary = build_corpus(seeds, out, annotations=None, progress=False, cache_dir=store)
        assert corpus_files(out) == clean
        assert summary.cache_repaired == 2
        assert "2 damaged cache entries re-parsed and rewritten" in str(summary)
        for entry, data in intact.items():
            assert entry.read_bytes() == data  # rewritten: the same bytes as before the flip

    def test_entry_of_other_bytes_is_refused(self, tmp_path: Path) -> None:
        """An entry moved under another article's key is refused: it names other content."""
        rows = {"sentences": pipeline.PER_ARTICLE_TABLES[1].empty()}
        store = cache.ArticleCache(tmp_path, "v1")
        one = ingest.RawArticle(path=Path("a.txt"), source_file="a.txt", data=b"one")
        two = ingest.RawArticle(path=Path("a.txt"), source_file="a.txt", data=b"two")
        store.put(one, rows)
        store.path(two).parent.mkdir(parents=True, exist_ok=True)
        store.path(two).write_bytes(store.path(one).read_bytes())
        assert store.get(two) is None
        assert store.damaged == 1
