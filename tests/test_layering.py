"""Data flows one way: checker <- model <- properties, witness <- tools. A test reads the
imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "checker": {"checker"},
    "model": {"checker", "model"},
    "properties": {"checker", "model", "properties"},
    "witness": {"checker", "model", "witness"},
    "tools": {"checker", "model", "properties", "witness", "tools", "specs"},
}


def hacheck_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "hacheck" and len(parts) > 1:
                found.add(parts[1])
            elif parts[0] in ALLOWED:
                found.add("bare " + parts[0])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_layers_below_it(package):
    files = sorted((ROOT / package).glob("*.py"))
    assert files
    for path in files:
        extra = hacheck_imports(path) - ALLOWED[package]
        assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"


def test_the_engine_imports_nothing_from_the_model():
    for path in sorted((ROOT / "checker").glob("*.py")):
        assert not hacheck_imports(path) & {"model", "properties", "tools"}, path
