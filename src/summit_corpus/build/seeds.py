"""Seeds: which files under --seeds are articles, by explicit rules with reason codes.

The folder is walked in sorted order, and every entry is either read as an article, listed as
skipped with a reason, or reported as an error that fails the build:

- `hidden` (skipped): a file or folder whose name starts with ".".
- `not_txt` (skipped): only `*.txt` files are articles.
- `not_regular` (skipped): a FIFO, socket or device (reading one could block or never end).
- `link_dangling`, `link_loop`, `link_outside` (skipped): a symbolic link is followed only when
  it resolves to a file or folder inside --seeds (a folder not already on the way there).
- `readable` (error): a folder that cannot be listed, a file that cannot be read.
- `file_name_utf8` (error): a file name that is not UTF-8 cannot become a doc_id.
- `doc_id_pattern` (error): the doc_id (the path without `.txt`) must match
  `tables.DOC_ID.pattern`, checked here so that the file is named once, not in every table.

`find_duplicates` then compares the articles with one another:

- `unique_doc_id` (error): a second file with another file's doc_id.
- `unique_content` (notice): a second file with another's bytes (a byte order mark aside) is
  built as given, and the build says so.

Paths shown to the user go through `errors.printable` (no raw control characters).
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summit_corpus.build.ingest import ArticleSource, RawArticle, doc_id_of
from summit_corpus.core.errors import Errors, InputError, printable
from summit_corpus.core.tables import DOC_ID

ARTICLE_SUFFIX = ".txt"
R_HIDDEN = "hidden"
R_NOT_TXT = "not_txt"
R_NOT_REGULAR = "not_regular"
R_LINK_DANGLING = "link_dangling"
R_LINK_LOOP = "link_loop"
R_LINK_OUTSIDE = "link_outside"
_DETAILS = {
    R_HIDDEN: "hidden names are not read",
    R_NOT_TXT: "only *.txt files are articles",
    R_NOT_REGULAR: "not a regular file",
    R_LINK_DANGLING: "the link's target does not exist",
    R_LINK_LOOP: "the link leads back into a folder already on its path",
    R_LINK_OUTSIDE: "the link points outside the seeds folder",
}
_DOC_ID = re.compile(DOC_ID.pattern or ".+")


@dataclass(frozen=True, slots=True)
class ArticleFile:
    """An article file as a build holds it until its turn comes: where it is and the hashes
    of the bytes read when the folder was listed, not the bytes. A build of 20,000 articles
    would otherwise hold 110 MiB of raw bytes through the whole per-article stage; `read`
    reads them again when the article's batch is sent, and checks that they are the same.

    path (Path): Where it is (used in error messages only, never stored).
    source_file (str): POSIX path relative to the seeds folder.
    sha256 (str): SHA-256 of its bytes.
    content_sha256 (str): SHA-256 of its bytes after a byte order mark (`find_duplicates`).
    """

    path: Path
    source_file: str
    sha256: str
    content_sha256: str

    @property
    def doc_id(self) -> str:
        """RETURNS (str): Stable id: the relative path without its extension."""
        return doc_id_of(self.source_file)

    def read(self) -> RawArticle:
        """RETURNS (RawArticle): The file with its bytes, the ones the folder was listed with.
        RAISES (InputError): It cannot be read any more, or its bytes changed since (its rows
            would not be the ones its cache key and provenance name)."""
        try:
            data = self.path.read_bytes()
        except OSError as error:
            raise _unreadable(self.path, "file", error) from error
        raw = RawArticle(path=self.path, source_file=self.source_file, data=data)
        if raw.sha256 != self.sha256:
            raise InputError(
                Errors.E014.format(path=printable(self.path)), path=self.path, rule="unchanged"
            )
        return raw


@dataclass(frozen=True, slots=True)
class Skipped:
    """A seeds entry that is not an article.

    source_file (str): Its POSIX path relative to the seeds folder.
    reason (str): One of the R_* codes.
    """

    source_file: str
    reason: str

    def __str__(self) -> str:
        return f"ignored {printable(self.source_file)}: {self.reason} ({_DETAILS[self.reason]})"


@dataclass(slots=True)
class Seeds:
    """What a seeds folder holds.

    articles (list[ArticleFile]): The article files, sorted by path.
    skipped (list[Skipped]): Entries that are not articles, with their reasons.
    problems (list[InputError]): Entries that fail the build (unreadable, bad names).
    """

    articles: list[ArticleFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)


def read_seeds(seeds_dir: Path) -> Seeds:
    """Walk `seeds_dir` and sort every entry into articles, skipped entries and problems.

    seeds_dir (Path): Folder of raw files.
    RETURNS (Seeds): The articles (sorted by relative path), skipped entries and problems.
    RAISES (InputError): The folder does not exist, or holds no article and no problem.
    """
    if not seeds_dir.is_dir():
        raise InputError(
            Errors.E007.format(path=printable(seeds_dir)), path=seeds_dir, rule="seeds_dir"
        )
    found = Seeds()
    root = seeds_dir.resolve()
    _walk(seeds_dir, "", root, {root}, found)
    found.articles.sort(key=lambda raw: raw.source_file)
    if not found.articles and not found.problems:
        raise InputError(
            Errors.E008.format(path=printable(seeds_dir)), path=seeds_dir, rule="seeds_dir"
        )
    return found


def _walk(folder: Path, prefix: str, root: Path, on_path: set[Path], found: Seeds) -> None:
    """Sort the entries of one folder (recursively); `on_path` holds its resolved ancestors."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as error:
        found.problems.append(_unreadable(folder, "folder", error))
        return
    for entry in entries:
        relative = f"{prefix}{entry.name}"
        path = Path(entry.path)
        if entry.name.startswith("."):
            found.skipped.append(Skipped(relative, R_HIDDEN))
        elif entry.is_symlink():
            _follow(path, relative, root, on_path, found)
        elif entry.is_dir(follow_symlinks=False):
            real = path.resolve()
            _walk(path, f"{relative}/", root, on_path | {real}, found)
        elif entry.is_file(follow_symlinks=False):
            _read(path, relative, found)
        else:
            found.skipped.append(Skipped(relative, R_NOT_REGULAR))


def _follow(link: Path, relative: str, root: Path, on_path: set[Path], found: Seeds) -> None:
    """A symbolic link: followed only to a file or a new folder inside the seeds folder."""
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        found.skipped.append(Skipped(relative, R_LINK_DANGLING))
        return
    except (RuntimeError, OSError) as error:  # Python 3.11 raises RuntimeError for a loop
        looping = isinstance(error, RuntimeError) or error.errno == errno.ELOOP
        found.skipped.append(Skipped(relative, R_LINK_LOOP if looping else R_LINK_DANGLING))
        return
    if not target.is_relative_to(root):
        found.skipped.append(Skipped(relative, R_LINK_OUTSIDE))
    elif target.is_dir():
        if target in on_path:
            found.skipped.append(Skipped(relative, R_LINK_LOOP))
        else:
            _walk(link, f"{relative}/", root, on_path | {target}, found)
    elif target.is_file():
        _read(link, relative, found)
    else:
        found.skipped.append(Skipped(relative, R_NOT_REGULAR))


def _read(path: Path, relative: str, found: Seeds) -> None:
    """One file: skipped unless `*.txt`; its name checked; its bytes read."""
    if not relative.endswith(ARTICLE_SUFFIX):
        found.skipped.append(Skipped(relative, R_NOT_TXT))
        return
    shown = printable(path)
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        found.problems.append(
            InputError(Errors.E012.format(path=shown), path=path, rule="file_name_utf8")
        )
        return
    doc_id = relative.removesuffix(ARTICLE_SUFFIX)
    if not _DOC_ID.fullmatch(doc_id):
        found.problems.append(
            InputError(
                Errors.E013.format(path=shown, doc_id=printable(repr(doc_id))),
                path=path,
                rule="doc_id_pattern",
            )
        )
        return
    try:
        data = path.read_bytes()
    except OSError as error:
        found.problems.append(_unreadable(path, "file", error))
        return
    raw = RawArticle(path=path, source_file=relative, data=data)
    found.articles.append(ArticleFile(path, relative, raw.sha256, raw.content_sha256))


def _unreadable(path: Path, what: str, error: OSError) -> InputError:
    detail = error.strerror or str(error)
    return InputError(
        Errors.E011.format(path=printable(path), what=what, error=detail),
        path=path,
        rule="readable",
    )


def find_duplicates(raws: Sequence[ArticleSource]) -> tuple[list[InputError], list[str]]:
    """Name every raw file whose doc_id or content another file already has.

    A second file with another file's doc_id cannot become a document (its rows would be the
    other's), so it is refused. A second file with another's bytes is built as given: real
    collections hold the same article twice (a story published on two days), and the split
    step links the two as near-duplicates, so they share a split; the build says so.

    raws (Sequence[ArticleSource]): The raw files, in build order.
    RETURNS (tuple[list[InputError], list[str]]): One error per later file of a doc_id pair,
        and one notice per later file of a same-content pair.
    """
    problems: list[InputError] = []
    notices: list[str] = []
    seen_content: dict[str, ArticleSource] = {}
    seen_ids: dict[str, ArticleSource] = {}
    for raw in raws:
        if raw.doc_id in seen_ids:
            other = seen_ids[raw.doc_id].path
            problems.append(
                InputError(
                    Errors.E005.format(
                        path=printable(raw.path), doc_id=raw.doc_id, other=printable(other)
                    ),
                    path=raw.path,
                    rule="unique_doc_id",
                )
            )
            continue
        seen_ids[raw.doc_id] = raw
        content = raw.content_sha256
        if content in seen_content:
            other = seen_content[content].path
            notices.append(
                Errors.W002.format(path=printable(raw.path), other=printable(other), sha256=content)
            )
            continue
        seen_content[content] = raw
    return problems, notices
