"""The files generated from the scheme: the Label Studio labeling config and the annotators'
guidelines (`schemas/labeling_config.xml`, `schemas/GUIDELINES.md`), written by
`corpus scheme generate` and checked by a test, so that neither drifts from the scheme.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from summit_corpus.core import templating
from summit_corpus.core.errors import Errors
from summit_corpus.core.scheme import (
    GUIDELINES_NAME,
    LABEL_HOTKEY,
    LABELING_CONFIG_NAME,
    NO_HOTKEY,
    NOTE_CONTROL,
    SCHEMA_DIR,
    SPAN_CONTROL,
    TEXT_NAME,
    Scheme,
)


def _attrs(**attrs: str) -> str:
    return " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())


def label_hotkey(index: int) -> str:
    """RETURNS (str): The hotkey of the `index`-th span label (from 0): Ctrl+Shift+1 ... 9, 0
    for the first ten, then none that can fire."""
    return LABEL_HOTKEY.format(digit=(index + 1) % 10) if index < 10 else NO_HOTKEY


def labeling_config(scheme: Scheme) -> str:
    """Generate the Label Studio labeling config from the scheme.

    Safe to type in: labels have Ctrl+Shift+digit hotkeys and choices none that can fire
    (see `NO_HOTKEY`). Relations take one label each (`choice="single"`), so the relation's
    drop-down closes on the first click.

    scheme (Scheme): The annotation scheme.
    RETURNS (str): The XML: span `<Labels>` over one `<Text>`, `<Relations>`, one `<Choices>`
        per document label and a free-text note, ending with a newline.
    """
    lines = [
        f"<!-- Generated from schemas/annotation_scheme.yaml (scheme {scheme.name} "
        f"{scheme.version}) by `corpus scheme generate`. Do not edit. -->",
        "<View>",
        f"  <Header {_attrs(value='Spans')}/>",
        f"  <Labels {_attrs(name=SPAN_CONTROL, toName=TEXT_NAME)}>",
    ]
    for index, span in enumerate(scheme.span_labels):
        attrs = _attrs(
            value=span.name,
            background=span.colour,
            hotkey=label_hotkey(index),
            hint=span.description,
        )
        lines.append(f"    <Label {attrs}/>")
    lines += ["  </Labels>", f"  <Text {_attrs(name=TEXT_NAME, value='$' + TEXT_NAME)}/>"]
    if scheme.relation_labels:
        lines.append(f"  <Relations {_attrs(choice='single')}>")
        for rel in scheme.relation_labels:
            lines.append(f"    <Relation {_attrs(value=rel.name, background=rel.colour)}/>")
        lines.append("  </Relations>")
    for doc_label in scheme.document_labels:
        lines.append(f"  <Header {_attrs(value=doc_label.name)}/>")
        lines.append(
            f"  <Choices {_attrs(name=doc_label.name, toName=TEXT_NAME, choice=doc_label.choice)}"
            f" {_attrs(showInline='true')}>"
        )
        for value in doc_label.values:
            attrs = _attrs(value=value.value, hotkey=NO_HOTKEY, hint=value.description)
            lines.append(f"    <Choice {attrs}/>")
        lines.append("  </Choices>")
    lines += [
        f"  <Header {_attrs(value='Note')}/>",
        f"  <TextArea {_attrs(name=NOTE_CONTROL, toName=TEXT_NAME, rows='3', editable='true')}/>",
        "</View>",
    ]
    return "\n".join(lines) + "\n"


def guidelines(scheme: Scheme) -> str:
    """Generate the annotators' guidelines page from the scheme.

    scheme (Scheme): The annotation scheme.
    RETURNS (str): Markdown: conventions, span labels, relations, document labels, and the
        rules of the model layer the annotators correct (`templates/guidelines.md.j2`).
    """
    return templating.render(
        "guidelines.md.j2",
        {
            "scheme": scheme,
            "hotkeys": [
                label_hotkey(i).replace(NO_HOTKEY, "none").title()
                for i in range(len(scheme.span_labels))
            ],
            "mapped": ", ".join(f"{k} -> {v}" for k, v in scheme.spacy.labels.items()),
            "strip_leading": ", ".join(repr(w) for w in scheme.spacy.strip_leading),
            "strip_trailing": ", ".join(repr(w) for w in scheme.spacy.strip_trailing),
        },
    )


def generated_files(scheme: Scheme) -> dict[str, str]:
    """RETURNS (dict[str, str]): File name under `schemas/` -> its generated content."""
    return {LABELING_CONFIG_NAME: labeling_config(scheme), GUIDELINES_NAME: guidelines(scheme)}


def check_generated(scheme: Scheme, folder: Path = SCHEMA_DIR) -> list[str]:
    """List the generated files in `folder` that are missing or out of date.

    scheme (Scheme): The annotation scheme.
    folder (Path): Where the generated files are committed.
    RETURNS (list[str]): One message per stale file (empty when all are current).
    """
    stale = []
    for name, content in generated_files(scheme).items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            stale.append(Errors.E504.format(path=path))
    return stale


def write_generated(scheme: Scheme, folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write the labeling config and the guidelines into `folder`.

    RETURNS (list[Path]): The files written.
    """
    from summit_corpus.core.io import write_text

    written = []
    for name, content in generated_files(scheme).items():
        write_text(folder / name, content)
        written.append(folder / name)
    return written
