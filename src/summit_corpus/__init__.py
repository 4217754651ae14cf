"""Summit News Corpus: the toolkit that builds, validates, annotates and publishes the corpus."""

__version__ = "0.1.0"
