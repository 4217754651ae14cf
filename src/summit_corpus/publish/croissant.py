"""ML Commons Croissant 1.0 metadata (croissant.json), with its responsible-AI fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from summit_corpus.core import features, layout
from summit_corpus.core import tables as T
from summit_corpus.publish.card import card_sections
from summit_corpus.publish.configs import DEFAULT_CONFIG, ConfigData

CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "equivalentProperty": "cr:equivalentProperty",
    "samplingRate": "cr:samplingRate",
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


# Croissant 1.0 and its Responsible AI vocabulary, both used here.
CONFORMS_TO = ["http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/RAI/1.0"]
# The dataset's landing page is its card, beside croissant.json (the data records no public
# URL of its own); relative URLs resolve against the folder croissant.json is read from.
DATASET_URL = layout.CARD
# The licence terms: annotations and metadata under CC BY 4.0, the article texts the
# publishers' (LICENSE in the corpus folder states both).
LICENSES = [
    {
        "@type": "sc:CreativeWork",
        "name": "CC-BY-4.0: annotations, metadata and derived tables",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    },
    {
        "@type": "sc:CreativeWork",
        "name": "Article texts: copyright of their publishers; see LICENSE",
        "url": layout.LICENSE,
    },
]
ENUMERATION_SUFFIX = "_names"


def _croissant_type(type_: pa.DataType) -> str:
    if pa.types.is_timestamp(type_):
        return "sc:DateTime"
    if pa.types.is_integer(type_):
        return "sc:Integer"
    if pa.types.is_floating(type_):
        return "sc:Float"
    if pa.types.is_boolean(type_):
        return "sc:Boolean"
    return "sc:Text"


def _source(config: str, column: str, path: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {"fileSet": {"@id": f"{config}-files"}, "extract": {"column": column}}
    if path is not None:
        source["transform"] = {"jsonPath": path}
    return source


def _field(
    ident: str,
    name: str,
    type_: pa.DataType,
    source: tuple[str, str, str | None],
    description: str | None,
) -> dict[str, Any]:
    """One Croissant field; a record (or list of records) gets one sub-field per member.

    source (tuple): (config, column, JSON path inside the column's record or None).
    """
    repeated = pa.types.is_list(type_)
    inner = type_.value_type if repeated else type_
    field: dict[str, Any] = {"@type": "cr:Field", "@id": ident, "name": name}
    if description:
        field["description"] = description
    if repeated:
        field["repeated"] = True
    if pa.types.is_struct(inner):
        config, column, path = source
        # A top-level column's list elements are iterated by the reader; below that, a list
        # of records is reached with `[*]` (a JSON path into the element).
        here = f"{path}[*]" if path and repeated else path
        field["subField"] = [
            _field(
                f"{ident}/{child.name}",
                child.name,
                child.type,
                (config, column, f"{here}.{child.name}" if here else child.name),
                None,
            )
            for child in (inner.field(i) for i in range(inner.num_fields))
        ]
        return field
    if pa.types.is_list(inner):  # a list of lists: declared as repeated values of its items
        inner = inner.value_type
    field["dataType"] = _croissant_type(inner)
    field["source"] = _source(*source)
    return field


def _descriptions(config: ConfigData) -> dict[str, str]:
    definition = T.TABLES_BY_NAME.get(config.name) or (T.NER if config.name == "ner" else None)
    columns = list(definition.columns) if definition else []
    if config.name == DEFAULT_CONFIG:
        columns = [*T.DOCUMENTS.columns, *T.SPLIT_ASSIGNMENT.columns]
    return {c.name: c.description for c in columns}


def _record_set(config: ConfigData, class_labels: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    described = _descriptions(config)
    fields = []
    for f in config.schema:
        field = _field(
            f"{config.name}/{f.name}",
            f.name,
            f.type,
            (config.name, f.name, None),
            described.get(f.name),
        )
        if f.name in class_labels:
            # The names by index, in the description and as the `<column>_names` record set.
            # (No `references`: mlcroissant would join the record set on a list column.)
            names = ", ".join(f"{i}={n}" for i, n in enumerate(class_labels[f.name]))
            field["description"] = (
                f"{field.get('description', '')} Class label indices; names (also the "
                f"`{f.name}{ENUMERATION_SUFFIX}` record set): {names}."
            )
        fields.append(field)
    return {
        "@type": "cr:RecordSet",
        "@id": config.name,
        "name": config.name,
        "description": config.description,
        "field": fields,
    }


def _enumeration(column: str, names: Sequence[str]) -> dict[str, Any]:
    """A record set of class label names, inline: index -> name."""
    ident = f"{column}{ENUMERATION_SUFFIX}"
    return {
        "@type": "cr:RecordSet",
        "@id": ident,
        "name": ident,
        "description": f"The names of the `{column}` class labels, by index.",
        "dataType": "sc:Enumeration",
        "key": {"@id": f"{ident}/index"},
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{ident}/index",
                "name": "index",
                "dataType": "sc:Integer",
            },
            {"@type": "cr:Field", "@id": f"{ident}/name", "name": "name", "dataType": "sc:Text"},
        ],
        "data": [{f"{ident}/index": i, f"{ident}/name": n} for i, n in enumerate(names)],
    }


def class_labels_of(configs: Sequence[ConfigData]) -> dict[str, dict[str, list[str]]]:
    """RETURNS (dict): Config -> column -> ClassLabel names (from the configs' features)."""
    out: dict[str, dict[str, list[str]]] = {}
    for c in configs:
        for name, feature in c.features.items():
            names = features.class_label_names(feature)
            if names is not None:
                out.setdefault(c.name, {})[name] = names
    return out


def timeframe(facts: Mapping[str, Any]) -> list[str]:
    """RETURNS (list[str]): [first, last] date the articles state (empty if none states one)."""
    return [facts["dated_min"], facts["dated_max"]] if facts.get("dated_min") else []


def croissant(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> dict[str, Any]:
    """ML Commons Croissant 1.0 metadata (with RAI fields) for the published folder.

    configs (Sequence[ConfigData]): The published configs.
    facts (Mapping[str, Any]): From `corpus_facts`.
    RETURNS (dict[str, Any]): The JSON-LD document.
    """
    sections = card_sections(configs, facts)
    present = [c for c in configs if c.splits]
    distribution = [
        {
            "@type": "cr:FileSet",
            "@id": f"{c.name}-files",
            "name": f"{c.name}-files",
            "description": f"Parquet files of the `{c.name}` config, one per split.",
            "encodingFormat": "application/x-parquet",
            "includes": f"{layout.DATA}/{c.name}/*.parquet",
        }
        for c in present
    ]
    labels = class_labels_of(present)
    record_sets = [_record_set(c, labels.get(c.name, {})) for c in present]
    enumerations = {col: names for per in labels.values() for col, names in per.items()}
    record_sets += [_enumeration(col, names) for col, names in sorted(enumerations.items())]
    period = timeframe(facts)
    published = facts.get("annotated_max") or facts.get("dated_max")
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": "summit-news-corpus",
        "description": sections["dataset_summary"],
        "conformsTo": CONFORMS_TO,
        "url": DATASET_URL,
        **({"datePublished": published} if published else {}),
        "license": LICENSES,
        "version": facts.get("scheme_version") or "0.0.0",
        "inLanguage": "en",
        "keywords": ["news", "diplomacy", "named entity recognition", "quotation attribution"],
        "citeAs": sections["citation_bibtex"].strip("`").removeprefix("bibtex\n"),
        "creator": {"@type": "sc:Organization", "name": "Summit News Corpus project"},
        "distribution": distribution,
        "recordSet": record_sets,
        **_rai(sections, facts, period),
    }


def _rai(
    sections: Mapping[str, str], facts: Mapping[str, Any], period: list[str]
) -> dict[str, Any]:
    stated = (
        f"The articles state dates from {period[0]} to {period[1]} ({facts['dated_documents']} "
        f"of {facts['documents']} state one: publication, update, dated update sections or the "
        "event their lead reports); when they were collected is not recorded."
        if period
        else "No article states a date; when they were collected is not recorded."
    )
    return {
        "rai:dataCollection": f"{sections['data_collection_and_processing_section']} {stated}",
        "rai:dataCollectionType": ["Manual Human Curator", "Web Scraping"],
        "rai:dataCollectionRawData": sections["source_data_producers_section"],
        "rai:dataCollectionMissingData": (
            "Metadata an article does not state (publication time, byline, time zone) is null, "
            "never guessed."
        ),
        # Croissant RAI 1.0 spells it `dataCollectionTimeframe`; mlcroissant 1.1 reads
        # `dataCollectionTimeFrame`. Both carry the same range, so every reader gets it.
        **(
            {"rai:dataCollectionTimeframe": period, "rai:dataCollectionTimeFrame": period}
            if period
            else {}
        ),
        "rai:dataPreprocessingProtocol": [
            "Raw bytes decoded as UTF-8 (BOM and CRLF handled); page furniture moved to "
            "`removed_lines` with its reason; sentences and tokens from spaCy."
        ],
        "rai:dataAnnotationProtocol": [sections["annotation_process_section"]],
        "rai:dataAnnotationPlatform": ["Label Studio", "spaCy", "rules in summit_corpus"],
        "rai:machineAnnotationTools": sorted(facts.get("sources", {})) or ["none"],
        "rai:annotatorDemographics": [
            "Not collected; human annotators are recorded only as pseudonyms."
        ],
        "rai:dataUseCases": [sections["direct_use"]],
        "rai:dataBiases": [sections["bias_risks_limitations"]],
        "rai:dataLimitations": [sections["out_of_scope_use"]],
        "rai:dataSocialImpact": sections["bias_recommendations"],
        "rai:personalSensitiveInformation": [sections["personal_and_sensitive_information"]],
        "rai:dataReleaseMaintenancePlan": (
            "Rebuilt from the repository by `corpus build`; splits are stable when articles are "
            "added (see the card's Dataset Structure)."
        ),
    }
