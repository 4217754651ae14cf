"""The datasheet's plots: spans per label and layer, and article length by split.

Nothing in a PNG depends on the time or the machine: the style is fixed and the files carry no
Software or date metadata, so two renders of the same corpus are byte-identical. That is what
lets `FigureMemo` keep a drawn PNG by what it drew, and a rebuild whose plotted counts did not
change take the file instead of importing matplotlib and drawing it again (1.5 s).
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from summit_corpus.core import io
from summit_corpus.core import tables as T

# One colour per layer, so a layer looks the same in every build's plot.
LAYER_COLOURS = {
    T.LAYER_PREDICTION: "#4363d8",
    T.LAYER_HUMAN: "#f58231",
    T.LAYER_ADJUDICATED: "#3cb44b",
}


def _figure_bytes(fig: Any) -> bytes:
    buffer = _io.BytesIO()
    # No Software/date metadata: the bytes depend on the data and matplotlib's version only.
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def _style() -> Any:
    from cycler import cycler

    return {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 10,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "path.simplify": False,
        "svg.hashsalt": "summit",
        "axes.prop_cycle": cycler(color=["#4363d8", "#e6194b", "#3cb44b", "#f58231", "#911eb4"]),
    }


def plot_labels(spans_by_layer: Mapping[str, Mapping[str, int]], labels: Sequence[str]) -> bytes:
    """Horizontal bars: spans per label, one bar per layer.

    spans_by_layer (Mapping[str, Mapping[str, int]]): layer -> label -> count.
    labels (Sequence[str]): Labels in the order to draw (the scheme's).
    RETURNS (bytes): PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = [x for x in T.LAYERS if x in spans_by_layer]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7, 4))
        height = 0.8 / max(1, len(layers))
        for i, layer in enumerate(layers):
            ys = [j + i * height for j in range(len(labels))]
            counts = [spans_by_layer[layer].get(x, 0) for x in labels]
            ax.barh(ys, counts, height=height, label=layer, color=LAYER_COLOURS[layer])
        ax.set_yticks([j + height * (len(layers) - 1) / 2 for j in range(len(labels))])
        ax.set_yticklabels(list(labels))
        ax.invert_yaxis()
        ax.set_xlabel("spans")
        ax.set_title("Spans per label and layer")
        if layers:
            ax.legend(loc="lower right")
        else:
            ax.text(0.5, 0.5, "no spans", transform=ax.transAxes, ha="center")
        fig.tight_layout()
        data = _figure_bytes(fig)
        plt.close(fig)
    return data


def plot_lengths(lengths: Mapping[str, int], splits: Mapping[str, str]) -> bytes:
    """Bars: tokens per article, coloured by split.

    lengths (Mapping[str, int]): doc_id -> token count.
    splits (Mapping[str, str]): doc_id -> split.
    RETURNS (bytes): PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = sorted(lengths)
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        colours = {"train": "#4363d8", "validation": "#f58231", "test": "#3cb44b"}
        for split in T.SPLITS:
            xs = [i for i, d in enumerate(ids) if splits.get(d) == split]
            if xs:
                ax.bar(xs, [lengths[ids[i]] for i in xs], color=colours[split], label=split)
        ax.set_xticks(range(len(ids)))
        ax.set_xticklabels([d.split("_")[0] for d in ids], rotation=90 if len(ids) > 20 else 0)
        ax.set_xlabel("document (doc_id prefix)")
        ax.set_ylabel("tokens")
        ax.set_title("Article length in tokens, by split")
        ax.legend(loc="upper right")
        fig.tight_layout()
        data = _figure_bytes(fig)
        plt.close(fig)
    return data


def plot_length_histogram(lengths: Mapping[str, int], splits: Mapping[str, str]) -> bytes:
    """Histogram: documents per token-count bin, stacked by split (for corpora too big for a
    bar per document).

    lengths (Mapping[str, int]): doc_id -> token count.
    splits (Mapping[str, str]): doc_id -> split.
    RETURNS (bytes): PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"train": "#4363d8", "validation": "#f58231", "test": "#3cb44b"}
    present = [s for s in T.SPLITS if any(splits.get(d) == s for d in lengths)]
    values = [sorted(n for d, n in lengths.items() if splits.get(d) == s) for s in present]
    low, high = min(lengths.values(), default=0), max(lengths.values(), default=0)
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        if present:
            ax.hist(
                values,
                bins=40,
                range=(low, max(high, low + 1)),
                stacked=True,
                color=[colours[s] for s in present],
                label=present,
            )
            ax.legend(loc="upper right")
        ax.set_xlabel("tokens per document")
        ax.set_ylabel("documents")
        ax.set_title(f"Article length in tokens, by split ({len(lengths):,} documents)")
        fig.tight_layout()
        data = _figure_bytes(fig)
        plt.close(fig)
    return data


class FigureMemo:
    """The PNGs drawn before, each kept under a digest of the plot function, its arguments,
    this module's code and matplotlib's version.

    folder (Path | None): Where the entries live (inside the build's cache folder); None
        draws every time.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._used: set[str] = set()

    def draw(self, plot: Callable[..., bytes], *args: Any) -> bytes:
        """RETURNS (bytes): `plot(*args)`, taken from the memo when it holds an intact entry of
        the same key (the entry is the PNG's SHA-256 then the PNG), else drawn and kept."""
        if self.folder is None:
            return plot(*args)
        key = self._key(plot, args)
        self._used.add(key)
        path = self.folder / f"{key}.png"
        try:
            kept = path.read_bytes()
        except OSError:
            kept = b""
        digest, data = kept[:32], kept[32:]
        if data and hashlib.sha256(data).digest() == digest:
            os.utime(path)  # newest first when pruning
            return data
        data = plot(*args)
        self.folder.mkdir(parents=True, exist_ok=True)
        io.write_atomic(path, hashlib.sha256(data).digest() + data)
        return data

    def prune(self, keep: int = 16) -> None:
        """Delete all but the `keep` entries used last (a rebuild often returns to an earlier
        state: annotations taken back, an article removed again)."""
        if self.folder is None or not self.folder.is_dir():
            return
        entries = sorted(self.folder.glob("*.png"), key=_used_last, reverse=True)
        for path in entries[keep:]:
            if path.stem not in self._used:
                path.unlink(missing_ok=True)

    @staticmethod
    def _key(plot: Callable[..., bytes], args: tuple[Any, ...]) -> str:
        def plain(value: Any) -> Any:
            return dict(value) if isinstance(value, Mapping) else list(value)

        digest = hashlib.sha256(Path(__file__).read_bytes())
        digest.update(f"{plot.__name__}\0matplotlib {version('matplotlib')}\0".encode())
        digest.update(json.dumps(args, sort_keys=True, default=plain).encode())
        return digest.hexdigest()[:32]


def _used_last(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # deleted meanwhile
        return 0.0
