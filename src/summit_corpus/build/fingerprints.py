"""A text's near-duplicate fingerprint: its word shingles as 64-bit hashes and its MinHash.

The per-article stage makes the fingerprint where the article is parsed (and caches it with
the article's rows), so the split assignment (publish/splits.py) only bands and confirms.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

import numpy as np
import numpy.typing as npt

from summit_corpus.core.split_config import NearDuplicateConfig

_WORD = re.compile(r"\w+")
# The documents columns assign_splits reads (a build reads only these from its staging file).


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


def shingle_hashes(text: str, size: int) -> npt.NDArray[np.uint64]:
    """A text's shingles as sorted distinct 64-bit hashes: its compact fingerprint.

    The hash is datasketch's `sha1_hash64` (the first 8 bytes of SHA-1, little-endian), whose
    low 32 bits are `sha1_hash32`, the hash MinHash applies to each shingle: one SHA-1 per
    shingle gives both. Two distinct shingles of a corpus collide with probability about
    2**-64 per pair, so overlaps counted on hashes equal overlaps counted on the strings.

    text (str): Document text.
    size (int): Words per shingle (as `shingles`).
    RETURNS (npt.NDArray[np.uint64]): Sorted distinct hashes; empty for a text with no words.
    """
    sha1 = hashlib.sha1
    # sha1_hash64 is struct.unpack("<Q", digest[:8]): read the joined 8-byte prefixes at once.
    data = b"".join([sha1(s.encode("utf-8")).digest()[:8] for s in shingles(text, size)])
    return np.unique(np.frombuffer(data, dtype="<u8").astype(np.uint64))


class Fingerprinter:
    """A text's near-duplicate fingerprint: its shingle hashes and the MinHash values the LSH
    bands compare. The per-article stage makes it where the article is parsed (and caches it),
    so the split assignment only bands and confirms.

    The MinHash is datasketch's (2.0, scheme "affine32", seeded permutations) and the band
    layout is MinHashLSH's, both written out here with numpy: importing datasketch imports
    scipy for one integral, 0.4 s in every process that parses (tests/publish/test_splits.py
    checks both against datasketch).

    config (NearDuplicateConfig): Shingle size, MinHash and threshold settings.
    """

    def __init__(self, config: NearDuplicateConfig) -> None:
        self.config = config
        # The band layout MinHashLSH picks for these settings: b bands of r values each.
        self.bands = lsh_bands(config.lsh_threshold, config.num_perm)
        self.width = max(end for _, end in self.bands)
        self._a, self._b = affine32_permutations(config.num_perm, config.minhash_seed)

    def __call__(self, text: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """RETURNS (tuple): The sorted distinct shingle hashes and the banded MinHash values."""
        hashes = shingle_hashes(text, self.config.shingle_size)
        # The low 32 bits of sha1_hash64 are sha1_hash32, MinHash's default hash of a shingle.
        values = minhash32(hashes.astype(np.uint32), self._a, self._b)
        return hashes, values[: self.width].astype(np.uint64)


# MurmurHash3's 32-bit finalizer, which datasketch's affine schemes apply to each input hash.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def affine32_permutations(
    num_perm: int, seed: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The permutations h -> a * h + b (mod 2**32, `a` odd) of datasketch's MinHash with
    scheme "affine32": the same random draws from the same seed.

    RETURNS (tuple): The `a` and `b` arrays, one value per permutation.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash32(
    hashes: npt.NDArray[np.uint32], a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]
) -> npt.NDArray[np.uint32]:
    """MinHash values of a set of 32-bit hashes, as datasketch's MinHash (scheme "affine32")
    computes them after `update_batch(hashes)`: an empty set leaves every value at 2**32 - 1.

    RETURNS (npt.NDArray[np.uint32]): One value per permutation.
    """
    values = np.full(len(a), np.iinfo(np.uint32).max, dtype=np.uint32)
    if len(hashes) == 0:
        return values
    shift1, multiply1, shift2, multiply2 = _FMIX32
    mixed: npt.NDArray[np.uint32] = hashes.reshape(-1, 1)
    mixed = (mixed ^ (mixed >> shift1)) * multiply1
    mixed = (mixed ^ (mixed >> shift2)) * multiply2
    mixed = mixed ^ (mixed >> shift1)
    smallest: npt.NDArray[np.uint32] = np.minimum(values, (mixed * a + b).min(axis=0))
    return smallest


def lsh_bands(threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """The bands datasketch's MinHashLSH(threshold, num_perm) compares: the b x r layout that
    minimises the sum of its false positive and false negative probabilities, each weighted
    0.5, each the integral of a polynomial of degree b * r <= num_perm. Gauss-Legendre
    quadrature with num_perm // 2 + 1 nodes is exact for those (up to rounding).

    RETURNS (list[tuple[int, int]]): (start, end) of each band's values, in order.
    RAISES (ValueError): The layout has fewer than 2 bands (MinHashLSH refuses it too).
    """
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(f: Any, low: float, high: float) -> float:
        half = (high - low) / 2
        return float(half * np.dot(weights, f(half * nodes + (high + low) / 2)))

    best, layout = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            collide = lambda s, b=bands, r=rows: 1 - (1 - s ** float(r)) ** float(b)  # noqa: E731
            false_positive = integral(collide, 0.0, threshold)
            false_negative = integral(lambda s, c=collide: 1 - c(s), threshold, 1.0)
            error = 0.5 * false_positive + 0.5 * false_negative
            if error < best:
                best, layout = error, (bands, rows)
    bands, rows = layout
    if bands < 2:  # MinHashLSH refuses a single band too
        raise ValueError(f"near-duplicate settings give {bands} LSH band (at least 2 needed)")
    return [(i * rows, (i + 1) * rows) for i in range(bands)]
