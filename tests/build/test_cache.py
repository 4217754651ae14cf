"""Per-article cache: keyed by content, path and pipeline; a warm build equals a clean one."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pytest
from fault_helpers import corpus_bytes

from summit_corpus.build import cache, ingest
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core import tables

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"


def raw(data: bytes, name: str = "a.txt") -> ingest.RawArticle:
    return ingest.RawArticle(path=Path(name), source_file=name, data=data)


def sentences(doc_id: str, n: int) -> pa.Table:
    return tables.SENTENCES.from_rows(
        [
            {
                "doc_id": doc_id,
                "sentence_id": i,
                "start": 10 * i,
                "end": 10 * i + 9,
                "text": "x" * 9,
            }
            for i in range(n)
        ]
    )


class TestEntry:
    def test_tables_round_trip_through_an_entry(self) -> None:
        """An entry decodes to the same tables, schema and rows, that were encoded."""
        rows = {"sentences": sentences("a", 3), "tokens": tables.TOKENS.empty()}
        back = cache.decode_entry(cache.encode_entry(rows))
        assert set(back) == set(rows)
        for name, table in rows.items():
            assert back[name].equals(table)
            assert back[name].schema == table.schema

    def test_encoding_is_deterministic(self) -> None:
        """The same rows give the same entry bytes."""
        rows = {"sentences": sentences("a", 2)}
        assert cache.encode_entry(rows) == cache.encode_entry(dict(rows))


class TestArticleCache:
    def test_put_then_get_returns_the_rows(self, tmp_path: Path) -> None:
        """A stored article is answered from the cache and counted as a hit."""
        store = cache.ArticleCache(tmp_path, "v1")
        article = raw(b"Body.\n")
        store.put(article, {"sentences": sentences("a", 2)})
        got = store.get(article)
        assert got is not None and got["sentences"].equals(sentences("a", 2))
        assert (store.hits, store.misses) == (1, 0)

    @pytest.mark.parametrize(
        "other",
        [
            raw(b"Body!\n"),  # one byte changed: the rows may differ
            raw(b"Body.\n", "b.txt"),  # same bytes under another path: another doc_id
        ],
    )
    def test_changed_bytes_or_path_miss(self, tmp_path: Path, other: ingest.RawArticle) -> None:
        """An article whose bytes or source path differ is not answered by another's entry."""
        store = cache.ArticleCache(tmp_path, "v1")
        store.put(raw(b"Body.\n"), {"sentences": sentences("a", 1)})
        assert store.get(other) is None
        assert store.misses == 1

    def test_other_pipeline_version_misses(self, tmp_path: Path) -> None:
        """Rows made by another pipeline version are never served."""
        article = raw(b"Body.\n")
        cache.ArticleCache(tmp_path, "v1").put(article, {"sentences": sentences("a", 1)})
        assert cache.ArticleCache(tmp_path, "v2").get(article) is None

    def test_damaged_entry_is_a_miss_and_is_removed(self, tmp_path: Path) -> None:
        """A truncated entry is not trusted: it counts as a miss and is deleted."""
        store = cache.ArticleCache(tmp_path, "v1")
        article = raw(b"Body.\n")
        store.put(article, {"sentences": sentences("a", 1)})
        path = store.path(article)
        path.write_bytes(path.read_bytes()[:20])
        assert store.get(article) is None
        assert not path.exists()

    def test_default_dir_is_beside_the_output(self, tmp_path: Path) -> None:
        """Without --cache-dir the cache lives in .corpus-cache next to the corpus folder."""
        assert cache.default_dir(tmp_path / "corpus") == tmp_path.resolve() / ".corpus-cache"


class TestCodeDigest:
    def test_the_digest_covers_the_per_article_stage_and_nothing_after_it(self) -> None:
        """Editing the model layer or the tokenizer's caller changes the cache's namespace;
        editing the publisher, the validator or the annotation tools does not, so their
        changes do not make a rebuild parse every article again."""
        package = Path(cache.__file__).resolve().parents[1]  # installed or in src/
        stage = {p.relative_to(package).as_posix() for p in cache.stage_sources()}
        assert {"build/pipeline.py", "build/segment.py", "build/model/quotes.py"} <= stage
        assert {"core/tables.py", "core/scheme.py"} <= stage
        later = ("publish/", "validate/", "annotate/", "export/", "build/corpus.py")
        assert [p for p in sorted(stage) if p.startswith(later)] == []

    def test_imports_for_type_checking_or_on_first_use_are_not_followed(self) -> None:
        """A module's `if TYPE_CHECKING:` block and its PEP 562 `__getattr__` import nothing
        while the stage runs."""
        tree = ast.parse(
            "from typing import TYPE_CHECKING\n"
            "import summit_corpus.core.io\n"
            "if TYPE_CHECKING:\n"
            "    from summit_corpus.publish import card\n"
            "def __getattr__(name):\n"
            "    from summit_corpus.validate import run\n"
            "def later():\n"
            "    from summit_corpus.export import brat\n"
        )
        nodes = list(cache._runtime_nodes(tree))
        imported = {n.module for n in nodes if isinstance(n, ast.ImportFrom)}
        imported |= {n.names[0].name for n in nodes if isinstance(n, ast.Import)}
        assert imported == {"typing", "summit_corpus.core.io", "summit_corpus.export"}


class TestSplitByArticle:
    def test_rows_are_cut_per_document(self) -> None:
        """Each article gets exactly its own rows of every table (possibly none)."""
        both = tables.concat(tables.SENTENCES, [sentences("a", 2), sentences("b", 3)])
        parts = cache.split_by_article({"sentences": both}, ["a", "b", "c"])
        assert parts["a"]["sentences"].num_rows == 2
        assert parts["b"]["sentences"].equals(sentences("b", 3))
        assert parts["c"]["sentences"].num_rows == 0


class TestWarmBuild:
    def test_cache_warm_rebuild_is_byte_identical_to_a_clean_build(self, tmp_path: Path) -> None:
        """Building again from the cache writes exactly the files of a build without cache."""
        store = tmp_path / "cache"
        clean = tmp_path / "clean" / "corpus"
        warm = tmp_path / "warm" / "corpus"
        build_corpus(SEEDS, clean, annotations=ANNOTATIONS, progress=False, cache=False)
        build_corpus(SEEDS, warm, annotations=ANNOTATIONS, progress=False, cache_dir=store)
        assert len(list(store.rglob("*.arrow"))) == len(list(SEEDS.iterdir()))
        build_corpus(SEEDS, warm, annotations=ANNOTATIONS, progress=False, cache_dir=store)
        assert corpus_bytes(warm) == corpus_bytes(clean)
