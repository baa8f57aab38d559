"""From what a user gives (a strategy, dates, options) to a checked :class:`SweepRequest` and
an executor — shared by ``rbts sweep`` and the app's Optimize section.  Every problem is an
:class:`RbtsError` raised before a worker starts or a file is written."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.ranking import Ranking, check_min_trades, check_objective
from rbts.runtime.research.space import Search, Space
from rbts.runtime.research.sweep import SweepRequest
from rbts.runtime.research.tasks import ParamStrategy, load_source
from rbts.runtime.settings import Settings


@dataclass(frozen=True)
class SweepOptions:
    start: str
    end: str
    tickers: Sequence[str] | None = None
    capital: float | None = None
    search: str = "grid"
    objective: str = "sharpe"
    min_trades: int | None = None
    walk_forward: int | None = None
    anchored: bool = False
    seed: int = 0
    out: str | Path | None = None
    space: Mapping[str, Sequence] | None = None  # narrower domains (the app); default: the params' own
    prescreen: int | None = None  # SPEC §6.3: confirm only the best K of a vectorised pre-screen
    workers: int | None = None  # local worker processes (the executor's, not the sweep's identity)


def param_domains(checked) -> dict[str, tuple]:
    """name -> every value of the param's domain, in declaration order (none before params exist)."""
    params = getattr(checked, "params", None) or {}
    return {name: tuple(domain.values) for name, domain in params.items()}


def fingerprint(checked) -> str:
    """A hash of the strategy's canonical JSON form: comments and layout do not change it."""
    from rbts.dsl import json_form

    canonical = json.dumps(json_form.to_json(checked.strategy, settings=checked.settings), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_request(text: str, filename: str | None, options: SweepOptions, settings: Settings) -> SweepRequest:
    from rbts.runtime.backtest.runner import parse_day, run_settings

    checked = _check(text, filename)
    first, last = parse_day(options.start, "start"), parse_day(options.end, "end")
    if last < first:
        raise RbtsError(f"--end {last} is before --start {first}")
    tickers = tuple(dict.fromkeys(t.strip().upper() for t in options.tickers or () if t.strip())) or None
    run = run_settings(checked.settings, options.capital, list(tickers) if tickers else None)
    _check_bars(run.symbols, settings)
    space = Space.of(_space(param_domains(checked), options.space))
    name = checked.settings.name or (Path(filename).stem if filename else "strategy")
    return SweepRequest(
        strategy=ParamStrategy(text, filename), space=space, start=first, end=last, home=str(settings.home),
        out=Path(options.out) if options.out else default_out(settings, name), fingerprint=fingerprint(checked),
        file=str(filename or ""), tickers=tickers, capital=options.capital, search=Search.parse(options.search),
        ranking=Ranking(check_objective(options.objective), check_min_trades(options.min_trades)),
        seed=int(options.seed), walk_forward=options.walk_forward, anchored=options.anchored,
        calendar=settings.calendar, prescreen=_prescreen(options))


def _prescreen(options: SweepOptions) -> int | None:
    k = options.prescreen
    if k is None:
        return None
    if k < 1:
        raise RbtsError(f"--prescreen needs K >= 1 variants to confirm, got {k}")
    if options.walk_forward or Search.parse(options.search).kind == "optuna":
        raise RbtsError("--prescreen works with --search grid or random:N, without --walk-forward")
    return int(k)


def _check(text: str, filename: str | None):
    try:
        return load_source(text)
    except RbtsError as exc:
        raise exc.with_source(filename, text) from None


def _space(domains: dict[str, tuple], chosen: Mapping[str, Sequence] | None) -> dict[str, tuple]:
    if not chosen:
        return domains
    out = {}
    for name, values in domains.items():
        picked = tuple(chosen.get(name, values))
        outside = [v for v in picked if v not in values]
        if outside:
            raise RbtsError(f"param {name}: {outside[0]!r} is not in its domain")
        out[name] = picked
    unknown = sorted(set(chosen) - set(domains))
    if unknown:
        raise RbtsError(f"unknown param {unknown[0]} (the strategy declares: {', '.join(domains) or 'none'})")
    return out


def _check_bars(symbols: Sequence[str], settings: Settings) -> None:
    from rbts.runtime.data.catalog import BarStore

    store = BarStore(settings)
    missing = [s for s in symbols if not store.has(s)]
    if missing:
        raise RbtsError(f"no bars for {', '.join(missing)} in {settings.catalog_dir} "
                        "(rbts data demo, rbts data import or rbts data download)")


def default_out(settings: Settings, name: str) -> Path:
    """HOME/sweeps/NAME-YYYYmmdd-HHMMSS"""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "strategy"
    return settings.home / "sweeps" / f"{safe}-{datetime.now():%Y%m%d-%H%M%S}"


def make_executor(settings: Settings, workers: int | None = None, ray: str | None = None):
    """Ray when an address is given (flag, rbts.yaml's ray.address, RBTS_RAY_ADDRESS), else local processes."""
    if workers is not None and workers < 1:
        raise RbtsError(f"--workers must be 1 or more, got {workers}")
    address = ray or settings.ray.address
    if address:
        from rbts.runtime.research.ray_executor import RayExecutor

        return RayExecutor(address, workers)
    from rbts.runtime.research.local import LocalExecutor

    return LocalExecutor(workers)
