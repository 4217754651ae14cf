"""Rebuilds take what the build before computed, and publish what a build from scratch does.

The corpus is the seeds and synthetic articles, published in shards of a few documents (the
shard sizes are made small), so that a rebuild has shards it can take and shards it cannot.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fault_helpers import corpus_bytes

from summit_corpus.build import reuse, synthetic
from summit_corpus.build.cache import ArticleCache
from summit_corpus.build.corpus import BuildSummary, build_corpus, write_manifest
from summit_corpus.core import io, layout
from summit_corpus.publish import DatasetWriter, shards, splits, summary
from summit_corpus.publish.near_duplicates import NearDuplicateIndex
from summit_corpus.validate import corpus as validating
from summit_corpus.validate import validate_corpus

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ANNOTATIONS = REPO / "annotations"


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "SHARD_MIN_DOCS", 3)
    monkeypatch.setattr(shards, "SHARD_SPREAD", 3)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Seeds (the repository's and 24 synthetic articles), the annotations before and after a
    pull (before lacks the last task's annotations), and a corpus built with a cache from
    `before`."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    synthetic.write_corpus(SEEDS, seeds, 24)
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(ANNOTATIONS, before)
    shutil.copytree(ANNOTATIONS, after)
    for snapshot in sorted(before.glob("*/*.json")):
        tasks = json.loads(snapshot.read_text(encoding="utf-8"))
        if isinstance(tasks, list) and tasks and "annotations" in tasks[-1]:
            tasks[-1]["annotations"] = []
            snapshot.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    out, store = tmp_path / "corpus", tmp_path / "cache"
    build_corpus(seeds, out, annotations=before, progress=False, cache_dir=store)
    yield {"seeds": seeds, "before": before, "after": after, "out": out, "store": store}


def read_shards(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the shards validation reads (the others it takes from the memo)."""
    read: list[str] = []
    add_chunk = validating._Stream.add_chunk

    def spy(self: validating._Stream, file_name: str, chunk: object) -> None:
        if file_name not in read:
            read.append(file_name)
        add_chunk(self, file_name, chunk)  # type: ignore[arg-type]

    monkeypatch.setattr(validating._Stream, "add_chunk", spy)
    return read


class TestRebuildIsAFromScratchBuild:
    def test_after_a_pull_that_changed_only_annotations(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """A rebuild with the pulled snapshots publishes the bytes a build from scratch (no
        cache) of the same inputs publishes, and validation reads only the changed shards."""
        documents = layout.config_dir(project["out"], "documents")
        assert len(list(documents.glob("*.parquet"))) > 3
        before = corpus_bytes(project["out"])
        with pytest.MonkeyPatch.context() as patch:
            read = read_shards(patch)
            build_corpus(
                project["seeds"],
                project["out"],
                annotations=project["after"],
                progress=False,
                cache_dir=project["store"],
            )
        fresh = tmp_path / "fresh"
        build_corpus(project["seeds"], fresh, annotations=project["after"], progress=False)
        rebuilt = corpus_bytes(project["out"])
        assert rebuilt == corpus_bytes(fresh)
        changed = {Path(rel).name for rel in rebuilt if rebuilt[rel] != before.get(rel)}
        assert set(read) == {name for name in changed if name.endswith(".parquet")}
        assert 0 < len(read) < len(list(documents.glob("*.parquet")))

    def test_after_adding_an_article(self, project: dict[str, Path], tmp_path: Path) -> None:
        """A rebuild after one more article publishes the bytes a build from scratch does."""
        add_article(project["seeds"])
        assert rebuild(project).parsed == 1
        fresh = tmp_path / "fresh"
        build_corpus(project["seeds"], fresh, annotations=project["before"], progress=False)
        assert corpus_bytes(project["out"]) == corpus_bytes(fresh)


def rebuild(
    project: dict[str, Path], annotations: str = "before", datasheet: Path | None = None
) -> BuildSummary:
    return build_corpus(
        project["seeds"],
        project["out"],
        annotations=project[annotations],
        progress=False,
        cache_dir=project["store"],
        datasheet=datasheet,
    )


def add_article(seeds: Path, index: int = 10**6) -> Path:
    extra = seeds / synthetic.NAME_FORMAT.format(index=index)
    extra.write_bytes(synthetic.article(synthetic.material(SEEDS), index))
    return extra


def confirmed_pairs(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """Record the candidate pairs the near-duplicate index confirms from fingerprints."""
    confirmed: list[set[str]] = []
    confirm = NearDuplicateIndex._confirm

    def spy(self: NearDuplicateIndex, ids: list[str], i: int, *rest: Any) -> Any:
        confirmed.extend({ids[i], ids[j]} for j in rest[1].tolist())
        return confirm(self, ids, i, *rest)

    monkeypatch.setattr(NearDuplicateIndex, "_confirm", spy)
    return confirmed


class TestChangedArticlesAreStagedAlone:
    """The staged set a build kept holds the rows of the articles a rebuild shares with it:
    only the others are staged (from their entries, or parsed), and their rows merged in."""

    def test_adding_an_article_reads_no_other_articles_entry(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """With every other article's cache entry gone, a rebuild after one more article
        parses that one only, and publishes what a build from scratch does."""
        for entry in project["store"].glob("*/??/*.arrow"):
            entry.unlink()
        add_article(project["seeds"])
        summary = rebuild(project)
        assert (summary.parsed, summary.cache_hits) == (1, summary.rows["documents"] - 1)
        fresh = tmp_path / "fresh"
        build_corpus(project["seeds"], fresh, annotations=project["before"], progress=False)
        assert corpus_bytes(project["out"]) == corpus_bytes(fresh)

    def test_more_new_articles_than_a_merge_takes_are_staged_with_all_the_others(
        self, project: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past MERGE_MAX_ARTICLES new articles (whose rows a merge holds at once), every
        article is staged from its cache entry, as a build without a kept set does."""
        monkeypatch.setattr(reuse, "MERGE_MAX_ARTICLES", 1)
        read: list[str] = []
        get = ArticleCache.get

        def spy(self: ArticleCache, raw: Any) -> Any:
            read.append(raw.doc_id)
            return get(self, raw)

        monkeypatch.setattr(ArticleCache, "get", spy)
        add_article(project["seeds"], 10**6)
        add_article(project["seeds"], 10**6 + 1)
        summary = rebuild(project)
        assert summary.parsed == 2
        assert len(read) == summary.cache_hits == summary.rows["documents"] - 2
        fresh = tmp_path / "fresh"
        build_corpus(project["seeds"], fresh, annotations=project["before"], progress=False)
        assert corpus_bytes(project["out"]) == corpus_bytes(fresh)

    @pytest.mark.parametrize("change", ["edit", "remove"])
    def test_an_edited_or_removed_article_gives_a_from_scratch_build(
        self, project: dict[str, Path], tmp_path: Path, change: str
    ) -> None:
        """Editing an article's bytes, or removing it, publishes the bytes a build from
        scratch does (the set's rows of that article are left out)."""
        article = sorted(project["seeds"].glob("syn_*.txt"))[5]
        if change == "edit":
            article.write_bytes(article.read_bytes() + b"\nOne more line of the story.\n")
        else:
            article.unlink()
        summary = rebuild(project)
        assert summary.parsed == (1 if change == "edit" else 0)
        fresh = tmp_path / "fresh"
        build_corpus(project["seeds"], fresh, annotations=project["before"], progress=False)
        assert corpus_bytes(project["out"]) == corpus_bytes(fresh)

    def test_near_duplicates_of_unchanged_articles_are_not_confirmed_again(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """The split assignment confirms only the new article's candidate pairs; the pairs
        among the others are the ones the build before found (a build from scratch confirms
        pairs among them)."""
        new = add_article(project["seeds"]).stem
        with pytest.MonkeyPatch.context() as patch:
            confirmed = confirmed_pairs(patch)
            rebuild(project)
        assert all(new in pair for pair in confirmed)
        with pytest.MonkeyPatch.context() as patch:
            confirmed = confirmed_pairs(patch)
            build_corpus(
                project["seeds"], tmp_path / "fresh", annotations=project["before"], progress=False
            )
        assert any(new not in pair for pair in confirmed)
        assert corpus_bytes(project["out"]) == corpus_bytes(tmp_path / "fresh")

    def test_story_keys_of_unchanged_articles_are_not_read_again(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """The split assignment reads only the new article's lead for a story key; the
        others' keys are the ones the build before found (a build from scratch reads every
        lead), and the corpus is the same."""
        new = add_article(project["seeds"]).stem
        with pytest.MonkeyPatch.context() as patch:
            read = leads_read(patch)
            rebuild(project)
        assert read == [new]
        with pytest.MonkeyPatch.context() as patch:
            read = leads_read(patch)
            build_corpus(
                project["seeds"], tmp_path / "fresh", annotations=project["before"], progress=False
            )
        assert new in read and len(read) > 1
        assert corpus_bytes(project["out"]) == corpus_bytes(tmp_path / "fresh")


def leads_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the documents whose lead the split assignment reads for a story key."""
    read: list[str] = []
    story_key = splits.story_key

    def spy(row: Any, config: Any) -> str | None:
        read.append(row["doc_id"])
        return story_key(row, config)

    monkeypatch.setattr(splits, "story_key", spy)
    return read


def written_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the data files the writer writes (the others it takes from the corpus replaced)."""
    written: list[str] = []
    init = io.RowGroupWriter.__init__

    def spy(self: io.RowGroupWriter, path: Path, *args: object, **kwargs: object) -> None:
        written.append(f"{path.parent.name}/{path.name}")
        init(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(io.RowGroupWriter, "__init__", spy)
    return written


def documents_given(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Record the documents whose rows the writer is given."""
    given: set[str] = set()
    add = DatasetWriter.add

    def spy(self: DatasetWriter, tables: Any, assignment: pa.Table) -> None:
        given.update(tables["documents"].column("doc_id").to_pylist())
        add(self, tables, assignment)

    monkeypatch.setattr(DatasetWriter, "add", spy)
    return given


class TestUnchangedShardsAreTaken:
    def test_a_pull_writes_only_the_shards_it_changed(self, project: dict[str, Path]) -> None:
        """After a pull that changed only annotations, the writer writes the shards that
        hold the documents whose annotations changed (each config's file of those shards, as
        a shard's key is its documents') and copies every other one from the corpus replaced."""
        before = corpus_bytes(project["out"])
        with pytest.MonkeyPatch.context() as patch:
            written = written_files(patch)
            rebuild(project, "after")
        rebuilt = corpus_bytes(project["out"])
        data = [rel for rel in rebuilt if rel.startswith("data/")]
        changed = {rel.removeprefix("data/") for rel in data if rebuilt[rel] != before.get(rel)}
        assert changed and changed <= set(written)
        shards_changed = {Path(rel).name for rel in changed}
        assert {Path(rel).name for rel in written} == shards_changed
        assert len(written) < len(data) / 2
        # No annotation reaches the sentences and tokens: their files are all taken.
        assert not [rel for rel in written if rel.split("/")[0] in ("sentences", "tokens")]

    def test_adding_an_article_reads_the_rows_of_the_shards_written_alone(
        self, project: dict[str, Path]
    ) -> None:
        """The writer is given the rows of the documents in the shards it writes, and no
        others: the facts of the shards it takes (for the card) come from the memo too."""
        add_article(project["seeds"])
        with pytest.MonkeyPatch.context() as patch:
            written = written_files(patch)
            given = documents_given(patch)
            rebuild(project)
        documents = [rel for rel in written if rel.startswith("documents/")]
        assert documents and len(documents) < len(written)
        in_written = {
            doc_id
            for rel in documents
            for doc_id in pq.read_table(project["out"] / "data" / rel).column("doc_id").to_pylist()
        }
        assert given == in_written

    def test_a_damaged_facts_memo_reads_the_taken_shards_rows_again(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """Facts the memo cannot give are counted from the rows again: same corpus."""
        memo = project["store"] / "published.json"
        kept = json.loads(memo.read_text(encoding="utf-8"))
        kept["facts"] = {key: {"rows": "damaged"} for key in kept["facts"]}
        memo.write_text(json.dumps(kept), encoding="utf-8")
        add_article(project["seeds"])
        with pytest.MonkeyPatch.context() as patch:
            given = documents_given(patch)
            rebuild(project)
        fresh = tmp_path / "fresh"
        build_corpus(project["seeds"], fresh, annotations=project["before"], progress=False)
        assert corpus_bytes(project["out"]) == corpus_bytes(fresh)
        assert len(given) == len(list(project["seeds"].glob("*.txt")))

    def test_a_file_changed_in_the_corpus_is_written_again(self, project: dict[str, Path]) -> None:
        """A shard file edited in the published corpus (its manifest rewritten to match) is
        not taken: the rebuild writes it again, and the corpus is the one built before."""
        built = corpus_bytes(project["out"])
        spans = sorted(layout.config_dir(project["out"], "spans").glob("*.parquet"))[0]
        table = pq.read_table(spans)
        io.write_parquet(spans, table.slice(1))
        write_manifest(project["out"])
        with pytest.MonkeyPatch.context() as patch:
            written = written_files(patch)
            rebuild(project, "before")
        assert written == [f"spans/{spans.name}"]
        assert corpus_bytes(project["out"]) == built

    def test_a_damaged_memo_writes_every_shard(self, project: dict[str, Path]) -> None:
        """A memo that is not JSON takes nothing: every shard is written, to the same bytes."""
        built = corpus_bytes(project["out"])
        (project["store"] / "published.json").write_text("{not json", encoding="utf-8")
        with pytest.MonkeyPatch.context() as patch:
            written = written_files(patch)
            rebuild(project, "before")
        assert len(written) == len([rel for rel in built if rel.startswith("data/")])
        assert corpus_bytes(project["out"]) == built


class TestValidationMemo:
    def test_a_changed_shard_is_checked_again(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """A shard whose file changed (the manifest rewritten to match) is read again and its
        broken rule reported, although a corpus that passed had a shard of that name."""
        memo = tmp_path / "memo"
        assert validate_corpus(project["out"], memo=memo).ok
        assert list(memo.glob("*/*.entry"))
        spans = sorted(layout.config_dir(project["out"], "spans").glob("*.parquet"))[-1]
        table = pq.read_table(spans)
        labels = table.column("label").to_pylist()
        labels[0] = "NOT_A_LABEL"
        broken = table.set_column(
            table.schema.get_field_index("label"), "label", pa.array(labels, pa.string())
        )
        io.write_parquet(spans, broken)
        write_manifest(project["out"])
        report = validate_corpus(project["out"], memo=memo)
        assert not report.ok
        assert any(f.file == spans.relative_to(project["out"]).as_posix() for f in report.failures)

    def test_a_damaged_entry_is_not_used(self, project: dict[str, Path], tmp_path: Path) -> None:
        """An entry whose bytes do not match its checksum is ignored: the shard is read, and
        its entry written anew."""
        memo = tmp_path / "memo"
        clean = validate_corpus(project["out"])
        assert validate_corpus(project["out"], memo=memo).ok
        for entry in memo.glob("*/*.entry"):
            data = bytearray(entry.read_bytes())
            data[len(data) // 2] ^= 0x10
            entry.write_bytes(bytes(data))
        again = validate_corpus(project["out"], memo=memo)
        assert again.ok
        assert again.rows == clean.rows
        with pytest.MonkeyPatch.context() as patch:  # the damaged entries were written anew
            read = read_shards(patch)
            assert validate_corpus(project["out"], memo=memo).ok
        assert read == []


def read_by_the_datasheet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the shards the datasheet's summary reads (the others it takes from the memo)."""
    read: list[str] = []
    summarize = summary._ShardReader.summary

    def spy(self: summary._ShardReader, listed: bool) -> summary.ShardSummary:
        read.append(next(iter(self.files.values())).name)
        return summarize(self, listed)

    monkeypatch.setattr(summary._ShardReader, "summary", spy)
    return read


def summaries_equal(a: summary.CorpusSummary, b: summary.CorpusSummary) -> bool:
    plain = [f for f in summary.CorpusSummary.__slots__ if not f.endswith("_tables")]
    tables = [f for f in summary.CorpusSummary.__slots__ if f.endswith("_tables")]
    return all(getattr(a, f) == getattr(b, f) for f in plain) and all(
        getattr(a, f).keys() == getattr(b, f).keys()
        and all(getattr(a, f)[k].equals(getattr(b, f)[k]) for k in getattr(a, f))
        for f in tables
    )


class TestDatasheetMemo:
    def test_a_pull_reads_only_the_shards_it_changed_and_gives_a_from_scratch_datasheet(
        self, project: dict[str, Path], tmp_path: Path
    ) -> None:
        """With a cache, the datasheet's summary of each shard is kept by the shard's bytes: a
        rebuild after a pull reads only the shards the pull changed, and its datasheet and
        plots are the bytes of a build from scratch."""
        sheet = project["out"] / "DATASHEET.md"
        rebuild(project, datasheet=sheet)
        names = {p.name for p in layout.config_dir(project["out"], "documents").glob("*")}
        with pytest.MonkeyPatch.context() as patch:
            read = read_by_the_datasheet(patch)
            rebuild(project, "after", datasheet=sheet)
        assert 0 < len(read) < len(names)
        fresh = tmp_path / "fresh"
        build_corpus(
            project["seeds"],
            fresh,
            annotations=project["after"],
            progress=False,
            datasheet=fresh / "DATASHEET.md",
        )
        assert corpus_bytes(project["out"]) == corpus_bytes(fresh)

    def test_a_summary_from_the_memo_is_the_summary_of_the_files(
        self, project: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A second summary with the memo reads no shard and equals one read from the files."""
        memo = tmp_path / "memo"
        from_files = summary.summarize_corpus(project["out"])
        summary.summarize_corpus(project["out"], memo=memo)
        read = read_by_the_datasheet(monkeypatch)
        kept = summary.summarize_corpus(project["out"], memo=memo)
        assert read == []
        assert summaries_equal(kept, from_files)

    def test_a_damaged_entry_is_read_again_and_others_are_dropped(
        self, project: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An entry that fails its checksum is ignored (its shard is read again, and the
        entry written anew), and an entry of no shard of the corpus is deleted."""
        memo = tmp_path / "memo"
        from_files = summary.summarize_corpus(project["out"])
        summary.summarize_corpus(project["out"], memo=memo)
        entries = sorted(memo.glob("*/*.entry"))
        data = bytearray(entries[0].read_bytes())
        data[len(data) // 2] ^= 0x10
        entries[0].write_bytes(bytes(data))
        stray = memo / "ff" / ("f" * 64 + ".entry")
        stray.parent.mkdir(exist_ok=True)
        stray.write_bytes(entries[1].read_bytes())
        read = read_by_the_datasheet(monkeypatch)
        again = summary.summarize_corpus(project["out"], memo=memo)
        assert len(read) == 1
        assert summaries_equal(again, from_files)
        assert not stray.exists()
        assert len(list(memo.glob("*/*.entry"))) == len(entries)
        summary.summarize_corpus(project["out"], memo=memo)  # the damaged entry was replaced
        assert len(read) == 1
