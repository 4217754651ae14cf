"""Encoding: a raw file's bytes become text, or an error that says what the bytes are.

Articles are UTF-8, with or without a byte order mark. Other encodings are named, by their
byte order mark or (for UTF-16 without one) by where the NUL bytes fall. Control characters
other than tab, LF and CR (real web text has stray ESC and the C1 bytes of mis-decoded
cp1252) stay in the text as they are, so that the text is the raw file's character for
character; the build names every file that holds them (`CONTROL`, rule 'control_character').
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from summit_corpus.core.errors import Errors, InputError, printable

if TYPE_CHECKING:
    from summit_corpus.build.ingest import RawArticle

BOM = "\ufeff"
# Byte order marks of encodings that are not UTF-8, longest first (UTF-32 LE starts like
# UTF-16 LE), with the name iconv knows each by.
_FOREIGN_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 BE", "UTF-32BE"),
    (b"\xff\xfe\x00\x00", "UTF-32 LE", "UTF-32LE"),
    (b"\xfe\xff", "UTF-16 BE", "UTF-16BE"),
    (b"\xff\xfe", "UTF-16 LE", "UTF-16LE"),
    (b"\x84\x31\x95\x33", "GB18030", "GB18030"),
    (b"\x2b\x2f\x76", "UTF-7", "UTF-7"),
)
# Control characters the build names (they stay in the text): C0 except tab, LF and CR; DEL;
# C1. NUL never gets this far: it marks a binary file.
CONTROL = "[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]"


def _foreign_encoding(data: bytes) -> tuple[str, str] | None:
    """RETURNS (tuple[str, str] | None): What the bytes look like and iconv's codec name, when
    they start with another encoding's byte order mark or look like UTF-16 without one."""
    for bom, name, codec in _FOREIGN_BOMS:
        if data.startswith(bom):
            return f"the file starts with a {name} byte order mark", codec
    head = data[:256]
    if len(head) >= 8:
        even, odd = head[0::2], head[1::2]
        # ASCII text in UTF-16 has a NUL in (nearly) every other byte, on one side only.
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
            return "the file looks like UTF-16 LE (no byte order mark)", "UTF-16LE"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
            return "the file looks like UTF-16 BE (no byte order mark)", "UTF-16BE"
    return None


def decode(raw: RawArticle) -> tuple[str, bool]:
    """Decode a raw file as UTF-8 text.

    raw (RawArticle): The file.
    RETURNS (tuple[str, bool]): The text without a byte order mark, and whether it had one.
    RAISES (InputError): For an empty file, a binary file, or bytes that are not UTF-8.
    """
    data = raw.data
    shown = printable(raw.path)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError(
            Errors.E001.format(path=shown, size=len(data)), path=raw.path, rule="not_empty"
        )
    foreign = _foreign_encoding(data)
    if foreign is not None:
        raise InputError(
            Errors.E010.format(path=shown, found=foreign[0], codec=foreign[1]),
            path=raw.path,
            rule="encoding",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(
            Errors.E003.format(path=shown, line=line, offset=nul),
            path=raw.path,
            rule="not_binary",
            line=line,
            offset=nul,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            Errors.E002.format(path=shown, line=line, offset=error.start, byte=data[error.start]),
            path=raw.path,
            rule="utf8",
            line=line,
            offset=error.start,
        ) from None
    if text.startswith(BOM):
        return text[1:], True
    return text, False
