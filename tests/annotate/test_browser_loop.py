"""The annotator's loop in a real browser: Label Studio's own UI, driven by headless Chromium.

A one-article corpus is built from seeds written to a temporary folder (its text has an emoji
and an `&` before the word that is labelled), pushed with `corpus annotate push`, annotated
the way a person does it (log in, Label All Tasks, Ctrl+Shift+digit for a label, drag over the
text, Create Relation, pick its label, tick a choice, type a note, Submit), pulled with
`corpus annotate pull` and built with `corpus build`; the published Parquet must hold the span
with the offsets and text of the document. Screenshots of every step are written to the
pytest temporary folder (`browser-shots*`, or SUMMIT_BROWSER_SHOTS), never to the repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from studio_fixtures import StudioServer, corpus_command
from summit_corpus.core import io, layout, scheme

pytestmark = pytest.mark.studio

PROJECT = "browser loop"
# The word the test labels sits after an emoji (two UTF-16 units, one code point) and an `&`
# (escaped as &amp; in HTML): offsets that count either wrongly land elsewhere.
TEXT = (
    "Putin \N{GRINNING FACE} met Biden in Geneva on Wednesday, the Kremlin said.\n"
    "The summit covered cyber attacks & negotiations on arms control, and both leaders "
    "agreed to more talks.\n"
    '"We had a constructive meeting," Biden told reporters after the talks.\n'
)
WORD = "negotiations"
DATE = "Wednesday"
NOTE = "Negotiations: an EVENT the model missed."

# Locates a substring of the rendered document and returns the client rectangles of its first
# and last character, so the mouse can drag over exactly those characters.
_RECT_OF = """([needle]) => {
  const root = document.querySelector('.lsf-richtext');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let node, text = '';
  while ((node = walker.nextNode())) { nodes.push([node, text.length]); text += node.data; }
  const at = text.indexOf(needle);
  if (at < 0) return null;
  const locate = (i) => {
    for (let k = nodes.length - 1; k >= 0; k--)
      if (nodes[k][1] <= i) return [nodes[k][0], i - nodes[k][1]];
  };
  const range = document.createRange();
  range.setStart(...locate(at));
  range.setEnd(...locate(at + needle.length));
  const rects = range.getClientRects();
  const first = rects[0], last = rects[rects.length - 1];
  return {x1: first.left + 1, y1: (first.top + first.bottom) / 2,
          x2: last.right - 1, y2: (last.top + last.bottom) / 2};
}"""

# What the page looks like to the annotator: every checkbox, the selected label buttons and
# the label of every region.
_STATE = """() => ({
  checked: [...document.querySelectorAll('.lsf-choice input')].map(e => e.checked),
  selected: [...document.querySelectorAll('.lsf-label_selected')].map(e => e.textContent),
  regions: [...document.querySelectorAll('.htx-highlight')].map(e => e.dataset.label).sort(),
})"""

# Colours Label Studio paints around the scheme's colours (checked against scheme.LS_*).
_COLOURS = """() => {
  const css = (selector, prop) => {
    const el = document.querySelector(selector);
    return el ? getComputedStyle(el)[prop] : null;
  };
  return {
    text: css('.lsf-richtext__line', 'color'),
    page: css('body', 'backgroundColor'),
    selected_label_text: css('.lsf-label_selected', 'color'),
    option_text: css('[data-testid=select-option-label]', 'color'),
  };
}"""


def _hex(css_colour: str | None) -> str:
    assert css_colour, "colour not found on the page"
    numbers = css_colour[css_colour.index("(") + 1 : css_colour.index(")")]
    parts = numbers.replace(",", " ").split()[:3]
    return "#" + "".join(f"{int(float(p)):02x}" for p in parts)


def _corpus(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [*corpus_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"corpus {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build(work: Path, env: dict[str, str], out: str) -> Path:
    corpus = work / out
    _corpus(
        [
            "build",
            "--seeds",
            str(work / "seeds"),
            "--out",
            str(corpus),
            "--annotations",
            str(work / "annotations"),
            "--datasheet",
            str(work / f"{out}-DATASHEET.md"),
        ],
        env,
        work,
    )
    return corpus


def _rows(corpus: Path, table: str) -> list[dict[str, Any]]:
    return io.read_parquet_dir(layout.config_dir(corpus, table)).to_pylist()


class _Annotator:
    """Drives one Label Studio page and keeps a numbered screenshot of every step."""

    def __init__(self, page: Any, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.shots / f"{self.count:02d}-{name}.png"))

    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate(_STATE))

    def drag_over(self, needle: str) -> None:
        box = self.page.evaluate(_RECT_OF, [needle])
        assert box, f"{needle!r} is not on the page"
        mouse = self.page.mouse
        mouse.move(box["x1"], box["y1"])
        mouse.down()
        mouse.move((box["x1"] + box["x2"]) / 2, box["y1"], steps=5)
        mouse.move(box["x2"], box["y2"], steps=5)
        mouse.up()

    def region(self, text: str) -> Any:
        return self.page.locator(".htx-highlight", has_text=text).first


@pytest.fixture(scope="module")
def loop(
    studio: StudioServer, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Build, push, annotate in Chromium, pull, build: everything the tests look at."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    work = tmp_path_factory.mktemp("browser-loop")
    # SUMMIT_BROWSER_SHOTS keeps them somewhere pytest's clean-up of old temp folders won't.
    chosen = os.environ.get("SUMMIT_BROWSER_SHOTS")
    shots = Path(chosen) if chosen else tmp_path_factory.mktemp("browser-shots")
    shots.mkdir(parents=True, exist_ok=True)
    (work / "seeds").mkdir()
    (work / "seeds" / "emoji_article.txt").write_text(TEXT, encoding="utf-8")
    env = studio.env
    before = _build(work, env, "corpus-before")
    pushed = _corpus(["annotate", "push", "--corpus", str(before), "--project", PROJECT], env, work)
    predicted = [r for r in _rows(before, "spans") if r["layer"] == "prediction"]

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    me = _Annotator(page, shots)
    try:
        page.goto(f"{studio.url}/user/login/")
        page.fill("input[name=email]", studio.username)
        page.fill("input[name=password]", env["LABEL_STUDIO_PASSWORD"])
        me.shot("login")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.get_by_text(PROJECT, exact=True).first.click()
        page.get_by_role("button", name="Label All Tasks").click()
        page.wait_for_selector(".lsf-richtext__line")
        page.wait_for_timeout(500)
        shown = me.state()
        me.shot("task-with-predictions")

        # Typing outside the Note box, with and without a selected region, changes nothing.
        page.mouse.click(700, 900)
        page.keyboard.type("90 qwe tasdfg zxc 12345678 held")
        typed_outside = me.state()
        me.region("Kremlin").click()
        page.keyboard.type("1234567890 qwe")
        for key in ("Backspace", "Control+Backspace"):  # "delete a character / a word"
            page.keyboard.press(key)
        typed_on_region = me.state()
        page.keyboard.press("Escape")

        # Label: EVENT by its hotkey, then drag over the word after the emoji and the `&`.
        page.keyboard.press("Control+Shift+7")
        me.shot("event-label-selected")
        me.drag_over(WORD)
        page.wait_for_timeout(300)
        me.shot("word-labelled")

        # Relation: the new EVENT -> the predicted DATE, labelled "date".
        me.region(WORD).click()
        page.get_by_label("Create Relation").click()
        me.region(DATE).click()
        page.locator(".lsf-panel-tabs__tab", has_text="Relations").first.click()
        item = page.locator(".lsf-relations__item").last
        item.hover()
        page.get_by_label("Show Relation Labels").click()
        page.locator(".lsf-relation-meta").click()
        page.locator("[data-testid=select-option-label]", has_text="date").first.wait_for()
        colours = page.evaluate(_COLOURS) | {}
        me.shot("relation-labels")
        page.locator("[data-testid=select-option-label]").get_by_text("date", exact=True).click()
        options = page.locator("[data-testid=select-option-label]").first
        try:
            options.wait_for(state="hidden", timeout=5_000)
            dropdown_closed_after_pick = True
        except PlaywrightTimeout:
            dropdown_closed_after_pick = False
        me.shot("relation-labelled")

        # A choice and a note.
        page.locator(".lsf-choice__item", has_text="cybersecurity").locator("input").click()
        page.get_by_label("TextArea Input").fill(NOTE)
        page.get_by_role("button", name="Add").click()
        page.keyboard.press("Control+Shift+3")  # a label hotkey still works: GPE selected
        colours["selected_label_text"] = page.evaluate(_COLOURS)["selected_label_text"]
        page.keyboard.press("Control+Shift+3")
        me.shot("before-submit")
        page.get_by_label("Submit current annotation").click()
        page.wait_for_timeout(1500)
        me.shot("submitted")
    except Exception:
        me.shot("failure")
        raise
    finally:
        context.close()

    pulled = _corpus(
        ["annotate", "pull", "--project", PROJECT, "--annotations", "annotations"], env, work
    )
    after = _build(work, env, "corpus-after")
    return {
        "before": before,
        "after": after,
        "pushed": pushed,
        "pulled": pulled,
        "predicted": predicted,
        "shown": shown,
        "typed_outside": typed_outside,
        "typed_on_region": typed_on_region,
        "colours": colours,
        "dropdown_closed_after_pick": dropdown_closed_after_pick,
        "shots": shots,
        "text": _rows(after, "documents")[0]["text"],
    }


def _human(loop: dict[str, Any], table: str) -> list[dict[str, Any]]:
    return [r for r in _rows(loop["after"], table) if r["layer"] == "human"]


class TestWhatTheAnnotatorSees:
    def test_the_task_shows_every_prediction(self, loop):
        """The labeling queue opens the task with every predicted span drawn on the text."""
        assert len(loop["shown"]["regions"]) == len(loop["predicted"]) > 5

    def test_typing_outside_the_note_box_changes_nothing(self, loop):
        """Letters and digits typed outside the Note box flip no choice and select no label."""
        assert loop["typed_outside"] == loop["shown"]

    def test_typing_with_a_region_selected_does_not_relabel_it(self, loop):
        """Digits, Backspace and Ctrl+Backspace typed while a region is selected leave every
        region and its label as it was."""
        assert loop["typed_on_region"]["regions"] == loop["shown"]["regions"]
        assert loop["typed_on_region"]["checked"] == loop["shown"]["checked"]

    def test_label_studio_paints_the_colours_the_scheme_was_checked_against(self, loop):
        """The text colours measured in the page are the ones scheme.py's contrast check uses."""
        measured = {k: _hex(v) for k, v in loop["colours"].items()}
        assert measured == {
            "text": scheme.LS_TEXT,
            "page": scheme.LS_PAGE,
            "selected_label_text": scheme.LS_WHITE,
            "option_text": scheme.LS_OPTION_TEXT,
        }

    def test_one_click_picks_a_relation_label(self, loop):
        """With one label per relation the drop-down closes on the first pick."""
        assert loop["dropdown_closed_after_pick"]

    def test_screenshots_are_written_outside_the_repository(self, loop, repo: Path):
        """Every step left a screenshot in the pytest temporary folder."""
        shots = sorted(p.name for p in loop["shots"].glob("*.png"))
        assert len(shots) >= 8 and "01-login.png" in shots
        assert repo not in loop["shots"].parents


class TestWhatThePublishedCorpusHolds:
    def test_the_dragged_span_has_exact_offsets_and_text(self, loop):
        """The span dragged after the emoji and the `&` is text[start:end] in Python indices."""
        start = loop["text"].index(WORD)
        spans = [s for s in _human(loop, "spans") if s["text"] == WORD]
        assert [(s["start"], s["end"], s["label"]) for s in spans] == [
            (start, start + len(WORD), "EVENT")
        ]
        assert loop["text"][spans[0]["start"] : spans[0]["end"]] == WORD

    def test_the_predictions_came_back_as_human_spans(self, loop):
        """The annotator corrected the predictions: every predicted span is in the human layer."""
        human = {(s["start"], s["end"], s["label"]) for s in _human(loop, "spans")}
        assert {(s["start"], s["end"], s["label"]) for s in loop["predicted"]} <= human

    def test_the_relation_links_the_new_span_to_the_date(self, loop):
        """The relation drawn in the browser is EVENT -> DATE, labelled `date`."""
        spans = {s["span_id"]: s for s in _human(loop, "spans")}
        ends = [
            (spans[r["head_span_id"]]["text"], spans[r["tail_span_id"]]["text"], r["label"])
            for r in _human(loop, "relations")
        ]
        assert (WORD, DATE, "date") in ends

    def test_the_choice_and_the_note_are_kept(self, loop):
        """The ticked topic is a document label and the note is in annotation_notes."""
        labels = {(r["name"], r["value"]) for r in _human(loop, "document_labels")}
        assert ("topics", "cybersecurity") in labels
        notes = _rows(loop["after"], "annotation_notes")
        assert any(NOTE in (n.get("text") or n.get("raw_json") or "") for n in notes)
