"""Leakage-aware, deterministic train / validation / test assignment.

How a document gets its split (`assign_splits`):

1. **Near-duplicates** (`near_duplicates.py`). Each text becomes a set of word shingles
   (`shingle_size` casefolded `\\w+` tokens). MinHash LSH (`datasketch`'s sketches and band
   layout) proposes candidate pairs; each candidate is checked exactly: a pair is a
   near-duplicate when the shingle Jaccard reaches `jaccard_threshold` or the smaller set is
   contained in the larger to `containment_threshold`. Documents are read batch by batch and
   reduced to their MinHash values (in memory) and their shingles as 64-bit hashes (in a
   temporary file), so memory does not grow with the text (`NearDuplicateIndex`).
2. **Story key.** The story an article reports is the dated event its lead states: the first
   calendar date in the title, standfirst or first paragraph ("April 14", "14 April 2021"),
   with its year (as stated, else the year nearest the stated publication or update date), and
   the first event word there (summit, meeting, talks, call, ...): `2021-04-14/summit`. An
   article whose lead states no calendar date, or no event, gets no key: we never guess a date.
   Articles with equal keys are one story. Where a lead states no date, a reader may link
   articles of one story by hand (`same_story` in schemas/splits.yaml, each with its reason).
3. **Groups.** Near-duplicate pairs and equal story keys are edges; the connected components
   are the groups. A group's `group_id` is its anchor, the smallest `doc_id` in it.
4. **Split.** SHA-256 of `salt` and the anchor, read as a number in [0, 1), picks the split by
   the cumulative proportions (train, validation, test). Every member takes the group's split,
   so no story or copy straddles two splits.

Stability when documents are added: an existing document keeps its split unless the new one
(a) joins its group with a doc_id that sorts before the group's anchor (new files named with
a higher number never do), or (b) links two existing groups, which then merge and take the
split of the group with the smaller anchor: leakage-awareness is worth that move. Changing
`schemas/splits.yaml` can move documents; its `version` says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.build.fingerprints import Fingerprinter, shingle_hashes, shingles
from summit_corpus.core.split_config import (
    DEFAULT_CONFIG_PATH,
    NearDuplicateConfig,
    SplitConfig,
    StoryKeyConfig,
    StoryLink,
    load_split_config,
)
from summit_corpus.core.tables import SPLIT_ASSIGNMENT, SPLITS
from summit_corpus.publish.near_duplicates import (
    KnownPairs,
    NearDuplicateIndex,
    NearDuplicatePair,
    near_duplicates,
)

# The split settings and the fingerprints were defined here; they moved below the stages
# (core/split_config.py, build/fingerprints.py), the near-duplicate index to its own module;
# they keep their old names here.
__all__ = [
    "ASSIGNMENT_COLUMNS",
    "DEFAULT_CONFIG_PATH",
    "Fingerprinter",
    "NearDuplicateConfig",
    "NearDuplicateIndex",
    "NearDuplicatePair",
    "SplitConfig",
    "StoryKeyConfig",
    "StoryLink",
    "assign_splits",
    "assign_splits_with_pairs",
    "bucket",
    "lead",
    "load_split_config",
    "near_duplicates",
    "shingle_hashes",
    "shingles",
    "split_of",
    "split_sizes",
    "story_key",
]

# The documents columns assign_splits reads (a build reads only these from its staging file).
ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "doc_id",
    "text",
    "title",
    "standfirst",
    "published_at",
    "published_at_local",
    "updated_at",
    "updated_at_local",
    "updates",
)
# Rows turned into Python values at a time: bounds the text held at once.
_BATCH_ROWS = 256

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<{g}>(?:19|20)\d\d))?"
_DATE = re.compile(
    r"\b(?:"
    + _MONTH.format(g="m1") + r"\s+" + _DAY.format(g="d1") + _YEAR.format(g="y1")
    + r"|" + _DAY.format(g="d2") + r"\s+" + _MONTH.format(g="m2") + _YEAR.format(g="y2")
    + r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>[01]\d)-(?P<d3>[0-3]\d)"
    + r")\b",
    re.IGNORECASE,
)  # fmt: skip


def _anchor_dates(row: Mapping[str, Any]) -> list[dt.date]:
    """The dates a document states about itself: publication, update, update sections."""
    dates: list[dt.date] = []
    for name in ("published_at_local", "updated_at_local"):
        value = row.get(name)
        if value:
            with contextlib.suppress(ValueError):
                dates.append(dt.datetime.fromisoformat(value).date())
    for name in ("published_at", "updated_at"):
        value = row.get(name)
        if isinstance(value, dt.datetime) and not dates:
            dates.append(value.date())
    for update in row.get("updates") or []:
        with contextlib.suppress(KeyError, ValueError):
            dates.append(dt.date.fromisoformat(str(update["timestamp"])[:10]))
    return dates


def _resolve(year: str | None, month: int, day: int, anchors: Sequence[dt.date]) -> dt.date | None:
    if year is not None:
        try:
            return dt.date(int(year), month, day)
        except ValueError:
            return None
    if not anchors:
        return None
    anchor = anchors[0]
    options = []
    for y in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            options.append(dt.date(y, month, day))
        except ValueError:
            continue
    if not options:
        return None
    return min(options, key=lambda d: (abs((d - anchor).days), d))


def lead(row: Mapping[str, Any], paragraphs: int = 1) -> str:
    """The lead of an article: title, standfirst and first paragraphs of the text.

    row (Mapping[str, Any]): A documents row (tables.DOCUMENTS columns).
    paragraphs (int): Paragraphs (non-empty lines) of `text` to take.
    RETURNS (str): The lead, parts joined by newlines.
    """
    body = [line for line in str(row.get("text") or "").splitlines() if line.strip()]
    parts = [row.get("title"), row.get("standfirst"), *body[:paragraphs]]
    return "\n".join(str(p) for p in parts if p)


def story_key(row: Mapping[str, Any], config: StoryKeyConfig) -> str | None:
    """The story an article reports: the first dated event its lead states.

    row (Mapping[str, Any]): A documents row (tables.DOCUMENTS columns).
    config (StoryKeyConfig): Lead size and event words.
    RETURNS (str | None): 'YYYY-MM-DD/<event kind>', or None when the lead states no
        resolvable calendar date or no event.
    """
    text = lead(row, config.lead_paragraphs)
    words = sorted(config.event_words, key=lambda w: (-len(w), w))
    event = re.search(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", text, re.IGNORECASE)
    if event is None:
        return None
    anchors = _anchor_dates(row)
    for match in _DATE.finditer(text):
        g = match.groupdict()
        if g["m3"]:
            date = _resolve(g["y3"], int(g["m3"]), int(g["d3"]), anchors)
        else:
            month = _MONTHS[(g["m1"] or g["m2"]).lower()[:3]]
            date = _resolve(g["y1"] or g["y2"], month, int(g["d1"] or g["d2"]), anchors)
        if date is not None:
            return f"{date.isoformat()}/{config.event_words[event.group(1).lower()]}"
    return None


# --- groups and splits ----------------------------------------------------------------------
class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        # The smaller doc_id is the root, so a group's root is its anchor.
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def bucket(group_id: str, salt: str) -> float:
    """Position of a group on [0, 1): SHA-256 of salt and group id, first 8 bytes.

    group_id (str): The group's anchor doc_id.
    salt (str): The configuration's salt.
    RETURNS (float): A number in [0, 1).
    """
    digest = hashlib.sha256(f"{salt}\x00{group_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(group_id: str, config: SplitConfig) -> str:
    """RETURNS (str): The split a group's hash falls into by the cumulative proportions."""
    position = bucket(group_id, config.salt)
    upper = 0.0
    for split in SPLITS:
        upper += config.proportions[split]
        if position < upper:
            return split
    return next(s for s in reversed(SPLITS) if config.proportions[s] > 0)


def _batches(documents: pa.Table | Iterable[pa.Table | pa.RecordBatch]) -> Iterator[pa.Table]:
    """Documents as tables of at most _BATCH_ROWS rows, only the columns assignment reads."""
    parts = [documents] if isinstance(documents, pa.Table) else documents
    for part in parts:
        table = pa.Table.from_batches([part]) if isinstance(part, pa.RecordBatch) else part
        table = table.select([c for c in ASSIGNMENT_COLUMNS if c in table.column_names])
        for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
            yield pa.Table.from_batches([batch])


def assign_splits(
    documents: pa.Table | Iterable[pa.Table | pa.RecordBatch],
    config: SplitConfig | None = None,
    fingerprints: Iterable[pa.Table | pa.RecordBatch] | None = None,
) -> pa.Table:
    """Assign every document to a split (`assign_splits_with_pairs`, without pairs known)."""
    return assign_splits_with_pairs(documents, config, fingerprints)[0]


def assign_splits_with_pairs(
    documents: pa.Table | Iterable[pa.Table | pa.RecordBatch],
    config: SplitConfig | None = None,
    fingerprints: Iterable[pa.Table | pa.RecordBatch] | None = None,
    known: KnownPairs | None = None,
    known_keys: Mapping[str, str | None] | None = None,
) -> tuple[pa.Table, list[NearDuplicatePair]]:
    """Assign every document to a split, keeping near-duplicates and stories together.

    Memory does not grow with the documents' text: each batch is reduced to its documents'
    story keys and MinHash sketches (their shingle fingerprints go to a temporary file), then
    dropped. The result depends only on the set of documents, not on how they are batched or
    ordered.

    documents (pa.Table | Iterable[pa.Table | pa.RecordBatch]): The documents table
        (tables.DOCUMENTS), whole or as batches (e.g. read from a Parquet file with
        `columns=ASSIGNMENT_COLUMNS`). Needs doc_id and text; uses title, standfirst and the
        stated dates when present; other columns are ignored.
    config (SplitConfig | None): Split settings; None reads schemas/splits.yaml.
    fingerprints (Iterable[pa.Table | pa.RecordBatch] | None): The documents' rows of
        tables.FINGERPRINTS, made with the same settings (the build's per-article stage makes
        them); None computes them from the texts.
    known (KnownPairs | None): The near-duplicate pairs found before among documents whose
        fingerprints have not changed (a rebuild after adding articles): only the new
        documents' candidates are confirmed.
    known_keys (Mapping[str, str | None] | None): The story keys found before of documents
        that have not changed (same doc_id, same raw file: a story key depends on its
        document alone), taken instead of read from the text again; used with `fingerprints`
        only (without them every text is read anyway).
    RETURNS (tuple[pa.Table, list[NearDuplicatePair]]): tables.SPLIT_ASSIGNMENT (doc_id,
        split, group_id, group_size, story_key, near_duplicate_of, near_duplicate_jaccard,
        grouped_by; one row per document, by doc_id), and every near-duplicate pair.
    """
    config = load_split_config() if config is None else config
    with NearDuplicateIndex(config.near_duplicate) as index:
        keys = _index_documents(index, documents, config, fingerprints, known_keys or {})
        ids = sorted(index.doc_ids)
        for previous, doc_id in itertools.pairwise(ids):
            if previous == doc_id:
                raise ValueError(f"'doc_id' must be unique in documents (got {doc_id!r} twice)")
        pairs = index.pairs(known)
    groups = _UnionFind(ids)
    rules: dict[str, set[str]] = {d: set() for d in ids}
    closest = _join_near_duplicates(groups, rules, pairs)
    _join_stories(groups, rules, ids, keys, config)
    group_of = {d: groups.find(d) for d in ids}
    sizes: dict[str, int] = {}
    for g in group_of.values():
        sizes[g] = sizes.get(g, 0) + 1
    out = [
        {
            "doc_id": d,
            "split": split_of(group_of[d], config),
            "group_id": group_of[d],
            "group_size": sizes[group_of[d]],
            "story_key": keys[d],
            "near_duplicate_of": closest[d].a if d in closest else None,
            "near_duplicate_jaccard": closest[d].jaccard if d in closest else None,
            "grouped_by": sorted(rules[d]),
        }
        for d in ids
    ]
    return SPLIT_ASSIGNMENT.from_rows(out), pairs


def _index_documents(
    index: NearDuplicateIndex,
    documents: pa.Table | Iterable[pa.Table | pa.RecordBatch],
    config: SplitConfig,
    fingerprints: Iterable[pa.Table | pa.RecordBatch] | None,
    known_keys: Mapping[str, str | None],
) -> dict[str, str | None]:
    """Add every document's fingerprint to `index` (given, or made from its text).

    RETURNS (dict[str, str | None]): doc_id -> story key (from `known_keys` where it has one
        and the fingerprints are given, so that those documents' rows are not read).
    """
    keys: dict[str, str | None] = {}
    rows = 0
    known = pa.array(sorted(known_keys), pa.string()) if fingerprints is not None else None
    for batch in _batches(documents):
        rows += batch.num_rows
        if known is not None and len(known):
            taken = pc.is_in(batch.column("doc_id"), value_set=known)
            for doc_id in batch.column("doc_id").filter(taken).to_pylist():
                keys[doc_id] = known_keys[doc_id]
            batch = batch.filter(pc.invert(taken))
        for row in batch.to_pylist():
            doc_id = row["doc_id"]
            if fingerprints is None:
                index.add(doc_id, row["text"])
            keys[doc_id] = story_key(row, config.story_key)
    for part in fingerprints or ():
        table = pa.Table.from_batches([part]) if isinstance(part, pa.RecordBatch) else part
        hashes = table.column("shingle_hashes").combine_chunks()
        bands = table.column("band_values").combine_chunks()
        for i, doc_id in enumerate(table.column("doc_id").to_pylist()):
            index.add_fingerprint(doc_id, hashes[i].values.to_numpy(), bands[i].values.to_numpy())
    if fingerprints is not None and (rows, sorted(set(index.doc_ids))) != (
        len(index.doc_ids),
        sorted(keys),
    ):
        differ = sorted(set(keys) ^ set(index.doc_ids))
        raise ValueError(f"documents and fingerprints differ (first: {differ[0]!r})")
    return keys


def _join_near_duplicates(
    groups: _UnionFind, rules: dict[str, set[str]], pairs: Iterable[NearDuplicatePair]
) -> dict[str, NearDuplicatePair]:
    """Join each near-duplicate pair's groups.

    RETURNS (dict[str, NearDuplicatePair]): For each later document of a pair, the pair with
        the earliest document it copies.
    """
    closest: dict[str, NearDuplicatePair] = {}
    for pair in pairs:
        groups.union(pair.a, pair.b)
        rules[pair.a].add("near_duplicate")
        rules[pair.b].add("near_duplicate")
        if pair.b not in closest:
            closest[pair.b] = pair
    return closest


def _join_stories(
    groups: _UnionFind,
    rules: dict[str, set[str]],
    ids: Sequence[str],
    keys: Mapping[str, str | None],
    config: SplitConfig,
) -> None:
    """Join documents with equal story keys, and those a reader linked by hand."""
    first_with_key: dict[str, str] = {}
    for doc_id in ids:
        key = keys[doc_id]
        if key is not None:
            first = first_with_key.setdefault(key, doc_id)
            if first != doc_id:
                groups.union(first, doc_id)
                rules[first].add("story_key")
                rules[doc_id].add("story_key")
    known = set(ids)
    for link in config.same_story:
        present = sorted(set(link.doc_ids) & known)
        for doc_id in present[1:]:
            groups.union(present[0], doc_id)
        if len(present) > 1:
            for doc_id in present:
                rules[doc_id].add("same_story")


def split_sizes(assignment: pa.Table) -> dict[str, int]:
    """RETURNS (dict[str, int]): Documents per split, every split listed (0 when empty)."""
    counts = dict.fromkeys(SPLITS, 0)
    for split in assignment.column("split").to_pylist():
        counts[split] += 1
    return counts
