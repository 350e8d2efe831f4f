"""``emotion_vectors/analysis/`` is pure arithmetic: everything it imports, followed through the package's own
modules, is numpy, scipy, statsmodels or the standard library (no torch, no plotting, no config, no file I/O)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import emotion_vectors.analysis

PACKAGE = Path(emotion_vectors.__file__).parent
ALLOWED = {"numpy", "scipy", "statsmodels"} | set(sys.stdlib_module_names)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, as absolute names (the package's files only use absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names.add(node.module)
    return names


def source_of(module: str) -> Path | None:
    """The file of one of the package's modules (``None`` for a name that is not a module file)."""
    parts = module.split(".")[1:]
    for candidate in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def foreign_imports(files: list[Path]) -> dict[str, str]:
    """``{module: importing file}`` for every import outside :data:`ALLOWED`, following the package's modules."""
    seen: set[Path] = set()
    foreign: dict[str, str] = {}
    todo = list(files)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path):
            if name.split(".")[0] == "emotion_vectors":
                found = source_of(name)
                if found is None:  # ``from emotion_vectors.analysis import geometry``: a submodule
                    continue
                todo.append(found)
            elif name.split(".")[0] not in ALLOWED:
                foreign[name] = path.name
    return foreign


def test_analysis_imports_only_numpy_scipy_statsmodels_and_the_standard_library() -> None:
    files = sorted((PACKAGE / "analysis").glob("*.py"))
    assert len(files) >= 8
    assert foreign_imports(files) == {}


def test_the_check_catches_forbidden_imports_directly_and_behind_a_package_module(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nimport numpy\nfrom emotion_vectors.report.figures import layer_curves\n")
    found = foreign_imports([bad])
    assert found["torch"] == "bad.py"
    assert any(name.startswith("matplotlib") and where == "figures.py" for name, where in found.items())
    assert "numpy" not in found
