"""The distribution ships every package: an installed `corpus` (pre-commit's hook env, pip
install .) imports what a checkout imports."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class TestPackages:
    def test_every_package_folder_is_listed_in_pyproject(self) -> None:
        """Each folder of src/ with an __init__.py is in [tool.setuptools] packages."""
        config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
        listed = set(config["tool"]["setuptools"]["packages"])
        found = {
            ".".join(p.parent.relative_to(REPO / "src").parts)
            for p in (REPO / "src").rglob("__init__.py")
        }
        assert found - listed == set()
