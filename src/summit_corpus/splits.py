"""Leakage-aware, deterministic train / validation / test assignment.

How a document gets its split (`assign_splits`):

1. **Near-duplicates.** Each text becomes a set of word shingles (`shingle_size` casefolded
   `\\w+` tokens). A `datasketch` MinHash LSH index proposes candidate pairs; each candidate is
   checked exactly: a pair is a near-duplicate when the shingle Jaccard reaches
   `jaccard_threshold` or the smaller set is contained in the larger to `containment_threshold`.
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
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from datasketch import MinHash, MinHashLSH
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from summit_corpus.errors import Errors, SplitConfigError
from summit_corpus.layout import schemas_dir
from summit_corpus.tables import SPLIT_ASSIGNMENT, SPLITS

DEFAULT_CONFIG_PATH = schemas_dir() / "splits.yaml"

_WORD = re.compile(r"\w+")


class NearDuplicateConfig(BaseModel):
    """Settings of the near-duplicate detector (see schemas/splits.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    shingle_size: int = Field(ge=1)
    num_perm: int = Field(ge=16)
    minhash_seed: int = 1
    lsh_threshold: float = Field(gt=0.0, le=1.0)
    jaccard_threshold: float = Field(gt=0.0, le=1.0)
    containment_threshold: float = Field(gt=0.0, le=1.0)


class StoryKeyConfig(BaseModel):
    """Settings of the story key (see schemas/splits.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    lead_paragraphs: int = Field(ge=1)
    event_words: dict[str, str]


class StoryLink(BaseModel):
    """Documents a reader found to report the same story (see schemas/splits.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    doc_ids: tuple[str, ...] = Field(min_length=2)
    reason: str = Field(min_length=1)


class SplitConfig(BaseModel):
    """The whole split configuration, as in schemas/splits.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    salt: str
    proportions: dict[str, float]
    near_duplicate: NearDuplicateConfig
    story_key: StoryKeyConfig
    same_story: tuple[StoryLink, ...] = ()

    @model_validator(mode="after")
    def _proportions_cover_splits(self) -> SplitConfig:
        if tuple(self.proportions) != SPLITS:
            raise ValueError(
                f"'proportions' must list {SPLITS!r} in order (got {tuple(self.proportions)!r})"
            )
        if any(p < 0 for p in self.proportions.values()):
            raise ValueError(f"'proportions' must be >= 0 (got {self.proportions!r})")
        if abs(sum(self.proportions.values()) - 1.0) > 1e-9:
            raise ValueError(
                f"'proportions' must sum to 1 (got {sum(self.proportions.values())!r})"
            )
        return self


def load_split_config(path: Path | None = None) -> SplitConfig:
    """Read and check the split configuration.

    path (Path | None): YAML file; None reads schemas/splits.yaml of this checkout.
    RETURNS (SplitConfig): The checked configuration.
    """
    path = DEFAULT_CONFIG_PATH if path is None else path
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SplitConfigError(Errors.E701.format(path=path, error=error), path=path) from None
    try:
        return SplitConfig.model_validate(raw)
    except ValidationError as error:
        problem = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in error.errors()
        )
        raise SplitConfigError(Errors.E702.format(path=path, problem=problem), path=path) from None


# --- near-duplicates ------------------------------------------------------------------------
def shingles(text: str, size: int) -> frozenset[str]:
    """Word shingles of a text, for near-duplicate detection.

    text (str): Document text.
    size (int): Words per shingle; a text shorter than that is one shingle.
    RETURNS (frozenset[str]): Shingles as space-joined casefolded words.
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


@dataclass(frozen=True, slots=True)
class NearDuplicatePair:
    """Two documents found to be near-duplicates, `a` < `b` by doc_id."""

    a: str
    b: str
    jaccard: float
    containment: float


def near_duplicates(
    texts: Mapping[str, str], config: NearDuplicateConfig
) -> list[NearDuplicatePair]:
    """Find near-duplicate pairs with MinHash LSH, confirmed by exact shingle overlap.

    texts (Mapping[str, str]): doc_id -> text.
    config (NearDuplicateConfig): Shingle size, MinHash and threshold settings.
    RETURNS (list[NearDuplicatePair]): Pairs sorted by (a, b).
    """
    ids = sorted(texts)
    sets = {d: shingles(texts[d], config.shingle_size) for d in ids}
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    sketches: dict[str, MinHash] = {}
    for doc_id in ids:
        sketch = MinHash(num_perm=config.num_perm, seed=config.minhash_seed, scheme="affine32")
        sketch.update_batch([s.encode("utf-8") for s in sorted(sets[doc_id])])
        sketches[doc_id] = sketch
        lsh.insert(doc_id, sketch)
    pairs: list[NearDuplicatePair] = []
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


def assign_splits(documents: pa.Table, config: SplitConfig | None = None) -> pa.Table:
    """Assign every document to a split, keeping near-duplicates and stories together.

    documents (pa.Table): The documents table (tables.DOCUMENTS; needs doc_id and text, uses
        title, standfirst and the stated dates when present).
    config (SplitConfig | None): Split settings; None reads schemas/splits.yaml.
    RETURNS (pa.Table): tables.SPLIT_ASSIGNMENT: doc_id, split, group_id, group_size,
        story_key, near_duplicate_of, near_duplicate_jaccard, grouped_by; one row per
        document, by doc_id.
    """
    config = load_split_config() if config is None else config
    rows = sorted(documents.to_pylist(), key=lambda r: r["doc_id"])
    ids = [r["doc_id"] for r in rows]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"'doc_id' must be unique in documents (got {dup!r} twice)")
    groups = _UnionFind(ids)
    rules: dict[str, set[str]] = {d: set() for d in ids}

    pairs = near_duplicates({r["doc_id"]: r["text"] for r in rows}, config.near_duplicate)
    closest: dict[str, NearDuplicatePair] = {}
    for pair in pairs:
        groups.union(pair.a, pair.b)
        rules[pair.a].add("near_duplicate")
        rules[pair.b].add("near_duplicate")
        # Record, for the later document, the earliest document it copies.
        if pair.b not in closest:
            closest[pair.b] = pair

    keys = {r["doc_id"]: story_key(r, config.story_key) for r in rows}
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


def split_sizes(assignment: pa.Table) -> dict[str, int]:
    """RETURNS (dict[str, int]): Documents per split, every split listed (0 when empty)."""
    counts = dict.fromkeys(SPLITS, 0)
    for split in assignment.column("split").to_pylist():
        counts[split] += 1
    return counts
