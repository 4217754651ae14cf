"""The split settings (schemas/splits.yaml): a contract file, read and checked here.

The per-article stage reads the near-duplicate settings (its fingerprints), the publisher reads
all of them (the split assignment), so the models live in core, below both.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from summit_corpus.core import io
from summit_corpus.core.errors import Errors, SplitConfigError
from summit_corpus.core.layout import schemas_dir
from summit_corpus.core.tables import SPLITS

DEFAULT_CONFIG_PATH = schemas_dir() / "splits.yaml"


class NearDuplicateConfig(BaseModel):
    """Settings of the near-duplicate detector (see schemas/splits.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    shingle_size: int = Field(ge=1)
    num_perm: int = Field(ge=16)
    minhash_seed: int = 1
    lsh_threshold: float = Field(gt=0.0, le=1.0)
    jaccard_threshold: float = Field(gt=0.0, le=1.0)
    containment_threshold: float = Field(gt=0.0, le=1.0)


class StoryKeyConfig(BaseModel):
    """Settings of the story key (see schemas/splits.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    lead_paragraphs: int = Field(ge=1)
    event_words: dict[str, str]


class StoryLink(BaseModel):
    """Documents a reader found to report the same story (see schemas/splits.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    doc_ids: tuple[str, ...] = Field(min_length=2)
    reason: str = Field(min_length=1)


class SplitConfig(BaseModel):
    """The whole split configuration, as in schemas/splits.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    salt: str
    proportions: dict[str, float]
    near_duplicate: NearDuplicateConfig
    story_key: StoryKeyConfig
    same_story: tuple[StoryLink, ...] = ()

    @model_validator(mode="after")
    def _proportions_cover_splits(self) -> SplitConfig:
        if tuple(self.proportions) != SPLITS:
            raise ValueError(
                f"'proportions' must list {SPLITS!r} in order (got {tuple(self.proportions)!r})"
            )
        if any(p < 0 for p in self.proportions.values()):
            raise ValueError(f"'proportions' must be >= 0 (got {self.proportions!r})")
        if abs(sum(self.proportions.values()) - 1.0) > 1e-9:
            raise ValueError(
                f"'proportions' must sum to 1 (got {sum(self.proportions.values())!r})"
            )
        return self


def load_split_config(path: Path | None = None) -> SplitConfig:
    """Read and check the split configuration.

    path (Path | None): YAML file; None reads schemas/splits.yaml of this checkout.
    RETURNS (SplitConfig): The checked configuration.
    """
    path = DEFAULT_CONFIG_PATH if path is None else path
    try:
        raw = io.load_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SplitConfigError(Errors.E701.format(path=path, error=error), path=path) from None
    try:
        return SplitConfig.model_validate(raw)
    except ValidationError as error:
        problem = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in error.errors()
        )
        raise SplitConfigError(Errors.E702.format(path=path, problem=problem), path=path) from None
