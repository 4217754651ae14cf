"""Synthetic raw articles for benchmarks and scale tests (never published).

Articles are made by recombining the seed articles' body sentences, lines and page furniture
in the three layouts the seeds use: plain lines, a news-site page with a header block and
furniture between paragraphs, and a body followed by dated update sections and a credits line.
Article `i` depends only on (`seed`, `i`), so the first 500 articles of a 2,500-article corpus
are the 500-article corpus, and the same arguments always give the same bytes.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summit_corpus.build import ingest

# Sentence ends: a full stop, ? or ! (optionally inside a closing quote) followed by a capital.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?][\"”’)])|(?<=[.!?]))\s+(?=[\"“‘(]?[A-Z])")
_DATED = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_ZONES = ("IST", "GMT", "UTC", "EST", "EDT", "CET", "MSK", "BST")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Invented reporters and agencies: synthetic articles credit nobody real.
_REPORTERS = ("Asha Verma", "Tomas Keller", "Nadia Orlova", "Sam Whitfield", "Lena Park")
_AGENCIES = ("TASS", "Reuters", "AFP", "Foreign Policy", "Associated Press")
_LAYOUTS = ("plain", "page", "updates")
NAME_FORMAT = "syn_{index:06d}.txt"


@dataclass(frozen=True, slots=True)
class Material:
    """What synthetic articles are made of, taken from the seed articles.

    sentences (tuple[str, ...]): Body sentences.
    headlines (tuple[str, ...]): Short sentences usable as headlines (final stop removed).
    furniture (tuple[str, ...]): Image credit and advertisement lines as the seeds print them.
    subheads (tuple[str, ...]): Short body lines without a full stop (section headings).
    """

    sentences: tuple[str, ...]
    headlines: tuple[str, ...]
    furniture: tuple[str, ...]
    subheads: tuple[str, ...]


def material(seeds_dir: Path) -> Material:
    """Collect sentences, headline candidates and furniture lines from the seed articles.

    seeds_dir (Path): Folder of raw seed articles.
    RETURNS (Material): Sorted, de-duplicated pools (the same seeds give the same pools).
    """
    sentences: set[str] = set()
    furniture: set[str] = set()
    subheads: set[str] = set()
    for raw in ingest.discover(seeds_dir):
        document = ingest.clean(raw)
        for removed in document.removed_lines:
            if removed.reason in (ingest.R_ADVERTISEMENT, ingest.R_IMAGE_CREDIT):
                furniture.add(removed.text)
        for line in document.text.splitlines():
            line = line.strip()
            if not line:
                continue
            if len(line) < 60 and not line.endswith((".", "”", '"')):
                if not _DATED.search(line):  # update headers are made fresh, with new dates
                    subheads.add(line)
                continue
            sentences.update(s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) > 20)
    pool = tuple(sorted(sentences))
    headlines = tuple(
        sorted(s.rstrip(".") for s in pool if len(s) <= 110 and s.endswith(".") and "“" not in s)
    )
    return Material(
        sentences=pool,
        headlines=headlines or tuple(s[:80] for s in pool[:5]),
        furniture=tuple(sorted(furniture)) or ("Advertisement",),
        subheads=tuple(sorted(subheads)),
    )


def article(source: Material, index: int, seed: int = 0) -> bytes:
    """Make one synthetic raw article.

    source (Material): Pools from `material`.
    index (int): The article's number; with `seed` it decides every random choice.
    seed (int): Corpus seed.
    RETURNS (bytes): The raw file (UTF-8, LF line endings).
    """
    rng = random.Random(f"summit-synthetic/{seed}/{index}")
    layout = _LAYOUTS[rng.randrange(len(_LAYOUTS))]
    paragraphs = [_paragraph(source, rng) for _ in range(rng.randint(5, 14))]
    if layout == "plain":
        lines = paragraphs
    elif layout == "page":
        lines = _page(source, rng, paragraphs)
    else:
        lines = _with_updates(source, rng, paragraphs)
    return ("\n".join(lines) + ("\n" if rng.random() < 0.5 else "")).encode("utf-8")


def write_corpus(seeds_dir: Path, out: Path, n: int, seed: int = 0) -> list[Path]:
    """Write `n` synthetic raw articles into `out`, replacing earlier synthetic files there.

    seeds_dir (Path): Folder of raw seed articles to recombine.
    out (Path): Folder to write `syn_000000.txt`, ... into (created if missing).
    n (int): Number of articles.
    seed (int): Corpus seed; the same (seeds, n, seed) give byte-identical files.
    RETURNS (list[Path]): The files written, in order.
    """
    source = material(seeds_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("syn_*.txt"):
        stale.unlink()
    paths: list[Path] = []
    seen: set[str] = set()
    for index in range(n):
        data = article(source, index, seed)
        digest = hashlib.sha256(data).hexdigest()
        attempt = 0
        # Two identical files would be rejected by the build; redraw deterministically.
        while digest in seen:
            attempt += 1
            data = article(source, index + attempt * 1_000_003, seed)
            digest = hashlib.sha256(data).hexdigest()
        seen.add(digest)
        path = out / NAME_FORMAT.format(index=index)
        path.write_bytes(data)
        paths.append(path)
    return paths


def _paragraph(source: Material, rng: random.Random) -> str:
    return " ".join(rng.choice(source.sentences) for _ in range(rng.randint(1, 3)))


def _stated_time(rng: random.Random) -> str:
    day = rng.randint(1, 28)
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return (
        f"{_MONTHS[rng.randrange(12)]} {day}{suffix}, {rng.choice((2021, 2022))} at "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} {rng.choice(_ZONES)}"
    )


def _page(source: Material, rng: random.Random, paragraphs: Sequence[str]) -> list[str]:
    """A news-site page: dated header block, headline, standfirst, byline, furniture."""
    when = _stated_time(rng)
    lines = [f"Updated {when}", "", rng.choice(source.headlines), "", paragraphs[0], ""]
    lines += [f"Reported by: {rng.choice(_REPORTERS)}"]
    lines += [rng.choice(source.furniture), "Advertisement", ""]
    for number, paragraph in enumerate(paragraphs):
        lines += [paragraph, ""]
        if source.subheads and rng.random() < 0.1:
            lines += [rng.choice(source.subheads), ""]
        if number % 4 == 3:
            lines += [rng.choice(source.furniture), ""]
    lines += [f"Published {when}"]
    return lines


def _with_updates(source: Material, rng: random.Random, paragraphs: Sequence[str]) -> list[str]:
    """A body followed by dated update sections and a credits line."""
    lines = list(paragraphs)
    year, month = rng.choice((2021, 2022)), rng.randint(1, 12)
    for day in sorted(rng.sample(range(13, 29), rng.randint(1, 3))):
        lines.append(f"UPDATE {day:02d}/{month:02d}/{year}")
        lines.append(rng.choice(source.headlines))
        lines += [_paragraph(source, rng) for _ in range(rng.randint(1, 3))]
    agencies = rng.sample(_AGENCIES, rng.randint(1, 2))
    lines.append(f"With reporting by {', '.join(agencies)}")
    return lines
