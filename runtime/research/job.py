"""A sweep in a child process, so an app stays responsive: progress, cancel, outcome.

    job = SweepJob(request, home=home, workers=2)
    while job.poll() == "running":
        show(job.progress)            # a ProgressState; or job.cancel()
    job.state, job.out                # "finished" | "interrupted" | "failed", the result folder

The child runs the same :class:`~rbts.runtime.research.sweep.Sweep` as ``rbts sweep`` (it
starts its own workers, so it is not a daemon); cancelling sends it SIGTERM, which stops
the sweep cleanly and keeps its finished rows, exactly as in the CLI. Polling and cancelling
are :class:`rbts.runtime.child_job.ChildJob`'s.
"""

from __future__ import annotations

from pathlib import Path

from rbts.runtime.child_job import FAILED, RUNNING, ChildJob

FINISHED, INTERRUPTED = "finished", "interrupted"
__all__ = ["FAILED", "FINISHED", "INTERRUPTED", "RUNNING", "SweepJob"]


def _sweep(report, request, home: str | None, workers: int | None, ray: str | None) -> tuple[str, dict]:
    from rbts.runtime.research.setup import make_executor
    from rbts.runtime.research.sweep import Sweep
    from rbts.runtime.settings import load_settings

    executor = make_executor(load_settings(home), workers, ray)
    outcome = Sweep(request, executor, on_progress=report).run()
    return outcome.status, outcome.summary


class SweepJob(ChildJob):
    what = "sweep"
    cancelled = INTERRUPTED
    end_timeout = 30.0
    stop_timeout = 60.0  # a cancelled sweep stops its workers and writes its summary first

    def __init__(self, request, home: str | Path | None = None, workers: int | None = None,
                 ray: str | None = None) -> None:
        self.request = request
        self.out = Path(request.out)
        self.progress = None  # the last ProgressState
        self.summary: dict | None = None
        super().__init__(_sweep, request, str(home) if home else None, workers, ray, daemon=False)

    def _on_progress(self, state) -> None:
        self.progress = state

    def _on_done(self, outcome: tuple[str, dict]) -> str:
        status, self.summary = outcome
        return status
