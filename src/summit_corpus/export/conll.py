"""CoNLL-2003 text export: one file per split, IOB2 entity tags.

The CoNLL-2003 shape: each document opens with the line `-DOCSTART- -X- -X- O` and a blank
line; each token is one line of four space-separated columns (token, Penn Treebank tag, chunk
tag, entity tag); a blank line ends each sentence. The corpus has no chunk tags, so the third
column is `_`. Entity tags are IOB2 (every entity starts with `B-`) over the scheme's entity
labels, the same spans the `ner` config tags (QUOTE is not an entity).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from summit_corpus.core import io
from summit_corpus.core.errors import Errors, ExportError
from summit_corpus.export.documents import ExportDocument

DOCSTART = "-DOCSTART- -X- -X- O"
NO_CHUNK = "_"


@dataclass(frozen=True, slots=True)
class ConllSentence:
    """One sentence read back: its tokens and their entity tags."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]


def bio_tags(document: ExportDocument) -> list[str]:
    """RETURNS (list[str]): The IOB2 tag of each token ('O', 'B-PERSON', 'I-PERSON', ...)."""
    tags = ["O"] * len(document.tokens)
    for span, lo, hi in document.tagged_entities():
        tags[lo] = f"B-{span.label}"
        for i in range(lo + 1, hi):
            tags[i] = f"I-{span.label}"
    return tags


def document_lines(document: ExportDocument) -> Iterator[str]:
    """YIELDS (str): The lines of one document, `-DOCSTART-` first, without newlines."""
    yield DOCSTART
    yield ""
    tags = bio_tags(document)
    for sentence in document.sentences():
        for i in sentence:
            token = document.tokens[i]
            if not token.text or any(c.isspace() for c in token.text):
                raise ExportError(
                    Errors.E906.format(
                        path=document.id,
                        line=i,
                        rule="conll_token",
                        detail=f"token {token.text!r} is empty or holds whitespace, which a "
                        "CoNLL column cannot",
                    ),
                    rule="conll_token",
                )
            yield f"{token.text} {token.tag or NO_CHUNK} {NO_CHUNK} {tags[i]}"
        yield ""


def write_conll(path: Path, documents: Iterable[ExportDocument]) -> int:
    """Write documents as one CoNLL-2003 file.

    path (Path): The file to write (UTF-8, '\\n' line ends).
    documents (Iterable[ExportDocument]): The documents, in order.
    RETURNS (int): Documents written.
    """
    lines: list[str] = []
    count = 0
    for document in documents:
        lines.extend(document_lines(document))
        count += 1
    io.write_text(path, "".join(f"{line}\n" for line in lines))
    return count


def read_conll(path: Path) -> list[list[ConllSentence]]:
    """Read a CoNLL-2003 file back.

    path (Path): The file.
    RETURNS (list[list[ConllSentence]]): Per document, its sentences.
    """
    documents: list[list[ConllSentence]] = []
    tokens: list[str] = []
    tags: list[str] = []

    def close_sentence() -> None:
        if tokens:
            documents[-1].append(ConllSentence(tuple(tokens), tuple(tags)))
            tokens.clear()
            tags.clear()

    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.startswith("-DOCSTART-"):
            close_sentence()
            documents.append([])
        elif not line.strip():
            if documents:
                close_sentence()
        else:
            columns = line.split(" ")
            if len(columns) != 4 or not documents:
                raise ExportError(
                    Errors.E906.format(
                        path=path,
                        line=number,
                        rule="conll_line",
                        detail=f"expected 4 columns after a -DOCSTART- line (got {line!r})",
                    ),
                    rule="conll_line",
                    path=path,
                )
            tokens.append(columns[0])
            tags.append(columns[3])
    if documents:
        close_sentence()
    return documents


def entities_of_tags(tags: Iterable[str]) -> list[tuple[int, int, str]]:
    """Decode strict IOB2 tags into entities.

    tags (Iterable[str]): One sentence's tags.
    RETURNS (list[tuple[int, int, str]]): (first token, end token, label) of each entity.
    """
    out: list[tuple[int, int, str]] = []
    current: list[int | str] | None = None
    for i, tag in enumerate(tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current is not None and current[2] == label:
            current[1] = i + 1
            continue
        if current is not None:
            out.append((int(current[0]), int(current[1]), str(current[2])))
            current = None
        if prefix == "B":
            current = [i, i + 1, label]
        elif prefix == "I" or tag != "O":
            raise ValueError(f"tag {i} {tag!r} is not valid IOB2 here")
    if current is not None:
        out.append((int(current[0]), int(current[1]), str(current[2])))
    return out
