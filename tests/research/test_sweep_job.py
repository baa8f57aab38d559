"""A sweep in a child process (the app's Optimize section): progress, outcome, cancel keeps rows."""

from __future__ import annotations

import csv
import json
import time
from datetime import date

import pytest
from support.sweep_cases import PARAMS

from rbts.runtime.research.job import FINISHED, INTERRUPTED, RUNNING, SweepJob
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.space import Space
from rbts.runtime.research.sweep import SweepRequest
from rbts.runtime.research.tasks import ParamStrategy

pytestmark = pytest.mark.slow


def _request(home, out) -> SweepRequest:
    return SweepRequest(strategy=ParamStrategy(PARAMS), space=Space.of({"fast": (5, 9), "slow": (21, 30)}),
                        start=date(2025, 3, 3), end=date(2025, 3, 7), home=str(home), out=out,
                        fingerprint="job-1", ranking=Ranking("sharpe", 0))


def _rows(out) -> list[dict]:
    with open(out / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_sweep_job_reports_progress_and_its_outcome(small_demo_home, tmp_path):
    job = SweepJob(_request(small_demo_home, tmp_path / "out"), home=small_demo_home, workers=2)
    done = []
    while job.poll() == RUNNING:
        if job.progress is not None:
            done.append(job.progress.done)
        time.sleep(0.05)
    assert job.state == FINISHED and job.error is None, job.error
    assert job.progress.done == 4 and done == sorted(done)
    assert job.summary["status"] == FINISHED and len(_rows(job.out)) == 4
    assert not job._process.is_alive()


def test_a_cancelled_sweep_job_is_interrupted_and_keeps_its_finished_rows(small_demo_home, tmp_path):
    job = SweepJob(_request(small_demo_home, tmp_path / "out"), home=small_demo_home, workers=1)
    while job.poll() == RUNNING and (job.progress is None or job.progress.done < 1):
        time.sleep(0.05)
    assert job.state == RUNNING, job.error  # one variant of four done: cancel now
    job.cancel()
    assert job.state == INTERRUPTED and job.error is None and not job._process.is_alive()
    assert 1 <= len(_rows(job.out)) < 4
    assert json.loads((job.out / "sweep.json").read_text())["status"] == INTERRUPTED
