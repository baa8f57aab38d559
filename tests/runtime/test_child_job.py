"""The one poll / end / cancel loop of work in a child process (backtests and sweeps use it)."""

from __future__ import annotations

import time

from support import child_work

from rbts.runtime.child_job import FAILED, RUNNING, ChildJob


class Job(ChildJob):
    what = "test"
    cancelled = "stopped"

    def __init__(self, work, *args):
        self.reports: list[tuple] = []
        self.result = None
        super().__init__(work, *args)

    def _on_progress(self, *values):
        self.reports.append(values)

    def _on_done(self, result):
        self.result = result
        return "done"


def _until_done(job: ChildJob, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while job.poll() == RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    return job.state


def _until_reported(job: Job, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not job.reports and time.monotonic() < deadline:
        job.poll()
        time.sleep(0.02)
    assert job.reports, "the child never reported"


def test_progress_then_the_result():
    job = Job(child_work.counts_to, 3)
    assert _until_done(job) == "done" and job.done
    assert job.reports == [(1, "step 1"), (2, "step 2"), (3, "step 3")]
    assert job.result == "counted to 3" and job.error is None
    assert not job._process.is_alive()


def test_a_user_error_is_rendered_an_internal_one_named():
    job = Job(child_work.refuses, "no bars between those dates")
    assert _until_done(job) == FAILED and job.error == "error: no bars between those dates"
    job = Job(child_work.breaks)
    assert _until_done(job) == FAILED and job.error == "internal error: KeyError: 'missing'"


def test_a_child_that_dies_without_a_word_failed_with_its_exit_code():
    job = Job(child_work.dies, 3)
    assert _until_done(job) == FAILED
    assert job.error == "the test process ended unexpectedly (exit code 3)"


def test_cancel_stops_the_child_and_the_job_is_cancelled():
    job = Job(child_work.sleeps)
    _until_reported(job)
    job.cancel(timeout=10)
    assert job.state == "stopped" and job.error is None and not job._process.is_alive()
    job.cancel()  # again: nothing more happens
    assert job.state == "stopped"


def test_what_a_cancelled_child_reports_before_it_ends_counts():
    job = Job(child_work.stops_cleanly)
    _until_reported(job)
    job.cancel(timeout=30)
    assert job.state == "done" and job.result == "stopped with 3 rows"


def test_cancel_after_the_end_changes_nothing():
    job = Job(child_work.counts_to, 1)
    assert _until_done(job) == "done"
    job.cancel()
    assert job.state == "done" and job.result == "counted to 1"
