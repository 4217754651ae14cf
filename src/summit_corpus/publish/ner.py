"""The ner config's rows: BIO tags per sentence, computed with arrays.

Each document takes the first layer of NER_LAYERS it has rows of (in spans or
document_labels), else the model layer; its entity spans of that layer tag the tokens they
overlap, longest span first (then earliest, then label), and a span touching an already
tagged token is dropped (counted). Tokens are found by binary search; only the greedy pass
over the spans that overlap another is a Python loop (one step per such span, not per token),
so a million tokens take a fraction of a second. `tests/test_ner.py` checks it against a
plain per-token reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.core import tables as T

# Layer that feeds the ner config, best first; a document uses the first one it has.
NER_LAYERS = (T.LAYER_ADJUDICATED, T.LAYER_PREDICTION)


@dataclass(frozen=True, slots=True)
class NerResult:
    """The ner config and what building it left out.

    table (pa.Table): tables.NER rows.
    dropped_doc_ids (pa.Array): The doc_id of each entity span left out because it overlaps a
        longer one (so a shard's count is its documents').
    """

    table: pa.Table
    dropped_doc_ids: pa.Array

    @property
    def dropped_overlaps(self) -> int:
        """RETURNS (int): Entity spans left out because they overlap a longer one."""
        return len(self.dropped_doc_ids)

    def of(self, doc_ids: pa.Array) -> NerResult:
        """RETURNS (NerResult): The rows and dropped spans of the documents `doc_ids`."""
        rows = self.table.filter(pc.is_in(self.table.column("doc_id"), value_set=doc_ids))
        dropped = self.dropped_doc_ids.filter(pc.is_in(self.dropped_doc_ids, value_set=doc_ids))
        return NerResult(rows, dropped)


def _ints(values: pa.Array | pa.ChunkedArray, fill: int = -1) -> NDArray[Any]:
    """RETURNS (np.ndarray): An integer column as int64 numpy, nulls replaced by `fill`."""
    filled = pc.fill_null(values, fill) if values.null_count else values
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks() if filled.num_chunks != 1 else filled.chunk(0)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)


def _pair_key(hi: NDArray[Any], lo: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): One sortable int64 per (document code, integer) pair."""
    return (hi.astype(np.int64) << 32) | (lo.astype(np.int64) & 0xFFFFFFFF)


def _ranges(lengths: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): 0..n-1 for each n in `lengths`, concatenated."""
    ends = np.cumsum(lengths)
    starts: NDArray[Any] = np.repeat(ends - lengths, lengths)
    counting: NDArray[Any] = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    within: NDArray[Any] = counting - starts
    return within


def _overlaps_none(lo: NDArray[Any], hi: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): For intervals [lo, hi), True where one shares no position with
    any other (an empty interval shares nothing)."""
    alone = np.ones(len(lo), dtype=bool)
    nonempty = np.flatnonzero(hi > lo)
    if len(nonempty) < 2:
        return alone
    order = nonempty[np.argsort(lo[nonempty], kind="stable")]
    start, end = lo[order], hi[order]
    # By start: an interval meets an earlier one if it starts before the furthest earlier end,
    # and a later one if the next start falls before its own end.
    clash = np.zeros(len(order), dtype=bool)
    clash[1:] = start[1:] < np.maximum.accumulate(end)[:-1]
    clash[:-1] |= start[1:] < end[:-1]
    alone[order] = ~clash
    return alone


def _codes(values: pa.ChunkedArray, reference: pa.Array) -> NDArray[Any]:
    """RETURNS (np.ndarray): Position of each doc_id in `reference`, or -1."""
    return _ints(pc.index_in(values.combine_chunks().cast(pa.string()), value_set=reference))


def ner_rows(tables: Mapping[str, pa.Table], tag_names: Sequence[str]) -> NerResult:
    """One row per sentence with BIO tags from the best layer each document has.

    tables (Mapping[str, pa.Table]): Sentences and tokens (spans and document_labels when
        present), with tables.py's columns.
    tag_names (Sequence[str]): The tag names, 'O' first, then B-/I- per entity label.
    RETURNS (NerResult): tables.NER rows sorted by (doc_id, sentence_id), and the number of
        entity spans left out because they overlap a longer (or earlier) one.
    """
    sentences = T.SENTENCES.sorted(tables[T.SENTENCES.name])
    tokens = tables[T.TOKENS.name]
    spans = tables.get(T.SPANS.name, T.SPANS.empty())
    labels = tables.get(T.DOCUMENT_LABELS.name, T.DOCUMENT_LABELS.empty())
    # Every document id that occurs, coded as an integer.
    all_ids = pa.concat_arrays(
        [t.column("doc_id").combine_chunks().cast(pa.string()) for t in (sentences, tokens, spans)]
    ).unique()
    layer_of = _layer_of(all_ids, spans, labels)
    grid = _TokenGrid.of(tokens, all_ids)
    entity = {name[2:] for name in tag_names if name != "O"}
    tags, dropped = _tags(grid, spans, all_ids, layer_of, entity, tag_names)
    dropped_doc_ids = all_ids.take(pa.array(dropped, pa.int64()))
    rows = _sentence_rows(sentences, tokens, grid, tags, all_ids, layer_of)
    return NerResult(rows, dropped_doc_ids)


def _layer_of(all_ids: pa.Array, spans: pa.Table, labels: pa.Table) -> NDArray[Any]:
    """RETURNS (np.ndarray): Per document code, the rank in NER_LAYERS of its layer: the first
    layer it has span or document-label rows of, else the last."""
    layer_of = np.full(len(all_ids), len(NER_LAYERS) - 1, dtype=np.int64)
    for rank in reversed(range(len(NER_LAYERS) - 1)):
        having = pa.concat_arrays(
            [
                t.filter(pc.equal(t.column("layer"), NER_LAYERS[rank]))
                .column("doc_id")
                .combine_chunks()
                .cast(pa.string())
                for t in (spans, labels)
            ]
        )
        chosen_layer = pc.fill_null(pc.is_in(all_ids, value_set=having), False)
        layer_of[np.asarray(chosen_layer.to_numpy(zero_copy_only=False), dtype=bool)] = rank
    return layer_of


@dataclass(frozen=True, slots=True)
class _TokenGrid:
    """The tokens in (document, token_id) order, with the keys spans and sentences are
    located by.

    order (np.ndarray): Row of `tokens` at each position.
    doc (np.ndarray): Document code at each position.
    sentence (np.ndarray): sentence_id at each position.
    start_key, end_key (np.ndarray): (document, start) and (document, end) keys, ascending.
    """

    order: NDArray[Any]
    doc: NDArray[Any]
    sentence: NDArray[Any]
    start_key: NDArray[Any]
    end_key: NDArray[Any]

    @classmethod
    def of(cls, tokens: pa.Table, all_ids: pa.Array) -> _TokenGrid:
        td = _codes(tokens.column("doc_id"), all_ids)
        order = np.lexsort((_ints(tokens.column("token_id")), td))
        td = td[order]
        return cls(
            order=order,
            doc=td,
            sentence=_ints(tokens.column("sentence_id"))[order],
            start_key=_pair_key(td, _ints(tokens.column("start"))[order]),
            end_key=_pair_key(td, _ints(tokens.column("end"))[order]),
        )


def _tags(
    grid: _TokenGrid,
    spans: pa.Table,
    all_ids: pa.Array,
    layer_of: NDArray[Any],
    entity: set[str],
    tag_names: Sequence[str],
) -> tuple[NDArray[Any], NDArray[Any]]:
    """RETURNS (tuple): The tag index of every token position, and the document code of
    each span left out because it overlaps a longer (or earlier) one."""
    sd = _codes(spans.column("doc_id"), all_ids)
    s_start, s_end = _ints(spans.column("start")), _ints(spans.column("end"))
    wanted_layer = pa.array(list(NER_LAYERS), pa.string()).take(
        pa.array(layer_of[np.maximum(sd, 0)])
    )
    usable = pc.and_(
        pc.is_in(spans.column("label"), value_set=pa.array(sorted(entity), pa.string())),
        pc.equal(spans.column("layer"), wanted_layer),
    )
    mask = np.asarray(pc.fill_null(usable, False).to_numpy(zero_copy_only=False), dtype=bool)
    mask &= sd >= 0
    # Labels ranked in string order, so that sorting by rank sorts by label.
    # (The validator runs this on tables that may be broken: nulls rank first, and are never
    # chosen.)
    label_set = pc.unique(spans.column("label").combine_chunks().cast(pa.string())).drop_null()
    ranked = sorted(label_set.to_pylist())
    s_rank = _ints(pc.index_in(spans.column("label"), value_set=pa.array(ranked, pa.string())))
    candidates = np.flatnonzero(mask)
    # The chosen layer's entity spans, longest first, then earliest, then by label.
    chosen = candidates[
        np.lexsort(
            (
                s_rank[candidates],
                s_start[candidates],
                -(s_end[candidates] - s_start[candidates]),
                sd[candidates],
            )
        )
    ]
    # The tokens a span touches: token end > span start and token start < span end.
    lo = np.searchsorted(grid.end_key, _pair_key(sd, s_start), side="right")
    hi = np.searchsorted(grid.start_key, _pair_key(sd, s_end), side="left")
    accepted, dropped = _accept(candidates, chosen, lo, hi, len(grid.order))
    tags = np.zeros(len(grid.order), dtype=np.int64)
    if accepted:
        index = {name: i for i, name in enumerate(tag_names)}
        won = np.asarray(accepted, dtype=np.int64)
        begin, stop = lo[won], hi[won]
        b_of_rank = np.asarray([index[f"B-{x}"] if x in entity else 0 for x in ranked], np.int64)
        i_of_rank = np.asarray([index[f"I-{x}"] if x in entity else 0 for x in ranked], np.int64)
        b_tag, i_tag = b_of_rank[s_rank[won]], i_of_rank[s_rank[won]]
        inside = stop - begin - 1
        tags[np.repeat(begin, inside) + _ranges(inside) + 1] = np.repeat(i_tag, inside)
        tags[begin] = b_tag
        _begin_at_sentence_starts(tags, grid, index)
    return tags, sd[np.asarray(dropped, dtype=np.int64)]


def _begin_at_sentence_starts(tags: NDArray[Any], grid: _TokenGrid, index: dict[str, int]) -> None:
    """A span that crosses a sentence break (an annotator's drag over a line end) begins again
    with B- in the next sentence, so every sentence's tags are valid IOB2."""
    to_begin = np.arange(len(index), dtype=np.int64)
    for name, i in index.items():
        if name.startswith("I-"):
            to_begin[i] = index["B-" + name[2:]]
    starts = np.ones(len(tags), dtype=bool)
    starts[1:] = (grid.doc[1:] != grid.doc[:-1]) | (grid.sentence[1:] != grid.sentence[:-1])
    tags[starts] = to_begin[tags[starts]]


def _accept(
    candidates: NDArray[Any],
    chosen: NDArray[Any],
    lo: NDArray[Any],
    hi: NDArray[Any],
    positions: int,
) -> tuple[list[int], list[int]]:
    """RETURNS (tuple): The spans accepted (each touches tokens [lo, hi) that no earlier
    accepted span took, in `chosen`'s order) and those left out for an overlap."""
    # A span that overlaps no other candidate is always accepted; the sequential greedy pass
    # (a bytearray keeps each step to a slice test) is needed only where spans overlap.
    alone = np.zeros(len(lo), dtype=bool)
    alone[candidates] = _overlaps_none(lo[candidates], hi[candidates])
    accepted: list[int] = candidates[alone[candidates] & (hi[candidates] > lo[candidates])].tolist()
    taken = bytearray(positions)
    dropped: list[int] = []
    for i in chosen[~alone[chosen]].tolist():
        a, b = int(lo[i]), int(hi[i])
        if b <= a:
            continue
        if 1 in taken[a:b]:
            dropped.append(i)
            continue
        taken[a:b] = b"\x01" * (b - a)
        accepted.append(i)
    return accepted, dropped


def _sentence_rows(
    sentences: pa.Table,
    tokens: pa.Table,
    grid: _TokenGrid,
    tags: NDArray[Any],
    all_ids: pa.Array,
    layer_of: NDArray[Any],
) -> pa.Table:
    """RETURNS (pa.Table): tables.NER rows: one list of tokens and tags per sentence, in the
    sentences' order."""
    sent_key = _pair_key(grid.doc, grid.sentence)
    sd_rows = _codes(sentences.column("doc_id"), all_ids)
    key = _pair_key(sd_rows, _ints(sentences.column("sentence_id")))
    first = np.searchsorted(sent_key, key, side="left")
    last = np.searchsorted(sent_key, key, side="right")
    # A sentence without a document id (only in a broken table) gets no tokens.
    first = np.where(sd_rows >= 0, first, 0)
    last = np.where(sd_rows >= 0, last, 0)
    lengths = last - first
    offsets = np.zeros(len(key) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    gather = np.repeat(first - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
    texts = tokens.column("text").take(pa.array(grid.order[gather]))
    token_lists = pa.ListArray.from_arrays(pa.array(offsets), texts.combine_chunks())
    spaces = tokens.column("whitespace").take(pa.array(grid.order[gather]))
    space_lists = pa.ListArray.from_arrays(pa.array(offsets), spaces.combine_chunks())
    tag_lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(tags[gather], pa.int64()))
    doc_ids = sentences.column("doc_id")
    layer_names = pa.array(list(NER_LAYERS), pa.string())
    layers = layer_names.take(pa.array(layer_of[np.maximum(sd_rows, 0)]))
    ids = pc.binary_join_element_wise(
        doc_ids, pc.cast(sentences.column("sentence_id"), pa.string()), "/"
    )
    columns = {
        "id": ids,
        "doc_id": doc_ids,
        "sentence_id": sentences.column("sentence_id"),
        "tokens": token_lists,
        "whitespace": space_lists,
        "ner_tags": tag_lists,
        "layer": layers,
    }
    return pa.table([columns[n] for n in T.NER.names], names=T.NER.names).cast(T.NER.schema)
