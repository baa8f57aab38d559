"""What the fuzzers do with an input: everything a user can do with it (issue #13).

Each ``exercise_*`` function takes one input, runs it through every stage a user can
reach, and returns its outcome (``"ok"`` or ``"error"``).  A user error must be an
:class:`RbtsError` whose every diagnostic is positioned inside the input and renders;
anything else escaping (a ``RecursionError``, an ``OverflowError``, ...) is an internal
error -- exit 70 on the command line -- and fails the fuzz test with the input.

What succeeds must hold together: a text that compiles has a JSON form that loads
and compiles to the same strategy and vice versa, its canonical text is a fixed
point, its indicator graph builds, and both evaluators run it over a few bars.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import Counter
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from rbts.dsl.errors import RbtsError

COUNTS: Counter = Counter()  # cases run per fuzzer and outcome; `make fuzz` prints it


def assert_positioned(exc: RbtsError, source: str, filename: str) -> None:
    """Every diagnostic has a position inside ``source``, and the whole error renders."""
    assert exc.diagnostics, "an RbtsError without a diagnostic"
    lines = source.count("\n") + 1
    for diag in exc.diagnostics:
        assert diag.span is not None, f"unpositioned error: {diag.message}"
        assert 1 <= diag.span.line <= lines and diag.span.col >= 1, f"position outside the input: {diag}"
    exc.with_source(filename, source).render()


# ----------------------------------------------------------------------------- strategies


FUZZ_RBTS, FUZZ_JSON = "fuzz.rbts", "fuzz.json"


def exercise_text(text: str, overrides: dict[str, str] | None = None) -> str:
    """A rule file through the front door (``load_strategy``), then with ``--set`` overrides."""
    return _exercise_source("text", text, FUZZ_RBTS, overrides)


def exercise_json(text: str, overrides: dict[str, str] | None = None) -> str:
    """A JSON form through the front door, as text and (when it is an object) as a dict."""
    return _exercise_source("json", text, FUZZ_JSON, overrides)


def _exercise_source(kind: str, text: str, filename: str, overrides: dict[str, str] | None) -> str:
    from rbts.dsl.load import load_strategy

    try:
        checked = load_strategy(text, filename=filename)
    except RbtsError as exc:
        assert_positioned(exc, text, filename)
        COUNTS[kind + " error"] += 1
        return "error"
    exercise_loaded(checked, text, filename, overrides)
    COUNTS[kind + " ok"] += 1
    return "ok"


def exercise_loaded(checked, text: str, filename: str, overrides: dict[str, str] | None = None) -> None:
    """A strategy the front door read from ``text``: every form and stage, its params' last
    variant (every variant must work), then ``overrides``."""
    from rbts.dsl.load import load_strategy

    json_form = checked.origin.form == "json"
    if json_form:
        _same_as_dict(checked, text)
    _exercise_valid(checked, None if json_form else text)
    load_with = lambda values: load_strategy(text, filename=filename, overrides=values)  # noqa: E731
    if checked.params:
        exercise_sets(checked, load_with, {name: d.text(d.values[-1]) for name, d in checked.params.items()})
    if overrides is not None:
        exercise_sets(checked, load_with, overrides)


def _same_as_dict(checked, text: str) -> None:
    """The front door reads a JSON form handed over as a dict as it reads its text."""
    import json

    from rbts.dsl.load import load_strategy

    data = json.loads(text)
    if isinstance(data, dict):
        assert load_strategy(data).strategy == checked.strategy, "the JSON form reads differently as a dict"


def exercise_sets(checked, load_with, overrides: dict[str, str]) -> str:
    """``--set`` overrides of a valid strategy: every value in its param's domain binds (and the
    variant works in every stage, as ``bind`` of the loaded strategy); anything else is an
    error naming the param."""
    from rbts.dsl.params import bind

    params = checked.params
    in_domain = all(name in params and _in_domain(params[name], value) for name, value in overrides.items())
    try:
        bound = load_with(overrides)
    except RbtsError as exc:
        shown = exc.render()
        assert not in_domain, f"--set {overrides} holds only values of the domains but was refused:\n{shown}"
        assert any(name in d.message for d in exc.diagnostics for name in overrides), f"names no param: {shown}"
        COUNTS["set error"] += 1
        return "error"
    assert in_domain or not overrides, f"--set {overrides} was accepted"
    assert bound.strategy == bind(checked, overrides).strategy, "--set differs from bind of the loaded strategy"
    for name, value in overrides.items():
        assert bound.params[name].default == params[name].lookup(value), f"--set {name}={value} did not set it"
    _exercise_valid(bound, None)
    COUNTS["set ok"] += 1
    return "ok"


_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits, as the language
_DURATION = re.compile(r"([0-9]{1,30})([smhd])")


def _in_domain(domain, given: str) -> bool:
    """The test's own answer to "is ``given`` (as in ``--set``) a value of ``domain``": its exact
    decimal equals that of a domain value's text (never rounded)."""
    def exact(text: str):
        text = text.strip()
        if domain.kind == "duration":
            m = _DURATION.fullmatch(text)
            return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)] if m else None
        if domain.kind == "percent":
            if not text.endswith("%"):
                return None
            text = text[:-1].strip()
        if not _NUMBER.fullmatch(text):
            return None
        try:
            return Decimal(text)
        except ArithmeticError:  # an exponent beyond any decimal
            return None

    wanted = exact(given)
    return wanted is not None and any(exact(domain.text(v)) == wanted for v in domain.values)


def _exercise_valid(checked, text: str | None) -> None:
    """A valid strategy in every form and stage, each read back by the front door; both forms
    must agree on it."""
    from rbts.compiler.program import compile_strategy
    from rbts.dsl.formatter import format_source, format_strategy
    from rbts.dsl.json_form import dumps, to_json
    from rbts.dsl.load import load_strategy

    strategy = checked.strategy
    canonical = format_strategy(strategy)
    again = load_strategy(canonical, filename="canonical.rbts")  # the text form of a valid strategy is valid
    assert again.strategy == strategy, "the canonical text reads back differently"
    assert format_strategy(again.strategy) == canonical, "formatting is not a fixed point"
    if text is not None:
        kept = format_source(text, FUZZ_RBTS)
        assert format_source(kept) == kept
    data = to_json(strategy, settings=checked.settings)
    back = load_strategy(dumps(data), filename="export.json")  # the JSON form of a valid strategy is valid
    assert back.strategy == strategy, "the JSON form reads back differently"
    assert back.program == checked.program, "the JSON form runs a different program"
    program = compile_strategy(checked)
    program.graph.to_text()
    _evaluate(program)


def _evaluate(program) -> None:
    """Both evaluators over a few bars of every symbol the strategy reads (enough to build every
    indicator, window and buffer, where sizes blow up; the evaluators' results are other tests' job)."""
    from rbts.compiler.replay import run_incremental

    settings = program.settings
    frames = {s: tiny_frame(settings.bars_seconds, seed=i, sessions=1).iloc[:60].copy()
              for i, s in enumerate(settings.symbols)}
    program.evaluate(frames)
    run_incremental(program.incremental(), frames, settings.symbols, settings.bars_seconds)


@lru_cache(maxsize=256)
def tiny_frame(seconds: int, seed: int = 0, sessions: int = 2) -> pd.DataFrame:
    """``sessions`` New York sessions (09:30..16:00) of bars of ``seconds``, a seeded walk."""
    rng = np.random.default_rng(seed)
    stamps = []
    for day in pd.bdate_range("2025-03-03", periods=sessions):
        open_ = pd.Timestamp(day).tz_localize("America/New_York") + pd.Timedelta(hours=9, minutes=30)
        step = min(seconds, 6 * 3600 + 1800)
        stamps.extend(open_ + pd.Timedelta(seconds=k * step) for k in range(1, (6 * 3600 + 1800) // step + 1))
    index = pd.DatetimeIndex(stamps).tz_convert("UTC").rename("ts")
    close = np.round(100 + np.cumsum(rng.normal(0, 0.2, len(index))), 2)
    spread = np.round(np.abs(rng.normal(0, 0.1, len(index))), 2)
    return pd.DataFrame({"open": close, "high": close + spread, "low": close - spread, "close": close,
                         "volume": rng.integers(100, 10_000, len(index)).astype(float)}, index=index)


# ----------------------------------------------------------------------------- CSV imports


def snapshot(home: Path) -> dict[str, str]:
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.rglob("*"))
            if p.is_file()}


def exercise_csv(data: bytes, template: Path, work: Path, symbol: str = "AAPL") -> str:
    """Import ``data`` as a CSV into a copy of ``template`` (a home holding AAPL bars):
    a failure changes nothing stored; a success stores exactly the file's bars."""
    from rbts.runtime.data.catalog import BarStore
    from rbts.runtime.data.importer import import_file
    from rbts.runtime.settings import load_settings

    home = work / "home"
    if not home.exists():
        shutil.copytree(template, home)
    before = snapshot(home)
    csv = work / "fuzz.csv"
    csv.write_bytes(data)
    try:
        result = import_file(BarStore(load_settings(home)), csv, symbol)
    except RbtsError as exc:  # file-level problems ("no data rows") have no position; rows do
        assert all(d.span is None or (d.span.line >= 1 and d.span.col >= 1) for d in exc.diagnostics)
        exc.render()
        assert snapshot(home) == before, "a failed import changed the catalog"
        COUNTS["csv error"] += 1
        return "error"
    stored = BarStore(load_settings(home)).load_frame(symbol, result.first, result.last, seconds=result.seconds)
    assert len(stored) == result.rows, "the stored bars are not the file's"
    shutil.rmtree(home)  # the next case starts from the template again
    COUNTS["csv ok"] += 1
    return "ok"
