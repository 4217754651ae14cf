"""What is licensed how: the text of the LICENSE file published in the corpus folder.

The code is MIT-licensed (pyproject.toml, the repository's LICENSE); the annotations and
metadata this project made are CC BY 4.0; the article texts are their publishers'. The card
links this file (`license_link`) and croissant.json lists both terms.
"""

from __future__ import annotations

ANNOTATIONS_LICENSE = "CC-BY-4.0"
ANNOTATIONS_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
CODE_LICENSE = "MIT"

CORPUS_LICENSE = """\
Summit News Corpus: licence terms of this dataset folder

This folder holds two kinds of material under different terms.

1. Annotations and metadata: Creative Commons Attribution 4.0 International (CC BY 4.0),
   https://creativecommons.org/licenses/by/4.0/
   Everything this project made: the spans, relations and document labels of every layer
   (model predictions and human annotations), the sentence and token segmentation, the
   split assignment, the metadata fields read from the articles (titles, dates, bylines,
   credits, update sections) as structured data, the annotation records, this folder's
   dataset card, croissant.json and MANIFEST.json.
   Attribution: "Summit News Corpus project".

2. Article texts: copyright of their publishers.
   The `text` of each document (and the sentence, token and span strings cut from it, and
   the removed raw lines) reproduces news articles whose copyright stays with the outlets
   and agencies that published them. This project grants no licence to them. They are
   included for non-commercial research on information extraction; do not redistribute
   them commercially, and ask the publisher for any other use.

The software that builds this folder (the `summit-corpus` toolkit) is MIT-licensed; see
the LICENSE file of its repository.
"""
