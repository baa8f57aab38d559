"""Prints the fuzzers' counts at the end of a run (``make fuzz``) and writes them to
``test-artifacts/fuzz-counts.json``; budgets are in ``support.fuzz_budget``."""

from __future__ import annotations

import json
from pathlib import Path


def pytest_terminal_summary(terminalreporter):
    from support.fuzz_front import COUNTS

    if not COUNTS:  # nothing fuzzed in this process (e.g. the xdist controller)
        return
    kinds = sorted({key.split()[0] for key in COUNTS})
    terminalreporter.write_sep("-", "fuzz cases run (an internal error fails the test that found it)")
    for k in kinds:
        ok, refused = COUNTS[k + " ok"], COUNTS[k + " error"]
        terminalreporter.write_line(f"{k}: {ok + refused:,} cases ({ok:,} valid, {refused:,} refused with a user error)")
    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "fuzz-counts.json").write_text(json.dumps(dict(COUNTS), indent=2, sort_keys=True) + "\n")
