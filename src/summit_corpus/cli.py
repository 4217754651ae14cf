"""The `corpus` command. Kept thin: parse options, call one library verb, print, exit.

Each command group's options are declared here; the work lives in the stage modules.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Summit News Corpus: build, validate, annotate and publish the corpus.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


# --- build ---------------------------------------------------------------------------------
@app.command()
def build(
    seeds: Path = typer.Option(Path("seeds"), help="Folder of raw article files."),
    out: Path = typer.Option(Path("corpus"), help="Corpus folder to (re)write atomically."),
    annotations: Path = typer.Option(
        Path("annotations"), help="Label Studio export snapshots: the human layer."
    ),
    datasheet: Path = typer.Option(
        Path("DATASHEET.md"), help="Where the datasheet generated from the data is written."
    ),
) -> None:
    """Build, validate and publish the corpus from the raw articles in SEEDS."""
    from summit_corpus.build import build_corpus
    from summit_corpus.errors import CorpusError, InputError

    try:
        summary = build_corpus(seeds, out, annotations=annotations, datasheet=datasheet)
    except InputError as error:
        _fail(str(error))
    except CorpusError as error:
        problems = getattr(error, "problems", [])
        for line in problems:
            typer.echo(line, err=True)
        _fail(str(error))
    typer.echo(summary)


# --- command groups added by the stage modules' owners below -------------------------------
