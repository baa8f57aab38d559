"""AST <-> the JSON form ``{"rbts": 1, ...}`` (SPEC §2.6).

The JSON lists every setting explicitly (defaults resolved) *and* keeps the AST
exact: ``"defaulted"`` names the settings the user did not write, so
``from_json(to_json(s)) == s``.  Expressions are trees of ``{"node": TAG, ...}``
objects whose keys are the AST fields; durations are written ``"5m"`` and times
of day ``"09:45"``.  ``dsl/schema.json`` describes the format.

``from_json`` reports broken input as :class:`RbtsError`: invalid JSON at its
line:col, schema violations with their JSON path (``$.body[2].cond``) and
line:col, and the nodes it builds carry spans into the JSON text, so checker
errors on a ``.json`` strategy point into the JSON too.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import fields
from dataclasses import replace as dc_replace
from pathlib import Path as FilePath
from typing import Any

from rbts.dsl import ast
from rbts.dsl.clock_text import format_clock, parse_clock
from rbts.dsl.errors import Diagnostic, RbtsError, Span
from rbts.dsl.json_positions import Path, json_path, value_spans
from rbts.dsl import limits
from rbts.dsl.limits import MAX_INT_DIGITS, literal_problem
from rbts.dsl.param_refs import resolve_param_refs
from rbts.dsl.json_validate import schema, validate
from rbts.dsl.settings import ResolvedSettings

__all__ = ["VERSION", "dumps", "encode_node", "from_json", "schema", "to_json", "validate"]

VERSION = 1
MAX_DEPTH = limits.MAX_DEPTH
DEFAULT_CAPITAL = ast.Number(10000)
DEFAULT_BARS = ast.Duration(60)
DEFAULT_SIZING = ast.Sizing("equal")
DEFAULT_OFFSET = ast.Percent(0.05)
DEFAULT_TTL = ast.BarCount(1)
DEFAULT_FEES = ast.Percent(0)

_TAGS: dict[type, str] = {
    ast.Number: "number", ast.Percent: "percent", ast.Name: "name", ast.Symbol: "symbol",
    ast.Call: "call", ast.Neg: "neg", ast.BinOp: "binop", ast.Compare: "compare", ast.Cross: "cross",
    ast.Between: "between", ast.TimeIn: "time_in", ast.TimeBetween: "time_between",
    ast.Within: "within", ast.For: "for", ast.Not: "not", ast.And: "and", ast.Or: "or",
    ast.Duration: "duration", ast.BarCount: "bars", ast.Let: "let", ast.Rule: "rule", ast.ParamRef: "param",
}
_CLASSES = {tag: cls for cls, tag in _TAGS.items()}
_DURATION = re.compile(r"([1-9][0-9]*)([smhd])")


# ----------------------------------------------------------------------------- AST -> JSON


# Risks added after the JSON form's first version: written only when set, so every strategy
# without them keeps exactly the JSON it had (and older files stay valid).
OPTIONAL_RISKS = frozenset({"broker_stop"})


def encode_node(node: ast.Node) -> dict:
    """One AST node (expression, window, let or rule) as a JSON object."""
    if isinstance(node, ast.Duration):
        return {"node": "duration", "value": node.text}
    if isinstance(node, ast.TimeBetween):
        return {"node": "time_between", "start": format_clock(node.start), "end": format_clock(node.end)}
    out: dict[str, Any] = {"node": _TAGS[type(node)]}
    for f in fields(node):
        if f.name != "span":
            out[f.name] = _encode_value(getattr(node, f.name))
    return out


def _encode_value(value):
    if isinstance(value, ast.Node):
        return encode_node(value)
    if isinstance(value, tuple):
        return [_encode_value(v) for v in value]
    return value


def _encode_ttl(ttl: ast.Duration | ast.BarCount) -> str | dict:
    return ttl.text if isinstance(ttl, ast.Duration) else {"cycles": ttl.count}


def _param_literal(node: ast.Node) -> int | float | str:
    return node.text if isinstance(node, ast.Duration) else node.value


def _encode_param(param: ast.Param) -> dict:
    out: dict[str, Any] = {"name": param.name, "kind": param.kind, "default": _param_literal(param.default)}
    dom = param.domain
    if isinstance(dom, ast.ParamList):
        out["values"] = [_param_literal(v) for v in dom.values]
    else:
        out["low"], out["high"] = _param_literal(dom.low), _param_literal(dom.high)
        if dom.step is not None:
            out["step"] = _param_literal(dom.step)
    return out


def _setting_params(s: ast.Strategy) -> dict[str, str]:
    """setting -> param name, for each setting given by a param."""
    slots = {"sizing": s.sizing.value if s.sizing else None}
    if s.order is not None:
        slots["order.offset"], slots["order.ttl"] = s.order.offset, s.order.ttl
    slots.update({f"risk.{r.kind}": r.percent for r in s.risks})
    return {key: node.name for key, node in slots.items() if isinstance(node, ast.ParamRef)}


def _settings(s: ast.Strategy, cycle_seconds: int) -> dict:
    """Every setting explicit; a setting given by a param holds the param's default (its value)."""
    defaults = {p.name: p.default for p in s.params}

    def value(node):
        return defaults[node.name] if isinstance(node, ast.ParamRef) and node.name in defaults else node

    order = s.order or ast.Order("limit")
    order_json: dict[str, Any] = {"kind": order.kind}
    if order.kind == "limit":
        order_json["offset_pct"] = value(order.offset or DEFAULT_OFFSET).value
        order_json["ttl"] = _encode_ttl(value(order.ttl or DEFAULT_TTL))
    sizing = s.sizing or DEFAULT_SIZING
    if isinstance(sizing.value, ast.ParamRef):
        sizing = ast.Sizing(sizing.kind, value(sizing.value).value)
    risks = {r.kind: value(r.percent).value for r in s.risks}
    return {
        "universe": [sym.name for sym in s.universe or ()],
        "capital": (s.capital or DEFAULT_CAPITAL).value,
        "cycle": (s.cycle or ast.Duration(cycle_seconds)).text,
        "bars": (s.bars or DEFAULT_BARS).text,
        "sizing": {"kind": sizing.kind} if sizing.kind == "equal" else {"kind": sizing.kind, "value": sizing.value},
        "order": order_json,
        "risk": {f"{kind}_pct": risks.get(kind) for kind in ast.RISK_KINDS
                 if kind not in OPTIONAL_RISKS or kind in risks},
        "fees_pct": (s.fees or DEFAULT_FEES).value,
    }


def _defaulted(s: ast.Strategy) -> list[str]:
    out = [k for k in ("name", "universe", "capital", "cycle", "bars", "sizing", "order") if getattr(s, k) is None]
    if s.order is not None and s.order.kind == "limit":
        out += [f"order.{part}" for part in ("offset", "ttl") if getattr(s.order, part) is None]
    return out + (["fees"] if s.fees is None else [])


def to_json(
    strategy: ast.Strategy,
    *,
    filename: str | None = None,
    settings: ResolvedSettings | None = None,
    default_name: str | None = None,
) -> dict:
    """The JSON form of a strategy.

    A name not written in the strategy is ``default_name``, else ``filename``'s stem
    (a strategy read from JSON passes the name recorded there); the cycle, when not written, comes from
    ``settings`` (the checker's resolution) or else from checking the strategy now,
    which raises :class:`RbtsError` if it is not valid.
    """
    if strategy.cycle is not None:
        cycle = strategy.cycle.seconds
    else:
        if settings is None:
            from rbts.dsl.checker import check

            settings = check(strategy, filename).settings
        cycle = settings.cycle_seconds
    name = strategy.name
    if name is None:
        name = default_name or (FilePath(filename).stem if filename else "strategy")
    out = {
        "rbts": VERSION,
        "name": name,
        "settings": _settings(strategy, cycle),
        "defaulted": _defaulted(strategy),
    }
    if strategy.params:  # only when there are params: files without them stay as they were
        out["params"] = [_encode_param(p) for p in strategy.params]
    setting_params = _setting_params(strategy)
    if setting_params:
        out["setting_params"] = setting_params
    out["body"] = [encode_node(stmt) for stmt in strategy.body]
    return out


def dumps(data: dict | ast.Strategy, **kwargs) -> str:
    """Pretty JSON text (2-space indent, trailing newline) of a JSON form or strategy."""
    if isinstance(data, ast.Strategy):
        data = to_json(data, **kwargs)
    return _pretty(data, 0) + "\n"


def _pretty(value, indent: int, start: int = 0, width: int = 100) -> str:
    """Indented JSON that keeps small objects and lists on one line (``start``: the
    column where the value begins)."""
    flat = json.dumps(value, ensure_ascii=False)
    if max(indent, start) + len(flat) <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        items = [pad + _pretty(v, indent + 2) for v in value]
    else:
        items = []
        for k, v in value.items():
            key = f"{json.dumps(k, ensure_ascii=False)}: "
            items.append(pad + key + _pretty(v, indent + 2, indent + 2 + len(key)))
    open_, close = ("[", "]") if isinstance(value, list) else ("{", "}")
    return open_ + "\n" + ",\n".join(items) + "\n" + " " * indent + close


# ----------------------------------------------------------------------------- JSON -> AST


class _BadNumber:
    """A number the JSON form refuses, kept in place by the loader so the error can point at it."""

    def __init__(self, text: str, problem: str):
        self.text, self.problem = text, problem


def _json_int(text: str) -> int | _BadNumber:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:  # int() itself refuses > 4,300 digits
        return _BadNumber(text, literal_problem(text, 0))
    return int(text)


def _json_float(text: str) -> float | _BadNumber:
    value = float(text)
    problem = literal_problem(text, value)
    return _BadNumber(text, problem) if problem else value + 0.0  # -0.0 reads as 0.0, as the text form writes it


def _json_constant(text: str) -> _BadNumber:
    return _BadNumber(text, f"{text} is not allowed in the JSON form (numbers must be finite)")


def _load_text(text: str, filename: str | None) -> Any:
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        span = Span.point(exc.lineno, exc.colno)
        raise RbtsError(Diagnostic(f"invalid JSON: {exc.msg}", span), filename=filename, source=text) from None
    except RecursionError:
        raise RbtsError(Diagnostic("JSON nested too deeply", Span.point(1, 1)), filename=filename, source=text) from None


def _check_numbers(data: Any, spans: dict[Path, Span]) -> None:
    """The first refused number (too large, NaN, ...) as a positioned error; iterative, for any depth."""
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _BadNumber):
            raise RbtsError(Diagnostic(f"{json_path(path)}: {value.problem}", spans.get(path)))
        if isinstance(value, float) and not math.isfinite(value):  # a dict handed over directly
            raise RbtsError(Diagnostic(f"{json_path(path)}: number {value} is not allowed (numbers must be finite)",
                                       spans.get(path)))
        if isinstance(value, dict):
            stack.extend((v, path + (k,)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(value))


class _Decoder:
    def __init__(self, spans: dict[Path, Span]):
        self.spans = spans

    def error(self, message: str, path: Path):
        return RbtsError(Diagnostic(f"{json_path(path)}: {message}", self.spans.get(path)))

    def node(self, data: dict, path: Path, depth: int = 0) -> ast.Node:
        if depth > MAX_DEPTH:
            raise self.error(f"expression nested more than {MAX_DEPTH} levels deep", path)
        cls = _CLASSES[data["node"]]
        span = self.spans.get(path)
        if cls is ast.Duration:
            problem = limits.duration_literal_problem(data["value"])
            if problem:
                raise self.error(problem, path)
            count, unit = _DURATION.fullmatch(data["value"]).groups()
            return ast.Duration(int(count) * ast.DURATION_UNITS[unit], span=span)
        if cls is ast.TimeBetween:
            start, end = self.clock(data["start"], path + ("start",)), self.clock(data["end"], path + ("end",))
            if start == end:
                raise self.error("time between needs two different times", path)
            return ast.TimeBetween(start, end, span=span)
        values = {}
        for f in fields(cls):
            if f.name != "span":
                values[f.name] = self.value(data[f.name], path + (f.name,), depth + 1)
        return cls(**values, span=span)

    def value(self, data, path: Path, depth: int):
        if isinstance(data, dict):
            return self.node(data, path, depth)
        if isinstance(data, list):
            return tuple(self.value(v, path + (i,), depth) for i, v in enumerate(data))
        return data

    def clock(self, text: str, path: Path) -> int:
        try:
            return parse_clock(text)
        except ValueError as exc:
            raise self.error(str(exc), path) from None

    def duration(self, text: str, path: Path) -> ast.Duration:
        return self.node({"node": "duration", "value": text}, path)

    def strategy(self, data: dict) -> ast.Strategy:
        s, defaulted = data["settings"], set(data["defaulted"])
        at = ("settings",)

        def written(key, node, default):
            """A setting listed as defaulted but edited to a non-default value counts as written."""
            return None if key in defaulted and node == default else node

        order = self.order(s["order"], defaulted, at + ("order",))
        sizing = ast.Sizing(s["sizing"]["kind"], s["sizing"].get("value"), span=self.spans.get(at + ("sizing",)))
        risks = tuple(
            ast.Risk(kind, ast.Percent(s["risk"][f"{kind}_pct"], span=self.spans.get(at + ("risk", f"{kind}_pct"))))
            for kind in ast.RISK_KINDS if s["risk"].get(f"{kind}_pct") is not None
        )
        universe = tuple(ast.Symbol(x, span=self.spans.get(at + ("universe", i))) for i, x in enumerate(s["universe"]))
        strategy = ast.Strategy(
            name=None if "name" in defaulted else data["name"],
            universe=None if "universe" in defaulted and not universe else universe,
            capital=written("capital", ast.Number(s["capital"], span=self.spans.get(at + ("capital",))), DEFAULT_CAPITAL),
            cycle=None if "cycle" in defaulted else self.duration(s["cycle"], at + ("cycle",)),
            bars=written("bars", self.duration(s["bars"], at + ("bars",)), DEFAULT_BARS),
            sizing=written("sizing", sizing, DEFAULT_SIZING),
            order=order,
            risks=risks,
            fees=written("fees", ast.Percent(s["fees_pct"], span=self.spans.get(at + ("fees_pct",))), DEFAULT_FEES),
            params=tuple(self.param(p, ("params", i)) for i, p in enumerate(data.get("params", ()))),
            body=tuple(self.node(stmt, ("body", i)) for i, stmt in enumerate(data["body"])),
            span=Span(1, 1, 1, 1),
        )
        return resolve_param_refs(self.setting_params(strategy, data.get("setting_params", {})))

    # -- params (SPEC §6.1)
    def param(self, data: dict, path: Path) -> ast.Param:
        kind = data["kind"]
        default = self.param_literal(kind, data["default"], path + ("default",))
        if "values" in data:
            domain = ast.ParamList(tuple(self.param_literal(kind, v, path + ("values", i))
                                         for i, v in enumerate(data["values"])), span=self.spans.get(path + ("values",)))
        else:
            low, high = (self.param_literal(kind, data[k], path + (k,)) for k in ("low", "high"))
            step = self.param_literal(kind, data["step"], path + ("step",)) if "step" in data else None
            domain = ast.ParamRange(low, high, step, span=self.spans.get(path))
        return ast.Param(data["name"], default, domain, span=self.spans.get(path))

    def param_literal(self, kind: str, value, path: Path) -> ast.Node:
        span = self.spans.get(path)
        if kind == "duration":
            if not isinstance(value, str):
                raise self.error(f"a duration param's values are durations such as \"5m\", not {value!r}", path)
            return self.duration(value, path)
        if isinstance(value, str) or isinstance(value, bool):
            raise self.error(f"a {kind} param's values are numbers, not {value!r}", path)
        return ast.Number(value, span=span) if kind == "number" else ast.Percent(value, span=span)

    def setting_params(self, s: ast.Strategy, refs: dict) -> ast.Strategy:
        """The settings named in ``setting_params`` given by their param (their listed value is its default)."""
        at = ("setting_params",)
        ref = {key: ast.ParamRef(name, span=self.spans.get(at + (key,))) for key, name in refs.items()}
        changes: dict[str, Any] = {}
        if "sizing" in ref:
            if s.sizing is None or s.sizing.kind == "equal":
                raise self.error("sizing is given by a param, but the sizing is `equal`", at + ("sizing",))
            changes["sizing"] = dc_replace(s.sizing, value=ref["sizing"])
        for part in ("offset", "ttl"):
            if f"order.{part}" in ref:
                if s.order is None or s.order.kind != "limit":
                    raise self.error(f"the order {part} is given by a param, but the order is not a limit order",
                                     at + (f"order.{part}",))
                s = dc_replace(s, order=dc_replace(s.order, **{part: ref[f"order.{part}"]}))
        risks = {r.kind: r for r in s.risks}
        for key, node in ref.items():
            if key.startswith("risk."):
                kind = key.split(".", 1)[1]
                if kind not in risks:
                    raise self.error(f"{kind} is given by a param, but settings.risk.{kind}_pct is null", at + (key,))
                risks[kind] = dc_replace(risks[kind], percent=node)
        changes["risks"] = tuple(risks[k] for k in ast.RISK_KINDS if k in risks)
        return dc_replace(s, **changes)

    def order(self, data: dict, defaulted: set[str], path: Path) -> ast.Order | None:
        span = self.spans.get(path)
        if data["kind"] == "market":  # never the default
            return ast.Order("market", span=span)
        offset = ast.Percent(data["offset_pct"], span=self.spans.get(path + ("offset_pct",)))
        ttl_data = data["ttl"]
        if isinstance(ttl_data, str):
            ttl = self.duration(ttl_data, path + ("ttl",))
        else:
            ttl = ast.BarCount(ttl_data["cycles"], span=self.spans.get(path + ("ttl",)))
        offset = None if "order.offset" in defaulted and offset == DEFAULT_OFFSET else offset
        ttl = None if "order.ttl" in defaulted and ttl == DEFAULT_TTL else ttl
        order = ast.Order("limit", offset, ttl, span=span)
        if "order" in defaulted and order == ast.Order("limit", DEFAULT_OFFSET, DEFAULT_TTL):
            return None
        return order


def recorded_name(source: str | bytes | dict) -> str | None:
    """The ``name`` a JSON form records (its file name at export when it was defaulted)."""
    try:
        data = json.loads(source) if isinstance(source, (str, bytes)) else source
    except ValueError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _check_version(data: Any, spans: dict[Path, Span]) -> None:
    version = data.get("rbts") if isinstance(data, dict) else None
    if isinstance(version, float):  # 1.0 == 1, but only 1 is ever written
        raise RbtsError(Diagnostic(f"$.rbts: the version is the whole number {VERSION}, not {version}", spans.get(("rbts",))))
    if isinstance(version, int) and not isinstance(version, bool) and version != VERSION:
        raise RbtsError(Diagnostic(f"$.rbts: this is version {version} of the JSON form; this program reads version "
                                   f"{VERSION}", spans.get(("rbts",))))


def from_json(source: str | bytes | dict, filename: str | None = None) -> ast.Strategy:
    """A strategy from its JSON form (text or already-loaded dict).

    Raises RbtsError for invalid JSON, schema violations and bad values, positioned
    in the JSON text when there is one.
    """
    text = None
    if isinstance(source, bytes):
        from rbts.dsl.load import decode

        source = decode(source, filename)
    if isinstance(source, str):
        too_large = limits.source_problem(len(source), "JSON")
        if too_large:
            raise RbtsError(Diagnostic(too_large, Span.point(1, 1)), filename=filename)
        text, data = source, _load_text(source, filename)
    else:
        data = source
    try:
        spans = value_spans(text) if text is not None else {}
        _check_numbers(data, spans)
        _check_version(data, spans)
        validate(data, spans, MAX_DEPTH)
        return _Decoder(spans).strategy(data)
    except RbtsError as exc:
        raise exc.with_source(filename, text) from None
    except RecursionError:
        raise RbtsError(Diagnostic("JSON nested too deeply", Span.point(1, 1)), filename=filename, source=text) from None
