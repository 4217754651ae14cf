"""Near-duplicate detection over a stream of documents (step 1 of the split assignment).

MinHash LSH (`datasketch`'s sketches and band layout) proposes candidate pairs; each is then
checked exactly from the two documents' shingle fingerprints, which wait in a temporary file so
that memory does not grow with the text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from summit_corpus.build.fingerprints import Fingerprinter
from summit_corpus.core.split_config import (
    NearDuplicateConfig,
)

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


@dataclass(frozen=True, slots=True)
class KnownPairs:
    """The near-duplicate pairs found before among documents whose fingerprints have not
    changed since: whether two documents pair depends on their two fingerprints alone, so
    these pairs need not be looked for again.

    among (frozenset[str]): doc_ids of the unchanged documents.
    pairs (tuple[NearDuplicatePair, ...]): Every pair found before of two of them.
    """

    among: frozenset[str]
    pairs: tuple[NearDuplicatePair, ...]


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

    def pairs(self, known: KnownPairs | None = None) -> list[NearDuplicatePair]:
        """The near-duplicate pairs among the documents added so far.

        A candidate is a pair that agrees on every value of some band (MinHash LSH). Documents
        are visited in doc_id order and each one's later candidates confirmed together, so
        memory holds one document's candidates at a time, never the list of all pairs.

        known (KnownPairs | None): Pairs found before among unchanged documents: taken as
            they are, and only the candidates of a new or changed document are confirmed.
        RETURNS (list[NearDuplicatePair]): Pairs sorted by (a, b).
        """
        self._file.flush()
        # Confirming reads a fingerprint per candidate (hundreds of thousands on a corpus with
        # many near-duplicates): mapped, each is a slice, and the OS pages the file in and out.
        self._mapped = np.memmap(self._file, dtype=np.uint64, mode="r") if self._end else None
        try:
            found = self._pairs(known.among if known is not None else frozenset())
        finally:
            self._mapped = None
        if known is None or not known.pairs:
            return found
        # Only pairs of two unchanged documents still there: a pair with an edited document is
        # confirmed again (it is among the candidates `_pairs` looked at).
        unchanged = known.among & set(self._ids)
        taken = [p for p in known.pairs if p.a in unchanged and p.b in unchanged]
        return sorted(found + taken, key=lambda p: (p.a, p.b))

    def _pairs(self, among: frozenset[str]) -> list[NearDuplicatePair]:
        order = sorted(range(len(self._ids)), key=self._ids.__getitem__)
        ids = [self._ids[k] for k in order]
        sizes = np.asarray([self._sizes[k] for k in order], dtype=np.int64)
        unchanged = np.asarray([doc_id in among for doc_id in ids], dtype=bool)
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
            if unchanged[i]:  # its pairs with unchanged documents are known
                later = later[~unchanged[later]]
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
