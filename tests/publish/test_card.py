"""The dataset card (corpus/README.md): the Hub's template, filled as huggingface_hub fills it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from summit_corpus.core import layout
from summit_corpus.publish import card, writer
from summit_corpus.publish.configs import ConfigData

REPO = Path(__file__).resolve().parents[2]


def hub_card(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> str:
    """The card as huggingface_hub's `DatasetCard.from_template` makes it, our front matter on."""
    from huggingface_hub import DatasetCard, DatasetCardData

    metadata = card.card_metadata(configs)
    made = DatasetCard.from_template(
        DatasetCardData(**metadata), **card.card_sections(configs, facts)
    )
    _, _, body = str(made).partition("\n---\n")
    front = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n{body.rstrip()}\n"


@pytest.fixture(scope="module")
def card_inputs(built_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    """The configs and facts a build hands `render_card`, and the card it wrote."""
    from summit_corpus.build.corpus import build_corpus

    seen: list[tuple[Any, Any]] = []

    def recording(configs: Sequence[ConfigData], facts: Mapping[str, Any]) -> str:
        seen.append((configs, facts))
        return card.render_card(configs, facts)

    out = tmp_path_factory.mktemp("card") / "corpus"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "render_card", recording)
        build_corpus(
            REPO / "seeds",
            out,
            annotations=REPO / "annotations",
            cache_dir=built_corpus.parent / ".corpus-cache",
            progress=False,
        )
    ((configs, facts),) = seen
    return configs, facts, (out / layout.CARD).read_text(encoding="utf-8")


class TestCard:
    def test_card_is_what_datasetcard_from_template_makes(self, card_inputs) -> None:
        """The template is filled without huggingface_hub's code, to the same bytes."""
        configs, facts, written = card_inputs
        assert written == hub_card(configs, facts)
        assert "\nconfigs:\n" in written and "# Dataset Card for Summit News Corpus" in written
