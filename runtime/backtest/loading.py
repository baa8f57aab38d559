"""From what a user hands over (a file, text, JSON, a checked strategy) to a runnable program."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.dsl.limits import capital_problem
from rbts.dsl.settings import ResolvedSettings


def load_checked(strategy: Any):
    """(CheckedStrategy, its JSON form) from a .rbts/.json path, DSL text, a JSON dict or a CheckedStrategy."""
    from rbts.dsl import json_form
    from rbts.dsl.checker import CheckedStrategy, check, check_text

    if isinstance(strategy, CheckedStrategy):
        return strategy, json_form.to_json(strategy.strategy, settings=strategy.settings)
    if isinstance(strategy, dict):
        checked = check(json_form.from_json(strategy))
        return checked, json_form.to_json(checked.strategy, settings=checked.settings)
    if isinstance(strategy, Path) or (isinstance(strategy, str) and "\n" not in strategy
                                      and strategy.strip().endswith((".rbts", ".json"))):
        path = Path(strategy)
        if not path.is_file():
            raise RbtsError(f"{path}: no such strategy file")
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            try:
                checked = check(json_form.from_json(text, str(path)), str(path))
            except RbtsError as exc:
                raise exc.with_source(str(path), text) from None
        else:
            checked = check_text(text, str(path))
        return checked, json_form.to_json(checked.strategy, filename=str(path), settings=checked.settings)
    if isinstance(strategy, str):
        if strategy.lstrip().startswith("{"):
            try:
                checked = check(json_form.from_json(strategy))
            except RbtsError as exc:
                raise exc.with_source(None, strategy) from None
        else:
            checked = check_text(strategy)
        return checked, json_form.to_json(checked.strategy, settings=checked.settings)
    raise RbtsError(f"cannot run a strategy given as {type(strategy).__name__}")


def run_settings(settings: ResolvedSettings, capital: float | None, symbols: list[str] | None) -> ResolvedSettings:
    """The strategy's settings with this run's capital and tickers (the universe) put in."""
    changes: dict[str, Any] = {}
    if capital is not None:
        problem = capital_problem(capital)
        if problem:
            raise RbtsError(f"--capital: {problem}")
        changes["capital"] = float(capital)
    if symbols:
        universe = tuple(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
        if not universe:
            raise RbtsError("--symbols: give at least one ticker")
        changes["universe"] = universe
        changes["data_symbols"] = tuple(s for s in settings.data_symbols if s not in universe)
    return dataclasses.replace(settings, **changes) if changes else settings


def build_evaluator(checked):
    """The compiler's incremental evaluator for a checked strategy."""
    from rbts.compiler.incremental import incremental
    from rbts.compiler.lowering import lower

    return incremental(lower(checked))
