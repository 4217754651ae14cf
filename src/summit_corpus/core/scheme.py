"""The annotation scheme: one YAML file, checked by a pydantic model.

`schemas/annotation_scheme.yaml` is the only place labels are defined. From it this module
derives the vocabularies the validator checks (`Scheme.vocabularies`) and the rules of the
model layer; `core/generated.py` derives the Label Studio labeling config and the annotators'
guidelines from it, the two files committed beside the scheme.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from summit_corpus.core import io
from summit_corpus.core.errors import Errors, SchemeError
from summit_corpus.core.layout import schemas_dir

# Resolved once per process: ./schemas of the project, the checkout's, or the installed copy.
SCHEMA_DIR = schemas_dir()
SCHEME_PATH = SCHEMA_DIR / "annotation_scheme.yaml"
LABELING_CONFIG_NAME = "labeling_config.xml"
GUIDELINES_NAME = "GUIDELINES.md"

# Names of the Label Studio controls; the Label Studio round trip (annotate/) keys on them.
TEXT_NAME = "text"
SPAN_CONTROL = "label"
NOTE_CONTROL = "note"

# --- readability and hotkeys in Label Studio 1.23 (measured in its light theme) -------------
# Colours Label Studio 1.23.2 paints next to a scheme colour, read with getComputedStyle from
# the running frontend (tests/annotate/test_browser_loop.py checks they still hold):
LS_WHITE = "#ffffff"  # text of a selected label button, on the label's colour
LS_PAGE = "#fdfdfc"  # page background: a label's name in the region list is in its colour
LS_TEXT = "#262522"  # document text, on a region's colour at 30 % opacity over the page
LS_OPTION_TEXT = "#45433e"  # relation label in the relation's drop-down, on its colour
LS_REGION_ALPHA = 0.3
WCAG_AA = 4.5  # minimum contrast ratio of normal-size text (WCAG 2.x, level AA)
# Label Studio gives every label and choice without a `hotkey` a single key ("1", "q", ...),
# which fires whenever the focus is outside a text box: a note typed after a click beside the
# Note box relabels the selected span or flips document labels. So every label gets
# Ctrl+Shift+digit (no keyboard layout types text with Ctrl+Shift), and every choice gets a
# key no keyboard sends: Label Studio's keymaster binds a key name by its first character's
# code, and the em dash (U+2014) is no key code, so it never fires and its hint reads "[—]".
LABEL_HOTKEY = "ctrl+shift+{digit}"
NO_HOTKEY = "\u2014"

_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_COLOUR = r"#[0-9a-fA-F]{6}"
_SEMVER = r"\d+\.\d+\.\d+"


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def rgb(colour: str) -> tuple[int, int, int]:
    """RETURNS (tuple[int, int, int]): The red, green and blue of a `#rrggbb` colour."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def luminance(colour: tuple[int, int, int]) -> float:
    """RETURNS (float): WCAG 2.x relative luminance of an sRGB colour."""
    r, g, b = (_linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str | tuple[int, int, int], b: str | tuple[int, int, int]) -> float:
    """RETURNS (float): WCAG 2.x contrast ratio of two colours (1 to 21)."""
    la, lb = (luminance(rgb(c) if isinstance(c, str) else c) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def over(colour: str, alpha: float, background: str) -> tuple[int, int, int]:
    """RETURNS (tuple[int, int, int]): `colour` at opacity `alpha` painted over `background`."""
    return tuple(  # type: ignore[return-value]
        round(alpha * c + (1 - alpha) * g)
        for c, g in zip(rgb(colour), rgb(background), strict=True)
    )


def span_colour_contrasts(colour: str) -> dict[str, float]:
    """RETURNS (dict[str, float]): Contrast of the text Label Studio 1.23 draws with a span
    label colour: white on it, it on the page, document text on its region highlight."""
    return {
        "selected label text": contrast(LS_WHITE, colour),
        "label name in the region list": contrast(colour, LS_PAGE),
        "document text on the highlight": contrast(LS_TEXT, over(colour, LS_REGION_ALPHA, LS_PAGE)),
    }


def relation_colour_contrasts(colour: str) -> dict[str, float]:
    """RETURNS (dict[str, float]): Contrast of a relation label's option text on its colour."""
    return {"relation option text": contrast(LS_OPTION_TEXT, colour)}


def _readable(kind: str, name: str, contrasts: dict[str, float]) -> None:
    for where, ratio in contrasts.items():
        if ratio < WCAG_AA:
            raise ValueError(
                f"{kind} {name!r}: {where} has contrast {ratio:.2f}:1, below WCAG AA "
                f"{WCAG_AA}:1 in Label Studio; pick a "
                f"{'darker' if kind == 'span label' else 'lighter'} colour"
            )


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SpanLabel(_Frozen):
    """A label for a character span."""

    name: str = Field(pattern=r"^[A-Z][A-Z_]*$")
    colour: str = Field(pattern=rf"^{_COLOUR}$")
    description: str = Field(min_length=1)
    examples: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _readable_colour(self) -> SpanLabel:
        _readable("span label", self.name, span_colour_contrasts(self.colour))
        return self


class RelationLabel(_Frozen):
    """A directed relation label with the span labels allowed at each end."""

    name: str = Field(pattern=rf"^{_NAME}$")
    colour: str = Field(pattern=rf"^{_COLOUR}$")
    description: str = Field(min_length=1)
    head: tuple[str, ...] = Field(min_length=1)
    tail: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _readable_colour(self) -> RelationLabel:
        _readable("relation label", self.name, relation_colour_contrasts(self.colour))
        return self


class ChoiceValue(_Frozen):
    """One value of a document label."""

    value: str = Field(min_length=1)
    description: str = Field(min_length=1)

    @property
    def name(self) -> str:
        """RETURNS (str): The value (the name the validator reads)."""
        return self.value


class DocumentLabel(_Frozen):
    """A document-level label set: single or multiple choice."""

    name: str = Field(pattern=rf"^{_NAME}$")
    choice: Literal["single", "multiple"]
    description: str = Field(min_length=1)
    values: tuple[ChoiceValue, ...] = Field(min_length=1)

    @property
    def value_names(self) -> tuple[str, ...]:
        return tuple(v.value for v in self.values)


class SpacyMapping(_Frozen):
    """How spaCy's NER labels become scheme labels."""

    model: str
    labels: dict[str, str]
    strip_leading: tuple[str, ...] = ()
    strip_trailing: tuple[str, ...] = ()


class QuoteRule(_Frozen):
    name: str
    # Double marks (opening, closing); a mark is one character or two (the NYT's '').
    marks: tuple[tuple[str, str], ...] = Field(min_length=1)
    # Single marks: a quotation of their own outside double marks, nested inside them.
    single_marks: tuple[tuple[str, str], ...] = ()
    # Words a single mark shortens at their start ("'bout", "'90s"): no quotation opens there.
    elisions: tuple[str, ...] = ()
    # A quotation of at most `title_max_words` words in title case (every word capitalised
    # but `title_small_words`) after a possessive or one of `title_after` is a title.
    title_after: tuple[str, ...] = ()
    # ... or right before one of `title_before` (the “Night Shift” star).
    title_before: tuple[str, ...] = ()
    title_small_words: tuple[str, ...] = ()
    title_max_words: int = Field(default=0, ge=0)
    # A quotation of at most `label_max_words` words that nothing attributes to anyone is a
    # label or a scare quote, not someone's words.
    label_max_words: int = Field(default=0, ge=0)
    # ... unless one of `named_after` comes right before it (an ad "titled", "called").
    named_after: tuple[str, ...] = ()
    # A quotation right after one of `voiced_after` (a crowd's "chants of", a sign that
    # "read") is someone's words: neither a title nor a label.
    voiced_after: tuple[str, ...] = ()

    @field_validator("marks", "single_marks")
    @classmethod
    def _short_marks(cls, marks: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for pair in marks:
            if any(not 1 <= len(m) <= 2 for m in pair):
                raise ValueError(f"quote marks must be one or two characters (got {pair!r})")
        return marks


class SpeakerRule(_Frozen):
    name: str
    # Lemmas of verbs that introduce or attribute speech (a quote's speaker is their subject).
    speech_verbs: tuple[str, ...] = Field(min_length=1)
    # Lemmas of verbs whose subject is a source though they introduce no quote ("believes").
    source_verbs: tuple[str, ...] = ()
    # Pronoun subjects resolved to the most recent named source before them.
    pronouns: tuple[str, ...] = ()
    # Nouns of a description that stands for a person ("the Russian President").
    person_nouns: tuple[str, ...] = ()


class EventRule(_Frozen):
    name: str
    nouns: tuple[str, ...] = Field(min_length=1)
    conference_modifiers: tuple[str, ...] = ()


class NamedRule(_Frozen):
    name: str


class CueRule(_Frozen):
    """Document-label rule: regular expressions (lowercase text) per choice value."""

    name: str
    cues: dict[str, tuple[str, ...]]
    min_hits: int = Field(default=1, ge=1)

    @field_validator("cues")
    @classmethod
    def _compiles(cls, cues: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for value, patterns in cues.items():
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(
                        f"cue {pattern!r} of {value!r} is not a regex: {error}"
                    ) from None
        return cues


class Rules(_Frozen):
    quote: QuoteRule
    speaker: SpeakerRule
    event: EventRule
    relations: NamedRule
    summit_status: CueRule
    topics: CueRule


class Scheme(_Frozen):
    """The annotation scheme, checked: see `schemas/annotation_scheme.yaml`."""

    version: str = Field(pattern=rf"^{_SEMVER}$")
    name: str
    title: str
    description: str
    changes: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ()
    span_labels: tuple[SpanLabel, ...] = Field(min_length=1)
    relation_labels: tuple[RelationLabel, ...] = ()
    document_labels: tuple[DocumentLabel, ...] = ()
    spacy: SpacyMapping
    rules: Rules

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        spans = [s.name for s in self.span_labels]
        for kind, names in (
            ("span label", spans),
            ("relation label", [r.name for r in self.relation_labels]),
            ("document label", [d.name for d in self.document_labels]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind} names must be unique (got duplicates {dupes!r})")
        reserved = {TEXT_NAME, SPAN_CONTROL, NOTE_CONTROL}
        for doc_label in self.document_labels:
            if doc_label.name in reserved:
                raise ValueError(
                    f"document label name must not be one of {sorted(reserved)!r} "
                    f"(got {doc_label.name!r})"
                )
            values = doc_label.value_names
            if len(set(values)) != len(values):
                raise ValueError(f"values of document label {doc_label.name!r} must be unique")
        for relation in self.relation_labels:
            for end in (*relation.head, *relation.tail):
                if end not in spans:
                    raise ValueError(
                        f"relation {relation.name!r}: {end!r} must be a span label "
                        f"(one of {spans!r})"
                    )
        for spacy_label, label in self.spacy.labels.items():
            if label not in spans:
                raise ValueError(
                    f"spacy.labels[{spacy_label!r}] must be a span label (got {label!r})"
                )
        by_name = {d.name: d for d in self.document_labels}
        for rule in (self.rules.summit_status, self.rules.topics):
            key = rule.name.split("/")[-1].split(".")[0]
            if key not in by_name:
                raise ValueError(f"rule {rule.name!r} needs a document label {key!r}")
            unknown = sorted(set(rule.cues) - set(by_name[key].value_names))
            if unknown:
                raise ValueError(f"rule {rule.name!r}: cues for unknown values {unknown!r}")
        return self

    def span_label(self, name: str) -> SpanLabel:
        for label in self.span_labels:
            if label.name == name:
                return label
        raise KeyError(name)

    def relation_label(self, name: str) -> RelationLabel:
        for label in self.relation_labels:
            if label.name == name:
                return label
        raise KeyError(name)

    def document_label(self, name: str) -> DocumentLabel:
        for label in self.document_labels:
            if label.name == name:
                return label
        raise KeyError(name)

    def vocabularies(self) -> dict[str, tuple[str, ...]]:
        """RETURNS (dict[str, tuple[str, ...]]): The vocabularies `tables.Column.vocabulary`
        names: span, relation and document label names, and every document label value."""
        values: list[str] = []
        for doc_label in self.document_labels:
            values.extend(v for v in doc_label.value_names if v not in values)
        return {
            "span_labels": tuple(s.name for s in self.span_labels),
            "relation_labels": tuple(r.name for r in self.relation_labels),
            "document_label_names": tuple(d.name for d in self.document_labels),
            "document_label_values": tuple(values),
        }

    def allows_relation(self, label: str, head_label: str, tail_label: str) -> bool:
        """RETURNS (bool): Whether `label` may link a `head_label` span to a `tail_label` span."""
        relation = self.relation_label(label)
        return head_label in relation.head and tail_label in relation.tail


def _errors(error: ValidationError) -> Iterator[str]:
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        yield f"{where}: {item['msg']}"


def load_scheme(path: Path | None = None) -> Scheme:
    """Read and check the annotation scheme.

    path (Path | None): The scheme file; None reads `schemas/annotation_scheme.yaml`.
    RETURNS (Scheme): The checked scheme.
    RAISES (SchemeError): The file is missing, is not YAML, or breaks a rule of the model.
    """
    path = SCHEME_PATH if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemeError(Errors.E501.format(path=path), path=path, rule="exists") from None
    return _checked(path, text)


# A build reads the scheme in several stages; the model is frozen, so one text is parsed and
# checked once per process (a new text, such as an edited file, is checked anew).
@functools.lru_cache(maxsize=8)
def _checked(path: Path, text: str) -> Scheme:
    try:
        raw = io.load_yaml(text)
    except yaml.YAMLError as error:
        raise SchemeError(
            Errors.E502.format(path=path, error=error), path=path, rule="yaml"
        ) from None
    try:
        return Scheme.model_validate(raw)
    except ValidationError as error:
        problems = list(_errors(error))
        raise SchemeError(
            Errors.E503.format(path=path, count=len(problems), problems="; ".join(problems)),
            path=path,
            rule="scheme_model",
            problems=problems,
        ) from None
