"""ML Commons Croissant 1.0 metadata (croissant.json), with its responsible-AI fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from summit_corpus.core import layout
from summit_corpus.publish.card import LICENSE, LICENSE_NAME, card_sections
from summit_corpus.publish.configs import ConfigData

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


def _croissant_fields(config: str, schema: pa.Schema) -> list[dict[str, Any]]:
    fields = []
    for f in schema:
        type_ = f.type
        repeated = pa.types.is_list(type_)
        inner = type_.value_type if repeated else type_
        if pa.types.is_struct(inner):
            continue  # nested records: read them from their flat config's record set
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{config}/{f.name}",
            "name": f.name,
            "dataType": _croissant_type(inner),
            "source": {"fileSet": {"@id": f"{config}-files"}, "extract": {"column": f.name}},
        }
        if repeated:
            field["repeated"] = True
        fields.append(field)
    return fields


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
    record_sets = [
        {
            "@type": "cr:RecordSet",
            "@id": c.name,
            "name": c.name,
            "description": c.description,
            "field": _croissant_fields(c.name, c.schema),
        }
        for c in present
    ]
    period = [facts["published_min"], facts["published_max"]] if facts["published_min"] else []
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": "summit-news-corpus",
        "description": sections["dataset_summary"],
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "license": f"{LICENSE} ({LICENSE_NAME}): {sections['license']}",
        "version": facts.get("scheme_version") or "0.0.0",
        "inLanguage": "en",
        "keywords": ["news", "diplomacy", "named entity recognition", "quotation attribution"],
        "citeAs": sections["citation_bibtex"].strip("`").removeprefix("bibtex\n"),
        "creator": {"@type": "sc:Organization", "name": "Summit News Corpus project"},
        "distribution": distribution,
        "recordSet": record_sets,
        "rai:dataCollection": sections["data_collection_and_processing_section"],
        "rai:dataCollectionType": ["Manual Human Curator", "Web Scraping"],
        "rai:dataCollectionRawData": sections["source_data_producers_section"],
        "rai:dataCollectionMissingData": (
            "Metadata an article does not state (publication time, byline, time zone) is null, "
            "never guessed."
        ),
        **({"rai:dataCollectionTimeframe": period} if period else {}),
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
