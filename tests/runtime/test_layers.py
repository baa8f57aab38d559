"""The layers of docs/DEVELOPING.md's map hold: each folder imports only what it may.

dsl (the language) imports nothing else of rbts; compiler imports the language; runtime
imports both but never the app (ui) -- except runtime/cli, the command line, which starts
the app and prints its report; the app imports everything but the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# folder (relative to the package) -> the rbts packages it must not import
FORBIDDEN = {
    "dsl": ("rbts.compiler", "rbts.runtime", "rbts.ui"),
    "compiler": ("rbts.runtime", "rbts.ui"),
    "runtime": ("rbts.ui",),
    "ui": ("rbts.runtime.cli",),
}
EXEMPT = ("runtime/cli/",)  # the command line sits beside the app, at the top


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py")
                  if not any(str(p.relative_to(ROOT)).startswith(e) for e in EXEMPT))


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_each_folder_imports_only_what_it_may(folder):
    wrong = []
    for path in _files(folder):
        for name in sorted(imported_modules(path)):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder]):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from rbts.ui import theme\n    import rbts.runtime.cli\n")
    assert {"rbts.ui", "rbts.ui.theme", "rbts.runtime.cli"} <= imported_modules(sample)
