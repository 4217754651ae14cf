"""The model layer: rule sets that pre-annotate a parsed article (entities, events, quotes and
their speakers, relations, document labels), each versioned by its rule name."""
