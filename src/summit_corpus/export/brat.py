"""BRAT standoff export: a `.txt` and an `.ann` file per document, and the BRAT config.

`<split>/<id>.txt` holds the document text byte for byte (UTF-8, line ends as in the corpus),
`<split>/<id>.ann` its annotations as BRAT standoff lines, offsets counting characters:

- `T` lines, one per span: `T3<TAB>PERSON 75 80<TAB>Biden`. A span that crosses a line break
  is written as fragments split at the break (`0 10;11 20`), as BRAT requires.
- `R` lines, one per relation: `R1<TAB>speaker Arg1:T7 Arg2:T3`.
- `A` lines, the document labels, on a `Document` text-bound annotation that covers the
  text: the single-choice set `summit_status` as a multi-valued attribute
  (`A1<TAB>summit_status T9 being_prepared`), each value of the multiple-choice `topics` as
  a binary attribute (`A2<TAB>topics_sanctions T9`). BRAT values cannot hold spaces; they
  are written with `_` and mapped back through the scheme.

`annotation.conf` and `visual.conf` at the top declare the scheme's labels, relation
argument types and attributes, so a BRAT server opens the folder as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from summit_corpus.core import io
from summit_corpus.core.errors import Errors, ExportError
from summit_corpus.core.scheme import Scheme
from summit_corpus.export.documents import (
    Annotations,
    DocumentLabel,
    ExportDocument,
    Relation,
    Span,
    annotations_of,
)

DOCUMENT = "Document"
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]+")


def _token(value: str) -> str:
    return value.replace(" ", "_")


def attribute_names(scheme: Scheme) -> dict[str, tuple[str, str | None]]:
    """RETURNS (dict): BRAT attribute name -> (label set, value; None for a multi-valued one)."""
    out: dict[str, tuple[str, str | None]] = {}
    for label in scheme.document_labels:
        if label.choice == "single":
            out[label.name] = (label.name, None)
        else:
            for value in label.value_names:
                out[f"{label.name}_{_token(value)}"] = (label.name, value)
    return out


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """RETURNS (list[tuple[int, int]]): The pieces of text[start:end] between line breaks."""
    pieces: list[tuple[int, int]] = []
    position = start
    for match in _LINE_BREAK.finditer(text, start, end):
        if match.start() > position:
            pieces.append((position, match.start()))
        position = match.end()
    if end > position:
        pieces.append((position, end))
    return pieces or [(start, end)]


def _text_bound(ident: str, label: str, text: str, start: int, end: int) -> str:
    pieces = fragments(text, start, end)
    where = ";".join(f"{a} {b}" for a, b in pieces)
    surface = " ".join(text[a:b] for a, b in pieces)
    return f"{ident}\t{label} {where}\t{surface}"


def ann_lines(document: ExportDocument, scheme: Scheme) -> Iterator[str]:
    """YIELDS (str): The `.ann` lines of one document (T, then R, then the Document and A)."""
    ids: dict[str, str] = {}
    for number, span in enumerate(document.spans, start=1):
        ids[span.span_id] = f"T{number}"
        yield _text_bound(ids[span.span_id], span.label, document.text, span.start, span.end)
    for number, relation in enumerate(document.relations, start=1):
        yield f"R{number}\t{relation.label} Arg1:{ids[relation.head]} Arg2:{ids[relation.tail]}"
    if not document.labels:
        return
    target = f"T{len(document.spans) + 1}"
    yield _text_bound(target, DOCUMENT, document.text, 0, len(document.text))
    single = {d.name for d in scheme.document_labels if d.choice == "single"}
    for number, label in enumerate(document.labels, start=1):
        if label.name in single:
            yield f"A{number}\t{label.name} {target} {_token(label.value)}"
        else:
            yield f"A{number}\t{label.name}_{_token(label.value)} {target}"


def annotation_conf(scheme: Scheme) -> str:
    """RETURNS (str): BRAT's annotation.conf for the scheme."""
    lines = ["[entities]", *(label.name for label in scheme.span_labels), DOCUMENT, ""]
    lines.append("[relations]")
    for relation in scheme.relation_labels:
        lines.append(
            f"{relation.name}\tArg1:{'|'.join(relation.head)}, Arg2:{'|'.join(relation.tail)}"
        )
    lines.append("<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>")
    lines += ["", "[events]", "", "[attributes]"]
    for name, (_, value) in attribute_names(scheme).items():
        if value is None:
            values = scheme.document_label(name).value_names
            lines.append(f"{name}\tArg:{DOCUMENT}, Value:{'|'.join(_token(v) for v in values)}")
        else:
            lines.append(f"{name}\tArg:{DOCUMENT}")
    return "\n".join(lines) + "\n"


def visual_conf(scheme: Scheme) -> str:
    """RETURNS (str): BRAT's visual.conf: the scheme's colours."""
    lines = ["[labels]", "", "[drawing]"]
    lines += [f"{label.name}\tbgColor:{label.colour}" for label in scheme.span_labels]
    lines += [f"{label.name}\tcolor:{label.colour}" for label in scheme.relation_labels]
    return "\n".join(lines) + "\n"


def document_paths(folder: Path, document: ExportDocument) -> tuple[Path, Path]:
    """RETURNS (tuple[Path, Path]): The `.txt` and `.ann` file of a document."""
    base = folder / document.split / document.id
    return base.with_name(base.name + ".txt"), base.with_name(base.name + ".ann")


def write_brat(folder: Path, documents: Iterable[ExportDocument], scheme: Scheme) -> int:
    """Write one `.txt`/`.ann` pair per document and the BRAT config files.

    folder (Path): The export folder.
    documents (Iterable[ExportDocument]): The documents.
    scheme (Scheme): The annotation scheme (labels, relation types, document labels).
    RETURNS (int): Documents written.
    """
    count = 0
    for document in documents:
        txt, ann = document_paths(folder, document)
        io.write_atomic(txt, document.text.encode("utf-8"))
        io.write_text(ann, "".join(f"{line}\n" for line in ann_lines(document, scheme)))
        count += 1
    io.write_text(folder / "annotation.conf", annotation_conf(scheme))
    io.write_text(folder / "visual.conf", visual_conf(scheme))
    return count


@dataclass(frozen=True, slots=True)
class BratDocument:
    """One `.txt`/`.ann` pair read back (span ids are the T ids)."""

    text: str
    spans: tuple[Span, ...]
    relations: tuple[Relation, ...]
    labels: tuple[DocumentLabel, ...]

    def annotations(self) -> Annotations:
        return annotations_of(self.spans, self.relations, self.labels)


def _fail(path: Path, line: int, detail: str) -> ExportError:
    message = Errors.E906.format(path=path, line=line, rule="brat_standoff", detail=detail)
    return ExportError(message, rule="brat_standoff", path=path)


def _read_text_bound(path: Path, number: int, line: str, text: str) -> tuple[Span, bool]:
    ident, head, surface = (line.split("\t") + ["", ""])[:3]
    label, _, where = head.partition(" ")
    pieces = [tuple(int(x) for x in part.split(" ")) for part in where.split(";")]
    if any(len(p) != 2 or not 0 <= p[0] <= p[1] <= len(text) for p in pieces):
        raise _fail(path, number, f"offsets {where!r} are not inside the text")
    if " ".join(text[a:b] for a, b in pieces) != surface:
        raise _fail(path, number, f"{ident}'s text {surface!r} is not the text at {where}")
    start, end = pieces[0][0], pieces[-1][1]
    return Span(ident, start, end, label, text[start:end]), label == DOCUMENT


def read_brat(txt: Path, ann: Path, scheme: Scheme) -> BratDocument:
    """Read a `.txt`/`.ann` pair back.

    txt (Path): The text file (read without newline translation).
    ann (Path): Its standoff annotations.
    scheme (Scheme): The annotation scheme (maps attribute names back to labels).
    RETURNS (BratDocument): The text, spans (QUOTE included), relations and document labels.
    """
    text = txt.read_bytes().decode("utf-8")
    names = attribute_names(scheme)
    values = {label.name: label.value_names for label in scheme.document_labels}
    spans: list[Span] = []
    relations: list[Relation] = []
    labels: list[DocumentLabel] = []
    for number, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        kind = line[0]
        if kind == "T":
            span, is_document = _read_text_bound(ann, number, line, text)
            if not is_document:
                spans.append(span)
        elif kind == "R":
            ident, body = line.split("\t", 1)
            label, arg1, arg2 = body.split(" ")
            relations.append(Relation(ident, arg1.split(":", 1)[1], arg2.split(":", 1)[1], label))
        elif kind == "A":
            _, body = line.split("\t", 1)
            name, _target, *value = body.split(" ")
            if name not in names:
                raise _fail(ann, number, f"attribute {name!r} is not in the scheme")
            label_set, fixed = names[name]
            if fixed is None:
                by_token = {_token(v): v for v in values[label_set]}
                fixed = by_token.get(value[0] if value else "", (value or [""])[0])
            labels.append(DocumentLabel(label_set, fixed))
        else:
            raise _fail(ann, number, f"line kind {kind!r} is not T, R, A or #")
    return BratDocument(
        text,
        tuple(spans),
        tuple(relations),
        tuple(sorted(set(labels), key=lambda d: (d.name, d.value))),
    )
