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
    E005 = (
        "{path}: rule 'unique_doc_id': doc_id '{doc_id}' is also the id of {other}. "
        "Rename one of the files."
    )
    W002 = (
        "{path}: rule 'unique_content': same bytes as {other} (SHA-256 {sha256}); both are "
        "built as given, and the splits keep them together as near-duplicates."
    )
    E006 = "{path}: rule 'has_body': no article text left after removing page furniture."
    E007 = "{path}: rule 'seeds_dir': no such folder. Pass --seeds DIR."
    E008 = "{path}: rule 'seeds_dir': no raw article files found."
    W001 = (
        "{path}: rule 'control_character': {count} control character(s) kept in the text as "
        "they are (the text stays the raw file's, character for character)."
    )
    E010 = (
        "{path}: rule 'encoding': {found}; articles must be UTF-8. Re-save the file as UTF-8 "
        "(for example with `iconv -f {codec} -t UTF-8`)."
    )
    E011 = "{path}: rule 'readable': cannot read this {what} ({error}). Fix its permissions or move it out of --seeds."
    E012 = (
        "{path}: rule 'file_name_utf8': the file name is not valid UTF-8, so it cannot become a "
        "doc_id. Rename the file."
    )
    E013 = (
        "{path}: rule 'doc_id_pattern': the file name gives doc_id {doc_id}, but a doc_id may "
        "hold only ASCII letters, digits, '_', '.', '-' and '/'. Rename the file."
    )
    E014 = (
        "{path}: rule 'unchanged': the file changed while the build ran (its bytes are not the "
        "ones the seeds folder was listed with). Build again once nothing writes to --seeds."
    )
    # build
    E101 = "build failed: {count} raw file(s) rejected; the previous corpus was left as it was."
    E102 = "build failed: the new corpus is invalid ({count} failure(s)); the previous corpus was left as it was."
    E103 = "{path}: article failed in the pipeline: {error}"
    E104 = "build failed: the annotations' {table} rows of document {doc_id!r} have no article in the seeds; the previous corpus was left as it was."
    E105 = (
        "{path}: rule 'disk_write': {error}. The build stopped and the previous corpus was left "
        "as it was. Free space, fix the folder's permissions, or pass another --out."
    )
    E106 = (
        "{out}: rule 'one_build_at_a_time': another build (pid {pid}) is writing this corpus "
        "(lock {lock}). Wait for it to finish, or stop it."
    )
    E107 = (
        "{out}: rule 'out_is_corpus': {what}, so the build will not replace it. Pass another "
        "--out, or remove it yourself."
    )
    E108 = (
        "{out}: rule 'out_unchanged': the folder appeared or changed while the build ran (written without "
        "taking {lock}); the new corpus was not installed. Run the build again."
    )
    E109 = "build interrupted ({signal}): {state}"
    E110 = (
        "{path}: rule 'datasheet_target': this datasheet file's path is a folder, so the "
        "datasheet cannot be written; the previous corpus was left as it was. Remove the "
        "folder or pass another --datasheet."
    )
    E111 = (
        "build failed: {count} annotation problem(s) in the snapshots would lose annotations or "
        "break the scheme; the previous corpus was left as it was. Fix the snapshot or the "
        "scheme, or pass --allow-annotation-loss to build without the annotations listed."
    )
    # validate: E2xx. Fields: {where} (table, file and row ids), {column}, {value}.
    E201 = (
        "{where}: rule 'column_present': column '{column}' is missing. Rebuild the corpus or "
        "add the column."
    )
    E202 = (
        "{where}: rule 'unknown_column': column {value} is not in tables.py. Add it there or "
        "drop it."
    )
    E203 = (
        "{where}: rule 'dtype': column '{column}' has the wrong Arrow type (got {value}). Write "
        "it with the table's schema."
    )
    E204 = "{where}: rule 'not_null': '{column}' must not be null (got {value})."
    E205 = "{where}: rule 'min_value': '{column}' is below its lower bound (got {value})."
    E206 = (
        "{where}: rule 'allowed_values': '{column}' must be one of the column's allowed values "
        "(got {value})."
    )
    E207 = (
        "{where}: rule 'in_vocabulary': '{column}' must be a label of the annotation scheme (got {value}). "
        "Fix the label or add it to schemas/."
    )
    E208 = "{where}: rule 'pattern': '{column}' does not match its pattern (got {value})."
    E209 = (
        "{where}: rule 'vocabulary_missing': column '{column}' names vocabulary {value}, which the scheme "
        "does not provide, so its labels cannot be checked. Add it to the scheme."
    )
    E210 = (
        "{where}: rule 'unique_key': the row's ids are not unique (got {value}). Give each row "
        "its own id."
    )
    E211 = "{where}: rule 'start_before_end': start must be < end (got {value})."
    E212 = (
        "{where}: rule 'text_sha256_matches': 'text_sha256' is not the SHA-256 of 'text' (got "
        "{value})."
    )
    E213 = (
        "{where}: rule 'updates_in_text': an update section is not within the text with start < "
        "end (got {value})."
    )
    E214 = (
        "{where}: rule 'removed_line_numbers_unique': removed line numbers must be distinct and "
        ">= 1 (got {value})."
    )
    E215 = "{where}: rule 'nested_not_null': a nested field must not be null (got {value})."
    E216 = (
        "{where}: rule 'whitespace_is_space': 'whitespace' must hold whitespace only (got {value})."
    )
    E217 = (
        "{where}: rule 'rows_sorted': the row is out of the table's sort order (got {value}). "
        "Write rows sorted by the table's sort_by columns."
    )
    E218 = (
        "{where}: rule 'source_rebuilds': text, removed_lines, final_newline and has_bom do not "
        "rebuild the raw file of source_sha256 (got {value})."
    )
    E219 = (
        "{where}: rule 'stated_time_matches': the UTC time is not the stated local time in UTC "
        "(null for a bare date) (got {value})."
    )
    E220 = "{where}: rule 'document_exists': doc_id {value} is not in the documents table."
    E221 = (
        "{where}: rule 'offsets_in_text': offsets must lie within the document text (got {value})."
    )
    E222 = (
        "{where}: rule 'surface_matches_text': 'text' must equal the document's text[start:end] (got {value}). "
        "Check that offsets are Python str indices into the clean text."
    )
    E223 = (
        "{where}: rule 'ids_consecutive': '{column}' must run 0, 1, 2, ... within the document "
        "(got {value})."
    )
    E224 = (
        "{where}: rule 'sentences_no_overlap': the sentence overlaps the previous one (got "
        "{value})."
    )
    E225 = (
        "{where}: rule 'sentence_gaps_are_space': text outside sentences must be whitespace "
        "only (got {value})."
    )
    E226 = "{where}: rule 'sentence_exists': sentence_id {value} is not a sentence of the document."
    E227 = "{where}: rule 'token_in_sentence': the token is not inside its sentence (got {value})."
    E228 = "{where}: rule 'tokens_no_overlap': the token overlaps the previous one (got {value})."
    E229 = (
        "{where}: rule 'tokens_rebuild_text': token text + whitespace must rebuild the document text "
        "(got {value})."
    )
    E230 = (
        "{where}: rule 'head_token_exists': head_token_id is not a token of the document (got "
        "{value})."
    )
    E231 = (
        "{where}: rule 'head_in_sentence': the token's head is in another sentence (got {value})."
    )
    E232 = "{where}: rule 'span_on_token_boundaries': the span splits a token (got {value})."
    E233 = "{where}: rule 'head_span_exists': head_span_id {value} is not a span of the document."
    E234 = "{where}: rule 'tail_span_exists': tail_span_id {value} is not a span of the document."
    E235 = (
        "{where}: rule 'endpoint_same_layer': the relation's spans must be in its layer (got "
        "{value})."
    )
    E236 = (
        "{where}: rule 'endpoint_labels_allowed': the scheme does not allow this relation "
        "between these labels (got {value})."
    )
    E237 = (
        "{where}: rule 'value_of_label': value {value} is not a value of this document label in "
        "the scheme."
    )
    E238 = (
        "{where}: rule 'single_choice': a single-choice label has several values in one "
        "annotation (got {value})."
    )
    E239 = (
        "{where}: rule 'annotation_exists': annotation_id {value} is not in the annotations "
        "table for the document."
    )
    E240 = (
        "{where}: rule 'document_in_one_split': the document is in more than one split (got "
        "{value})."
    )
    E241 = (
        "{where}: rule 'split_matches_document': the row is not in its document's split (got "
        "{value})."
    )
    E242 = (
        "{where}: rule 'assigned_split_matches_file': the split column names another split "
        "(got {value})."
    )
    E243 = (
        "{where}: rule 'group_in_one_split': the leakage group is in more than one split "
        "(got {value})."
    )
    E244 = "{where}: rule 'group_size_matches': group_size is not the group's size (got {value})."
    E245 = (
        "{where}: rule 'nested_matches_table': the documents config's nested records differ from "
        "the flat table (got {value}). Publish both from the same tables."
    )
    E262 = (
        "{where}: rule 'bigbio_matches_documents': the example differs from the one the "
        "documents config makes (got {value}). Republish the bigbio_kb config."
    )
    E246 = (
        "{where}: rule 'ner_matches_tables': the ner row differs from the one made from the "
        "tokens and spans (got {value}). Republish the ner config."
    )
    E247 = (
        "{where}: rule 'stale_flag_matches': 'stale' must say whether the annotated text differs "
        "from the document's (got {value})."
    )
    E248 = "{where}: rule 'root_heads_itself': a ROOT token must be its own head (got {value})."
    E249 = (
        "{where}: rule 'update_sections_match_text': an update section is not where the text "
        "puts it (got {value}). Rebuild the corpus."
    )
    E250 = "{where}: rule 'table_present': no Parquet files in {value}. Rebuild the corpus."
    E251 = "{where}: rule 'parquet_readable': the file is not readable Parquet ({value})."
    E252 = (
        "{where}: rule 'split_name': data files must be named <split>-*.parquet with split "
        "train, validation or test (got {value})."
    )
    E253 = (
        "{where}: rule 'manifest_present': MANIFEST.json is missing or malformed ({value}). "
        "Rebuild the corpus."
    )
    E254 = (
        "{where}: rule 'manifest_hash_matches': the file's SHA-256 is not the manifest's (got {value}). "
        "The file changed after the build: rebuild the corpus."
    )
    E255 = (
        "{where}: rule 'manifest_lists_file': the file is not in MANIFEST.json. Remove it or "
        "rebuild the corpus."
    )
    E256 = (
        "{where}: rule 'manifest_file_exists': the file in MANIFEST.json is missing. Rebuild "
        "the corpus."
    )
    E257 = (
        "{where}: rule 'check_error': a check crashed ({value}). This is a bug in the validator (summit_corpus.validate); "
        "please report it."
    )
    E258 = (
        "{where}: rule 'card_yaml': the dataset card's YAML header does not parse ({value}). "
        "Fix README.md or rebuild the corpus."
    )
    E259 = (
        "{where}: rule 'card_configs_match': the card's configs and the data files differ "
        "(got {value}). Rebuild the corpus."
    )
    E260 = (
        "{path}: rule 'corpus_readable': cannot read the corpus ({error}). Fix the folder's "
        "permissions or pass another folder."
    )
    E261 = (
        "{where}: rule 'ner_iob2_valid': the tags are not IOB2 (got {value}): an I- tag "
        "starts the sentence or follows another entity. A span crosses a sentence break or "
        "splits differently from the tokens; fix the region in Label Studio (`corpus annotate "
        "pull` names it) and rebuild."
    )
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
    E510 = "{folder}: rule 'corpus_tables': no {table} table here. Run `corpus build` first or pass --corpus."
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
        "{url}: rule 'port_free': another program already listens on this port (not the Label "
        "Studio of {data_dir}); nothing was started. Stop it, or pass --port (and set "
        "LABEL_STUDIO_URL to match)."
    )
    E604 = "rule 'studio_started': label-studio exited with code {code} during start-up; see {log}."
    E605 = "{url}: rule 'studio_started': /health did not answer within {timeout:.0f} s; see {log}."
    E606 = (
        "{url}: rule 'studio_reachable': cannot reach Label Studio ({detail}). "
        "Start it with `corpus studio start` or set LABEL_STUDIO_URL."
    )
    E607 = (
        "rule 'api_key': LABEL_STUDIO_API_KEY is not set. Export the token of the server's admin."
    )
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
    E612 = "rule 'server_answer': Label Studio answered {what} with an unexpected value ({detail})."
    E613 = (
        "project '{title}': rule 'label_config': Label Studio refused the new labeling config "
        "({detail}). Existing annotations use labels the new scheme removes; keep them or make a "
        "new project with --project."
    )
    E615 = (
        "{url}: rule 'api_key': Label Studio answers but refuses the token (401): "
        "LABEL_STUDIO_API_KEY is not the token of a user on this server. Use the "
        "LABEL_STUDIO_API_KEY the server was first started with, or copy the token from "
        "Account & Settings in its web UI."
    )
    E614 = (
        "rule 'one_model_version': the tasks of one push carry {count} model versions ({versions}); "
        "Label Studio shows only the project's, so make them with one `model_version`."
    )
    E616 = (
        "{url}: rule 'studio_reachable': Label Studio stopped answering during {what} ({detail}). "
        "Start it again (`corpus studio start`) and run the command again: a push resumes "
        "without duplicating tasks or annotations."
    )
    E617 = (
        "{url}: rule 'server_answer': Label Studio answered HTTP {status} during {what} "
        "({detail}). Check the server's log and the project, then run the command again."
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
    E706 = (
        "rule 'publish_table': no published config for table(s) {tables!r}; publishable tables "
        "are {known!r}. Add the table to tables.py and publish.FLAT, or leave it out."
    )
    # engines, cache, benchmarks: E8xx
    E800 = "rule 'engine_known': no engine '{kind}' (engines: {kinds}). Pass --engine local or --engine dask."
    E801 = (
        "rule 'workers_positive': --workers must be 'auto' or a number of at least 1 "
        "(got {workers})."
    )
    E802 = (
        "rule 'dask_installed': the dask engine needs dask.distributed ({error}). "
        'Install it with `pip install "summit-corpus[dask]"`.'
    )
    E803 = (
        "{address}: rule 'scheduler_reachable': cannot join the Dask scheduler ({error}). "
        "Check the address (tcp://host:8786) or leave --scheduler out to start a local cluster."
    )
    E804 = "{address}: rule 'scheduler_needs_dask': --scheduler is only used with --engine dask."
    # export: E9xx
    E901 = "rule 'export_format': no export format '{name}' (formats: {formats}). Pass one of them."
    E902 = (
        "rule 'export_layer': no layer '{name}' (layers: {layers}). Pass --layer with one of them."
    )
    E903 = "{path}: rule 'corpus_documents': no documents config here. Run `corpus build` first or pass --corpus."
    E904 = (
        "doc '{doc_id}': rule 'tokens_rebuild_text': the tokens and their whitespace do not rebuild the "
        "text (they differ from offset {offset}). Rebuild the corpus; `corpus validate` names the token."
    )
    E905 = (
        "doc '{doc_id}': rule 'span_on_tokens': span '{span_id}' [{start}, {end}) does not start and "
        "end on token boundaries, so spaCy cannot hold it. Fix the span's offsets."
    )
    E906 = "{path}:{line}: rule '{rule}': {detail}."


def printable(value: object) -> str:
    """Escape what a terminal would act on or cannot show, for a name inside a message.

    Control and format characters (an ESC sequence, a bidi override) become `\\x1b`-style
    escapes; the undecodable bytes of a file name (surrogate escapes) become `\\xff`.

    value (object): A path or name.
    RETURNS (str): `str(value)`, escaped where needed.
    """
    text = str(value)
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char.isprintable():
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


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


class BuildInterrupted(KeyboardInterrupt):
    """A build stopped by SIGINT (Ctrl-C) or SIGTERM; the corpus was left as it was.

    signal_name (str): 'SIGINT' or 'SIGTERM'.
    """

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


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


class ExportError(CorpusError):
    """An export cannot be written, or an exported file cannot be read back.

    rule (str): Stable snake_case rule name, e.g. 'export_format'.
    path (Path | None): The file concerned, where there is one.
    """

    def __init__(self, message: str, *, rule: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.path = path


class EngineError(CorpusError):
    """An engine (process pool or Dask cluster) cannot be started or joined."""
