"""The house rules of ARCHITECTURE.md, read off the package's import statements.

Every `import` and `from ... import` in src/summit_corpus is read with `ast` (function-level
imports too: a lazy import is still a dependency). The rules:

- stages are layered core < build < annotate < export < publish < validate < cli, and imports run
  only downwards; `build.corpus` (build_corpus, which runs every stage in order) is the one module
  allowed to call the later stages;
- only `annotate/client.py` imports the Label Studio SDK;
- `core` imports no stage;
- `validate` imports neither `annotate` nor publish's writer;
- no stage imports `cli`.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "summit_corpus"
LAYERS = ("core", "build", "annotate", "export", "publish", "validate", "cli")
# build_corpus runs every stage in order: the one module that may call the later stages.
ORCHESTRATORS = frozenset({"summit_corpus.build.corpus", "summit_corpus.build"})
SDK = "label_studio_sdk"
SDK_IMPORTER = "summit_corpus.annotate.client"
# Modules of publish that write files: the validator checks what they wrote, it never writes.
PUBLISH_WRITER = ("summit_corpus.publish.writer",)


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement.

    importer (str): The importing module (`summit_corpus.build.pipeline`).
    target (str): The imported module (`summit_corpus.core.tables`), or for `from X import y`
        X's submodule `X.y` when that is a module of the package, else X.
    line (int): Where it stands.
    """

    importer: str
    target: str
    line: int


def module_name(path: Path, package: Path) -> str:
    """RETURNS (str): The dotted name of a module file under the package folder."""
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, package: Path) -> bool:
    """RETURNS (bool): Whether a dotted name is a module or package of the package folder."""
    parts = name.split(".")[1:]
    base = package.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports(package: Path) -> Iterator[Import]:
    """YIELDS (Import): Every import statement of every module under `package`."""
    for path in sorted(package.rglob("*.py")):
        importer = module_name(path, package)
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(importer, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    target = sub if is_module(sub, package) else node.module
                    yield Import(importer, target, node.lineno)


def layer(module: str) -> int | None:
    """RETURNS (int | None): The stage layer of a toolkit module, None outside the stages."""
    parts = module.split(".")
    if parts[0] != "summit_corpus" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def violations(package: Path) -> list[str]:
    """RETURNS (list[str]): One line per import that breaks a house rule."""
    found = []
    for imp in imports(package):
        where = f"{imp.importer}:{imp.line} imports {imp.target}"
        top = imp.target.split(".")[0]
        if top == SDK and imp.importer != SDK_IMPORTER:
            found.append(f"{where}: only {SDK_IMPORTER} imports the Label Studio SDK")
        if top != "summit_corpus":
            continue
        source, target = layer(imp.importer), layer(imp.target)
        if source is None or target is None:
            continue
        stage, used = LAYERS[source], LAYERS[target]
        if stage == "core" and used != "core":
            found.append(f"{where}: core imports no stage")
        if stage == "validate" and (used == "annotate" or imp.target.startswith(PUBLISH_WRITER)):
            found.append(f"{where}: validate imports neither annotate nor publish's writer")
        if used == "cli" and stage != "cli":
            found.append(f"{where}: no stage imports cli")
        if target > source and imp.importer not in ORCHESTRATORS and stage != "core":
            found.append(f"{where}: imports run downwards ({' < '.join(LAYERS)})")
    return found


class TestHouseRules:
    def test_the_package_keeps_every_rule(self) -> None:
        """No import in src/summit_corpus breaks a house rule."""
        assert violations(PACKAGE) == []

    def test_the_rules_see_the_real_imports(self) -> None:
        """The reader finds the imports it judges: the SDK in the client, core in every stage."""
        found = list(imports(PACKAGE))
        assert any(i.importer == SDK_IMPORTER and i.target.startswith(SDK) for i in found)
        assert any(
            i.importer.startswith("summit_corpus.validate") and layer(i.target) == 0 for i in found
        )

    @pytest.mark.parametrize(
        ("module", "source", "rule"),
        [
            # a lazy SDK import outside the client still counts
            ("build/engines.py", "def f():\n    import label_studio_sdk\n", "only"),
            ("core/tables.py", "from summit_corpus.build import ingest\n", "core imports no stage"),
            ("validate/run.py", "from summit_corpus.annotate import tasks\n", "validate imports"),
            ("validate/run.py", "from summit_corpus.publish.writer import x\n", "validate imports"),
            ("publish/card.py", "from summit_corpus import cli\n", "no stage imports cli"),
            ("build/segment.py", "from summit_corpus.publish import splits\n", "downwards"),
        ],
    )
    def test_a_deliberate_violation_is_reported(
        self, tmp_path: Path, module: str, source: str, rule: str
    ) -> None:
        """An import that breaks a rule, added to a copy of the package, is named with its rule."""
        copy = tmp_path / "summit_corpus"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        target = copy / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((target.read_text() if target.exists() else "") + "\n" + source)
        found = violations(copy)
        assert any(rule in line for line in found), found


class TestSizes:
    def test_no_module_is_a_house_of_its_own(self) -> None:
        """No module of the package is over about 600 lines (split it by what its sections do;
        the test allows 650)."""
        long = [
            f"{p.relative_to(PACKAGE)}: {n} lines"
            for p in sorted(PACKAGE.rglob("*.py"))
            if (n := p.read_text().count("\n")) > 650
        ]
        assert long == []

    def test_no_function_is_over_80_lines(self) -> None:
        """No function is over 80 lines (data declarations are not functions)."""
        long = []
        for path in sorted(PACKAGE.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_bytes())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    size = (node.end_lineno or node.lineno) - node.lineno + 1
                    if size > 80:
                        long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
        assert long == []
