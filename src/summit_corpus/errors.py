"""Every user-facing error message, with a code.

Messages follow one shape: where, what rule, the offending value, and what to try next.
Exceptions keep the facts (`path`, `line`, `rule`, ...) as attributes so callers never parse text.
"""

from __future__ import annotations

from pathlib import Path


class Errors:
    # ingest: raw files
    E001 = "{path}: rule 'not_empty': the file is empty ({size} bytes). Remove it or add the article text."
    E002 = (
        "{path}:{line}: rule 'utf8': byte offset {offset} is not valid UTF-8 (byte 0x{byte:02x}). "
        "Re-save the file as UTF-8."
    )
    E003 = (
        "{path}:{line}: rule 'not_binary': found a NUL byte at byte offset {offset}; this looks like "
        "a binary file, not an article."
    )
    E004 = (
        "{path}: rule 'unique_content': same bytes as {other} (SHA-256 {sha256}). "
        "Remove one of the two files."
    )
    E005 = (
        "{path}: rule 'unique_doc_id': doc_id '{doc_id}' is also the id of {other}. "
        "Rename one of the files."
    )
    E006 = "{path}: rule 'has_body': no article text left after removing page furniture."
    E007 = "{path}: rule 'seeds_dir': no such folder. Pass --seeds DIR."
    E008 = "{path}: rule 'seeds_dir': no raw article files found."
    E009 = (
        "{path}:{line}: rule 'no_control_chars': found {char} at column {column}. "
        "Remove the control character."
    )
    # build
    E101 = "build failed: {count} raw file(s) rejected; the previous corpus was left as it was."
    E102 = "build failed: the new corpus is invalid ({count} failure(s)); the previous corpus was left as it was."
    E103 = "{path}: article failed in the pipeline: {error}"
    # scheme, pre-annotation, gold and evaluation: E5xx
    E501 = "{path}: rule 'exists': no annotation scheme file here. Pass the path of schemas/annotation_scheme.yaml."
    E502 = "{path}: rule 'yaml': the scheme is not valid YAML ({error})."
    E503 = "{path}: rule 'scheme_model': {count} problem(s): {problems}. Fix the scheme file."
    E504 = "{path}: rule 'generated_current': missing or out of date with the scheme. Run `corpus scheme generate`."
    E505 = (
        "{path}: doc '{doc_id}', span '{span_id}': rule 'gold_found': {what} not found in the "
        "document text. Check the surface string against the corpus text."
    )
    E506 = (
        "{path}: doc '{doc_id}', span '{span_id}': rule 'gold_unique': context {context!r} occurs "
        "{count} times. Lengthen it until it is unique."
    )
    E507 = "{path}: doc '{doc_id}': rule 'gold_reference': {detail}."
    E508 = "{path}: rule 'gold_documents': doc '{doc_id}' is not in the corpus documents."
    E509 = (
        "{corpus}: rule 'human_layer': no '{layer}' rows in the spans table, so there is nothing "
        "to evaluate against. Pull annotations (`corpus annotate pull`) and rebuild."
    )
    # splits, publish, datasheet: E7xx
    E701 = "{path}: rule 'split_config_exists': cannot read the split configuration ({error})."
    E702 = "{path}: rule 'split_config': {problem}. Fix schemas/splits.yaml."
    E703 = (
        "{config}: rule 'publish_columns': table '{table}' has columns {got!r}, expected "
        "{expected!r}. Conform the table to its definition in tables.py before publishing."
    )
    E704 = (
        "{config}: rule 'publish_assignment': doc '{doc_id}' has rows but no split assignment. "
        "Pass the assignment made from the same documents table."
    )
    E705 = (
        "{path}: rule 'corpus_table': no Parquet files for table '{table}'. "
        "Run `corpus build` first."
    )

    # studio (Label Studio server) and annotate (push/pull): E6xx
    E601 = (
        "{venv}: rule 'studio_installed': could not install label-studio into this venv ({detail}). "
        "Check the network to PyPI, or pass --venv / set SUMMIT_STUDIO_VENV to a working venv."
    )
    E602 = (
        "rule 'studio_credentials': {names} not set. Export LABEL_STUDIO_USERNAME (an e-mail), "
        "LABEL_STUDIO_PASSWORD and LABEL_STUDIO_API_KEY before `corpus studio start`."
    )
    E603 = (
        "{url}: rule 'port_free': another server already answers on this port (not the one "
        "recorded in {data_dir}). Stop it or pass --port."
    )
    E604 = "rule 'studio_started': label-studio exited with code {code} during start-up; see {log}."
    E605 = "{url}: rule 'studio_started': /health did not answer within {timeout:.0f} s; see {log}."
    E606 = (
        "{url}: rule 'studio_reachable': cannot reach Label Studio ({detail}). "
        "Start it with `corpus studio start` or set LABEL_STUDIO_URL."
    )
    E607 = "rule 'api_key': LABEL_STUDIO_API_KEY is not set. Export the token of the server's admin."
    E608 = (
        "rule 'pseudonym_key': SUMMIT_PSEUDONYM_KEY is not set, so annotator e-mails cannot be "
        "replaced by stable pseudonyms; nothing was written. Export a secret key (keep it the "
        "same for every pull of the corpus)."
    )
    E609 = "rule 'project_exists': no Label Studio project titled '{title}' at {url}. Push first."
    E610 = (
        "{path}: rule 'snapshot_format': {detail}. A snapshot must be Label Studio's JSON export "
        "(a list of tasks)."
    )
    E611 = (
        "{corpus}: rule 'corpus_tables': no {table} table under {folder}. Run `corpus build` "
        "first or pass --corpus."
    )
    E612 = (
        "rule 'server_answer': Label Studio answered {what} with an unexpected value ({detail})."
    )
    E613 = (
        "project '{title}': rule 'label_config': Label Studio refused the new labeling config "
        "({detail}). Existing annotations use labels the new scheme removes; keep them or make a "
        "new project with --project."
    )

class CorpusError(Exception):
    """Base class of the toolkit's errors; `str(error)` is the user-facing message."""


class InputError(CorpusError):
    """A raw input file breaks a rule.

    path (Path): The file.
    rule (str): Stable snake_case rule name, e.g. 'utf8'.
    line (int | None): 1-based line number, where known.
    offset (int | None): Byte offset, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path,
        rule: str,
        line: int | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.rule = rule
        self.line = line
        self.offset = offset


class SplitConfigError(CorpusError):
    """The split configuration (schemas/splits.yaml) is missing or breaks a rule.

    path (Path): The file.
    """

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class PublishError(CorpusError):
    """Tables cannot be published as given.

    rule (str): Stable snake_case rule name, e.g. 'publish_columns'.
    """

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class StudioError(CorpusError):
    """The Label Studio server could not be installed, started, reached or used."""


class AnnotateError(CorpusError):
    """A push, pull or snapshot conversion failed.

    rule (str): Stable snake_case rule name, e.g. 'pseudonym_key'.
    path (Path | None): The snapshot or corpus file concerned, where there is one.
    """

    def __init__(self, message: str, *, rule: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.path = path


class BuildError(CorpusError):
    """A build failed; `problems` lists every message (not only the first)."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems

class SchemeError(CorpusError):
    """The annotation scheme or the gold annotation file breaks a rule.

    path (Path): The file.
    rule (str): Stable snake_case rule name, e.g. 'scheme_model'.
    problems (list[str]): Every problem found, not only the first.
    """

    def __init__(
        self, message: str, *, path: Path, rule: str, problems: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.rule = rule
        self.problems = problems or [message]
