"""Table definitions: sorting rows into their written order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from summit_corpus.core import tables as T


def _tokens(doc_ids: list[str], token_ids: list[int]) -> pa.Table:
    return pa.table({"doc_id": doc_ids, "token_id": token_ids})


class TestIsSorted:
    def test_rows_in_key_order_are_sorted(self) -> None:
        """Rows ordered by the first key, then the second within ties, are sorted."""
        assert T.is_sorted(_tokens(["a", "a", "b"], [0, 1, 0]), ("doc_id", "token_id"))

    def test_equal_keys_count_as_sorted(self) -> None:
        """Rows with equal keys are in order (the sort is stable and would keep them)."""
        assert T.is_sorted(_tokens(["a", "a"], [3, 3]), ("doc_id", "token_id"))

    def test_a_later_key_out_of_order_within_a_tie_is_unsorted(self) -> None:
        """The second key is compared only where the first ties, and there it must ascend."""
        assert not T.is_sorted(_tokens(["a", "b", "b"], [1, 2, 0]), ("doc_id", "token_id"))

    def test_a_later_key_may_fall_where_the_first_key_rises(self) -> None:
        """Once the first key ascends, the second may start over."""
        assert T.is_sorted(_tokens(["a", "a", "b"], [5, 9, 0]), ("doc_id", "token_id"))

    def test_a_null_key_is_left_to_the_sort(self) -> None:
        """A key with nulls is reported unsorted, so the real sort places the nulls."""
        table = pa.table({"doc_id": ["a", None]})
        assert not T.is_sorted(table, ("doc_id",))

    def test_empty_and_single_rows_are_sorted(self) -> None:
        """Fewer than two rows are always in order."""
        assert T.is_sorted(_tokens([], []), ("doc_id", "token_id"))
        assert T.is_sorted(_tokens(["z"], [7]), ("doc_id", "token_id"))


class TestSorted:
    def test_a_shuffled_table_comes_back_in_key_order(self) -> None:
        """`Table.sorted` sorts shuffled token rows by (doc_id, token_id)."""
        ordered = _tokens([f"d{i // 10}" for i in range(50)], [i % 10 for i in range(50)])
        shuffled = ordered.take(np.random.default_rng(7).permutation(50))
        assert T.TOKENS.sorted(shuffled.select(["doc_id", "token_id"])).equals(ordered)

    def test_a_table_in_order_is_returned_as_it_is(self) -> None:
        """A table already in order is not copied: the same object comes back."""
        ordered = _tokens(["a", "a", "b"], [0, 1, 0])
        assert T.TOKENS.sorted(ordered) is ordered
