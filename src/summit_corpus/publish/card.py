"""The dataset card (corpus/README.md): the Hub's YAML front matter and its template's sections
filled from the data.

Code computes the card's facts (`_card_facts`); templates/card.md.j2 words every section the
Hub's dataset card template (huggingface_hub's `DatasetCard.from_template`) lays out, and
croissant.json reuses some of those sections.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from summit_corpus.core import features, io, layout
from summit_corpus.core import tables as T
from summit_corpus.core.errors import CorpusError
from summit_corpus.export import bigbio
from summit_corpus.publish import templating
from summit_corpus.publish.configs import BIGBIO_CONFIG, DEFAULT_CONFIG, ConfigData

PRETTY_NAME = "Summit News Corpus"
# Who made the human layer of the committed snapshots (annotations/README.md). The tables only
# carry pseudonyms, so this is stated here; update it (and `annotations_creators`) when people
# annotate.
HUMAN_LAYER_PROVENANCE = (
    "The human layer of the seed articles was made by an AI assistant (a helper session of this "
    "project), not by a human expert: a careful reading of the clean text following "
    "`schemas/GUIDELINES.md`, entered into a real Label Studio through its API by one annotator "
    "account, marked ground truth (so the adjudicated layer equals it) and exported with "
    "`corpus annotate pull`; see `annotations/README.md`."
)
LICENSE = "other"
LICENSE_NAME = "summit-news-mixed"


# The variables of the Hub's dataset card template that templates/card.md.j2 words, in the
# template's order.
SECTIONS = (
    "pretty_name",
    "dataset_summary",
    "dataset_description",
    "curators",
    "funded_by",
    "shared_by",
    "language",
    "license",
    "repo",
    "paper",
    "demo",
    "direct_use",
    "out_of_scope_use",
    "dataset_structure",
    "curation_rationale_section",
    "data_collection_and_processing_section",
    "source_data_producers_section",
    "annotation_process_section",
    "who_are_annotators_section",
    "personal_and_sensitive_information",
    "bias_risks_limitations",
    "bias_recommendations",
    "citation_bibtex",
    "citation_apa",
    "glossary",
    "more_information",
    "dataset_card_authors",
    "dataset_card_contact",
)
_LABELLED_TABLES = (T.SPANS.name, T.RELATIONS.name, T.DOCUMENT_LABELS.name)


@dataclass(frozen=True, slots=True)
class FieldFact:
    """One field of a published config, as the card lists it.

    kind (str): Its feature type in words ('string', 'list of records', ...).
    note (str): Its column description ('' if tables.py has none).
    nested (bool): It is a documents config's nested table (the card says so when no note).
    """

    name: str
    kind: str
    note: str
    nested: bool


def _kind(feature: features.Feature) -> str:
    """RETURNS (str): A feature's type in words."""
    kind = features.kind(feature)
    names = features.class_label_names(feature)
    if kind == "List" and names is not None:
        return f"list of ClassLabel ({len(names)} names)"
    if kind == "Value":
        return str(feature["dtype"])
    if kind == "List":
        inner = feature["feature"]
        if features.kind(inner) == "struct":
            return "list of records"
        return f"list of {inner['dtype']}"
    return kind


def _field_facts(
    definition: T.Table | None,
    config_features: features.Features,
    notes: Mapping[str, str] | None = None,
) -> list[FieldFact]:
    described = {c.name: c.description for c in definition.columns} if definition else {}
    described |= notes or {}
    fields = []
    for name, feature in config_features.items():
        note = described.get(name, "")
        nested = not note and name in T.TABLES_BY_NAME
        if not note and not nested and name in T.SPLIT_ASSIGNMENT.names:
            note = T.SPLIT_ASSIGNMENT.column(name).description
        fields.append(FieldFact(name, _kind(feature), note, nested))
    return fields


def _card_facts(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> dict[str, Any]:
    """The card template's variables (see templates/card.md.j2), computed from the data."""
    rows = facts["rows"]
    layers = facts.get("spans_by_layer") or {}
    definitions = {c.name: T.TABLES_BY_NAME.get(c.name, T.NER) for c in configs}
    definitions[DEFAULT_CONFIG] = T.DOCUMENTS
    return {
        "pretty_name_value": PRETTY_NAME,
        "provenance": HUMAN_LAYER_PROVENANCE,
        "facts": facts,
        "rows": {
            name: rows.get(name, 0)
            for name in (T.SENTENCES.name, T.TOKENS.name, T.RELATIONS.name, T.DOCUMENT_LABELS.name)
        },
        "span_total": sum(sum(v.values()) for v in layers.values()),
        "human": [x for x in layers if x != T.LAYER_PREDICTION],
        "scheme_version": facts.get("scheme_version") or "unknown",
        "sources": facts.get("sources", {}),
        "ner_layers": facts.get("ner_layers", {}),
        "ner_dropped_overlaps": facts.get("ner_dropped_overlaps", 0),
        "labelled": [(t, facts.get(f"{t}_by_layer") or {}) for t in _LABELLED_TABLES],
        "splits": T.SPLITS,
        "configs": configs,
        "absent": [
            f"`{c.name}`/{s}" for c in configs if c.splits for s in T.SPLITS if s not in c.splits
        ],
        "fields": [
            (
                c.name,
                _field_facts(None, c.features, bigbio.FIELD_DESCRIPTIONS)
                if c.name == BIGBIO_CONFIG
                else _field_facts(definitions[c.name], c.features),
            )
            for c in configs
            if c.splits
        ],
    }


def card_sections(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> dict[str, str]:
    """The prose of every section of the Hub's dataset card template, from the data.

    configs (Sequence[ConfigData]): The published configs.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (dict[str, str]): Template variable -> Markdown (worded by templates/card.md.j2).
    """
    module = templating.sections("card.md.j2", _card_facts(configs, facts))
    return {name: str(getattr(module, name)) for name in SECTIONS}


def card_metadata(configs: Sequence[ConfigData]) -> dict[str, Any]:
    """The card's YAML front matter in the Hub's format.

    configs (Sequence[ConfigData]): The published configs.
    RETURNS (dict[str, Any]): Front matter keys and values.
    """
    present = [c for c in configs if c.splits]
    return {
        "pretty_name": PRETTY_NAME,
        "language": ["en"],
        "license": LICENSE,
        "license_name": LICENSE_NAME,
        # The Hub links this file from the licence badge: corpus/LICENSE, written beside the
        # card, says what is licensed how (annotations CC BY 4.0, texts the publishers').
        "license_link": layout.LICENSE,
        # The model layer and the committed human layer were both made by software (the latter
        # by an AI assistant reading the articles): see HUMAN_LAYER_PROVENANCE.
        "annotations_creators": ["machine-generated"],
        "language_creators": ["found"],
        "multilinguality": ["monolingual"],
        "size_categories": ["n<1K"],
        "source_datasets": ["original"],
        "task_categories": ["token-classification", "text-classification"],
        "task_ids": [
            "named-entity-recognition",
            "multi-class-classification",
            "multi-label-classification",
        ],
        "tags": ["news", "diplomacy", "quotation-attribution", "relation-extraction"],
        "configs": [
            {
                "config_name": c.name,
                **({"default": True} if c.name == DEFAULT_CONFIG else {}),
                "data_files": [
                    {"split": s, "path": f"{layout.DATA}/{c.name}/{s}-*.parquet"} for s in c.splits
                ],
            }
            for c in present
        ],
        # No `features` here: every Parquet file carries its config's features in its schema
        # metadata (`file_schema`), which `datasets` reads as they are, ClassLabel names
        # included. Declared here they would make the card's YAML ~2.5x longer, and
        # `load_dataset` parses that YAML (pure Python) once per config: ~0.3 s of ~2 s for
        # all configs of a 2,500-article corpus (scripts/bench_load.py).
        # No `dataset_info` either. `datasets` reads a split's info only with `num_bytes`, the
        # size of the Arrow data a load prepares (not the Parquet size), so counts alone were
        # ignored, with two warnings per `load_dataset` call; and their lines were 40% of the
        # YAML that every call parses and hashes (~12 ms of ~35 ms for a small config). The
        # rows per split are in the card's table (`card.md.j2`) and in each file's footer.
    }


def render_card(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> str:
    """The dataset card: YAML front matter and the Hub's template filled from the data.

    The template is filled as `DatasetCard.from_template` fills it (Jinja2, the card data's
    fields and the sections as variables), from the template file of the installed
    huggingface_hub, which is found without importing the package: its import took 0.27 s of
    a rebuild that adds one article to 2,500.

    configs (Sequence[ConfigData]): The published configs.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (str): README.md text.
    """
    import jinja2
    import yaml

    metadata = card_metadata(configs)
    fields = {key: value for key, value in metadata.items() if value is not None}
    filled = jinja2.Template(_hub_template()).render(
        card_data="", **(fields | card_sections(configs, facts))
    )
    # The template's own front matter (its comment lines) is replaced by ours.
    template_front = _FRONT_MATTER.match(filled)
    body = filled[template_front.end() :] if template_front else filled
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n{body.rstrip()}\n"


# huggingface_hub's pattern of a card's front matter (`repocard.REGEX_YAML_BLOCK`).
_FRONT_MATTER = re.compile(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))")


def _hub_template() -> str:
    """RETURNS (str): huggingface_hub's dataset card template (`TEMPLATE_DATASETCARD_PATH`)."""
    folder = io.package_folder("huggingface_hub")
    if folder is None:
        raise CorpusError("the dataset card needs huggingface_hub, which is not installed")
    return (folder / "templates" / "datasetcard_template.md").read_text(encoding="utf-8")
