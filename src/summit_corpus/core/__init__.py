"""The core every stage uses: table definitions, errors, file I/O, folder layout, document
chunks and the annotation scheme. It imports no stage."""
