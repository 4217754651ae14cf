"""DATASHEET.md generated from the published corpus (src/summit_corpus/datasheet.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.core.scheme import load_scheme
from summit_corpus.publish import FactsAccumulator, corpus_facts
from summit_corpus.publish.datasheet import (
    LABELS_PLOT,
    LENGTHS_PLOT,
    read_corpus,
    render,
    render_text,
    summarize_corpus,
)

REPO = Path(__file__).resolve().parents[2]
GEBRU_SECTIONS = (
    "Motivation",
    "Composition",
    "Collection Process",
    "Preprocessing/cleaning/labeling",
    "Uses",
    "Distribution",
    "Maintenance",
)


@pytest.fixture(scope="module")
def sheet(built_corpus):
    return render_text(built_corpus)


def _answer(markdown: str, question: str) -> str:
    """The answer paragraph(s) that follow a bold question."""
    after = markdown.split(f"**{question}**", 1)[1]
    return after.split("\n**", 1)[0].split("\n## ", 1)[0]


class TestRender:
    def test_every_section_of_the_paper_is_answered(self, sheet):
        """Each of the seven datasheet sections is present with at least one answered question."""
        for section in GEBRU_SECTIONS:
            assert f"\n## {section}\n" in sheet.markdown
        questions = re.findall(r"^\*\*(.+\?)\*\*$", sheet.markdown, flags=re.M)
        assert len(questions) >= 50
        for question in questions:
            assert _answer(sheet.markdown, question).strip()

    def test_two_renders_are_byte_identical(self, built_corpus, tmp_path):
        """Rendering the same corpus twice gives the same Markdown and SVG bytes."""
        render(built_corpus, tmp_path / "one" / "DATASHEET.md")
        render(built_corpus, tmp_path / "two" / "DATASHEET.md")
        for name in ("DATASHEET.md", LABELS_PLOT, LENGTHS_PLOT):
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()

    def test_plots_are_svg_files_the_markdown_links(self, sheet):
        """Each plot is a standalone SVG document, linked from the Markdown by its path."""
        for name, data in sheet.images.items():
            assert name.endswith(".svg") and f"]({name})" in sheet.markdown
            assert data.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')

    def test_no_machine_path_in_the_datasheet(self, sheet, built_corpus):
        """The text names files relative to the repository only."""
        assert str(built_corpus) not in sheet.markdown and "/tmp" not in sheet.markdown


class TestFigures:
    def test_counts_match_the_tables(self, sheet, built_corpus):
        """The instance counts are those of the published Parquet files."""
        tables, _ = read_corpus(built_corpus)
        answer = _answer(sheet.markdown, "How many instances are there in total?")
        assert f"{tables['documents'].num_rows} documents" in answer
        assert f"{tables['sentences'].num_rows:,} sentences" in answer
        assert f"{tables['tokens'].num_rows:,} tokens" in answer
        assert f"{tables['spans'].num_rows:,} spans" in answer

    def test_document_rows_give_each_documents_split_and_length(self, sheet, built_corpus):
        """Each document's row states its split and token count as published."""
        tables, assignment = read_corpus(built_corpus)
        for row in assignment.to_pylist():
            tokens = sum(
                1 for d in tables["tokens"].column("doc_id").to_pylist() if d == row["doc_id"]
            )
            line = next(
                x for x in sheet.markdown.splitlines() if x.startswith(f"| `{row['doc_id']}`")
            )
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert cells[5] == str(tokens) and cells[6] == row["split"]

    def test_split_sizes_match_the_files(self, sheet, built_corpus):
        """Documents per split are the row counts of the documents config's files."""
        counts = dict.fromkeys(T.SPLITS, 0)
        for path in sorted(layout.config_dir(built_corpus, "documents").glob("*.parquet")):
            counts[layout.split_of_file(path)] += pq.ParquetFile(path).metadata.num_rows
        expected = ", ".join(f"{k}: {v:,}" for k, v in counts.items())
        assert f"Documents per split: {expected}." in sheet.markdown


class TestSummary:
    def test_batched_facts_equal_the_facts_of_the_whole_tables(self, built_corpus):
        """Facts gathered batch by batch equal publish.corpus_facts over the tables read whole."""
        scheme = load_scheme()
        tables, assignment = read_corpus(built_corpus)
        summary = summarize_corpus(built_corpus, scheme)
        assert summary.facts == corpus_facts(tables, assignment, scheme)

    def test_facts_of_parts_kept_as_json_and_merged_equal_the_facts_of_the_whole(
        self, built_corpus
    ):
        """What a rebuild does with the shards it takes: each part's facts go through their
        JSON state (the memo) and are merged; the result is the whole corpus's facts."""
        scheme = load_scheme()
        tables, assignment = read_corpus(built_corpus)
        doc_ids = sorted(assignment.column("doc_id").to_pylist())
        merged = FactsAccumulator()
        for part in (doc_ids[::2], doc_ids[1::2]):
            ids = pa.array(part)
            facts = FactsAccumulator()
            facts.add(
                {
                    n: t.filter(pc.is_in(t.column("doc_id"), value_set=ids))
                    for n, t in tables.items()
                },
                assignment.filter(pc.is_in(assignment.column("doc_id"), value_set=ids)),
            )
            merged.merge(FactsAccumulator.from_state(json.loads(json.dumps(facts.state()))))
        assert merged.facts(scheme) == corpus_facts(tables, assignment, scheme)
        assert merged.facts(scheme)["published_min"] is not None

    def test_per_document_counts_equal_the_tables(self, built_corpus):
        """Tokens, sentences and split per document are those of the published tables."""
        tables, assignment = read_corpus(built_corpus)
        summary = summarize_corpus(built_corpus)
        ids = assignment.column("doc_id").to_pylist()
        tokens = tables["tokens"].column("doc_id").to_pylist()
        sentences = tables["sentences"].column("doc_id").to_pylist()
        assert summary.lengths == {d: tokens.count(d) for d in ids}
        assert summary.sentences == {d: sentences.count(d) for d in ids}
        assert summary.split_of == dict(
            zip(ids, assignment.column("split").to_pylist(), strict=True)
        )

    def test_documents_are_listed_up_to_the_limit(self, sheet, built_corpus):
        """A limit equal to the number of documents still lists every document."""
        documents = read_corpus(built_corpus)[1].num_rows
        assert render_text(built_corpus, document_table_limit=documents) == sheet

    def test_above_the_limit_a_split_summary_replaces_the_document_rows(self, built_corpus):
        """Over the limit no document has a row; a per-split table gives counts and lengths."""
        tables, assignment = read_corpus(built_corpus)
        small = render_text(built_corpus, document_table_limit=assignment.num_rows - 1)
        assert "| `" not in small.markdown
        answer = _answer(small.markdown, "How many instances are there in total?")
        assert f"With more than {assignment.num_rows - 1} documents" in answer
        all_row = next(x for x in answer.splitlines() if x.startswith("| all |"))
        cells = [c.strip() for c in all_row.strip("|").split("|")]
        assert cells[1:4] == [
            f"{assignment.num_rows:,}",
            f"{tables['sentences'].num_rows:,}",
            f"{tables['tokens'].num_rows:,}",
        ]

    def test_above_the_limit_lengths_are_a_histogram(self, sheet, built_corpus):
        """Over the limit the length plot is a different, still deterministic, histogram."""
        one = render_text(built_corpus, document_table_limit=1).images[LENGTHS_PLOT]
        two = render_text(built_corpus, document_table_limit=1).images[LENGTHS_PLOT]
        assert one == two and one != sheet.images[LENGTHS_PLOT]
        assert b"Article length in tokens, by split (5 documents)" in one


class TestCommittedDatasheet:
    def test_committed_datasheet_is_current(self, tmp_path):
        """DATASHEET.md in the repository is what the committed corpus renders to."""
        corpus = REPO / "corpus"
        if not (corpus / layout.DATA / "documents").is_dir():
            pytest.skip("no committed corpus/ to render from")
        render(corpus, tmp_path / "DATASHEET.md")
        committed = REPO / "DATASHEET.md"
        assert committed.is_file(), "DATASHEET.md is missing: run `corpus build`"
        assert committed.read_text(encoding="utf-8") == (tmp_path / "DATASHEET.md").read_text(
            encoding="utf-8"
        ), "DATASHEET.md is out of date: run `corpus build` and commit it"
        for name in (LABELS_PLOT, LENGTHS_PLOT):
            assert (REPO / name).is_file(), f"{name} is missing: run `corpus build`"


class TestDroppedPredictions:
    def test_the_datasheet_counts_them_by_reason(self, built_corpus, tmp_path):
        """The predictions a build dropped are counted per reason, from their published file."""
        import shutil

        corpus = tmp_path / "corpus"
        shutil.copytree(built_corpus, corpus)
        dropped = T.DROPPED_PREDICTIONS.from_rows(
            [
                {
                    "doc_id": "d",
                    "kind": "span",
                    "label": "ORG",
                    "start": s,
                    "end": s + 1,
                    "text": "\xa0",
                    "source": "spacy",
                    "reason": "empty_after_trim",
                }
                for s in (3, 9)
            ]
        )
        pq.write_table(dropped, corpus / layout.DROPPED_PREDICTIONS)
        assert "`dropped_predictions.parquet`: empty_after_trim: 2." in render_text(corpus).markdown
        assert "`dropped_predictions.parquet`: none." in render_text(built_corpus).markdown
