"""The Dask worker plugin that loads the spaCy pipeline once per worker.

Kept apart from `engines.py` so that importing the engines does not import
`dask.distributed` (an optional extra: `pip install "summit-corpus[dask]"`).
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from summit_corpus.build import pipeline


class LoadPipeline(WorkerPlugin):
    """Load the spaCy pipeline when a worker starts (or restarts after a crash)."""

    name = "summit-corpus-load-pipeline"
    idempotent = True

    def setup(self, worker: Any) -> None:
        # Cached per process: every later batch on this worker reuses the loaded pipeline.
        pipeline.load_nlp()
