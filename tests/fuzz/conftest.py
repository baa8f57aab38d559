"""Prints the fuzzers' counts at the end of a run (``make fuzz``) and writes them to
``test-artifacts/fuzz-counts.json``; budgets are in ``support.fuzz_budget``.

At full budget (one process, hours) the file is also rewritten every minute while the run goes
on, with the wall time so far, so a run stopped early still says how far it got."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

COUNTS_FILE = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-counts.json"
_STARTED = time.monotonic()


def _write_counts(finished: bool) -> None:
    from support.fuzz_front import COUNTS

    COUNTS_FILE.parent.mkdir(exist_ok=True)
    record = dict(COUNTS) | {"wall_seconds": round(time.monotonic() - _STARTED), "finished": finished}
    tmp = COUNTS_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    tmp.replace(COUNTS_FILE)


def _keep_writing(stop: threading.Event) -> None:
    while not stop.wait(60):
        try:
            _write_counts(finished=False)
        except RuntimeError:  # a new key arrived while copying the counts: next minute
            pass


def pytest_configure(config):
    from support.fuzz_budget import FULL

    if FULL and not hasattr(config, "workerinput"):  # one process at full budget: `make fuzz`
        config._fuzz_stop = threading.Event()
        threading.Thread(target=_keep_writing, args=(config._fuzz_stop,), daemon=True).start()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from support.fuzz_front import COUNTS

    if hasattr(config, "_fuzz_stop"):
        config._fuzz_stop.set()
    if not COUNTS:  # nothing fuzzed in this process (e.g. the xdist controller)
        return
    kinds = sorted({key.split()[0] for key in COUNTS})
    terminalreporter.write_sep("-", "fuzz cases run (an internal error fails the test that found it)")
    for k in kinds:
        ok, refused = COUNTS[k + " ok"], COUNTS[k + " error"]
        terminalreporter.write_line(f"{k}: {ok + refused:,} cases ({ok:,} valid, {refused:,} refused with a user error)")
    _write_counts(finished=exitstatus == 0)
