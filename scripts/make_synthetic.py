"""Write a deterministic synthetic corpus of raw articles (for benchmarks; never published).

python scripts/make_synthetic.py --n 2500 --out /tmp/synthetic [--seeds seeds] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from summit_corpus.build.synthetic import write_corpus


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="Number of articles.")
    parser.add_argument("--out", type=Path, required=True, help="Folder to write them into.")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), help="Seed articles.")
    parser.add_argument("--seed", type=int, default=0, help="Corpus seed (same seed, same files).")
    args = parser.parse_args(argv)
    paths = write_corpus(args.seeds, args.out, args.n, args.seed)
    print(f"wrote {len(paths)} synthetic articles to {args.out}")


if __name__ == "__main__":
    main()
