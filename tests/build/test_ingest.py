"""Ingest: raw files become document rows, losslessly, with only the metadata they state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from summit_corpus.build import ingest
from summit_corpus.core import tables
from summit_corpus.core.errors import InputError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def raw(data: bytes, name: str = "a.txt") -> ingest.RawArticle:
    return ingest.RawArticle(path=Path("seeds") / name, source_file=name, data=data)


def seed_documents() -> dict[str, ingest.Document]:
    return {r.doc_id: ingest.clean(r) for r in ingest.discover(SEEDS)}


class TestLossless:
    @pytest.mark.parametrize("path", sorted(SEEDS.iterdir()), ids=lambda p: p.name)
    def test_every_seed_is_rebuilt_byte_for_byte_from_its_row(self, path: Path) -> None:
        """The raw file comes back exactly from text + removed_lines + final_newline + has_bom."""
        data = path.read_bytes()
        row = ingest.clean(raw(data, path.name)).to_row()
        assert ingest.rebuild_raw(row) == data

    @pytest.mark.parametrize(
        "data",
        [
            b"First line.\r\nSecond line.\r\n",  # CRLF endings are kept in text, offsets stay exact
            b"\xef\xbb\xbfWith a BOM.\nAnd more.",  # the BOM is recorded, not part of the text
            "Emoji \U0001f600 here.\n\nAdvertisement\n\nEnd.\n".encode(),  # astral characters
            b"Mixed\rendings\r\nhere\n",  # old Mac CR, CRLF and LF in one file
            b"Advertisement\nBody only.\nAdvertisement\n\n",  # furniture at both edges
            b"Body.\n\n\nAuthor's own double blank.\n",  # blank runs the author wrote stay
        ],
    )
    def test_edge_cases_round_trip(self, data: bytes) -> None:
        """Line endings, BOMs, emoji and blank runs survive the trip through a row."""
        row = ingest.clean(raw(data)).to_row()
        assert ingest.rebuild_raw(row) == data

    def test_crlf_stays_in_text(self) -> None:
        """CRLF is not normalised: the text keeps the raw line terminators."""
        doc = ingest.clean(raw(b"One.\r\nTwo.\r\n"))
        assert doc.text == "One.\r\nTwo."
        assert doc.final_newline == "\r\n"

    def test_bom_is_not_in_text(self) -> None:
        """A UTF-8 byte order mark is recorded in has_bom and kept out of the text."""
        doc = ingest.clean(raw(b"\xef\xbb\xbfHello."))
        assert doc.text == "Hello." and doc.has_bom


class TestFurniture:
    def test_seed_001_header_and_footer_are_removed_with_reasons(self) -> None:
        """Timestamp lines, headline, standfirst, byline, image credits and ads leave the text."""
        doc = seed_documents()["001_dd113488c4bf23f6"]
        reasons = {(r.line_no, r.reason) for r in doc.removed_lines}
        assert (1, ingest.R_UPDATED) in reasons
        assert (3, ingest.R_HEADLINE) in reasons
        assert (5, ingest.R_STANDFIRST) in reasons
        assert (7, ingest.R_BYLINE) in reasons
        assert (8, ingest.R_IMAGE_CREDIT) in reasons
        assert (9, ingest.R_ADVERTISEMENT) in reasons
        assert (27, ingest.R_PUBLISHED) in reasons
        assert doc.text.startswith("The Kremlin, on April 14, stated")
        assert doc.text.endswith("over the Ukrainian border.")
        for word in ("Advertisement", "Image Credits", "Published", "Reported by"):
            assert word not in doc.text

    def test_article_that_opens_with_body_has_no_headline(self) -> None:
        """Without a header block nothing is taken as headline: title stays null."""
        docs = seed_documents()
        for doc_id in ("000_fa20e158ca33a4e8", "002_057a4ec36ea39776", "004_8eaf759bf2b3d680"):
            assert docs[doc_id].title is None
            assert docs[doc_id].removed_lines == ()

    def test_duplicated_headline_in_body_is_removed(self) -> None:
        """A body line that repeats the headline is furniture."""
        data = b"Big News Today\n\nBy Jane Doe\n\nBig News Today\nThe body says things.\n"
        doc = ingest.clean(raw(data))
        assert doc.title == "Big News Today"
        assert doc.byline == ("Jane Doe",)
        assert doc.text == "The body says things."
        assert ingest.R_DUPLICATE_HEADLINE in {r.reason for r in doc.removed_lines}

    def test_advertisement_inside_body_does_not_leave_a_double_blank(self) -> None:
        """Removing a furniture line between paragraphs keeps one paragraph break."""
        doc = ingest.clean(raw(b"Para one.\n\nAdvertisement\n\nPara two.\n"))
        assert doc.text == "Para one.\n\nPara two."


class TestMetadata:
    def test_ist_timestamp_becomes_plus_0530(self) -> None:
        """'12:06 IST' is stated as +05:30 and stored as the exact UTC instant."""
        doc = seed_documents()["001_dd113488c4bf23f6"]
        assert doc.published is not None and doc.updated is not None
        assert doc.published.local == "2021-04-15T12:06:00+05:30"
        assert doc.published.utc == datetime(2021, 4, 15, 6, 36, tzinfo=UTC)
        assert doc.updated.local == "2021-04-15T12:06:00+05:30"
        assert doc.byline == ("Riya Baibhawi",)
        assert doc.title == (
            "Kremlin says summit between Vladimir Putin and Joe Biden depends on US behaviour"
        )

    def test_unstated_fields_are_null_never_guessed(self) -> None:
        """An article that states no date, byline or headline gets nulls and empty lists."""
        row = seed_documents()["000_fa20e158ca33a4e8"].to_row()
        assert row["published_at"] is None and row["updated_at"] is None
        assert row["published_at_local"] is None and row["title"] is None
        assert row["byline"] == [] and row["credits"] == [] and row["updates"] == []

    def test_update_sections_and_credits_of_seed_003(self) -> None:
        """Dated UPDATE sections (typo 'UDPATE' included) become offsets; credits are split."""
        doc = seed_documents()["003_70e0706dece48d87"]
        assert doc.credits == ("TASS", "Foreign Policy")
        assert [u.timestamp for u in doc.updates] == ["2021-12-06", "2021-12-07", "2021-12-08"]
        first = doc.updates[0]
        assert doc.text[first.start :].startswith("UPDATE 06/12/2021")
        assert first.heading == "Kremlin confirms Dec. 7 as date for Putin-Biden talks"
        assert doc.text[first.end - 1] != "\n" and first.end <= doc.updates[1].start
        assert doc.updates[-1].end == len(doc.text)
        # the last update states a date only: updated_at_local has date precision, no instant
        assert doc.updated is not None
        assert doc.updated.local == "2021-12-08" and doc.updated.utc is None

    @pytest.mark.parametrize(
        ("stated", "local", "utc"),
        [
            # a listed abbreviation gives the instant
            ("April 15th, 2021 at 12:06 IST", "2021-04-15T12:06:00+05:30", "2021-04-15T06:36:00"),
            # an explicit offset works without an abbreviation
            ("Dec 6, 2021 at 9:30 pm UTC+3", "2021-12-06T21:30:00+03:00", "2021-12-06T18:30:00"),
            # a time without a zone is kept naive: no instant is invented
            ("March 3, 2022 at 10:00", "2022-03-03T10:00:00", None),
            # a date alone keeps date precision
            ("June 1, 2021", "2021-06-01", None),
        ],
    )
    def test_stated_time_keeps_the_stated_precision(
        self, stated: str, local: str, utc: str | None
    ) -> None:
        """Only what is stated is stored: zone -> instant, no zone -> naive, no time -> date."""
        parsed = ingest.parse_stated_time(stated)
        assert parsed is not None and parsed.local == local
        got = parsed.utc.replace(tzinfo=None).isoformat() if parsed.utc else None
        assert got == utc

    def test_ambiguous_numeric_date_without_evidence_is_null(self) -> None:
        """06/07/2021 with no month named in the text is not guessed."""
        assert ingest.resolve_numeric_date(6, 7, 2021, "No months here.") is None
        assert ingest.resolve_numeric_date(25, 7, 2021, "") == "2021-07-25"


class TestBadInput:
    def test_empty_file_is_rejected_by_name(self) -> None:
        """An empty file gets rule 'not_empty' and its path in the message."""
        with pytest.raises(InputError) as caught:
            ingest.clean(raw(b"", "empty.txt"))
        assert caught.value.rule == "not_empty"
        assert "empty.txt" in str(caught.value)

    def test_invalid_utf8_names_line_and_byte_offset(self) -> None:
        """A Latin-1 byte is reported with its line and byte offset."""
        with pytest.raises(InputError) as caught:
            ingest.clean(raw(b"Fine line.\nCaf\xe9 au lait.\n", "latin1.txt"))
        error = caught.value
        assert (error.rule, error.line, error.offset) == ("utf8", 2, 14)
        assert "latin1.txt:2" in str(error) and "byte offset 14" in str(error)

    def test_binary_file_is_rejected(self) -> None:
        """A file with NUL bytes is not an article."""
        with pytest.raises(InputError) as caught:
            ingest.clean(raw(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.png"))
        assert caught.value.rule == "not_binary"

    def test_furniture_only_file_is_rejected(self) -> None:
        """A file that is all page furniture has no body text."""
        with pytest.raises(InputError) as caught:
            ingest.clean(raw(b"Advertisement\n\nAdvertisement\n"))
        assert caught.value.rule == "has_body"


class TestRow:
    def test_row_matches_the_documents_table_schema(self) -> None:
        """Rows convert to the documents table with its explicit Arrow schema."""
        table = tables.DOCUMENTS.from_rows([d.to_row() for d in seed_documents().values()])
        assert table.schema == tables.DOCUMENTS.schema
        assert table.num_rows == 5

    def test_doc_id_is_the_file_stem(self) -> None:
        """doc_id depends on the file's name only, so it is the same on every machine."""
        assert raw(b"x", "sub/000_abc.txt").doc_id == "sub/000_abc"
