"""The datasheet's PNGs are kept by what they drew, so a rebuild that plots the same counts
takes the file instead of drawing it again; anything else is drawn anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from summit_corpus.publish import plots
from summit_corpus.publish.plots import FigureMemo

COUNTS = {"prediction": {"PERSON": 3, "ORG": 1}}
LABELS = ["PERSON", "ORG"]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Every call of the real plot function, recorded."""
    calls: list[tuple[object, ...]] = []
    real = plots.plot_labels

    def plot_labels(*args: object) -> bytes:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(plots, "plot_labels", plot_labels)
    return calls


class TestFigureMemo:
    def test_the_same_counts_are_drawn_once(self, tmp_path: Path, drawn: list) -> None:
        first = FigureMemo(tmp_path).draw(plots.plot_labels, COUNTS, LABELS)
        again = FigureMemo(tmp_path).draw(plots.plot_labels, COUNTS, LABELS)
        assert again == first
        assert first.startswith(b"\x89PNG")
        assert len(drawn) == 1

    def test_other_counts_are_drawn(self, tmp_path: Path, drawn: list) -> None:
        FigureMemo(tmp_path).draw(plots.plot_labels, COUNTS, LABELS)
        more = {"prediction": {"PERSON": 4, "ORG": 1}}
        other = FigureMemo(tmp_path).draw(plots.plot_labels, more, LABELS)
        assert other == plots.plot_labels(more, LABELS)
        assert len(drawn) == 3

    def test_a_damaged_entry_is_drawn_again(self, tmp_path: Path, drawn: list) -> None:
        first = FigureMemo(tmp_path).draw(plots.plot_labels, COUNTS, LABELS)
        (entry,) = tmp_path.glob("*.png")
        entry.write_bytes(entry.read_bytes()[:-10])
        assert FigureMemo(tmp_path).draw(plots.plot_labels, COUNTS, LABELS) == first
        assert len(drawn) == 2

    def test_without_a_folder_every_plot_is_drawn(self, drawn: list) -> None:
        memo = FigureMemo(None)
        memo.draw(plots.plot_labels, COUNTS, LABELS)
        memo.draw(plots.plot_labels, COUNTS, LABELS)
        assert len(drawn) == 2

    def test_prune_keeps_the_entries_used_last(self, tmp_path: Path) -> None:
        for n in range(5):
            FigureMemo(tmp_path).draw(plots.plot_labels, {"prediction": {"ORG": n}}, LABELS)
        memo = FigureMemo(tmp_path)
        memo.draw(plots.plot_labels, {"prediction": {"ORG": 0}}, LABELS)  # the oldest, reused
        memo.prune(keep=2)
        assert len(list(tmp_path.glob("*.png"))) == 2
        memo.draw(plots.plot_labels, {"prediction": {"ORG": 0}}, LABELS)
        assert len(list(tmp_path.glob("*.png"))) == 2
