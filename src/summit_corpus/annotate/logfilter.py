"""The studio's log, with every e-mail address replaced: Label Studio writes the user's e-mail
into its log (error messages such as 'There are no tasks for <e-mail>'), and annotator e-mails
must stay out of every file the toolkit writes.

`corpus studio start` runs Label Studio with its output piped through this module, run as its
own small process (`python -m summit_corpus.annotate.logfilter LOG`): each line is appended to
LOG with addresses replaced by `<e-mail>`, and the filter ends when Label Studio does.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

EMAIL = re.compile(rb"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
REPLACEMENT = b"<e-mail>"


def redact(line: bytes) -> bytes:
    """RETURNS (bytes): `line` with every e-mail address replaced by `<e-mail>`."""
    return EMAIL.sub(REPLACEMENT, line)


def main(log: Path) -> None:
    """Copy standard input to `log`, line by line, redacted and flushed."""
    with log.open("ab") as out:
        for line in sys.stdin.buffer:
            out.write(redact(line))
            out.flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
