"""Widgets that edit one curve or one condition of the visual builder.

Each function draws its widgets under a key prefix and returns the model value
(:class:`Curve` / :class:`Condition`); defaults come from the value passed in, so a
fresh key prefix shows an existing rule for editing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import streamlit as st

from rbts.dsl import ast
from rbts.dsl.functions import FUNCTIONS
from rbts.ui.builder_model import (
    INDICATORS, NEEDS_LEFT, NEEDS_RIGHT, PROPERTIES, TIMEFRAMES,
    TRANSFORMS, Condition, Curve, Source,
)
from rbts.ui.params_model import of_kind

THIS_TICKER = "this ticker"
KIND_LABELS = {"price": "Price", "indicator": "Indicator", "let": "Named curve", "number": "Value"}
TRANSFORM_LABELS = {"": "as is", **{name: FUNCTIONS[name].builder for name in TRANSFORMS}}
WINDOW_CHOICES = ("1 bar", "2 bars", "3 bars", "5 bars", "10 bars", "5m", "15m", "30m", "1h", "4h", "1d")


def _index(options, value, default=0) -> int:
    return list(options).index(value) if value in options else default


def _select(label, options, value, key, **kw):
    options = list(options)
    if value not in options:
        options.append(value)
    return st.selectbox(label, options, index=_index(options, value), key=key, **kw)


def source_input(key: str, source: Source, symbols: list[str]) -> Source:
    tickers = [THIS_TICKER, *[s for s in symbols if s != source.symbol]]
    if source.symbol:
        tickers.insert(1, source.symbol)
    c1, c2 = st.columns(2)
    who = c1.selectbox("of", tickers, index=_index(tickers, source.symbol or THIS_TICKER), key=f"{key}.sym")
    field = c2.selectbox("field", ast.FIELDS, index=_index(ast.FIELDS, source.field, 3), key=f"{key}.field")
    return Source(field, None if who == THIS_TICKER else who)


def param_label(params: Mapping[str, str], blank: str):
    """How a choice of "a literal or a param" reads: ``param fast``, ``param stop (%)`` (a
    percent is marked: beside numbers it means a fraction, 2% = 0.02)."""
    def label(choice: str) -> str:
        if choice not in params:
            return blank if not choice else choice
        return f"param {choice}" + (" (%)" if params[choice] == "percent" else "")
    return label


def number_or_param(col, label: str, value, params: Mapping[str, str], key: str, default: float,
                    kinds: tuple[str, ...] = ("number",), **number_kw):
    """A number input -- or, when the strategy has params of ``kinds``, one of them instead
    (a param is written by name, e.g. ``ema(close, fast)``)."""
    names = of_kind(params, *kinds)
    if names:
        choices = ["", *names]
        picked = col.selectbox(f"{label}: number or param", choices,
                               index=_index(choices, value if isinstance(value, str) else ""),
                               format_func=param_label(params, "a number"), key=f"{key}.from")
        if picked:
            return picked
    number = default if isinstance(value, str) else value
    return col.number_input(label, value=number, key=key, **number_kw)


def window_or_param(label: str, presets, value: str, params: Mapping[str, str], key: str, **kw) -> str:
    """A window or timeframe: a preset (or the current value), or a duration param's name."""
    options = [*presets, *of_kind(params, "duration")]
    return _select(label, options, value, key, format_func=param_label(params, kw.pop("blank", "")), **kw)


NO_PARAMS: Mapping[str, str] = {}


def curve_input(key: str, curve: Curve, *, lets: list[str], symbols: list[str], allow_number: bool,
                label: str = "Curve", params: Mapping[str, str] = NO_PARAMS) -> Curve:
    """``params``: name -> kind of the strategy's params, offered where their kind fits."""
    kinds = ["price", "indicator"] + (["let"] if lets or curve.kind == "let" else []) + (
        ["number"] if allow_number else [])
    kind = st.selectbox(label, kinds, index=_index(kinds, curve.kind), format_func=KIND_LABELS.get,
                        key=f"{key}.kind")
    if kind == "number":
        value = number_or_param(st, "value", curve.value if isinstance(curve.value, str) else float(curve.value),
                                params, f"{key}.value", 0.0, ("number", "percent"), step=0.05, format="%g")
        return Curve("number", value=value)
    if kind == "price":
        out = Curve("price", source=source_input(f"{key}.src", curve.source, symbols))
    elif kind == "let":
        names = lets or [curve.let]
        out = Curve("let", let=st.selectbox("name", names, index=_index(names, curve.let), key=f"{key}.let"))
    else:
        out = _indicator_input(key, curve, symbols, params)
    return _transform_input(key, curve, out, params)


def _indicator_input(key: str, curve: Curve, symbols: list[str], named: Mapping[str, str]) -> Curve:
    c1, c2 = st.columns(2)
    func = c1.selectbox("indicator", INDICATORS, index=_index(INDICATORS, curve.func), key=f"{key}.func")
    with c2:
        timeframe = window_or_param("timeframe", ("",) + TIMEFRAMES, curve.timeframe, named, f"{key}.tf",
                                    blank="default")
    source = curve.source
    fn = FUNCTIONS[func]
    if fn.takes_series:
        source = source_input(f"{key}.src", curve.source, symbols)
    specs = fn.numeric_args
    current = curve.params if func == curve.func and len(curve.params) == len(specs) else [a.default for a in specs]
    params = []
    if specs:
        cols = st.columns(len(specs))
        for i, (col, arg) in enumerate(zip(cols, specs)):
            integer = arg.kind == "int"
            cast = int if integer else float
            now = current[i] if isinstance(current[i], str) else cast(current[i])
            value = number_or_param(col, arg.label, now, named, f"{key}.{func}.p{i}", cast(arg.default),
                                    min_value=arg.minimum if integer else 0.1, step=1 if integer else 0.5)
            params.append(value)
    return Curve("indicator", source=source, func=func, params=tuple(params), timeframe=timeframe)


def _transform_input(key: str, old: Curve, curve: Curve, params: Mapping[str, str]) -> Curve:
    c1, c2 = st.columns(2)
    options = ("",) + TRANSFORMS
    transform = c1.selectbox("transform", options, index=_index(options, old.transform),
                             format_func=TRANSFORM_LABELS.get, key=f"{key}.tr")
    if not transform:
        return curve
    with c2:
        window = window_or_param("window", WINDOW_CHOICES, old.transform_window or "30m", params, f"{key}.trw")
    return replace(curve, transform=transform, transform_window=window)


def condition_input(key: str, cond: Condition, *, lets: list[str], symbols: list[str],
                    params: Mapping[str, str] = NO_PARAMS) -> Condition:
    """One condition row: left curve | property | right curve or value, then within/for."""
    left_col, op_col, right_col = st.columns([5, 3, 5])
    with op_col:
        props = list(PROPERTIES)
        op = st.selectbox("property", props, index=_index(props, cond.op), format_func=PROPERTIES.get,
                          key=f"{key}.op")
    left, right, upper = cond.left, cond.right, cond.upper
    out = replace(cond, op=op)
    if op in NEEDS_LEFT:
        with left_col:
            left = curve_input(f"{key}.left", cond.left, lets=lets, symbols=symbols, allow_number=False,
                               params=params)
    with op_col:
        if op in ("rising", "falling"):
            out = replace(out, slope_window=window_or_param("over", WINDOW_CHOICES, cond.slope_window, params,
                                                            f"{key}.sw"))
        elif op == "time_in":
            out = replace(out, session=st.radio("session", ast.SESSIONS, index=_index(ast.SESSIONS, cond.session),
                                                horizontal=True, key=f"{key}.session"))
        elif op == "time_between":
            out = replace(out, start=st.text_input("from (HH:MM)", cond.start, key=f"{key}.start"),
                          end=st.text_input("to (HH:MM)", cond.end, key=f"{key}.end"))
    if op in NEEDS_RIGHT:
        with right_col:
            default_right = right or Curve("number", value=0)
            right = curve_input(f"{key}.right", default_right, lets=lets, symbols=symbols, allow_number=True,
                                label="Curve or value" if op != "between" else "Low", params=params)
            if op == "between":
                upper = curve_input(f"{key}.upper", upper or Curve("number", value=0), lets=lets,
                                    symbols=symbols, allow_number=True, label="High", params=params)
    out = replace(out, left=left, right=right if op in NEEDS_RIGHT else None,
                  upper=upper if op == "between" else None)
    return _temporal_input(key, out, params)


def _temporal_input(key: str, cond: Condition, params: Mapping[str, str]) -> Condition:
    c1, c2, _ = st.columns([3, 3, 7])
    options = ("", "within", "for")
    labels = {"": "now", "within": "at least once in the last", "for": "at every cycle of the last"}
    temporal = c1.selectbox("when", options, index=_index(options, cond.temporal), format_func=labels.get,
                            key=f"{key}.temporal")
    if not temporal:
        return replace(cond, temporal="", window="")
    with c2:
        window = window_or_param("window", WINDOW_CHOICES, cond.window or "3 bars", params, f"{key}.window")
    return replace(cond, temporal=temporal, window=window)
