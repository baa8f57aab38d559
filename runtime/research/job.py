"""A sweep in a child process, so an app stays responsive: progress, cancel, outcome.

    job = SweepJob(request, home=home, workers=2)
    while job.poll() == "running":
        show(job.progress)            # a ProgressState; or job.cancel()
    job.state, job.out                # "finished" | "interrupted" | "failed", the result folder

The child runs the same :class:`~rbts.runtime.research.sweep.Sweep` as ``rbts sweep`` (it
starts its own workers, so it is not a daemon); cancelling sends it SIGTERM, which stops
the sweep cleanly and keeps its finished rows, exactly as in the CLI.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
from pathlib import Path

from rbts.dsl.errors import RbtsError

RUNNING, FINISHED, INTERRUPTED, FAILED = "running", "finished", "interrupted", "failed"


def _child(out, request, home: str | None, workers: int | None, ray: str | None) -> None:
    try:
        from rbts.runtime.research.setup import make_executor
        from rbts.runtime.research.sweep import Sweep
        from rbts.runtime.settings import load_settings

        executor = make_executor(load_settings(home), workers, ray)
        outcome = Sweep(request, executor, on_progress=lambda state: out.put(("progress", state))).run()
        out.put(("done", outcome.status, outcome.summary))
    except RbtsError as exc:
        out.put(("error", exc.render()))
    except BaseException as exc:  # reported to the parent, never a silent death
        out.put(("error", f"internal error: {type(exc).__name__}: {exc}"))


class SweepJob:
    def __init__(self, request, home: str | Path | None = None, workers: int | None = None,
                 ray: str | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self.request = request
        self.out = Path(request.out)
        self._queue = context.Queue()
        self._process = context.Process(target=_child, args=(self._queue, request, str(home) if home else None,
                                                              workers, ray), name="rbts-sweep")
        self.state = RUNNING
        self.progress = None  # the last ProgressState
        self.summary: dict | None = None
        self.error: str | None = None
        from rbts.runtime.research.local import start_clean

        start_clean(self._process)

    def poll(self) -> str:
        while self.state == RUNNING:
            try:
                message = self._queue.get(timeout=0.05 if not self._process.is_alive() else 0)
            except queue_module.Empty:
                if not self._process.is_alive():
                    self._end(FAILED, f"the sweep process ended unexpectedly (exit code {self._process.exitcode})")
                break
            if message[0] == "progress":
                self.progress = message[1]
            elif message[0] == "done":
                self.summary = message[2]
                self._end(message[1])
            else:
                self._end(FAILED, message[1])
        return self.state

    def _end(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error
        self._process.join(timeout=30)

    def cancel(self, timeout: float = 60.0) -> None:
        """Stop the sweep cleanly (SIGTERM); finished rows stay in the folder."""
        if self.state != RUNNING or not self._process.is_alive():
            return
        self._process.terminate()
        self._process.join(timeout=timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self.poll()
        if self.state == RUNNING:
            self.state = INTERRUPTED

    @property
    def done(self) -> bool:
        return self.state != RUNNING
