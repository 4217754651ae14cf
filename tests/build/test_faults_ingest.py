"""Ingest rules at the edges: every seeds entry is an article, skipped with a reason, or an
error naming it; nothing is dropped or read silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fault_helpers import SEEDS, copy_seeds, corpus_command

from summit_corpus.build import faults, ingest, seeds
from summit_corpus.build.corpus import build_corpus
from summit_corpus.core.errors import BuildError, InputError, printable

ARTICLE = (SEEDS / sorted(os.listdir(SEEDS))[0]).read_bytes()


def reasons(found: seeds.Seeds) -> dict[str, str]:
    return {s.source_file: s.reason for s in found.skipped}


def raw(data: bytes, name: str = "a.txt") -> ingest.RawArticle:
    return ingest.RawArticle(path=Path(name), source_file=name, data=data)


class TestWhichFilesAreArticles:
    def test_only_txt_files_are_articles_the_rest_listed(self, tmp_path: Path) -> None:
        """notes.md and data.json are not published; the summary lists them as ignored."""
        folder = copy_seeds(tmp_path, 1)
        (folder / "notes.md").write_text("# notes\n")
        (folder / "data.json").write_text("{}\n")
        summary = build_corpus(folder, tmp_path / "corpus", annotations=None, progress=False)
        assert summary.rows["documents"] == 1
        assert "ignored notes.md: not_txt (only *.txt files are articles)" in summary.ignored
        assert any(line.startswith("ignored data.json: not_txt") for line in summary.ignored)
        assert "ignored notes.md" in str(summary)

    def test_hidden_entries_are_listed_once(self, tmp_path: Path) -> None:
        """A hidden folder is listed as one skipped entry, its files are not read."""
        (tmp_path / "a.txt").write_bytes(ARTICLE)
        (tmp_path / ".git").mkdir()
        (tmp_path / ".git" / "HEAD.txt").write_text("ref\n")
        found = seeds.read_seeds(tmp_path)
        assert reasons(found) == {".git": "hidden"}
        assert [r.source_file for r in found.articles] == ["a.txt"]

    def test_fifo_is_skipped_not_read(self, tmp_path: Path) -> None:
        """A FIFO named *.txt would block a reader forever: it is skipped as not_regular."""
        (tmp_path / "a.txt").write_bytes(ARTICLE)
        os.mkfifo(tmp_path / "pipe.txt")
        assert reasons(seeds.read_seeds(tmp_path)) == {"pipe.txt": "not_regular"}


class TestDuplicates:
    def test_same_content_is_kept_and_names_both_files(self) -> None:
        """Two files with the same content (a BOM aside) are both articles; a notice names
        the pair."""
        refused, notices = seeds.find_duplicates(
            [raw(b"Same text.", "a.txt"), raw(b"\xef\xbb\xbfSame text.", "b.txt")]
        )
        assert refused == []
        (notice,) = notices
        assert "unique_content" in notice and "a.txt" in notice and "b.txt" in notice

    def test_same_doc_id_is_refused(self) -> None:
        """Two files that would be one doc_id cannot both be documents."""
        refused, _ = seeds.find_duplicates(
            [raw(b"One text.", "a.txt"), raw(b"Another text.", "a.txt")]
        )
        assert [p.rule for p in refused] == ["unique_doc_id"]


class TestLinks:
    def test_links_are_followed_inside_the_seeds_only(self, tmp_path: Path) -> None:
        """Outside, dangling and looping links are skipped and listed; an inside one is read."""
        outside = tmp_path / "secret.txt"
        outside.write_bytes(ARTICLE)
        folder = tmp_path / "seeds"
        (folder / ".drafts").mkdir(parents=True)
        (folder / ".drafts" / "draft.txt").write_bytes(ARTICLE + b"draft\n")
        (folder / "inside.txt").symlink_to(folder / ".drafts" / "draft.txt")
        (folder / "outside.txt").symlink_to(outside)
        (folder / "dangling.txt").symlink_to(folder / "gone.txt")
        (folder / "loop1.txt").symlink_to(folder / "loop2.txt")
        (folder / "loop2.txt").symlink_to(folder / "loop1.txt")
        (folder / "sub").mkdir()
        (folder / "sub" / "up").symlink_to(folder)
        found = seeds.read_seeds(folder)
        assert [r.source_file for r in found.articles] == ["inside.txt"]
        assert reasons(found) == {
            ".drafts": "hidden",
            "dangling.txt": "link_dangling",
            "loop1.txt": "link_loop",
            "loop2.txt": "link_loop",
            "outside.txt": "link_outside",
            "sub/up": "link_loop",
        }


class TestUnreadable:
    @pytest.mark.parametrize("what", ["folder", "file"])
    def test_unreadable_entry_fails_the_build_naming_it(self, tmp_path: Path, what: str) -> None:
        """An unreadable subfolder or file is an error naming it, not a silently missing
        article."""
        os.chmod(tmp_path, 0o755)
        folder = copy_seeds(tmp_path, 1)
        target = folder / "2024"
        target.mkdir()
        (target / "b.txt").write_bytes(ARTICLE + b"more\n")
        if what == "file":
            target = target / "b.txt"
        os.chmod(target, 0)
        try:
            result = corpus_command(
                "build",
                "--seeds",
                folder,
                "--out",
                tmp_path / "corpus",
                "--datasheet",
                tmp_path / "DATASHEET.md",
                unprivileged=True,
            )
        finally:
            os.chmod(target, 0o755)
        assert result.returncode == 1
        assert f"{target}: rule 'readable': cannot read this {what} (Permission denied)" in (
            result.stderr
        )
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "corpus").exists()


class TestFilesChangedDuringTheBuild:
    """The seeds folder is listed with each file's hash, not its bytes; an article's bytes are
    read again when its batch is sent, and must be the ones it was listed with."""

    def test_listing_holds_hashes_not_bytes(self, tmp_path: Path) -> None:
        found = seeds.read_seeds(copy_seeds(tmp_path, 2))
        for article in found.articles:
            assert not hasattr(article, "data")
            assert article.read().sha256 == article.sha256

    def test_an_article_edited_mid_build_fails_it_and_keeps_the_corpus(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Its rows would not be the ones its cache key and provenance name: the build stops
        with one line naming the file, and the corpus built before stays as it was."""
        folder = copy_seeds(tmp_path, 3)
        out = tmp_path / "corpus"

        def build() -> None:
            build_corpus(
                folder, out, annotations=None, progress=False, workers=1, batch_size=1, cache=False
            )

        build()
        before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        last = sorted(folder.iterdir())[-1]
        original = faults.point

        def edit_after_first_batch(name: str) -> None:
            if name == "staging.batch":
                last.write_bytes(last.read_bytes() + b"An edit.\n")
            original(name)

        monkeypatch.setattr(faults, "point", edit_after_first_batch)
        with pytest.raises(InputError) as raised:
            build()
        assert raised.value.rule == "unchanged"
        assert str(raised.value).startswith(f"{printable(last)}: rule 'unchanged'")
        assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before

    def test_an_article_deleted_mid_build_is_named(self, tmp_path: Path) -> None:
        article = seeds.read_seeds(copy_seeds(tmp_path, 1)).articles[0]
        article.path.unlink()
        with pytest.raises(InputError, match="rule 'readable'") as raised:
            article.read()
        assert raised.value.path == article.path


class TestEncodings:
    @pytest.mark.parametrize(
        ("data", "found"),
        [
            ("Hello.\n".encode("utf-16"), "UTF-16 LE byte order mark"),  # Windows Notepad
            ("Hello.\n".encode("utf-16-be"), "looks like UTF-16 BE (no byte order mark)"),
            ("Hello.\n".encode("utf-32"), "UTF-32 LE byte order mark"),  # not UTF-16 LE
            (b"+/v8Hello.\n", "UTF-7 byte order mark"),
        ],
    )
    def test_other_encodings_are_named(self, data: bytes, found: str) -> None:
        """A UTF-16/32 or UTF-7 file is named as such, not called binary."""
        with pytest.raises(InputError) as caught:
            ingest.decode(raw(data))
        assert caught.value.rule == "encoding"
        assert found in str(caught.value)

    @pytest.mark.parametrize(
        ("text", "line", "column", "char"),
        [
            ("Hello\x07 world.\n", 1, 6, "U+0007"),  # BEL
            ("One.\r\nTwo \x1b[31mred.\n", 2, 5, "U+001B"),  # an ESC sequence
            ("Line\x0bbreak.\n", 1, 5, "U+000B"),  # vertical tab
            ("Caf\u0085e.\n", 1, 4, "U+0085"),  # C1 next line
        ],
    )
    def test_control_characters_stay_in_the_text_as_they_are(
        self, text: str, line: int, column: int, char: str
    ) -> None:
        """Control characters other than tab, LF and CR are kept: the text stays the raw
        file's character for character (real web text has stray ESC and C1 bytes), and the
        raw bytes rebuild."""
        document = ingest.clean(raw(text.encode()))
        assert chr(int(char[2:], 16)) in document.text
        assert ingest.rebuild_raw(document.to_row()) == text.encode()

    def test_tabs_and_line_ends_are_fine(self) -> None:
        """Tab, LF, CR and CRLF are text."""
        assert ingest.decode(raw(b"a\tb\r\nc\rd\n"))[0] == "a\tb\r\nc\rd\n"


class TestControlCharactersInABuild:
    def test_the_build_names_each_file_that_holds_them(self, tmp_path: Path) -> None:
        """An article with control characters builds, and the summary names it and counts them
        (rule 'control_character')."""
        seeds_dir = copy_seeds(tmp_path, 1)
        article = next(seeds_dir.iterdir())
        article.write_bytes(article.read_bytes().replace(b" the ", b" the\x1b\xc2\x83 ", 1))
        summary = build_corpus(seeds_dir, tmp_path / "out", annotations=None, progress=False)
        (line,) = summary.control_chars
        assert article.name in line and "2 control character(s)" in line
        assert "rule 'control_character'" in str(summary)


class TestDocIds:
    @pytest.mark.parametrize(
        "name",
        [
            b"with space.txt",  # a space is not allowed in a doc_id
            "caf\u00e9.txt".encode(),  # non-ASCII
            b"bad\xff.txt",  # not UTF-8 at all
            b"esc\x1b[2J.txt",  # an ESC sequence that would clear the terminal
        ],
    )
    def test_bad_file_name_fails_at_ingest_naming_the_file(
        self, tmp_path: Path, name: bytes
    ) -> None:
        """A file name that cannot be a doc_id is one error naming the file, printably."""
        folder = copy_seeds(tmp_path, 1)
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(ARTICLE + b"x\n")
        with pytest.raises(BuildError) as caught:
            build_corpus(folder, tmp_path / "corpus", annotations=None, progress=False)
        (line,) = caught.value.problems
        assert "doc_id_pattern" in line or "file_name_utf8" in line
        assert printable(os.fsdecode(name)) in line
        assert line.isprintable()

    def test_escape_sequences_are_not_printed_raw(self, tmp_path: Path) -> None:
        """The CLI prints a file name with an ESC sequence escaped (no raw ESC byte)."""
        folder = copy_seeds(tmp_path, 1)
        (folder / "evil\x1b]0;pwned\x07.md").write_text("x")
        (folder / "bad\x1b[2J.txt").write_bytes(ARTICLE + b"x\n")
        result = corpus_command(
            "build",
            "--seeds",
            folder,
            "--out",
            tmp_path / "corpus",
            "--datasheet",
            tmp_path / "DATASHEET.md",
        )
        assert result.returncode == 1
        assert "\x1b" not in result.stderr + result.stdout
        assert "bad\\x1b[2J.txt" in result.stderr
