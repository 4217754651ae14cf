"""The control characters of the staged articles' texts, counted for the build summary.

Counting reads every text, and reads no annotation, so the counts are kept beside a kept
staged set (`reuse.memo_path`): after a pull that changed only annotations they are taken,
not counted again, and an edit of the code that counts them (this module and every toolkit
module it imports, `build/encoding.py` among them) counts them anew.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from summit_corpus.build import reuse
from summit_corpus.build.engines import Staged
from summit_corpus.core import io, tables
from summit_corpus.core.errors import Errors, printable


def control_char_lines(staged: Staged) -> tuple[str, ...]:
    """RETURNS (tuple[str, ...]): One line per article whose text holds control characters,
    naming the file and how many."""
    memo = reuse.memo_path(staged, "control_chars", __name__)
    found = reuse.recall(memo)
    if found is None:
        found = _count_control_chars(staged.files[tables.DOCUMENTS.name])
        reuse.remember(memo, found)
    return tuple(
        Errors.W001.format(path=printable(source), count=count)
        for source, count in zip(
            found.column("source_file").to_pylist(), found.column("count").to_pylist(), strict=True
        )
    )


def _count_control_chars(documents: Path) -> pa.Table:
    """RETURNS (pa.Table): source_file and count of the staged articles whose text holds
    control characters, read a batch of texts at a time (the text column is the corpus's
    size)."""
    from summit_corpus.build.encoding import CONTROL

    def counted(rows: pa.RecordBatch | pa.Table) -> pa.Table:
        counts = pc.count_substring_regex(rows.column("text"), CONTROL)
        found = pa.table({"source_file": rows.column("source_file"), "count": counts})
        return found.filter(pc.greater(found.column("count"), 0))

    file = io.open_parquet(documents)
    columns = ["source_file", "text"]
    parts = [counted(batch) for batch in file.iter_batches(batch_size=256, columns=columns)]
    if not parts:  # no documents: the same columns, no rows
        parts = [counted(file.schema_arrow.empty_table().select(columns))]
    return pa.concat_tables(parts)
