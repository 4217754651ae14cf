"""Enter the gold human layer of the seeds into a running Label Studio, as annotations.

The gold layer (annotations/gold/seeds_gold.yaml, made by careful reading of the five seed
articles) is resolved to Label Studio results against the corpus's clean text and entered
through the REST API the way the web UI saves an annotation (POST /api/tasks/{id}/annotations),
by one annotator account, marked ground truth. Tasks that already have annotations are left
alone, so running it twice enters nothing twice. Afterwards `corpus annotate pull` stores the
real, pseudonymised snapshot under annotations/.

Needs a running server (`corpus studio start`), LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY, and a
built corpus.

    python scripts/enter_gold.py --corpus corpus
    corpus annotate pull
"""

from __future__ import annotations

import argparse
from pathlib import Path

from summit_corpus import annotate
from summit_corpus.annotate.gold import GOLD_PATH, resolve_gold

# The gold reader's account. Its e-mail never leaves the server: pull replaces it by a
# keyed pseudonym. The datasheet says who this annotator is (the scheme helper's reading).
GOLD_ANNOTATOR = "gold-reader@summit-corpus.invalid"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--gold", type=Path, default=GOLD_PATH)
    parser.add_argument("--project", default=annotate.DEFAULT_PROJECT)
    parser.add_argument("--annotator", default=GOLD_ANNOTATOR, help="Annotator account e-mail.")
    args = parser.parse_args()

    documents = annotate.read_corpus_tables(args.corpus, ["documents"])["documents"]
    texts = dict(zip(documents["doc_id"].to_pylist(), documents["text"].to_pylist(), strict=True))
    resolved = resolve_gold(args.gold, texts)
    client = annotate.connect()
    # the gold reading is entered below, so the corpus human layer is not carried over
    report = annotate.push_corpus(
        args.corpus, project=args.project, with_annotations=False, client=client
    )
    print(report.describe())
    user_id = annotate.ensure_user(client, args.annotator)
    entered = annotate.enter_annotations(
        client, report.project_id, resolved, completed_by=user_id, ground_truth=True
    )
    skipped = sorted(set(resolved) - set(entered))
    print(f"entered {len(entered)} gold annotation(s): {', '.join(sorted(entered)) or '-'}")
    if skipped:
        print(f"left alone (task already annotated): {', '.join(skipped)}")


if __name__ == "__main__":
    main()
