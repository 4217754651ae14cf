"""What the later stages compute from the staged set alone: the control characters per
article and the split assignment.

Neither reads an annotation, so each is kept beside a kept staged set (`reuse.memo_path`):
after a pull that changed only annotations it is taken, not computed again, and an edit of
the code that computes it computes it anew (each memo is named after this module and every
toolkit module it imports, `publish/splits.py` and `build/encoding.py` among them).
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


def split_assignment(staged: Staged) -> pa.Table:
    """RETURNS (pa.Table): The split assignment of the staged documents, read a row group at
    a time (texts are not kept), with the near-duplicate fingerprints the per-article stage
    made; or the one computed before from the same kept staged set by the same code."""
    memo = reuse.memo_path(staged, "assignment", __name__)
    kept = reuse.recall(memo)
    if kept is not None:
        return kept
    from summit_corpus.publish.splits import ASSIGNMENT_COLUMNS, assign_splits

    staged_documents = io.open_parquet(staged.files[tables.DOCUMENTS.name])
    assignment = assign_splits(
        staged_documents.iter_batches(batch_size=256, columns=list(ASSIGNMENT_COLUMNS)),
        fingerprints=io.open_parquet(staged.files[tables.FINGERPRINTS.name]).iter_batches(
            batch_size=1024
        ),
    )
    reuse.remember(memo, assignment)
    return assignment
