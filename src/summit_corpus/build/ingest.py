"""Ingest: raw article files become document rows.

A raw file is decoded (UTF-8, an optional byte order mark), split into lines (keeping each
line's own terminator: LF, CRLF or CR), and every line is either kept in the body `text` or
removed as page furniture with a reason. Metadata is read only from what the text states.
Nothing is lost: `rebuild_raw` turns a document row back into the raw file's exact bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from summit_corpus.build.encoding import BOM, decode
from summit_corpus.core.errors import Errors, InputError, printable

_NEWLINE = re.compile(r"\r\n|\r|\n")

# Removal reasons: stable snake_case names, recorded per removed line.
R_ADVERTISEMENT = "advertisement"
R_IMAGE_CREDIT = "image_credit"
R_PUBLISHED = "published_line"
R_UPDATED = "updated_line"
R_BYLINE = "byline"
R_CREDITS = "credits_line"
R_HEADLINE = "headline"
R_STANDFIRST = "standfirst"
R_DUPLICATE_HEADLINE = "duplicate_headline"
R_DUPLICATE_STANDFIRST = "duplicate_standfirst"
R_BLANK_EDGE = "blank_edge"
R_BLANK_RUN = "blank_run"
REMOVAL_REASONS = (
    R_ADVERTISEMENT,
    R_IMAGE_CREDIT,
    R_PUBLISHED,
    R_UPDATED,
    R_BYLINE,
    R_CREDITS,
    R_HEADLINE,
    R_STANDFIRST,
    R_DUPLICATE_HEADLINE,
    R_DUPLICATE_STANDFIRST,
    R_BLANK_EDGE,
    R_BLANK_RUN,
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# Time zone abbreviations news sites print, with their UTC offsets. An abbreviation not listed
# here is not guessed: the timestamp stays naive (published_at null, *_local without offset).
TIME_ZONES: Mapping[str, timedelta] = {
    "UTC": timedelta(0),
    "GMT": timedelta(0),
    "BST": timedelta(hours=1),
    "CET": timedelta(hours=1),
    "CEST": timedelta(hours=2),
    "EET": timedelta(hours=2),
    "EEST": timedelta(hours=3),
    "MSK": timedelta(hours=3),
    "IST": timedelta(hours=5, minutes=30),
    "PKT": timedelta(hours=5),
    "SGT": timedelta(hours=8),
    "HKT": timedelta(hours=8),
    "JST": timedelta(hours=9),
    "KST": timedelta(hours=9),
    "AEST": timedelta(hours=10),
    "AEDT": timedelta(hours=11),
    "EST": timedelta(hours=-5),
    "EDT": timedelta(hours=-4),
    "CST": timedelta(hours=-6),
    "CDT": timedelta(hours=-5),
    "MST": timedelta(hours=-7),
    "MDT": timedelta(hours=-6),
    "PST": timedelta(hours=-8),
    "PDT": timedelta(hours=-7),
}

_MONTH_RE = r"(?P<month>[A-Za-z]{3,9})\.?"
_DATE_TEXT = re.compile(
    _MONTH_RE + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    r"(?:\s*(?:at|,)?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
    r"\s*(?P<zone>[A-Z]{2,5}|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?)?)?\s*$"
)
_ADVERTISEMENT = re.compile(r"^\s*advertisement\s*$", re.IGNORECASE)
_IMAGE_CREDIT = re.compile(r"^\s*\(?\s*image\s+credits?\s*:.*$", re.IGNORECASE)
_PUBLISHED = re.compile(r"^\s*(?:first\s+)?published(?:\s+on)?\s*:?\s+(?P<when>.+?)\s*$", re.I)
_UPDATED = re.compile(r"^\s*(?:last\s+)?updated(?:\s+on)?\s*:?\s+(?P<when>.+?)\s*$", re.I)
_BYLINE = re.compile(
    r"^\s*(?:reported|written|edited)\s+by\s*:?\s*(?P<names>\S.*?)\s*$", re.IGNORECASE
)
_BY_NAMES = re.compile(
    r"^\s*By\s+(?P<names>[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,3}"
    r"(?:(?:\s*,\s*|\s+and\s+)[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,3})*)\s*$"
)
_CREDITS = re.compile(
    r"^\s*with\s+(?:additional\s+)?reporting\s+(?:by|from)\s+(?P<names>\S.*?)\.?\s*$",
    re.IGNORECASE,
)
_UPDATE_HEADER = re.compile(
    r"^\s*(?:UPDATE|UDPATE|UPDTAE|UPDATED)\s*:?\s*"
    r"(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4})\s*$",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
# A header block (headline, standfirst, byline, timestamp, image credit) holds at most this
# many lines of prose before its last furniture line; past that we are in the body.
_MAX_HEADER_PROSE_LINES = 2
_MAX_HEADLINE_CHARS = 200


def doc_id_of(source_file: str) -> str:
    """RETURNS (str): The stable id of the raw file at `source_file`: the relative path
    without its extension."""
    if "." in Path(source_file).name:
        return source_file.rsplit(".", 1)[0]
    return source_file


class ArticleSource(Protocol):
    """A raw article file as the build lists it, with or without its bytes in hand
    (`RawArticle`, `seeds.ArticleFile`): what the cache, the staged sets and the engines need
    to know of it, and `read` for its bytes."""

    @property
    def path(self) -> Path: ...

    @property
    def source_file(self) -> str: ...

    @property
    def doc_id(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def content_sha256(self) -> str: ...

    def read(self) -> RawArticle: ...


@dataclass(frozen=True, slots=True)
class RawArticle:
    """A raw file as read from disk.

    path (Path): Where it was read from (used in error messages only, never stored).
    source_file (str): POSIX path relative to the seeds folder.
    data (bytes): The file's bytes.
    """

    path: Path
    source_file: str
    data: bytes

    @property
    def doc_id(self) -> str:
        """RETURNS (str): Stable id: the relative path without its extension."""
        return doc_id_of(self.source_file)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def content_sha256(self) -> str:
        """RETURNS (str): SHA-256 of the bytes after a byte order mark, which does not make
        different content."""
        return hashlib.sha256(self.data.removeprefix(BOM.encode("utf-8"))).hexdigest()

    def read(self) -> RawArticle:
        """RETURNS (RawArticle): Itself: its bytes are in hand."""
        return self


@dataclass(frozen=True, slots=True)
class RemovedLine:
    line_no: int
    text: str
    reason: str
    newline: str


@dataclass(frozen=True, slots=True)
class UpdateSection:
    timestamp: str | None
    start: int
    end: int
    heading: str | None


@dataclass(frozen=True, slots=True)
class StatedTime:
    """A time as the article states it.

    local (str): ISO 8601 with the precision and offset stated ('2021-04-15T12:06:00+05:30',
        '2021-04-15T12:06:00' when no zone is stated, '2021-04-15' for a date alone).
    utc (datetime | None): The instant, only when date, time and zone are all stated.
    """

    local: str
    utc: datetime | None


@dataclass(frozen=True, slots=True)
class Document:
    """One cleaned article: the documents table's row as a typed value."""

    doc_id: str
    source_file: str
    source_sha256: str
    text: str
    title: str | None = None
    standfirst: str | None = None
    published: StatedTime | None = None
    updated: StatedTime | None = None
    byline: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    updates: tuple[UpdateSection, ...] = ()
    removed_lines: tuple[RemovedLine, ...] = ()
    final_newline: str = ""
    has_bom: bool = False

    def to_row(self) -> dict[str, Any]:
        """RETURNS (dict[str, Any]): The row for tables.DOCUMENTS."""
        return {
            "doc_id": self.doc_id,
            "source_file": self.source_file,
            "source_sha256": self.source_sha256,
            "text_sha256": hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
            "text": self.text,
            "title": self.title,
            "standfirst": self.standfirst,
            "published_at": self.published.utc if self.published else None,
            "published_at_local": self.published.local if self.published else None,
            "updated_at": self.updated.utc if self.updated else None,
            "updated_at_local": self.updated.local if self.updated else None,
            "byline": list(self.byline),
            "credits": list(self.credits),
            "updates": [
                {"timestamp": u.timestamp, "start": u.start, "end": u.end, "heading": u.heading}
                for u in self.updates
            ],
            "removed_lines": [
                {"line_no": r.line_no, "text": r.text, "reason": r.reason, "newline": r.newline}
                for r in self.removed_lines
            ],
            "final_newline": self.final_newline,
            "has_bom": self.has_bom,
        }


# --- reading ---------------------------------------------------------------------------------
def discover(seeds_dir: Path) -> list[RawArticle]:
    """Read every raw article file under `seeds_dir`, sorted by relative path.

    The rules (only `*.txt`, hidden names skipped, links followed inside the folder only, ...)
    are `seeds.read_seeds`'s; this returns its articles and raises its first problem.

    seeds_dir (Path): Folder of raw files.
    RETURNS (list[RawArticle]): The files and their bytes.
    RAISES (InputError): The folder is missing or empty, or an entry cannot be read.
    """
    from summit_corpus.build.seeds import read_seeds

    found = read_seeds(seeds_dir)
    if found.problems:
        raise found.problems[0]
    return [article.read() for article in found.articles]


def split_lines(text: str) -> list[tuple[str, str]]:
    """Split text into (line, terminator) pairs; the terminator is '' only for a last line
    without one. Joining `line + terminator` over the pairs gives `text` back exactly."""
    lines: list[tuple[str, str]] = []
    pos = 0
    for match in _NEWLINE.finditer(text):
        lines.append((text[pos : match.start()], match.group()))
        pos = match.end()
    if pos < len(text):
        lines.append((text[pos:], ""))
    return lines


# --- metadata parsing ------------------------------------------------------------------------
def parse_stated_time(value: str) -> StatedTime | None:
    """Parse a stated date/time such as 'April 15th, 2021 at 12:06 IST'.

    value (str): The text after 'Published' / 'Updated'.
    RETURNS (StatedTime | None): None when the text is not a date this parser knows.
    """
    match = _DATE_TEXT.match(value.strip())
    if not match:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    try:
        date = datetime(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None
    if match["hour"] is None:
        return StatedTime(local=date.date().isoformat(), utc=None)
    hour, minute = int(match["hour"]), int(match["minute"])
    if match["ampm"]:
        meridiem = match["ampm"][0].lower()
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    naive = date.replace(hour=hour, minute=minute)
    offset = _zone_offset(match["zone"])
    if offset is None:
        return StatedTime(local=naive.isoformat(), utc=None)
    aware = naive.replace(tzinfo=timezone(offset))
    return StatedTime(local=aware.isoformat(), utc=aware.astimezone(UTC))


def _zone_offset(zone: str | None) -> timedelta | None:
    if not zone:
        return None
    if zone in TIME_ZONES:
        return TIME_ZONES[zone]
    match = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", zone)
    if not match:
        return None
    sign = -1 if match[1] == "-" else 1
    return sign * timedelta(hours=int(match[2]), minutes=int(match[3] or 0))


def _split_names(names: str) -> tuple[str, ...]:
    return tuple(n.strip(" .") for n in _NAME_SPLIT.split(names) if n.strip(" ."))


def resolve_numeric_date(a: int, b: int, year: int, context: str) -> str | None:
    """Resolve a numeric date 'a/b/year' that may be day/month or month/day.

    a (int): First number. b (int): Second number. year (int): The year.
    context (str): The article text; an ambiguous date is settled by the months it names.
    RETURNS (str | None): ISO date, or None when the text does not settle it.
    """
    candidates: set[tuple[int, int]] = set()
    for month, day in ((b, a), (a, b)):
        try:
            datetime(year, month, day)
        except ValueError:
            continue
        candidates.add((month, day))
    if len(candidates) > 1:
        named = {
            _MONTHS[w.lower()]
            for w in re.findall(r"\b([A-Za-z]{3,9})\b\.?\s+\d{1,2}\b", context)
            if w.lower() in _MONTHS
        }
        candidates = {(m, d) for m, d in candidates if m in named}
    if len(candidates) != 1:
        return None
    month, day = next(iter(candidates))
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- cleaning --------------------------------------------------------------------------------
@dataclass(slots=True)
class _Line:
    no: int
    text: str
    newline: str
    reason: str | None = None

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def _furniture(line: str) -> tuple[str, Any] | None:
    """Classify one line as page furniture. RETURNS (reason, parsed value) or None."""
    if _ADVERTISEMENT.match(line):
        return R_ADVERTISEMENT, None
    if _IMAGE_CREDIT.match(line):
        return R_IMAGE_CREDIT, None
    for pattern, reason in ((_PUBLISHED, R_PUBLISHED), (_UPDATED, R_UPDATED)):
        match = pattern.match(line)
        if match:
            stated = parse_stated_time(match["when"])
            if stated is not None:
                return reason, stated
    match = _BYLINE.match(line) or _BY_NAMES.match(line)
    if match and len(line) <= 120:
        return R_BYLINE, _split_names(match["names"])
    match = _CREDITS.match(line)
    if match and len(line) <= 200:
        return R_CREDITS, _split_names(match["names"])
    return None


def clean(raw: RawArticle) -> Document:
    """Turn a raw file into a document: body text, stated metadata, removed lines.

    raw (RawArticle): The file.
    RETURNS (Document): The document; `rebuild_raw(doc.to_row())` gives `raw.data` back.
    RAISES (InputError): When the file cannot be decoded or has no body text.
    """
    decoded, has_bom = decode(raw)
    lines = [_Line(i, t, nl) for i, (t, nl) in enumerate(split_lines(decoded), start=1)]

    published: StatedTime | None = None
    updated: StatedTime | None = None
    byline: list[str] = []
    credits: list[str] = []
    for line in lines:
        found = _furniture(line.text)
        if found is None:
            continue
        line.reason, value = found
        if line.reason == R_PUBLISHED and published is None:
            published = value
        elif line.reason == R_UPDATED and updated is None:
            updated = value
        elif line.reason == R_BYLINE:
            byline.extend(n for n in value if n not in byline)
        elif line.reason == R_CREDITS:
            credits.extend(n for n in value if n not in credits)

    title, standfirst = _take_header(lines)
    for line in lines:
        if line.reason is None and not line.blank:
            if title is not None and line.text.strip() == title:
                line.reason = R_DUPLICATE_HEADLINE
            elif standfirst is not None and line.text.strip() == standfirst:
                line.reason = R_DUPLICATE_STANDFIRST
    _drop_blank_edges(lines)

    kept = [line for line in lines if line.reason is None]
    if not kept:
        raise InputError(
            Errors.E006.format(path=printable(raw.path)), path=raw.path, rule="has_body"
        )
    text = "".join(line.text + line.newline for line in kept[:-1]) + kept[-1].text
    updates = _update_sections(kept, text)
    if updated is None and updates and updates[-1].timestamp is not None:
        # The last dated update section states the update date (no time is invented).
        updated = StatedTime(local=updates[-1].timestamp, utc=None)
    return Document(
        doc_id=raw.doc_id,
        source_file=raw.source_file,
        source_sha256=raw.sha256,
        text=text,
        title=title,
        standfirst=standfirst,
        published=published,
        updated=updated,
        byline=tuple(byline),
        credits=tuple(credits),
        updates=tuple(updates),
        removed_lines=tuple(
            RemovedLine(line.no, line.text, line.reason, line.newline)
            for line in lines
            if line.reason is not None
        ),
        final_newline=kept[-1].newline,
        has_bom=has_bom,
    )


def _take_header(lines: list[_Line]) -> tuple[str | None, str | None]:
    """Find a leading header block and take its headline and standfirst out of the body.

    The block runs from the top to its last furniture line, as long as at most
    `_MAX_HEADER_PROSE_LINES` prose lines come before that line. Its first prose line is the
    headline, its second the standfirst. An article that opens with body text has no block.
    """
    prose: list[_Line] = []
    header_prose: list[_Line] = []
    for line in lines:
        if line.blank:
            continue
        if line.reason is not None:
            header_prose = list(prose)
            continue
        if len(prose) == _MAX_HEADER_PROSE_LINES:
            break
        prose.append(line)
    title = standfirst = None
    if header_prose and not _looks_like_headline(header_prose[0].text):
        return None, None
    if header_prose:
        header_prose[0].reason = R_HEADLINE
        title = header_prose[0].text.strip()
    if len(header_prose) > 1:
        header_prose[1].reason = R_STANDFIRST
        standfirst = header_prose[1].text.strip()
    return title, standfirst


def _looks_like_headline(line: str) -> bool:
    """Headlines are short and do not end like a sentence; a body paragraph does."""
    stripped = line.strip()
    return len(stripped) <= _MAX_HEADLINE_CHARS and not stripped.endswith((".", "!", "?", ":"))


def _drop_blank_edges(lines: list[_Line]) -> None:
    """Blank lines left at the body's edges, or doubled where furniture was taken out, go too."""
    kept = [line for line in lines if line.reason is None]
    for run in (kept, list(reversed(kept))):
        for line in run:
            if not line.blank:
                break
            line.reason = R_BLANK_EDGE
    previous_blank = False
    for line in lines:
        if line.reason is not None and not line.blank:
            continue  # removed furniture does not separate paragraphs
        if line.reason is None and line.blank:
            if previous_blank and _was_separated_by_removal(lines, line):
                line.reason = R_BLANK_RUN
                continue
            previous_blank = True
        elif line.reason is None:
            previous_blank = False


def _was_separated_by_removal(lines: list[_Line], blank: _Line) -> bool:
    """Only blank runs that removals created are collapsed; the author's own stay."""
    for line in reversed(lines[: blank.no - 1]):
        if line.reason is not None and not line.blank:
            return True
        if not line.blank:
            return False
    return False


def _update_sections(kept: list[_Line], text: str) -> list[UpdateSection]:
    """Find dated update sections ('UPDATE 06/12/2021') and their offsets in `text`."""
    starts: list[tuple[int, str | None, str | None]] = []
    offset = 0
    for index, line in enumerate(kept):
        match = _UPDATE_HEADER.match(line.text)
        if match:
            when = resolve_numeric_date(int(match["a"]), int(match["b"]), int(match["year"]), text)
            heading = next((n.text.strip() for n in kept[index + 1 :] if not n.blank), None)
            starts.append((offset + (len(line.text) - len(line.text.lstrip())), when, heading))
        offset += len(line.text) + len(line.newline)
    sections: list[UpdateSection] = []
    for i, (start, when, heading) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        end = start + len(text[start:end].rstrip())
        sections.append(UpdateSection(timestamp=when, start=start, end=end, heading=heading))
    return sections


# --- the inverse -----------------------------------------------------------------------------
def rebuild_raw(row: Mapping[str, Any]) -> bytes:
    """Rebuild a raw file's exact bytes from its documents-table row.

    row (Mapping[str, Any]): A row of tables.DOCUMENTS (text, removed_lines, final_newline,
        has_bom).
    RETURNS (bytes): The raw file as it was read.
    """
    kept = split_lines(row["text"])
    if kept and kept[-1][1] == "":
        kept[-1] = (kept[-1][0], row["final_newline"])
    elif row["text"] == "" or not kept:
        kept = [("", row["final_newline"])]
    removed = {r["line_no"]: r for r in row["removed_lines"]}
    total = len(kept) + len(removed)
    out: list[str] = [BOM] if row["has_bom"] else []
    body = iter(kept)
    for line_no in range(1, total + 1):
        if line_no in removed:
            out.append(removed[line_no]["text"] + removed[line_no]["newline"])
        else:
            text, newline = next(body)
            out.append(text + newline)
    return "".join(out).encode("utf-8")
