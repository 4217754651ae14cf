"""A text's near-duplicate fingerprint: its word shingles as 64-bit hashes and its MinHash.

The per-article stage makes the fingerprint where the article is parsed (and caches it with
the article's rows), so the split assignment (publish/splits.py) only bands and confirms.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

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

    config (NearDuplicateConfig): Shingle size, MinHash and threshold settings.
    """

    def __init__(self, config: NearDuplicateConfig) -> None:
        # datasketch is imported here, not at the top: it imports scipy (0.7 s), which a build
        # that takes its split assignment from a kept staged set never needs.
        from datasketch import MinHash, MinHashLSH

        self.config = config
        self._minhash = MinHash
        # The band layout MinHashLSH picks for these settings: b bands of r values each.
        lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
        self.bands: list[tuple[int, int]] = list(lsh.hashranges)
        self.width = max(end for _, end in self.bands)
        self._permutations = MinHash(
            num_perm=config.num_perm, seed=config.minhash_seed, scheme="affine32"
        ).permutations

    def __call__(self, text: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """RETURNS (tuple): The sorted distinct shingle hashes and the banded MinHash values."""
        hashes = shingle_hashes(text, self.config.shingle_size)
        sketch = self._minhash(
            num_perm=self.config.num_perm,
            seed=self.config.minhash_seed,
            scheme="affine32",
            hashfunc=int,
            permutations=self._permutations,
        )
        # The low 32 bits of sha1_hash64 are sha1_hash32, MinHash's default hash of a shingle.
        sketch.update_batch((hashes & np.uint64(0xFFFFFFFF)).tolist())
        return hashes, np.asarray(sketch.hashvalues[: self.width], dtype=np.uint64)
