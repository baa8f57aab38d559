"""Golden files: each invalid strategy gives exactly the expected positioned errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.dsl_golden import INVALID, render_errors

CASES = sorted(INVALID.glob("*.rbts"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_invalid_file_gives_golden_errors(path: Path) -> None:
    assert render_errors(path) == path.with_suffix(".err").read_text()


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 20
