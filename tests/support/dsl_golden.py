"""Regenerate the golden .err files of tests/corpus/invalid (review the diff!):
    .venv/bin/python tests/support/dsl_golden.py
"""

from __future__ import annotations

from pathlib import Path

from rbts.dsl.checker import diagnose

INVALID = Path(__file__).resolve().parent.parent / "corpus" / "invalid"


def render_errors(path: Path) -> str:
    text = path.read_text()
    _, diagnostics = diagnose(text)
    errors = [d for d in diagnostics if d.severity == "error"]
    return "".join(f"{d.render(path.name, text)}\n" for d in errors)


if __name__ == "__main__":
    for path in sorted(INVALID.glob("*.rbts")):
        path.with_suffix(".err").write_text(render_errors(path))
        print(path.with_suffix(".err").read_text())
