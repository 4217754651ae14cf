"""The datasheet's plots: spans per label and layer, and article length by split, as SVG.

Each plot is laid out here in pixels (a `Chart` of bars, lines and labels) and written as SVG by
templates/plot.svg.j2. Nothing in the file depends on the time, the machine or a library's
version, so two renders of the same corpus are byte-identical. Drawing takes milliseconds:
matplotlib, which drew PNGs before, cost a rebuild 2.5-3.5 s (0.9 s to import it, up to 2 s
for a 2,500-document histogram), a third of the rebuild after adding one article.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from summit_corpus.core import tables as T
from summit_corpus.publish import templating

# One colour per layer, so a layer looks the same in every build's plot.
LAYER_COLOURS = {
    T.LAYER_PREDICTION: "#4363d8",
    T.LAYER_HUMAN: "#f58231",
    T.LAYER_ADJUDICATED: "#3cb44b",
}
SPLIT_COLOURS = {"train": "#4363d8", "validation": "#f58231", "test": "#3cb44b"}

LABELS_TITLE = "Spans per label and layer"
LENGTHS_TITLE = "Article length in tokens, by split"
HISTOGRAM_TITLE = "Article length in tokens, by split ({documents} documents)"
HISTOGRAM_BINS = 40
WIDTH = 700
GRID_COLOUR = "#dddddd"
AXIS_COLOUR = "#333333"
# Average glyph width of the 11 px font, for the margins that must hold tick labels (SVG text
# cannot be measured before a viewer renders it).
GLYPH_WIDTH = 6.6
# Documents past which the per-document tick labels are turned upright.
ROTATE_AFTER = 20


@dataclass(frozen=True, slots=True)
class Bar:
    """A filled rectangle in pixels, with the tooltip a browser shows over it."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class Line:
    """A line in pixels: a gridline (light) or an axis (dark)."""

    x1: float
    y1: float
    x2: float
    y2: float
    colour: str


@dataclass(frozen=True, slots=True)
class Label:
    """Text at a point in pixels. anchor: SVG's text-anchor; rotate: degrees about the point."""

    x: float
    y: float
    text: str
    anchor: str = "middle"
    rotate: int = 0
    size: int = 11


@dataclass(frozen=True, slots=True)
class Chart:
    """One plot, laid out: what templates/plot.svg.j2 writes, in drawing order."""

    width: int
    height: int
    title: str
    lines: tuple[Line, ...]
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]
    legend: tuple[tuple[str, str], ...]  # (colour, name), one entry per line
    legend_at: tuple[float, float]  # the top-right corner of the legend's area, in pixels


@dataclass(frozen=True, slots=True)
class Scale:
    """Data values from `low` to `high` onto pixels from `start` to `end` (either way round)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return round(self.start + (value - self.low) * (self.end - self.start) / span, 2)


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values from `low` up to at least `high`, about `count` of them, steps of
    1, 2 or 5 times a power of ten (whole numbers only: the plots count things).

    RETURNS (list[float]): The ticks, the first at or below `low`, the last at or above `high`.
    """
    raw = max(high - low, 1) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return [first + i * step for i in range(round((last - first) / step) + 1)]


def _axes(left: float, top: float, right: float, bottom: float) -> list[Line]:
    """The plot area's bottom and left edges."""
    return [
        Line(left, bottom, right, bottom, AXIS_COLOUR),
        Line(left, top, left, bottom, AXIS_COLOUR),
    ]


def _tick_text(value: float) -> str:
    return f"{value:,.0f}"


def _svg(chart: Chart) -> bytes:
    return templating.render("plot.svg.j2", {"chart": chart}).encode("utf-8")


def _value_axis_vertical(
    ticks: Sequence[float], scale: Scale, left: float, right: float
) -> tuple[list[Line], list[Label]]:
    """Gridlines across the plot and tick labels on the left, for a vertical value axis."""
    lines = [Line(left, scale(v), right, scale(v), GRID_COLOUR) for v in ticks]
    labels = [Label(left - 6, scale(v) + 4, _tick_text(v), "end") for v in ticks]
    return lines, labels


def plot_labels(spans_by_layer: Mapping[str, Mapping[str, int]], labels: Sequence[str]) -> bytes:
    """Horizontal bars: spans per label, one bar per layer.

    spans_by_layer (Mapping[str, Mapping[str, int]]): layer -> label -> count.
    labels (Sequence[str]): Labels in the order to draw (the scheme's).
    RETURNS (bytes): SVG.
    """
    layers = [x for x in T.LAYERS if x in spans_by_layer]
    height = 60 + 40 * max(1, len(labels))
    left = 20 + GLYPH_WIDTH * max((len(x) for x in labels), default=1)
    top, right, bottom = 34.0, WIDTH - 20.0, height - 45.0
    most = max((n for counts in spans_by_layer.values() for n in counts.values()), default=0)
    ticks = nice_ticks(0, max(most, 1))
    x = Scale(0, ticks[-1], left, right)
    band = (bottom - top) / max(1, len(labels))
    bar = band * 0.8 / max(1, len(layers))
    bars = []
    for j, label in enumerate(labels):
        for i, layer in enumerate(layers):
            count = spans_by_layer[layer].get(label, 0)
            y = round(top + j * band + band * 0.1 + i * bar, 2)
            bars.append(
                Bar(
                    left,
                    y,
                    x(count) - left,
                    round(bar, 2),
                    LAYER_COLOURS[layer],
                    f"{label}, {layer}: {count:,}",
                )
            )
    lines = [Line(x(v), top, x(v), bottom, GRID_COLOUR) for v in ticks]
    lines += _axes(left, top, right, bottom)
    texts = [Label(x(v), bottom + 16, _tick_text(v)) for v in ticks]
    texts += [
        Label(left - 8, round(top + (j + 0.5) * band + 4, 2), name, "end")
        for j, name in enumerate(labels)
    ]
    texts += [Label((left + right) / 2, bottom + 36, "spans")]
    if not layers:
        texts.append(Label((left + right) / 2, (top + bottom) / 2, "no spans"))
    legend = tuple((LAYER_COLOURS[x], x) for x in layers)
    # Lower right, where the last labels' bars (QUOTE) are short, as matplotlib placed it.
    legend_top = bottom - 24 - 18 * len(legend)
    chart = Chart(
        WIDTH,
        height,
        LABELS_TITLE,
        tuple(lines),
        tuple(bars),
        tuple(texts),
        legend,
        (right, legend_top),
    )
    return _svg(chart)


def plot_lengths(lengths: Mapping[str, int], splits: Mapping[str, str]) -> bytes:
    """Bars: tokens per article, coloured by split, in doc_id order.

    lengths (Mapping[str, int]): doc_id -> token count.
    splits (Mapping[str, str]): doc_id -> split.
    RETURNS (bytes): SVG.
    """
    ids = sorted(lengths)
    rotate = len(ids) > ROTATE_AFTER
    names = [d.split("_")[0] for d in ids]
    label_room = GLYPH_WIDTH * max((len(x) for x in names), default=1) if rotate else 16
    height = round(330 + label_room)
    left, top, right, bottom = 70.0, 34.0, WIDTH - 20.0, height - 30 - label_room
    ticks = nice_ticks(0, max(max(lengths.values(), default=0), 1))
    y = Scale(0, ticks[-1], bottom, top)
    x = Scale(-0.5, len(ids) - 0.5, left, right)
    slot = (right - left) / max(1, len(ids))
    bars = [
        Bar(
            round(x(i) - slot * 0.4, 2),
            y(lengths[d]),
            round(slot * 0.8, 2),
            round(bottom - y(lengths[d]), 2),
            SPLIT_COLOURS.get(splits.get(d, ""), "#999999"),
            f"{d} ({splits.get(d, 'no split')}): {lengths[d]:,} tokens",
        )
        for i, d in enumerate(ids)
    ]
    lines, texts = _value_axis_vertical(ticks, y, left, right)
    lines += _axes(left, top, right, bottom)
    for i, name in enumerate(names):
        if rotate:
            texts.append(Label(x(i) + 4, bottom + 8, name, "end", -90))
        else:
            texts.append(Label(x(i), bottom + 16, name))
    texts += [
        Label((left + right) / 2, height - 10, "document (doc_id prefix)"),
        Label(18, (top + bottom) / 2, "tokens", "middle", -90),
    ]
    present = [s for s in T.SPLITS if s in {splits.get(d) for d in ids}]
    legend = tuple((SPLIT_COLOURS[s], s) for s in present)
    chart = Chart(
        WIDTH, height, LENGTHS_TITLE, tuple(lines), tuple(bars), tuple(texts), legend, (right, top)
    )
    return _svg(chart)


def length_bins(values: Sequence[int], low: int, high: int, bins: int) -> list[int]:
    """Count values into `bins` equal bins over [low, high], the last bin closed (as numpy's
    histogram does).

    RETURNS (list[int]): One count per bin.
    """
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / width)))] += 1
    return counts


def plot_length_histogram(lengths: Mapping[str, int], splits: Mapping[str, str]) -> bytes:
    """Histogram: documents per token-count bin, stacked by split (for corpora too big for a
    bar per document).

    lengths (Mapping[str, int]): doc_id -> token count.
    splits (Mapping[str, str]): doc_id -> split.
    RETURNS (bytes): SVG.
    """
    present = [s for s in T.SPLITS if any(splits.get(d) == s for d in lengths)]
    low = min(lengths.values(), default=0)
    high = max(max(lengths.values(), default=0), low + 1)
    per_split = {
        s: length_bins(
            [n for d, n in lengths.items() if splits.get(d) == s], low, high, HISTOGRAM_BINS
        )
        for s in present
    }
    totals = [sum(counts[b] for counts in per_split.values()) for b in range(HISTOGRAM_BINS)]
    height = 350
    left, top, right, bottom = 70.0, 34.0, WIDTH - 20.0, height - 45.0
    y_ticks = nice_ticks(0, max(max(totals, default=0), 1))
    y = Scale(0, y_ticks[-1], bottom, top)
    x = Scale(low, high, left, right)
    width = (high - low) / HISTOGRAM_BINS
    bars = []
    for b in range(HISTOGRAM_BINS):
        start, stacked = low + b * width, 0
        for split in present:
            count = per_split[split][b]
            if count:
                bars.append(
                    Bar(
                        x(start),
                        y(stacked + count),
                        round(x(start + width) - x(start), 2),
                        round(y(stacked) - y(stacked + count), 2),
                        SPLIT_COLOURS[split],
                        f"{split}, {start:,.0f}-{start + width:,.0f} tokens: {count:,} documents",
                    )
                )
                stacked += count
    lines, texts = _value_axis_vertical(y_ticks, y, left, right)
    lines += _axes(left, top, right, bottom)
    for value in nice_ticks(low, high):
        if low <= value <= high:
            lines.append(Line(x(value), bottom, x(value), bottom + 4, AXIS_COLOUR))
            texts.append(Label(x(value), bottom + 16, _tick_text(value)))
    texts += [
        Label((left + right) / 2, bottom + 36, "tokens per document"),
        Label(18, (top + bottom) / 2, "documents", "middle", -90),
    ]
    title = HISTOGRAM_TITLE.format(documents=f"{len(lengths):,}")
    legend = tuple((SPLIT_COLOURS[s], s) for s in present)
    chart = Chart(
        WIDTH, height, title, tuple(lines), tuple(bars), tuple(texts), legend, (right, top)
    )
    return _svg(chart)
