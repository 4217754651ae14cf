"""The document texts, indexed by code point.

Offsets are Python `str` indices (code points). The text at a row's offsets is cut out of all
documents' UTF-8 bytes at once (`_Docs.slices`), because `pc.utf8_slice_codeunits` only takes
one start/stop for the whole array; `_Docs` maps code points to byte positions.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _np


class _Docs:
    """All document texts as one UTF-8 byte buffer, addressable by (document, code point).

    doc_ids (pa.Array): Document ids (position = document index `d`).
    texts (pa.Array): Document texts (nulls are read as "").
    """

    def __init__(self, doc_ids: pa.Array, texts: pa.Array) -> None:
        self.doc_ids = doc_ids
        arr = pc.fill_null(texts, "").cast(pa.large_string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        n = len(arr)
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
        data = (
            np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
        )
        self.buf = data[offsets[0] : offsets[-1]]
        self.byte_base = offsets - offsets[0]
        self.length = np.asarray(pc.utf8_length(arr).to_numpy(zero_copy_only=False), dtype=np.int64)
        self.cp_base = np.concatenate([[0], np.cumsum(self.length)]).astype(np.int64)
        # Byte position of every code point (UTF-8 lead bytes), plus the end as sentinel, so
        # that code point i of document d starts at pos[cp_base[d] + i] (documents are
        # contiguous in `buf`, so i == len(text) lands on the next document's first byte).
        lead = (self.buf & 0xC0) != 0x80
        self.pos = np.concatenate([np.flatnonzero(lead), [len(self.buf)]]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.length)

    def index(self, doc_ids: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
        """RETURNS (np.ndarray): Each id's document index, -1 where it is not a document."""
        idx = pc.index_in(doc_ids, value_set=self.doc_ids)
        return _np(idx, fill=-1)

    def byte_offset(self, d: NDArray[Any], cp: NDArray[Any]) -> NDArray[Any]:
        return self.pos[self.cp_base[d] + cp]

    def slices(self, d: NDArray[Any], start: NDArray[Any], end: NDArray[Any]) -> pa.Array:
        """Cut text[start:end] of document d for every row, in one pass over the bytes.

        d (np.ndarray): Document index per row (must be valid).
        start (np.ndarray): Code point start per row, 0 <= start <= end <= len(text).
        end (np.ndarray): Code point end per row.
        RETURNS (pa.Array): large_string array of the slices.
        """
        if len(d) == 0:
            return pa.array([], pa.large_string())
        b0 = self.byte_offset(d, start)
        b1 = self.byte_offset(d, end)
        lengths = b1 - b0
        out_offsets = np.zeros(len(d) + 1, dtype=np.int64)
        np.cumsum(lengths, out=out_offsets[1:])
        total = int(out_offsets[-1])
        gather = np.repeat(b0 - out_offsets[:-1], lengths) + np.arange(total, dtype=np.int64)
        data = self.buf[gather]
        return pa.Array.from_buffers(
            pa.large_string(), len(d), [None, pa.py_buffer(out_offsets), pa.py_buffer(data)]
        )
