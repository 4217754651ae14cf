"""Build: raw article files become documents, sentences, tokens and the model layer.

The per-article stage (`ingest`, `pipeline`, `segment`, `model`) runs on one of the `engines`,
its rows `cache`d by content hash and `staging`d as sorted Parquet; `corpus.build_corpus` then
runs the later stages (annotate, publish, validate) and swaps the new corpus in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summit_corpus.build.corpus import build_corpus as build_corpus


def __getattr__(name: str) -> Any:
    # build_corpus runs every stage, so it is imported on first use: the per-article modules
    # stay importable (by the validator, the workers) without pulling in publish and validate.
    if name == "build_corpus":
        from summit_corpus.build.corpus import build_corpus

        return build_corpus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
