"""Fixtures the build stage's tests share: the project's spaCy pipeline and its scheme."""

from __future__ import annotations

import pytest
from spacy.language import Language

from summit_corpus.build import pipeline
from summit_corpus.core.scheme import Scheme, load_scheme


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The spaCy pipeline the build parses with, loaded once for the session."""
    return pipeline.load_nlp()


@pytest.fixture(scope="session")
def scheme() -> Scheme:
    """The project's annotation scheme."""
    return load_scheme()
