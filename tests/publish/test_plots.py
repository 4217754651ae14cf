"""The datasheet's plots are SVG laid out by code: well-formed XML, one bar per count drawn to
scale with its count as a tooltip, and the same bytes for the same counts."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import numpy as np

from summit_corpus.publish import plots

SVG = "{http://www.w3.org/2000/svg}"
COUNTS = {"prediction": {"PERSON": 30, "ORG": 10}, "human": {"PERSON": 15}}
LABELS = ["PERSON", "ORG", "QUOTE"]


def bars(svg: bytes) -> dict[str, ET.Element]:
    """The plot's bars by their tooltip."""
    root = ET.fromstring(svg)
    found = {}
    for rect in root.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        if title is not None:
            found[title.text or ""] = rect
    return found


def texts(svg: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


class TestLabelsPlot:
    def test_one_bar_per_label_and_layer_with_its_count(self) -> None:
        drawn = bars(plots.plot_labels(COUNTS, LABELS))
        assert set(drawn) == {
            f"{label}, {layer}: {COUNTS[layer].get(label, 0)}"
            for label in LABELS
            for layer in ("prediction", "human")
        }

    def test_bar_lengths_are_to_scale(self) -> None:
        drawn = bars(plots.plot_labels(COUNTS, LABELS))
        person = float(drawn["PERSON, prediction: 30"].get("width", 0))
        org = float(drawn["ORG, prediction: 10"].get("width", 0))
        assert person > 0 and abs(person - 3 * org) < 0.05
        assert float(drawn["QUOTE, human: 0"].get("width", 1)) == 0

    def test_labels_legend_and_title_are_written(self) -> None:
        written = texts(plots.plot_labels(COUNTS, LABELS))
        assert {"PERSON", "ORG", "QUOTE", "prediction", "human", plots.LABELS_TITLE} <= set(written)
        assert "adjudicated" not in written  # a layer with no rows has no legend entry

    def test_no_spans_says_so(self) -> None:
        assert "no spans" in texts(plots.plot_labels({}, LABELS))

    def test_text_is_escaped(self) -> None:
        """A label with markup characters still gives well-formed XML that shows it as typed."""
        svg = plots.plot_labels({"prediction": {"A&B <x>": 2}}, ["A&B <x>"])
        assert "A&B <x>" in texts(svg)

    def test_the_same_counts_give_the_same_bytes(self) -> None:
        again = {layer: dict(reversed(c.items())) for layer, c in reversed(COUNTS.items())}
        assert plots.plot_labels(COUNTS, LABELS) == plots.plot_labels(again, LABELS)
        assert plots.plot_labels(COUNTS, LABELS) != plots.plot_labels({"human": {"ORG": 1}}, LABELS)


class TestLengthPlots:
    def test_one_bar_per_document_coloured_by_split(self) -> None:
        lengths = {"a_1": 100, "b_2": 50}
        splits = {"a_1": "train", "b_2": "test"}
        drawn = bars(plots.plot_lengths(lengths, splits))
        assert set(drawn) == {"a_1 (train): 100 tokens", "b_2 (test): 50 tokens"}
        assert drawn["a_1 (train): 100 tokens"].get("fill") == plots.SPLIT_COLOURS["train"]
        tall = float(drawn["a_1 (train): 100 tokens"].get("height", 0))
        assert abs(tall - 2 * float(drawn["b_2 (test): 50 tokens"].get("height", 0))) < 0.05

    def test_many_documents_have_upright_tick_labels(self) -> None:
        few = {f"d{i}_x": 10 for i in range(plots.ROTATE_AFTER)}
        many = {f"d{i}_x": 10 for i in range(plots.ROTATE_AFTER + 1)}
        splits = dict.fromkeys(many, "train")
        # The value axis's title ("tokens") is upright in both.
        assert plots.plot_lengths(few, splits).count(b"rotate(-90") == 1
        assert plots.plot_lengths(many, splits).count(b"rotate(-90") == 1 + len(many)

    def test_histogram_bins_count_as_numpy_does(self) -> None:
        rng = random.Random(7)
        values = [rng.randint(40, 3000) for _ in range(500)] + [40, 3000]
        expected, _edges = np.histogram(values, bins=40, range=(40, 3000))
        assert plots.length_bins(values, 40, 3000, 40) == expected.tolist()

    def test_histogram_stacks_every_document_once(self) -> None:
        rng = random.Random(3)
        lengths = {f"doc{i}": rng.randint(100, 900) for i in range(300)}
        splits = {d: ("train", "validation", "test")[i % 3] for i, d in enumerate(lengths)}
        svg = plots.plot_length_histogram(lengths, splits)
        stacked = sum(int(t.split(": ")[1].split()[0]) for t in bars(svg))
        assert stacked == 300
        assert "Article length in tokens, by split (300 documents)" in texts(svg)


class TestNiceTicks:
    def test_ticks_are_round_and_cover_the_range(self) -> None:
        for low, high in [(0, 1), (0, 7), (0, 133), (37, 2950), (0, 48_211)]:
            ticks = plots.nice_ticks(low, high)
            steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
            assert ticks[0] <= low and ticks[-1] >= high and len(steps) == 1
            (step,) = steps
            assert str(int(step)).rstrip("0") in {"1", "2", "5"}
            assert 2 <= len(ticks) <= 13
