"""Run a sweep (SPEC §6.2): plan the runs, hand them to an executor, journal each finished
run, stop cleanly on Ctrl-C/SIGTERM, and write the folder's files.

    request = SweepRequest(strategy=ParamStrategy(text), space=..., start=..., end=..., home=..., out=...)
    outcome = Sweep(request, LocalExecutor(2), on_progress=print_line).run()
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from rbts.runtime.research import summary
from rbts.runtime.research.executor import Executor
from rbts.runtime.research.folder import SweepFolder
from rbts.runtime.research.progress import ProgressState
from rbts.runtime.research.ranking import Ranking
from rbts.runtime.research.rows import fold_columns, make_row, result_columns, sweep_json, to_csv
from rbts.runtime.research.searches import make_search
from rbts.runtime.research.space import Search, Space, json_value
from rbts.runtime.research.tasks import RUN, TEST, TRAIN, RunSetup, Task, TaskResult
from rbts.runtime.research.walkforward import Fold, make_folds, sessions
from rbts.dsl.exchange import EXCHANGE_CALENDAR

FINISHED, INTERRUPTED = "finished", "interrupted"
SAVE_EVERY = 2.0  # seconds between rewrites of results.csv while running


@dataclass(frozen=True)
class SweepRequest:
    strategy: Any  # tasks.ParamStrategy
    space: Space
    start: date
    end: date
    home: str
    out: Path
    fingerprint: str  # the strategy's identity (a hash of its canonical form)
    file: str = ""
    tickers: tuple[str, ...] | None = None
    capital: float | None = None
    search: Search = field(default_factory=lambda: Search("grid"))
    ranking: Ranking = field(default_factory=Ranking)
    seed: int = 0
    walk_forward: int | None = None
    anchored: bool = False
    calendar: str = EXCHANGE_CALENDAR
    prescreen: int | None = None  # SPEC §6.3: screen every variant, run the best K in Nautilus

    def identity(self) -> dict[str, Any]:
        """What must be equal for a folder to be resumed."""
        return {"strategy": self.fingerprint, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "tickers": list(self.tickers) if self.tickers else None, "capital": self.capital,
                "space": self.space.as_json(), "search": self.search.text, "seed": self.seed,
                "objective": self.ranking.objective, "min_trades": self.ranking.min_trades,
                "walk_forward": self.walk_forward, "anchored": self.anchored,
                **({"prescreen": self.prescreen} if self.prescreen else {})}


@dataclass
class SweepOutcome:
    status: str  # "finished" | "interrupted"
    out: Path
    summary: dict
    reason: str = ""


class Sweep:
    def __init__(self, request: SweepRequest, executor: Executor,
                 on_progress: Callable[[ProgressState], None] | None = None) -> None:
        self.request, self.executor, self.on_progress = request, executor, on_progress
        self.folder = SweepFolder(request.out, request.identity())
        self.folds: list[Fold] = (make_folds(sessions(request.start, request.end, request.calendar),
                                             request.walk_forward, request.anchored)
                                  if request.walk_forward else [])
        kind_seed = request.search, request.space, request.seed, request.ranking
        self.searches = {f.number: make_search(*kind_seed) for f in self.folds} or {0: make_search(*kind_seed)}
        self.lines: dict[tuple[str, int, int], dict] = {}
        self._values: dict[tuple[str, int, int], dict] = {}
        self._tests: set[int] = set()
        self._stop_reason = ""
        self._saved = 0.0
        self._reported, self._report_at = -1, 0.0
        self._started_at = datetime.now(timezone.utc)
        self.progress = ProgressState(total=self._total(), objective=request.ranking.objective)
        self.prescreen = None  # runtime.prescreen.stage.PrescreenStage, with --prescreen K

    # ---------------------------------------------------------------- control

    def stop(self, reason: str = "stopped") -> None:
        """Ask the sweep to stop (thread- and signal-safe); finished runs are kept."""
        self._stop_reason = self._stop_reason or reason

    def run(self) -> SweepOutcome:
        self.folder.check()
        if self.request.prescreen:
            self._prescreen()
        setup = RunSetup(self.request.strategy, self.request.home, self.request.capital, self.request.tickers)
        try:
            self.executor.start(setup, runs=max(1, self.progress.total - len(self.folder.finished)))
        except BaseException:
            self.executor.close()
            raise
        self.folder.open()
        restore = _catch_signals(self.stop)
        try:
            self._write_files(running=True)
            self._loop()
        except BaseException as exc:
            self.stop(f"stopped by an error: {type(exc).__name__}: {exc}")
            raise
        finally:
            self.executor.close()
            restore()
            data = self._write_files(running=False)
            self.folder.close()
        status = INTERRUPTED if self._stop_reason else FINISHED
        return SweepOutcome(status, self.folder.path, data, self._stop_reason)

    def _prescreen(self) -> None:
        """Screen every variant vectorised; the sweep then runs only the best K (SPEC §6.3)."""
        from rbts.runtime.prescreen.stage import run_prescreen
        from rbts.runtime.research.searches import ListSearch

        r, p = self.request, self.progress
        p.phase = f"pre-screen of {self.searches[0].total} variants"

        def screened(done: int, total: int) -> None:
            p.phase = f"pre-screen: {done} of {total} variants"
            if self.on_progress is not None:
                self.on_progress(p)

        screened(0, self.searches[0].total)

        self.prescreen = run_prescreen(
            r.strategy, self.searches[0].variants, r.prescreen, r.ranking.objective, r.ranking.min_trades,
            r.start, r.end, home=r.home, capital=r.capital, tickers=r.tickers, progress=screened)
        self.searches = {0: ListSearch.numbered(self.prescreen.kept)}
        p.total, p.phase = self._total(), f"confirming the best {len(self.prescreen.kept)} in Nautilus"

    # ---------------------------------------------------------------- the loop

    def _loop(self) -> None:
        while not self._stop_reason:
            fed = self._feed()
            if self._complete():
                return
            if self.executor.pending == 0:
                if not fed:
                    raise RuntimeError("the sweep has nothing to run and is not complete")
                continue
            for result in self.executor.poll(0.5):
                self._finish(result)
            self._report()

    def _feed(self) -> bool:
        """Submit what the searches and folds have ready; runs in the journal are taken from it."""
        fed, changed = False, True
        while changed and not self._stop_reason:
            changed = False
            for fold, search in self.searches.items():
                for variant, values in search.ready():
                    changed = True
                    kind = TRAIN if self.folds else RUN
                    start, end = self._train_range(fold)
                    self._start(Task(kind, fold, variant, values, start, end))
                if self.folds and search.done and fold not in self._tests:
                    self._tests.add(fold)
                    self._start_test(fold)
                    changed = True
            fed = fed or changed
        return fed

    def _train_range(self, fold: int) -> tuple[str, str]:
        if not self.folds:
            return self.request.start.isoformat(), self.request.end.isoformat()
        f = self.folds[fold - 1]
        return f.train_start.isoformat(), f.train_end.isoformat()

    def _start_test(self, fold: int) -> None:
        train = [ln for (k, f, _), ln in self.lines.items() if k == TRAIN and f == fold]
        chosen = self.request.ranking.best([make_row(ln, self.request.space.names) for ln in train])
        if chosen is None:  # every train run failed: nothing to test
            return
        f = self.folds[fold - 1]
        values = self.searches[fold].variants[chosen["variant"]]
        self._start(Task(TEST, fold, chosen["variant"], values, f.test_start.isoformat(), f.test_end.isoformat(),
                         want_equity=True))

    def _start(self, task: Task) -> None:
        values = {k: json_value(v) for k, v in task.values.items()}
        self._values[task.key] = values
        line = self.folder.finished.get(task.key)
        if line is not None and line.get("values") == values:
            self.progress.resumed += 1
            self._accept(line)
        else:
            self.executor.submit(task)

    def _finish(self, result: TaskResult) -> None:
        self._accept(self.folder.record(result, self._values[result.key]))

    def _accept(self, line: dict) -> None:
        key = (line["kind"], int(line["fold"]), int(line["variant"]))
        self.lines[key] = line
        self.progress.done += 1
        self.progress.errors += line["status"] != "ok"
        if line["kind"] != TEST:
            self.searches[key[1]].record(key[2], make_row(line, self.request.space.names))
        self._update_best()

    def _complete(self) -> bool:
        searches = all(s.done for s in self.searches.values())
        return searches and (not self.folds or len(self._tests) == len(self.folds)) and self.executor.pending == 0

    def _total(self) -> int:
        return sum(s.total for s in self.searches.values()) + len(self.folds)

    # ---------------------------------------------------------------- progress and files

    def _update_best(self) -> None:
        rows = [make_row(ln, self.request.space.names) for ln in self.lines.values() if ln["kind"] != TEST]
        best = self.request.ranking.best(rows)
        p = self.progress
        p.total = self._total()
        if best is not None:
            p.best_variant, p.best_value = best["variant"], self.request.ranking.value(best)
            p.best_params = {n: best.get(n) for n in self.request.space.names}
        if self.folds:
            p.phase = f"walk-forward: {len(self._tests)} of {len(self.folds)} folds trained"

    def _report(self) -> None:
        now = time.monotonic()
        if self.on_progress is not None and (self.progress.done != self._reported or now - self._report_at >= 1.0):
            self._reported, self._report_at = self.progress.done, now
            self.on_progress(self.progress)
        if time.monotonic() - self._saved > SAVE_EVERY:
            self._write_files(running=True)

    def _write_files(self, running: bool) -> dict:
        self._saved = time.monotonic()
        names = self.request.space.names
        lines = sorted((ln for ln in self.lines.values() if ln["kind"] != TEST),
                       key=lambda ln: (ln["fold"], ln["variant"]))
        rows = [make_row(ln, names) for ln in lines]
        confirmed, extra = rows, ()
        if self.prescreen is not None:
            rows, extra = self.prescreen.rows(rows, names), (self.prescreen.column,)
        self.folder.write("results.csv", to_csv(rows, result_columns(names, bool(self.folds), extra)))
        best, dsr, pbo = self._conclusions(lines, confirmed, running)
        data = self._summary(best, dsr, pbo, running, rows)
        if self.prescreen is not None:
            data["prescreen"] = self.prescreen.summary(confirmed)
            data["prescreen"]["deflated_sharpe"] = None if running else \
                summary.overfitting(lines, best, False, self.prescreen.daily_sharpes())[0]
            data["spearman"] = data["prescreen"]["spearman"]
        self.folder.write("sweep.json", sweep_json(data))
        if best is not None and not running:
            self._write_best(best)
        return data

    def _conclusions(self, lines, rows, running):
        """(best entry, deflated_sharpe, pbo); the figures wait for the end of the sweep."""
        ranking, names = self.request.ranking, self.request.space.names
        with_pbo = self.request.search.kind in ("grid", "random")
        if not self.folds:
            row = ranking.best(rows)
            dsr, pbo = (None, None) if running else summary.overfitting(lines, row, with_pbo)
            return summary.best_entry(row, names), dsr, pbo
        choices, fold_rows, tests = [], [], []
        for fold in self.folds:
            train = [ln for ln in lines if ln["fold"] == fold.number]
            test = self.lines.get((TEST, fold.number, _chosen_variant(self.lines, fold.number)))
            frow, chosen = summary.fold_row(fold, train, test, ranking, names, with_pbo and not running)
            fold_rows.append(frow)
            if chosen is not None and fold.number in self._tests:
                choices.append(chosen)
            if test is not None:
                tests.append(test)
        self.folder.write("folds.csv", to_csv(fold_rows, fold_columns(names)))
        self.folder.write("oos_equity.csv", summary.oos_csv(summary.oos_equity(tests)))
        return summary.best_entry(summary.most_chosen(choices), names), None, None

    def _summary(self, best, dsr, pbo, running: bool, rows) -> dict:
        r, p = self.request, self.progress
        finished = datetime.now(timezone.utc)
        ran = [ln.get("seconds") or 0.0 for ln in self.lines.values()]
        status = "running" if running else (INTERRUPTED if self._stop_reason else FINISHED)
        return {
            "file": r.file, "tickers": list(r.tickers) if r.tickers else None,
            "start": r.start.isoformat(), "end": r.end.isoformat(),
            "dates": {"start": r.start.isoformat(), "end": r.end.isoformat()},
            "capital": r.capital, "space": r.space.as_json(), "search": r.search.text, "seed": r.seed,
            "objective": r.ranking.objective, "min_trades": r.ranking.min_trades,
            "walk_forward": ({"folds": r.walk_forward, "anchored": r.anchored} if r.walk_forward else None),
            "executor": self.executor.describe(),
            "counts": {"variants": len(self.prescreen.variants) if self.prescreen is not None
                       else max(len(s.variants) for s in self.searches.values()),
                       "runs": p.total, "done": p.done, "ok": sum(1 for x in self.lines.values() if x["status"] == "ok"),
                       "error": p.errors, "resumed": p.resumed, "rows": len(rows)},
            "best": best, "deflated_sharpe": dsr, "pbo": pbo,
            "timings": {"started": self._started_at.isoformat(timespec="seconds"),
                        "finished": None if running else finished.isoformat(timespec="seconds"),
                        "wall_seconds": round(p.elapsed, 3), "run_seconds": round(sum(ran), 3),
                        "mean_run_seconds": round(sum(ran) / len(ran), 3) if ran else None},
            "status": status, "stop_reason": self._stop_reason or None,
            "identity": self.folder.identity,
        }

    def _write_best(self, best: dict) -> None:
        values = self._best_values(best)
        text = self.request.strategy.text_with(values)
        if text is not None:
            self.folder.write("best.rbts", text)

    def _best_values(self, best: dict) -> dict:
        for (kind, fold, variant), _ in self.lines.items():
            if variant == best["variant"] and kind != TEST:
                return self.searches[fold].variants[variant]
        return {}


def _chosen_variant(lines: dict, fold: int) -> int:
    return next((v for (k, f, v) in lines if k == TEST and f == fold), -1)


def _catch_signals(stop: Callable[[str], None]) -> Callable[[], None]:
    """SIGINT and SIGTERM stop the sweep cleanly (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    names = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}
    before = {sig: signal.getsignal(sig) for sig in names}
    for sig, why in names.items():
        signal.signal(sig, lambda *_a, why=why: stop(why))

    def restore() -> None:
        for sig, handler in before.items():
            signal.signal(sig, handler)

    return restore
