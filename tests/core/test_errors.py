"""The message catalogue: every code names one message."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

ERRORS = Path(__file__).resolve().parents[2] / "src" / "summit_corpus" / "core" / "errors.py"


class TestCatalogue:
    def test_no_code_is_defined_twice(self) -> None:
        """A code defined twice would silently replace the first message with the second."""
        tree = ast.parse(ERRORS.read_text())
        catalogue = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Errors")
        codes = [
            target.id
            for node in catalogue.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        ]
        assert codes and [c for c, n in collections.Counter(codes).items() if n > 1] == []
