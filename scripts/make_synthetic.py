"""Write a deterministic synthetic corpus of raw articles (for benchmarks; never published).

python scripts/make_synthetic.py --n 2500 --out /tmp/synthetic [--seeds seeds] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from summit_corpus.build.synthetic import write_corpus
from summit_corpus.core.errors import CorpusError

# The repository's seed articles, wherever the script is run from.
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="Number of articles.")
    parser.add_argument("--out", type=Path, required=True, help="Folder to write them into.")
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="Seed articles.")
    parser.add_argument("--seed", type=int, default=0, help="Corpus seed (same seed, same files).")
    args = parser.parse_args(argv)
    try:
        paths = write_corpus(args.seeds, args.out, args.n, args.seed)
    except CorpusError as error:  # a missing or empty --seeds folder: one line, no traceback
        raise SystemExit(f"make_synthetic: {error}") from None
    print(f"wrote {len(paths)} synthetic articles to {args.out}")


if __name__ == "__main__":
    main()
