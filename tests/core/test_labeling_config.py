"""The generated Label Studio config: safe to type in, readable, relations in few steps."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import yaml

from summit_corpus.core import generated
from summit_corpus.core import scheme as sc
from summit_corpus.core.errors import SchemeError


@pytest.fixture(scope="module")
def config() -> ET.Element:
    return ET.fromstring(generated.labeling_config(sc.load_scheme()))


def _keymaster_code(hotkey: str) -> int:
    # keymaster (Label Studio 1.23's hotkey library) binds the last `+` part of a hotkey by
    # its name (f1, enter, ...) or else by the character code of its first character.
    key = hotkey.split("+")[-1]
    special = {"enter": 13, "space": 32, "backspace": 8, "tab": 9, "escape": 27}
    return special.get(key, ord(key[0].upper()))


class TestContrast:
    def test_black_on_white_is_21(self):
        """The WCAG formula gives 21:1 for black on white and 1:1 for a colour on itself."""
        assert sc.contrast("#000000", "#ffffff") == pytest.approx(21.0)
        assert sc.contrast("#4363d8", "#4363d8") == pytest.approx(1.0)

    def test_known_grey_is_just_below_aa(self):
        """#777777 on white is the textbook just-fails-AA grey (4.48:1)."""
        assert sc.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)

    def test_every_span_label_is_readable(self, config: ET.Element):
        """White on the label, the label on the page, text on its highlight: all at least AA."""
        for label in config.iter("Label"):
            for where, ratio in sc.span_colour_contrasts(label.attrib["background"]).items():
                assert ratio >= sc.WCAG_AA, (label.attrib["value"], where, ratio)

    def test_every_relation_label_is_readable(self, config: ET.Element):
        """The grey option text of the relation drop-down is at least AA on every colour."""
        for relation in config.iter("Relation"):
            ratio = sc.contrast(sc.LS_OPTION_TEXT, relation.attrib["background"])
            assert ratio >= sc.WCAG_AA, (relation.attrib["value"], ratio)

    @pytest.mark.parametrize(
        "table, colour, words",
        [("span_labels", "#ffe119", "darker"), ("relation_labels", "#000075", "lighter")],
    )
    def test_scheme_refuses_an_unreadable_colour(self, repo, tmp_path, table, colour, words):
        """The old yellow QUOTE and navy affiliation are refused, naming label and fix."""
        raw = yaml.safe_load((repo / "schemas" / "annotation_scheme.yaml").read_text())
        raw[table][0]["colour"] = colour
        path = tmp_path / "scheme.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        with pytest.raises(SchemeError, match=f"{raw[table][0]['name']}.*WCAG AA.*{words}"):
            sc.load_scheme(path)


class TestHotkeys:
    def test_no_control_has_a_key_that_typing_sends(self, config: ET.Element):
        """Every label and choice has a hotkey, and none is a bare or shifted key."""
        controls = [*config.iter("Label"), *config.iter("Choice")]
        assert controls and all("hotkey" in c.attrib for c in controls)
        for control in controls:
            key = control.attrib["hotkey"]
            assert key.startswith("ctrl+shift+") or key == sc.NO_HOTKEY, key

    def test_labels_have_ctrl_shift_digits_in_order(self, config: ET.Element):
        """PERSON is Ctrl+Shift+1, ORG Ctrl+Shift+2, ... as the guidelines list them."""
        keys = [label.attrib["hotkey"] for label in config.iter("Label")]
        assert keys == [f"ctrl+shift+{(i + 1) % 10}" for i in range(len(keys))]

    def test_choice_hotkey_matches_no_key_code(self, config: ET.Element):
        """The choices' hotkey binds a code above 255, which no keyboard event carries."""
        codes = {_keymaster_code(c.attrib["hotkey"]) for c in config.iter("Choice")}
        assert codes == {0x2014}

    def test_labels_past_ten_get_no_hotkey(self):
        """An eleventh label gets the hotkey that cannot fire, not a single key."""
        assert generated.label_hotkey(9) == "ctrl+shift+0"
        assert generated.label_hotkey(10) == sc.NO_HOTKEY


class TestRelations:
    def test_one_label_per_relation(self, config: ET.Element):
        """`choice="single"`: the drop-down closes on the first pick (one click fewer)."""
        relations = config.find("Relations")
        assert relations is not None and relations.attrib["choice"] == "single"


class TestCommittedConfig:
    def test_committed_config_is_generated(self, repo):
        """schemas/labeling_config.xml is what `corpus scheme generate` writes."""
        committed = (repo / "schemas" / "labeling_config.xml").read_text(encoding="utf-8")
        assert committed == generated.labeling_config(sc.load_scheme())
