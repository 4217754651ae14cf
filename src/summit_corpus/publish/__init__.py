"""Publish: the corpus tables become a Hugging Face dataset folder `load_dataset` reads.

`write_dataset` writes, inside the folder it is given and nowhere else:

- `data/<config>/<split>-<shard>-of-<shards>.parquet` for the configs (shards of whole
  documents, cut at the same documents in every config: `shards.py`)
  - `documents` (default): every documents column, the split assignment (split, group_id, ...)
    and each document's sentences, tokens, spans, relations and document labels as nested
    lists of records (the flat tables' columns minus `doc_id`);
  - `ner`: one row per sentence, tokens and BIO `ner_tags` (a `ClassLabel` over the scheme's
    entity labels), the tags from the adjudicated layer where a document has one, else from
    the model layer (`layer` says which);
  - one config per flat table given (sentences, tokens, spans, relations, document_labels,
    annotations, annotation_notes), with exactly the columns of `tables.py`.
- `README.md`: the dataset card (YAML front matter in the Hub's format, prose from the Hub's
  dataset card template filled from the data).
- `croissant.json`: ML Commons Croissant 1.0 metadata with its responsible-AI fields.

Empty splits are absent: `datasets` cannot load a split whose Parquet file has no rows
(`Instruction "test" corresponds to no data!`), so a config lists only the splits that have
rows, a config with no rows at all is not written, and the card says which are missing.

Every file is deterministic: rows sorted, fixed Parquet settings, no time or machine path.

The stage, module by module: `features` (Arrow -> `datasets` features), `configs` (each config's
rows, pure), `writer` (`DatasetWriter`, `write_dataset`: the files), `facts` (counts the card,
Croissant and the datasheet state), `card` (README.md), `croissant` (croissant.json), `ner` (BIO
tags), `splits` (the split assignment) and `datasheet` (DATASHEET.md). The names below are
re-exported so `from summit_corpus.publish import ...` keeps working.
"""

from __future__ import annotations

from summit_corpus.core.features import arrow_to_feature, features_of, file_schema
from summit_corpus.publish.card import (
    HUMAN_LAYER_PROVENANCE,
    LICENSE,
    LICENSE_NAME,
    PRETTY_NAME,
    card_metadata,
    card_sections,
    render_card,
)
from summit_corpus.publish.configs import (
    DEFAULT_CONFIG,
    FLAT,
    NER_CONFIG,
    NER_EXCLUDED_LABELS,
    NESTED,
    ConfigData,
    SchemeLike,
    build_configs,
    config_rows,
    documents_config,
    documents_schema,
    ner_config,
    ner_labels,
    split_rows,
)
from summit_corpus.publish.croissant import CROISSANT_CONTEXT, croissant
from summit_corpus.publish.facts import FactsAccumulator, corpus_facts
from summit_corpus.publish.ner import NER_LAYERS, NerResult
from summit_corpus.publish.writer import (
    DOCUMENT_GROUP_ROWS,
    NER_GROUP_ROWS,
    ROW_GROUP_ROWS,
    DatasetWriter,
    write_dataset,
)

__all__ = [
    "CROISSANT_CONTEXT",
    "DEFAULT_CONFIG",
    "DOCUMENT_GROUP_ROWS",
    "FLAT",
    "HUMAN_LAYER_PROVENANCE",
    "LICENSE",
    "LICENSE_NAME",
    "NER_CONFIG",
    "NER_EXCLUDED_LABELS",
    "NER_GROUP_ROWS",
    "NER_LAYERS",
    "NESTED",
    "PRETTY_NAME",
    "ROW_GROUP_ROWS",
    "ConfigData",
    "DatasetWriter",
    "FactsAccumulator",
    "NerResult",
    "SchemeLike",
    "arrow_to_feature",
    "build_configs",
    "card_metadata",
    "card_sections",
    "config_rows",
    "corpus_facts",
    "croissant",
    "documents_config",
    "documents_schema",
    "features_of",
    "file_schema",
    "ner_config",
    "ner_labels",
    "render_card",
    "split_rows",
    "write_dataset",
]
