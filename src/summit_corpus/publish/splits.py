"""Leakage-aware, deterministic train / validation / test assignment.

How a document gets its split (`assign_splits`):

1. **Near-duplicates.** Each text becomes a set of word shingles (`shingle_size` casefolded
   `\\w+` tokens). MinHash LSH (`datasketch`'s sketches and band layout) proposes candidate
   pairs; each candidate is checked exactly: a pair is a near-duplicate when the shingle Jaccard
   reaches `jaccard_threshold` or the smaller set is contained in the larger to
   `containment_threshold`. Documents are read batch by batch and reduced to their MinHash
   values (in memory) and their shingles as 64-bit hashes (in a temporary file), so memory does
   not grow with the text (`NearDuplicateIndex`).
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
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

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

# The split settings and the fingerprints were defined here; they moved below the stages
# (core/split_config.py, build/fingerprints.py) and keep their old names here.
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
# Candidate pairs of one document confirmed at a time: bounds the fingerprints held at once.
_CONFIRM_ROWS = 512


# --- near-duplicates ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NearDuplicatePair:
    """Two documents found to be near-duplicates, `a` < `b` by doc_id."""

    a: str
    b: str
    jaccard: float
    containment: float


class NearDuplicateIndex:
    """Near-duplicate detection over a stream of documents, in memory that does not grow with
    their text.

    Per document, `add` keeps its doc_id and the MinHash values LSH bands on (a few hundred
    bytes) in memory, and appends its shingle fingerprint (`shingle_hashes`) to a temporary
    file; the text is dropped. `pairs` then finds the candidate pairs of MinHash LSH (pairs
    that agree on every value of at least one band, as `datasketch.MinHashLSH` would with the
    same settings) and confirms each exactly from the two fingerprints read back from disk.
    Use it as a context manager, or call `close`, to delete the temporary file.

    config (NearDuplicateConfig): Shingle size, MinHash and threshold settings.
    """

    def __init__(self, config: NearDuplicateConfig) -> None:
        self.config = config
        self._fingerprinter = Fingerprinter(config)
        self._bands = self._fingerprinter.bands
        self._width = self._fingerprinter.width
        self._ids: list[str] = []
        self._sketches: list[npt.NDArray[Any]] = []
        self._offsets: list[int] = []
        self._sizes: list[int] = []
        # Closed by close() / the context manager, not here.
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="summit-shingles-")  # noqa: SIM115
        self._end = 0
        self._mapped: npt.NDArray[np.uint64] | None = None

    def __enter__(self) -> NearDuplicateIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the temporary fingerprint file."""
        self._file.close()

    @property
    def doc_ids(self) -> list[str]:
        """RETURNS (list[str]): The doc_ids added so far, in the order added."""
        return list(self._ids)

    def add(self, doc_id: str, text: str) -> None:
        """Sketch one document and store its fingerprint; the text is not kept.

        doc_id (str): The document's id.
        text (str): Its text.
        """
        self.add_fingerprint(doc_id, *self._fingerprinter(text))

    def add_fingerprint(
        self, doc_id: str, hashes: npt.NDArray[np.uint64], band_values: npt.NDArray[np.uint64]
    ) -> None:
        """Add a document by the fingerprint `Fingerprinter` made of its text.

        doc_id (str): The document's id.
        hashes (npt.NDArray[np.uint64]): Its sorted distinct shingle hashes.
        band_values (npt.NDArray[np.uint64]): Its MinHash values the bands compare.
        RAISES (ValueError): The band values do not fit these settings.
        """
        if len(band_values) != self._width:
            raise ValueError(
                f"fingerprint of {doc_id!r} has {len(band_values)} band values, the split "
                f"settings need {self._width}"
            )
        self._ids.append(doc_id)
        self._sketches.append(np.asarray(band_values, dtype=np.uint64))
        self._offsets.append(self._end)
        self._sizes.append(len(hashes))
        data = np.asarray(hashes, dtype=np.uint64).tobytes()
        self._file.write(data)
        self._end += len(data)

    def _fingerprint(self, index: int) -> npt.NDArray[np.uint64]:
        if self._mapped is not None:  # inside `pairs`: a view of the mapped file, no read call
            first = self._offsets[index] // 8
            return self._mapped[first : first + self._sizes[index]]
        size = self._sizes[index] * 8
        data = os.pread(self._file.fileno(), size, self._offsets[index]) if size else b""
        return np.frombuffer(data, dtype=np.uint64)

    def _band_groups(
        self, order: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], Any]:
        """Documents that agree on a whole band, as groups numbered across all bands.

        RETURNS (tuple): `members` (positions in `order`, grouped), each group's `start` in
            members and `size`, and `group_of` (bands x documents -> group number).
        """
        n = len(order)
        matrix = np.stack(self._sketches)[np.asarray(order, dtype=np.int64)]
        members, starts, sizes, group_of = [], [], [], []
        numbered = 0
        for index, (start, end) in enumerate(self._bands):
            band = matrix[:, start:end]
            # Rows sorted by the band's values (lexsort keys go last-first): equal rows adjacent.
            rank = np.lexsort(band.T[::-1])
            ordered = band[rank]
            first = np.concatenate(([True], np.any(ordered[1:] != ordered[:-1], axis=1)))
            group_starts = np.flatnonzero(first)
            group = np.empty(n, dtype=np.int64)
            group[rank] = np.cumsum(first) - 1 + numbered
            members.append(rank)
            # Every band lists all n documents: its groups start at index * n in `members`.
            starts.append(group_starts + index * n)
            sizes.append(np.diff(np.append(group_starts, n)))
            group_of.append(group)
            numbered += len(group_starts)
        return (
            np.concatenate(members).astype(np.int64),
            np.concatenate(starts),
            np.concatenate(sizes),
            np.stack(group_of),
        )

    def pairs(self) -> list[NearDuplicatePair]:
        """The near-duplicate pairs among the documents added so far.

        A candidate is a pair that agrees on every value of some band (MinHash LSH). Documents
        are visited in doc_id order and each one's later candidates confirmed together, so
        memory holds one document's candidates at a time, never the list of all pairs.

        RETURNS (list[NearDuplicatePair]): Pairs sorted by (a, b).
        """
        self._file.flush()
        # Confirming reads a fingerprint per candidate (hundreds of thousands on a corpus with
        # many near-duplicates): mapped, each is a slice, and the OS pages the file in and out.
        self._mapped = np.memmap(self._file, dtype=np.uint64, mode="r") if self._end else None
        try:
            return self._pairs()
        finally:
            self._mapped = None

    def _pairs(self) -> list[NearDuplicatePair]:
        order = sorted(range(len(self._ids)), key=self._ids.__getitem__)
        ids = [self._ids[k] for k in order]
        sizes = np.asarray([self._sizes[k] for k in order], dtype=np.int64)
        pairs: list[NearDuplicatePair] = []
        if len(order) < 2:
            return pairs
        members, starts, group_sizes, group_of = self._band_groups(order)
        for i in range(len(order)):
            if not sizes[i]:
                continue  # A document with no words pairs with nothing.
            groups = group_of[:, i]
            groups = groups[group_sizes[groups] > 1]
            if not len(groups):
                continue
            found = np.concatenate(
                [members[starts[g] : starts[g] + group_sizes[g]] for g in groups]
            )
            later = np.unique(found[found > i])
            later = later[sizes[later] > 0]
            if len(later):
                left = self._fingerprint(order[i])
                for chunk in range(0, len(later), _CONFIRM_ROWS):
                    js = later[chunk : chunk + _CONFIRM_ROWS]
                    pairs += self._confirm(ids, i, left, js, [order[j] for j in js.tolist()])
        return pairs

    def _confirm(
        self,
        ids: Sequence[str],
        i: int,
        left: npt.NDArray[np.uint64],
        js: npt.NDArray[np.int64],
        stored: Sequence[int],
    ) -> list[NearDuplicatePair]:
        """Confirm candidates (i, j) for every j in `js` by exact shingle overlap."""
        config = self.config
        rights = [self._fingerprint(k) for k in stored]
        lengths = np.asarray([len(r) for r in rights], dtype=np.int64)
        # An exact upper bound on each overlap, cheap to take: a right hash that falls in a
        # bucket (top bits) no left hash occupies is not shared. Only pairs whose bound could
        # pass a threshold are counted exactly.
        shift = 64 - min(24, max(16, len(left).bit_length() + 6))
        occupied = np.zeros(1 << (64 - shift), dtype=np.int64)
        occupied[left >> shift] = 1
        flat = np.concatenate(rights)
        upper = np.add.reduceat(occupied[flat >> shift], np.cumsum(lengths) - lengths)
        pairs = []
        for k in np.flatnonzero(self._passes(upper, len(left), lengths)).tolist():
            right = rights[k]
            # Both sides are sorted and distinct: look every right hash up in left.
            at = np.minimum(np.searchsorted(left, right), len(left) - 1)
            shared = int(np.count_nonzero(left[at] == right))
            jaccard = shared / (len(left) + len(right) - shared)
            containment = shared / min(len(left), len(right))
            if jaccard >= config.jaccard_threshold or containment >= config.containment_threshold:
                pairs.append(
                    NearDuplicatePair(
                        ids[i], ids[int(js[k])], round(jaccard, 6), round(containment, 6)
                    )
                )
        return pairs

    def _passes(
        self, shared: npt.NDArray[np.int64], size: int, sizes: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        """Which overlaps reach a threshold; both measures grow with the overlap."""
        jaccard = shared / (size + sizes - shared)
        containment = shared / np.minimum(size, sizes)
        passes: npt.NDArray[np.bool_] = (jaccard >= self.config.jaccard_threshold) | (
            containment >= self.config.containment_threshold
        )
        return passes


def near_duplicates(
    texts: Mapping[str, str], config: NearDuplicateConfig
) -> list[NearDuplicatePair]:
    """Find near-duplicate pairs with MinHash LSH, confirmed by exact shingle overlap.

    texts (Mapping[str, str]): doc_id -> text.
    config (NearDuplicateConfig): Shingle size, MinHash and threshold settings.
    RETURNS (list[NearDuplicatePair]): Pairs sorted by (a, b).
    """
    with NearDuplicateIndex(config) as index:
        for doc_id in sorted(texts):
            index.add(doc_id, texts[doc_id])
        return index.pairs()


# --- story key ------------------------------------------------------------------------------
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
    RETURNS (pa.Table): tables.SPLIT_ASSIGNMENT: doc_id, split, group_id, group_size,
        story_key, near_duplicate_of, near_duplicate_jaccard, grouped_by; one row per
        document, by doc_id.
    """
    config = load_split_config() if config is None else config
    with NearDuplicateIndex(config.near_duplicate) as index:
        keys = _index_documents(index, documents, config, fingerprints)
        ids = sorted(index.doc_ids)
        for previous, doc_id in itertools.pairwise(ids):
            if previous == doc_id:
                raise ValueError(f"'doc_id' must be unique in documents (got {doc_id!r} twice)")
        pairs = index.pairs()
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
    return SPLIT_ASSIGNMENT.from_rows(out)


def _index_documents(
    index: NearDuplicateIndex,
    documents: pa.Table | Iterable[pa.Table | pa.RecordBatch],
    config: SplitConfig,
    fingerprints: Iterable[pa.Table | pa.RecordBatch] | None,
) -> dict[str, str | None]:
    """Add every document's fingerprint to `index` (given, or made from its text).

    RETURNS (dict[str, str | None]): doc_id -> story key.
    """
    keys: dict[str, str | None] = {}
    rows = 0
    for batch in _batches(documents):
        rows += batch.num_rows
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
