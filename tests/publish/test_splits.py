"""Leakage-aware split assignment (src/summit_corpus/splits.py, schemas/splits.yaml)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash32, sha1_hash64

from summit_corpus.build import ingest, synthetic
from summit_corpus.build.fingerprints import Fingerprinter, lsh_bands
from summit_corpus.core import tables
from summit_corpus.core.errors import SplitConfigError
from summit_corpus.publish.near_duplicates import KnownPairs
from summit_corpus.publish.splits import (
    ASSIGNMENT_COLUMNS,
    NearDuplicateConfig,
    NearDuplicateIndex,
    NearDuplicatePair,
    assign_splits,
    load_split_config,
    near_duplicates,
    shingle_hashes,
    shingles,
    split_of,
    split_sizes,
    story_key,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ORIGINAL = "001_dd113488c4bf23f6"


def _seed_rows(seeds: Path = SEEDS) -> list[dict[str, Any]]:
    return [ingest.clean(raw).to_row() for raw in ingest.discover(seeds)]


def _documents(rows: list[dict[str, Any]]) -> pa.Table:
    return tables.DOCUMENTS.from_rows(rows)


def _lightly_edited(text: str) -> str:
    """A copy an outlet might run: a few words changed, one sentence cut, a line added."""
    edited = text.replace("Kremlin", "Russian presidency", 2).replace("summit", "meeting", 2)
    edited = edited.replace("April 14", "Apr. 14")
    sentences = re.split(r"(?<=\.) ", edited)
    del sentences[2]
    return " ".join(sentences) + "\nThis story was updated with more detail.\n"


def _row(doc_id: str, text: str, **fields: Any) -> dict[str, Any]:
    row = {c: None for c in tables.DOCUMENTS.names}
    row.update(
        doc_id=doc_id,
        source_file=f"{doc_id}.txt",
        source_sha256="0" * 64,
        text_sha256="0" * 64,
        text=text,
        byline=[],
        credits=[],
        updates=[],
        removed_lines=[],
        final_newline="\n",
        has_bom=False,
    )
    row.update(fields)
    return row


def _reference_pairs(texts: dict[str, str], config: NearDuplicateConfig) -> list[NearDuplicatePair]:
    """Near-duplicates the direct way: datasketch's LSH index over string shingle sets."""
    ids = sorted(texts)
    sets = {d: shingles(texts[d], config.shingle_size) for d in ids}
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    sketches = {}
    for d in ids:
        sketch = MinHash(num_perm=config.num_perm, seed=config.minhash_seed, scheme="affine32")
        sketch.update_batch([x.encode("utf-8") for x in sorted(sets[d])])
        sketches[d] = sketch
        lsh.insert(d, sketch)
    pairs = []
    for a in ids:
        for b in sorted(lsh.query(sketches[a])):
            if b <= a or not sets[a] or not sets[b]:
                continue
            shared = len(sets[a] & sets[b])
            jaccard = shared / len(sets[a] | sets[b])
            containment = shared / min(len(sets[a]), len(sets[b]))
            if jaccard >= config.jaccard_threshold or containment >= config.containment_threshold:
                pairs.append(NearDuplicatePair(a, b, round(jaccard, 6), round(containment, 6)))
    return pairs


@pytest.fixture(scope="module")
def config():
    return load_split_config()


@pytest.fixture(scope="module")
def synthetic_rows(tmp_path_factory) -> list[dict[str, Any]]:
    """120 synthetic articles, plus edited, trimmed and extended copies of some of them."""
    folder = tmp_path_factory.mktemp("synthetic")
    synthetic.write_corpus(SEEDS, folder, 120)
    rows = _seed_rows(folder)
    copies = []
    for k, row in enumerate(rows[:12]):
        text = row["text"]
        variants = (
            _lightly_edited(text) if text.count(". ") > 3 else text + " Updated.",
            text[: len(text) * 3 // 4],
            text + "\n" + rows[-1 - k]["text"][: len(text) // 3],
        )
        for v, variant in enumerate(variants):
            copies.append(dict(row, doc_id=f"{row['doc_id']}_copy{v}", text=variant))
    return [*rows, *copies, _row("zz_empty", "")]


@pytest.fixture(scope="module")
def seed_rows() -> list[dict[str, Any]]:
    return _seed_rows()


class TestShingles:
    def test_shingles_ignore_case_and_punctuation(self):
        """Casing and punctuation do not change a text's shingles."""
        assert shingles("The Kremlin, on Wednesday!", 2) == shingles("the kremlin on WEDNESDAY", 2)

    def test_text_shorter_than_a_shingle_is_one_shingle(self):
        """A text with fewer words than the shingle size still has one shingle."""
        assert shingles("Putin Biden", 3) == frozenset({"putin biden"})


class TestNearDuplicates:
    def test_lightly_edited_copy_is_a_near_duplicate(self, config, seed_rows):
        """An edited copy of a seed pairs with its original, with Jaccard above the threshold."""
        texts = {r["doc_id"]: r["text"] for r in seed_rows}
        texts["zz_copy"] = _lightly_edited(texts[ORIGINAL])
        pairs = near_duplicates(texts, config.near_duplicate)
        assert [(p.a, p.b) for p in pairs] == [(ORIGINAL, "zz_copy")]
        assert pairs[0].jaccard >= config.near_duplicate.jaccard_threshold

    def test_distinct_seeds_are_not_near_duplicates(self, config, seed_rows):
        """The five seeds, all about Putin-Biden talks, share too few shingles to pair."""
        texts = {r["doc_id"]: r["text"] for r in seed_rows}
        assert near_duplicates(texts, config.near_duplicate) == []

    def test_copy_inside_a_longer_article_is_found_by_containment(self, config, seed_rows):
        """A seed republished with extra paragraphs is caught by shingle containment."""
        original = next(r["text"] for r in seed_rows if r["doc_id"] == ORIGINAL)
        other = next(r["text"] for r in seed_rows if r["doc_id"].startswith("004"))
        texts = {ORIGINAL: original, "zz_longer": original + "\n" + other[: len(original) // 2]}
        pairs = near_duplicates(texts, config.near_duplicate)
        assert len(pairs) == 1 and pairs[0].containment >= 0.8


class TestNearDuplicateIndex:
    def test_pairs_equal_the_reference_on_a_synthetic_corpus(self, config, synthetic_rows):
        """Pairs, Jaccard and containment equal datasketch's LSH over string shingle sets."""
        texts = {r["doc_id"]: r["text"] for r in synthetic_rows}
        expected = _reference_pairs(texts, config.near_duplicate)
        assert len(expected) >= 20
        assert near_duplicates(texts, config.near_duplicate) == expected

    def test_order_of_adding_does_not_matter(self, config, synthetic_rows):
        """Documents added in reverse order give the same pairs."""
        texts = {r["doc_id"]: r["text"] for r in synthetic_rows}
        with NearDuplicateIndex(config.near_duplicate) as index:
            for doc_id in sorted(texts, reverse=True):
                index.add(doc_id, texts[doc_id])
            assert index.pairs() == near_duplicates(texts, config.near_duplicate)

    def test_shingle_hashes_are_datasketchs_sha1_hashes(self, config):
        """Each shingle hash is sha1_hash64 of the shingle; its low 32 bits are sha1_hash32."""
        text = "The Kremlin said on Wednesday that a summit depends on Washington."
        hashes = shingle_hashes(text, config.near_duplicate.shingle_size)
        strings = [s.encode("utf-8") for s in shingles(text, 3)]
        assert hashes.tolist() == sorted(sha1_hash64(s) for s in strings)
        assert sorted((hashes & 0xFFFFFFFF).tolist()) == sorted(sha1_hash32(s) for s in strings)

    def test_minhash_values_are_datasketchs(self, config, synthetic_rows):
        """The fingerprint's MinHash equals datasketch's MinHash (scheme "affine32", same seed)
        of the shingles' 32-bit hashes, for every synthetic text and a text with no words."""
        settings = config.near_duplicate
        fingerprint = Fingerprinter(settings)
        for text in [*(r["text"] for r in synthetic_rows[:50]), "", "-- ."]:
            hashes, values = fingerprint(text)
            sketch = MinHash(num_perm=settings.num_perm, seed=settings.minhash_seed)
            sketch.update_batch([s.encode("utf-8") for s in shingles(text, 3)])
            assert values.tolist() == sketch.hashvalues[: fingerprint.width].tolist()

    @pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
    @pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9, 0.95])
    def test_bands_are_minhashlshs(self, threshold, num_perm):
        """The band layout is the one MinHashLSH picks for the same threshold and num_perm,
        and a layout MinHashLSH refuses (a single band) is refused too."""
        try:
            expected = list(MinHashLSH(threshold=threshold, num_perm=num_perm).hashranges)
        except ValueError:
            with pytest.raises(ValueError, match="LSH band"):
                lsh_bands(threshold, num_perm)
            return
        assert lsh_bands(threshold, num_perm) == expected

    def test_known_pairs_are_taken_and_only_new_documents_candidates_confirmed(
        self, config, synthetic_rows, monkeypatch
    ):
        """Given the pairs found before among unchanged documents, the index confirms only
        candidates with a new document, and finds the pairs a search from nothing finds."""
        texts = {r["doc_id"]: r["text"] for r in synthetic_rows}
        expected = near_duplicates(texts, config.near_duplicate)
        new = set(sorted(texts)[::7])
        among = frozenset(texts) - new
        known = KnownPairs(among, tuple(p for p in expected if {p.a, p.b} <= among))
        assert known.pairs and any({p.a, p.b} & new for p in expected)
        confirmed: list[set[str]] = []
        confirm = NearDuplicateIndex._confirm

        def spy(self, ids, i, left, js, stored):
            confirmed.extend({ids[i], ids[j]} for j in js.tolist())
            return confirm(self, ids, i, left, js, stored)

        monkeypatch.setattr(NearDuplicateIndex, "_confirm", spy)
        with NearDuplicateIndex(config.near_duplicate) as index:
            for doc_id, text in texts.items():
                index.add(doc_id, text)
            assert index.pairs(known) == expected
        assert confirmed and all(pair & new for pair in confirmed)

    def test_known_pairs_of_documents_gone_are_dropped(self, config, synthetic_rows):
        """A known pair one of whose documents is no longer there is not a pair."""
        texts = {r["doc_id"]: r["text"] for r in synthetic_rows}
        expected = near_duplicates(texts, config.near_duplicate)
        gone = expected[0].a
        rest = {d: t for d, t in texts.items() if d != gone}
        with NearDuplicateIndex(config.near_duplicate) as index:
            for doc_id, text in rest.items():
                index.add(doc_id, text)
            pairs = index.pairs(KnownPairs(frozenset(texts), tuple(expected)))
        assert pairs == near_duplicates(rest, config.near_duplicate)

    def test_a_known_pair_with_an_edited_document_is_not_taken(self, config, synthetic_rows):
        """A document edited since (not among the unchanged) loses its known pairs: they are
        confirmed again from its new text."""
        texts = {r["doc_id"]: r["text"] for r in synthetic_rows}
        expected = near_duplicates(texts, config.near_duplicate)
        edited = expected[0].b
        now = texts | {edited: "An unrelated text about the weather in a small town today."}
        known = KnownPairs(frozenset(texts) - {edited}, tuple(expected))
        with NearDuplicateIndex(config.near_duplicate) as index:
            for doc_id, text in now.items():
                index.add(doc_id, text)
            pairs = index.pairs(known)
        assert pairs == near_duplicates(now, config.near_duplicate)
        assert all(edited not in (p.a, p.b) for p in pairs)

    def test_texts_without_words_pair_with_nothing(self, config):
        """Two documents with no words share every MinHash band but are not near-duplicates."""
        assert near_duplicates({"a": "", "b": " ... ", "c": "one"}, config.near_duplicate) == []


class TestStoryKey:
    @pytest.mark.parametrize(
        ("lead", "published", "expected"),
        [
            # the year stated in the lead wins
            (
                "Putin and Biden held a summit on June 16, 2021 in Geneva.",
                None,
                "2021-06-16/summit",
            ),
            # day-month order, year taken from the stated publication date
            ("The call took place on 7 December.", "2021-12-08T10:00:00+00:00", "2021-12-07/call"),
            # a date just before New Year resolves to the nearest year, not the publication's
            ("Talks were held Dec. 30.", "2022-01-02T09:00:00+03:00", "2021-12-30/talks"),
            # a relative day is never resolved: no key
            ("The Kremlin on Wednesday said a summit was possible.", "2021-04-15", None),
            # no year stated and no publication date: no key (never guessed)
            ("A summit on April 14 was discussed.", None, None),
            # a date but no event word: no key
            ("Peskov spoke to reporters on April 14, 2021.", None, None),
        ],
    )
    def test_story_key_from_the_lead(self, config, lead, published, expected):
        """The key is the first calendar date and event word the lead states."""
        row = _row("a", lead + "\nLater paragraph.", published_at_local=published)
        assert story_key(row, config.story_key) == expected

    def test_dates_after_the_lead_are_ignored(self, config):
        """A dated event in background paragraphs does not make a story key."""
        row = _row("a", "Biden spoke on Monday.\nThe Geneva summit of June 16, 2021 was cordial.")
        assert story_key(row, config.story_key) is None

    def test_title_is_part_of_the_lead(self, config):
        """A date stated in the headline counts."""
        row = _row("a", "Body text.", title="Kremlin confirms Dec. 7, 2021 for Putin-Biden talks")
        assert story_key(row, config.story_key) == "2021-12-07/talks"


def _fingerprints(rows: list[dict[str, Any]], config: Any) -> pa.Table:
    """RETURNS (pa.Table): tables.FINGERPRINTS of the rows, made one article at a time."""
    fingerprint = Fingerprinter(config.near_duplicate)
    out = []
    for row in rows:
        hashes, bands = fingerprint(row["text"])
        out.append(
            {
                "doc_id": row["doc_id"],
                "shingle_hashes": hashes.tolist(),
                "band_values": bands.tolist(),
            }
        )
    return tables.FINGERPRINTS.from_rows(out)


class TestAssignSplits:
    def test_one_row_per_document_with_a_known_split(self, seed_rows):
        """Every document gets exactly one split from tables.SPLITS."""
        assignment = assign_splits(_documents(seed_rows))
        assert assignment.schema == tables.SPLIT_ASSIGNMENT.schema
        assert assignment.column("doc_id").to_pylist() == sorted(r["doc_id"] for r in seed_rows)
        assert set(assignment.column("split").to_pylist()) <= set(tables.SPLITS)

    def test_assignment_is_deterministic(self, seed_rows):
        """Two runs over the same documents, in any order, give the same table."""
        first = assign_splits(_documents(seed_rows))
        second = assign_splits(
            pa.Table.from_pylist(seed_rows[::-1], schema=tables.DOCUMENTS.schema)
        )
        assert first.equals(second)

    def test_fingerprints_made_apart_give_the_same_assignment(self, synthetic_rows, config):
        """Fingerprints made per article (as the build's workers do) give the same table."""
        fingerprints = _fingerprints(synthetic_rows, config)
        documents = _documents(synthetic_rows)
        expected = assign_splits(documents, config)
        given = assign_splits(documents, config, fingerprints=fingerprints.to_batches(17))
        assert given.equals(expected)
        assert "near_duplicate" in str(given.column("grouped_by").to_pylist())

    def test_known_story_keys_are_taken_and_only_the_others_leads_read(
        self, synthetic_rows, config, monkeypatch
    ):
        """With fingerprints, the story keys found before are taken: only the other
        documents' leads are read, and the assignment is the one computed from nothing."""
        from summit_corpus.publish import splits

        fingerprints = _fingerprints(synthetic_rows, config)
        documents = _documents(synthetic_rows)
        expected = assign_splits(documents, config)
        doc_ids, story_keys = (expected.column(c).to_pylist() for c in ("doc_id", "story_key"))
        keys = dict(zip(doc_ids, story_keys, strict=True))
        assert any(keys.values())
        others = set(sorted(keys)[::5])
        known = {d: k for d, k in keys.items() if d not in others}
        read: list[str] = []
        story_key_of = splits.story_key

        def spy(row, story_config):
            read.append(row["doc_id"])
            return story_key_of(row, story_config)

        monkeypatch.setattr(splits, "story_key", spy)
        given, _ = splits.assign_splits_with_pairs(
            documents, config, fingerprints=fingerprints.to_batches(17), known_keys=known
        )
        assert given.equals(expected)
        assert sorted(read) == sorted(others)

    def test_fingerprints_of_other_documents_are_refused(self, seed_rows, config):
        """Fingerprints that do not cover exactly the documents are an error naming one."""
        from summit_corpus.publish.splits import Fingerprinter

        fingerprint = Fingerprinter(config.near_duplicate)
        hashes, bands = fingerprint(seed_rows[0]["text"])
        only_one = tables.FINGERPRINTS.from_rows(
            [{"doc_id": seed_rows[0]["doc_id"], "shingle_hashes": hashes.tolist(),
              "band_values": bands.tolist()}]
        )  # fmt: skip
        with pytest.raises(ValueError, match="documents and fingerprints differ"):
            assign_splits(_documents(seed_rows), config, fingerprints=[only_one])

    def test_lightly_edited_copy_lands_in_its_originals_split(self, seed_rows):
        """A near-duplicate of a seed joins the seed's group and split."""
        original = next(r for r in seed_rows if r["doc_id"] == ORIGINAL)
        copy = dict(original, doc_id="005_copy", text=_lightly_edited(original["text"]))
        rows = {r["doc_id"]: r for r in assign_splits(_documents([*seed_rows, copy])).to_pylist()}
        assert rows["005_copy"]["split"] == rows[ORIGINAL]["split"]
        assert rows["005_copy"]["group_id"] == rows[ORIGINAL]["group_id"]
        assert rows["005_copy"]["near_duplicate_of"] == ORIGINAL
        assert "near_duplicate" in rows["005_copy"]["grouped_by"]

    def test_adding_a_document_moves_no_existing_one(self, seed_rows):
        """New articles, copies or not, leave every existing document's split and group alone."""
        before = assign_splits(_documents(seed_rows)).select(["doc_id", "split", "group_id"])
        original = next(r for r in seed_rows if r["doc_id"] == ORIGINAL)
        new = [
            dict(original, doc_id="005_copy", text=_lightly_edited(original["text"])),
            _row("006_other", "An unrelated article about the weather in Geneva."),
        ]
        after = assign_splits(_documents([*seed_rows, *new])).select(
            ["doc_id", "split", "group_id"]
        )
        assert after.slice(0, before.num_rows).equals(before)

    def test_distinct_seeds_are_not_merged_by_the_rules(self, seed_rows):
        """Without the reader's links, no two seeds share a group."""
        config = load_split_config().model_copy(update={"same_story": ()})
        assignment = assign_splits(_documents(seed_rows), config)
        assert assignment.column("group_size").to_pylist() == [1] * len(seed_rows)

    def test_reader_linked_story_shares_a_split(self, seed_rows):
        """The two reports of the Kremlin's 14 April 2021 statement are one group."""
        rows = {r["doc_id"]: r for r in assign_splits(_documents(seed_rows)).to_pylist()}
        assert rows["000_fa20e158ca33a4e8"]["group_id"] == rows[ORIGINAL]["group_id"]
        assert rows["000_fa20e158ca33a4e8"]["split"] == rows[ORIGINAL]["split"]
        assert rows[ORIGINAL]["grouped_by"] == ["same_story"]

    def test_equal_story_keys_share_a_group(self, config):
        """Two differently worded articles stating the same dated event are one group."""
        docs = _documents(
            [
                _row("b", "Biden and Putin held a video call on December 7, 2021 about Ukraine."),
                _row("a", "On Dec. 7, 2021 the two presidents spoke in a call lasting two hours."),
            ]
        )
        rows = assign_splits(docs, config).to_pylist()
        assert [r["group_id"] for r in rows] == ["a", "a"]
        assert [r["story_key"] for r in rows] == ["2021-12-07/call"] * 2

    def test_batches_give_the_same_table_as_the_whole_table(self, config, synthetic_rows):
        """The documents as one table or as unsorted batches of any size give one assignment."""
        whole = assign_splits(_documents(synthetic_rows), config)
        assert whole.column("near_duplicate_of").null_count < whole.num_rows - 20
        shuffled = pa.Table.from_pylist(synthetic_rows[::-1], schema=tables.DOCUMENTS.schema)
        batches = [shuffled.slice(k, 17) for k in range(0, shuffled.num_rows, 17)]
        assert assign_splits(batches, config).equals(whole)
        assert assign_splits(iter(shuffled.to_batches(max_chunksize=50)), config).equals(whole)

    def test_assignment_columns_are_enough(self, config, synthetic_rows):
        """A table with only ASSIGNMENT_COLUMNS (as a build reads them) gives the same table."""
        documents = _documents(synthetic_rows)
        assert set(ASSIGNMENT_COLUMNS) <= set(tables.DOCUMENTS.names)
        narrow = documents.select(list(ASSIGNMENT_COLUMNS))
        assert assign_splits([narrow], config).equals(assign_splits(documents, config))

    def test_duplicate_doc_id_across_batches_is_rejected(self, config):
        """A doc_id in two batches is an error naming the id."""
        batches = [_documents([_row("a", "one text")]), _documents([_row("a", "another")])]
        with pytest.raises(ValueError, match="\\(got 'a' twice\\)"):
            assign_splits(batches, config)

    def test_duplicate_doc_ids_are_rejected(self, config):
        """A doc_id given twice is an error naming the id."""
        docs = _documents([_row("a", "one text"), _row("a", "another text")])
        with pytest.raises(
            ValueError, match="'doc_id' must be unique in documents \\(got 'a' twice\\)"
        ):
            assign_splits(docs, config)

    def test_proportions_are_followed_on_many_groups(self, config):
        """Over 20,000 groups the hash fills each split close to its proportion."""
        counts = split_sizes(
            pa.table({"split": [split_of(f"doc{i:05d}", config) for i in range(20_000)]})
        )
        for split, share in config.proportions.items():
            assert abs(counts[split] / 20_000 - share) < 0.01


class TestLoadSplitConfig:
    def test_committed_config_loads(self):
        """schemas/splits.yaml is a valid configuration with the three splits in order."""
        assert tuple(load_split_config().proportions) == tables.SPLITS

    def test_proportions_must_sum_to_one(self, tmp_path):
        """A configuration whose proportions do not add up names the rule and the file."""
        text = (SEEDS.parent / "schemas" / "splits.yaml").read_text()
        bad = tmp_path / "splits.yaml"
        bad.write_text(text.replace("train: 0.8", "train: 0.7"))
        with pytest.raises(SplitConfigError, match="rule 'split_config'.*must sum to 1") as info:
            load_split_config(bad)
        assert info.value.path == bad

    def test_missing_file_is_named(self, tmp_path):
        """A missing configuration file is an error naming the path."""
        with pytest.raises(SplitConfigError, match="rule 'split_config_exists'"):
            load_split_config(tmp_path / "nope.yaml")


class TestBuildWithEditedCopy:
    def test_rebuild_with_an_edited_copy_keeps_it_with_its_original(self, tmp_path):
        """A build over the seeds plus an edited copy puts the copy with its original."""
        import shutil

        import pyarrow.parquet as pq

        from summit_corpus.build.corpus import build_corpus
        from summit_corpus.core import layout

        seeds = tmp_path / "seeds"
        shutil.copytree(SEEDS, seeds)
        raw = (SEEDS / f"{ORIGINAL}.txt").read_text(encoding="utf-8")
        (seeds / "005_edited_copy.txt").write_text(_lightly_edited(raw), encoding="utf-8")

        def published(out: Path) -> dict[str, tuple[str, str]]:
            rows: dict[str, tuple[str, str]] = {}
            for path in sorted(layout.config_dir(out, "documents").glob("*.parquet")):
                table = pq.read_table(path, columns=["doc_id", "split", "group_id"])
                for r in table.to_pylist():
                    assert layout.split_of_file(path) == r["split"]
                    rows[r["doc_id"]] = (r["split"], r["group_id"])
            return rows

        before = assign_splits(_documents(_seed_rows())).to_pylist()
        build_corpus(seeds, tmp_path / "corpus", annotations=None, progress=False, cache=False)
        after = published(tmp_path / "corpus")
        assert after["005_edited_copy"] == after[ORIGINAL]
        for row in before:
            assert after[row["doc_id"]] == (row["split"], row["group_id"])
