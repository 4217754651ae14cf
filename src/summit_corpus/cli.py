"""The `corpus` command. Kept thin: parse options, call one library verb, print, exit.

Each command group's options are declared here; the work lives in the stage modules.
"""

from __future__ import annotations

from pathlib import Path

import typer

from summit_corpus.core import allocator

# Before any command loads pyarrow: Arrow's allocator hands freed memory back (core/allocator.py).
allocator.arrow_hands_memory_back()

app = typer.Typer(
    help="Summit News Corpus: build, validate, annotate and publish the corpus.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _interrupt_on_term() -> None:
    """Make SIGTERM raise BuildInterrupted (and SIGINT too, naming itself), so that a build
    stopped while it is still starting says so in one line like one stopped later."""
    import signal

    from summit_corpus.core.errors import BuildInterrupted

    def interrupted(number: int, frame: object) -> None:
        raise BuildInterrupted(signal.Signals(number).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)


# --- build ---------------------------------------------------------------------------------
@app.command()
def build(
    seeds: Path = typer.Option(Path("seeds"), readable=False, help="Folder of raw article files."),
    out: Path = typer.Option(
        Path("corpus"), readable=False, help="Corpus folder to (re)write atomically."
    ),
    annotations: Path = typer.Option(
        Path("annotations"),
        readable=False,
        help="Label Studio export snapshots: the human layer.",
    ),
    datasheet: Path | None = typer.Option(
        None,
        readable=False,
        help="Where the datasheet (and its plots, in docs/datasheet/ beside it) is written. "
        "Default: DATASHEET.md here when --out is the default corpus/, else OUT/DATASHEET.md, "
        "so a build writes nothing outside --out.",
    ),
    no_datasheet: bool = typer.Option(False, "--no-datasheet", help="Write no datasheet."),
    workers: str = typer.Option(
        "auto",
        help="Worker processes that parse articles: a number, or 'auto' (this machine's cores "
        "once there are enough articles to parse to pay for starting them).",
    ),
    engine: str = typer.Option(
        "local", help="'local' (this machine's processes) or 'dask' (dask.distributed)."
    ),
    scheduler: str | None = typer.Option(
        None, help="Dask scheduler address to join (tcp://host:8786); default: a local cluster."
    ),
    cache_dir: Path | None = typer.Option(
        None,
        readable=False,
        help="Per-article cache folder (default: .corpus-cache beside --out).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Parse every article again."),
    allow_annotation_loss: bool = typer.Option(
        False,
        "--allow-annotation-loss",
        help="Build although some snapshot annotations fit no table (they are listed).",
    ),
    batch_size: int = typer.Option(32, min=1, help="Articles per batch sent to a worker."),
    chunk_documents: int = typer.Option(
        250,
        min=1,
        help="Documents validated at a time, as many or fewer published (bounds memory).",
    ),
) -> None:
    """Build, validate and publish the corpus from the raw articles in SEEDS."""
    from summit_corpus.core.errors import CorpusError, InputError

    _interrupt_on_term()  # from here on, SIGTERM is Ctrl-C (build_corpus refines it)
    try:
        from summit_corpus.build.corpus import build_corpus

        if datasheet is None:
            datasheet = Path("DATASHEET.md") if out == Path("corpus") else out / "DATASHEET.md"
        summary = build_corpus(
            seeds,
            out,
            annotations=annotations,
            datasheet=None if no_datasheet else datasheet,
            workers=workers,
            engine=engine,
            scheduler=scheduler,
            cache=not no_cache,
            cache_dir=cache_dir,
            batch_size=batch_size,
            chunk_documents=chunk_documents,
            allow_annotation_loss=allow_annotation_loss,
        )
    except InputError as error:
        _fail(str(error))
    except CorpusError as error:
        problems = getattr(error, "problems", [])
        for line in problems:
            typer.echo(line, err=True)
        _fail(str(error))
    except KeyboardInterrupt as error:
        _fail(_interrupted(error, out), code=130)
    typer.echo(summary)


def _interrupted(error: KeyboardInterrupt, out: Path) -> str:
    """RETURNS (str): The one line a build stopped by Ctrl-C or SIGTERM prints."""
    from summit_corpus.core.errors import BuildInterrupted, Errors

    name = error.signal_name if isinstance(error, BuildInterrupted) else "SIGINT"
    state = (
        f"nothing was changed; the previous corpus at {out} is intact."
        if out.exists()
        else f"nothing was written to {out}."
    )
    return Errors.E109.format(signal=name, state=state)


# --- command groups added by the stage modules' owners below -------------------------------


# --- studio: the local Label Studio server (studio.py) --------------------------------------
studio_app = typer.Typer(help="Run a local Label Studio server (own venv, 127.0.0.1 only).")
app.add_typer(studio_app, name="studio")

_PORT = typer.Option(None, help="Loopback port (default: port of LABEL_STUDIO_URL, else 8080).")
_DATA_DIR = typer.Option(
    None, help="Server data folder (default: SUMMIT_STUDIO_DATA_DIR, else ~/.local/share/...)."
)
_VENV = typer.Option(
    None, help="Label Studio's own venv (default: SUMMIT_STUDIO_VENV, else ~/.cache/...)."
)


@studio_app.command("install")
def studio_install(venv: Path | None = _VENV) -> None:
    """Create Label Studio's own venv and install the pinned version (no server started)."""
    from summit_corpus.annotate import studio
    from summit_corpus.core.errors import CorpusError

    config = studio.default_config(venv=venv)
    try:
        exe = studio.ensure_installed(config.venv, progress=typer.echo)
    except CorpusError as error:
        _fail(str(error))
    typer.echo(f"label-studio {studio.LABEL_STUDIO_VERSION} installed: {exe}")


@studio_app.command("start")
def studio_start(
    port: int | None = _PORT,
    data_dir: Path | None = _DATA_DIR,
    venv: Path | None = _VENV,
    timeout: float = typer.Option(300.0, help="Seconds to wait for /health."),
) -> None:
    """Install Label Studio if needed, start it in the background, wait until it answers.

    Prints each step, then the URL and the user to log in with.
    """
    from summit_corpus.annotate import studio
    from summit_corpus.core.errors import CorpusError

    try:
        config = studio.default_config(port, data_dir, venv)
        state = studio.start(config, timeout=timeout, progress=typer.echo)
    except CorpusError as error:
        _fail(str(error))
    typer.echo(state.describe())


@studio_app.command("stop")
def studio_stop(port: int | None = _PORT, data_dir: Path | None = _DATA_DIR) -> None:
    """Stop the server of the data folder, or the one `corpus studio start` started last."""
    from summit_corpus.annotate import studio

    config = studio.default_config(port, data_dir)
    stopped = studio.stop(config)
    if stopped:
        typer.echo(f"Label Studio at {stopped.url} stopped (data dir {stopped.data_dir}).")
    else:
        typer.echo(f"No server running from {config.data_dir}.")


@studio_app.command("status")
def studio_status(
    port: int | None = _PORT,
    data_dir: Path | None = _DATA_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Say whether the server runs; exit code 0 if it does, 1 if not."""
    import json

    from summit_corpus.annotate import studio

    state = studio.status(studio.default_config(port, data_dir))
    if as_json:
        typer.echo(json.dumps(studio.state_as_dict(state), sort_keys=True))
    else:
        typer.echo(state.describe())
    raise typer.Exit(0 if state.running else 1)


# --- annotate: the Label Studio round trip (annotate/) -----------------------------------------
annotate_app = typer.Typer(help="Push tasks to Label Studio and pull every annotation back.")
app.add_typer(annotate_app, name="annotate")

_PROJECT = typer.Option("Summit News Corpus", help="Label Studio project title.")


@annotate_app.command("push")
def annotate_push(
    corpus: Path = typer.Option(Path("corpus"), help="Built corpus folder."),
    project: str = _PROJECT,
    with_annotations: bool = typer.Option(
        True,
        "--with-annotations/--without-annotations",
        help="Carry the corpus's human layer to tasks that have no annotation yet (default), "
        "so a fresh server starts from it.",
    ),
) -> None:
    """Create/update the project and import one task per document, with predictions."""
    from summit_corpus.annotate import push_corpus
    from summit_corpus.core.errors import CorpusError

    try:
        report = push_corpus(corpus, project=project, with_annotations=with_annotations)
    except CorpusError as error:
        _fail(str(error))
    typer.echo(report.describe())


@annotate_app.command("pull")
def annotate_pull(
    project: str = _PROJECT,
    annotations: Path = typer.Option(Path("annotations"), help="Folder of snapshots."),
    corpus: Path = typer.Option(
        Path("corpus"), help="Built corpus whose sentences and tokens regions are checked against."
    ),
    remove_missing: bool = typer.Option(
        False,
        "--remove-missing",
        help="Remove from the corpus the annotations the server no longer has (each is listed; "
        "the snapshots keep them). Without it they stay in the corpus.",
    ),
) -> None:
    """Export every task and annotation into a dated, pseudonymised snapshot; say what changed."""
    from summit_corpus.annotate import connect, pull
    from summit_corpus.core.errors import CorpusError

    try:
        report = pull(
            connect(),
            project=project,
            annotations_dir=annotations,
            remove_missing=remove_missing,
            corpus=corpus if corpus.is_dir() else None,
        )
    except CorpusError as error:
        _fail(str(error))
    typer.echo(report.describe())


@annotate_app.command("agreement")
def annotate_agreement(
    annotations: Path = typer.Option(Path("annotations"), help="Folder of snapshots."),
    corpus: Path = typer.Option(Path("corpus"), help="Built corpus folder (its documents)."),
) -> None:
    """Print inter-annotator agreement of the committed snapshots (offline)."""
    from summit_corpus.annotate import (
        agreement,
        convert_snapshots,
        format_agreement,
        read_corpus_tables,
    )
    from summit_corpus.core.errors import CorpusError

    try:
        documents = read_corpus_tables(corpus, ["documents"])["documents"]
        converted = convert_snapshots(annotations, documents)
    except CorpusError as error:
        _fail(str(error))
    for problem in converted.problems:
        typer.echo(f"problem: {problem}", err=True)
    typer.echo(format_agreement(agreement(converted.tables)))


# --- validate ------------------------------------------------------------------------------
@app.command()
def validate(
    corpus: Path = typer.Argument(Path("corpus"), metavar="DIR", help="Corpus folder to check."),
    format: str = typer.Option(
        "text", "--format", help="'text' (lines) or 'json' (every failure)."
    ),
    limit: int = typer.Option(
        20, min=0, help="Text format: failures shown per (table, rule); 0 shows all."
    ),
) -> None:
    """Check every table, cross-table rule and the manifest of DIR; exit 1 on any failure."""
    import json

    from summit_corpus.validate import validate_corpus

    if format not in ("text", "json"):
        _fail(f"rule 'format': --format must be 'text' or 'json' (got {format!r}).", code=2)
    if not corpus.is_dir():
        _fail(f"{corpus}: rule 'corpus_dir': no such folder. Run `corpus build` first.", code=2)
    try:
        report = validate_corpus(corpus)
    except OSError as error:
        from summit_corpus.core.errors import Errors, printable

        detail = error.strerror or str(error)
        _fail(Errors.E260.format(path=printable(error.filename or corpus), error=detail))
    if format == "json":
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in report.lines(limit=limit or None):
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


# --- scheme --------------------------------------------------------------------------------
scheme_app = typer.Typer(help="The annotation scheme and the files generated from it.")
app.add_typer(scheme_app, name="scheme")


@scheme_app.command("generate")
def scheme_generate(
    scheme: Path = typer.Option(None, help="Scheme file (default: schemas/annotation_scheme.yaml)"),
) -> None:
    """Regenerate schemas/labeling_config.xml and schemas/GUIDELINES.md from the scheme."""
    from summit_corpus.core.errors import CorpusError
    from summit_corpus.core.generated import write_generated
    from summit_corpus.core.scheme import load_scheme

    try:
        loaded = load_scheme(scheme)
    except CorpusError as error:
        _fail(str(error))
    for path in write_generated(loaded):
        typer.echo(f"wrote {path}")


@scheme_app.command("check")
def scheme_check(
    scheme: Path = typer.Option(None, help="Scheme file (default: schemas/annotation_scheme.yaml)"),
) -> None:
    """Check the scheme file and that the generated files are current; exit 1 if not."""
    from summit_corpus.core.errors import CorpusError
    from summit_corpus.core.generated import check_generated
    from summit_corpus.core.scheme import load_scheme

    try:
        loaded = load_scheme(scheme)
    except CorpusError as error:
        _fail(str(error))
    stale = check_generated(loaded)
    for message in stale:
        typer.echo(message, err=True)
    if stale:
        raise typer.Exit(1)
    typer.echo(f"scheme {loaded.name} {loaded.version}: valid; generated files are current")


# --- evaluate ------------------------------------------------------------------------------
@app.command()
def evaluate(
    corpus: Path = typer.Option(Path("corpus"), help="Built corpus folder."),
    layer: str = typer.Option("adjudicated", help="Human layer to score against."),
) -> None:
    """Score the model layer against the human layer: P/R/F1 per label (exact match)."""
    from summit_corpus.annotate.evaluate import evaluate_corpus, render
    from summit_corpus.core.errors import CorpusError

    try:
        result = evaluate_corpus(corpus, reference_layer=layer)
    except CorpusError as error:
        _fail(str(error))
    typer.echo(render(result), nl=False)


# --- export: the corpus in training and annotation formats (export/) ------------------------
@app.command("export")
def export(
    format: str = typer.Argument(..., metavar="FORMAT", help="spacy, conll, brat or bigbio_kb."),
    layer: str = typer.Option(
        "best",
        help="best (adjudicated where a document has it, else prediction), prediction, human "
        "(one document per annotation) or adjudicated.",
    ),
    out: Path | None = typer.Option(None, help="Export folder (default: exports/FORMAT)."),
    corpus: Path = typer.Option(Path("corpus"), help="Built corpus folder."),
) -> None:
    """Write the corpus as spaCy DocBins, CoNLL-2003, BRAT standoff or BigBio KB, per split."""
    from summit_corpus.core.errors import CorpusError
    from summit_corpus.export import export_corpus

    try:
        report = export_corpus(corpus, format, out or Path("exports") / format, layer=layer)
    except CorpusError as error:
        _fail(str(error), code=2)
    typer.echo(report.describe())
