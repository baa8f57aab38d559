"""A param's domain: every value it may take, computed exactly (SPEC §6.1).

``param thr = -0.25 in -0.5..0 step 0.05`` holds -0.5, -0.45, ..., 0.0: the arithmetic is
done in decimal on the numbers as written, and each value is the number the same text
would read as (never 0.30000000000000004).

Values, as :class:`ParamDomain` hands them out and :func:`rbts.dsl.params.bind` takes them:
a number is an ``int`` (a range or list written in whole numbers) or a ``float``; a percent is
an :class:`~rbts.dsl.ast.Percent` (``.value`` as written, ``.fraction``, ``.text`` ``"2%"``); a
duration is an :class:`~rbts.dsl.ast.Duration` (``.seconds``, ``.text`` ``"5m"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from typing import Literal

from rbts.dsl import ast
from rbts.dsl.errors import Diagnostic, RbtsError

MAX_VALUES = 10_000

Value = int | float | ast.Percent | ast.Duration


@dataclass(frozen=True)
class ParamDomain:
    """A declared param: ``values`` is every value of its domain, in domain order."""

    name: str
    kind: Literal["number", "percent", "duration"]
    default: Value
    values: tuple[Value, ...]
    declared: str = field(default="", compare=False)  # the domain as written: ``5..20``, ``[1m, 5m]``
    _index: Mapping[Decimal, Value] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def text(self, value: Value) -> str:
        """A value as the language writes it (``12``, ``-0.25``, ``2%``, ``5m``)."""
        return value_text(value)

    def lookup(self, given: object) -> Value | None:
        """The domain's own value equal to ``given`` (a value or its text), or None."""
        key = _key_of(self.kind, given)
        return None if key is None else self._index.get(key)

    def value_of(self, given: object) -> Value:
        """The domain's value for ``given`` (a value, or its text as in ``--set``); an
        RbtsError naming the param when it is not one."""
        value = self.lookup(given)
        if value is not None:
            return value
        shown = given if isinstance(given, str) else value_text(given) if _is_value(given) else repr(given)
        if _key_of(self.kind, given) is None:
            odd_digit = isinstance(given, str) and any(c.isdigit() and not c.isascii() for c in given)
            raise RbtsError(Diagnostic(f"param {self.name} takes {_EXAMPLE[self.kind]}, got {shown!r} "
                                       f"(its domain: {self.declared})", None,
                                       hint="numbers are written with the digits 0-9" if odd_digit else None))
        raise RbtsError(f"param {self.name}: {shown} is outside its domain {self.declared}")


_EXAMPLE = {"number": "a number such as 12 or -0.25", "percent": "a percent such as 2%",
            "duration": "a duration such as 5m"}


def _is_value(given: object) -> bool:
    return isinstance(given, (int, float, ast.Percent, ast.Duration)) and not isinstance(given, bool)


def value_text(value: Value) -> str:
    from rbts.dsl.formatter import format_number

    if isinstance(value, (ast.Percent, ast.Duration)):
        return value.text
    return format_number(value)


def value_node(value: Value, span=None) -> ast.Number | ast.Percent | ast.Duration:
    """The literal node of a value (for the declared form's default)."""
    if isinstance(value, ast.Percent):
        return ast.Percent(value.value, span=span)
    if isinstance(value, ast.Duration):
        return ast.Duration(value.seconds, span=span)
    return ast.Number(value, span=span)


# ----------------------------------------------------------------------------- exact keys

# Keys are exact decimals compared by value (Decimal('9.000') == Decimal(9), equal hashes), never
# rounded: normalize() in the default context keeps 28 digits, which made two 40-digit list values
# one ("listed twice") and let --set 0.10000000000000000000000000001 bind 0.1.  Digits are ASCII
# only, as in the language (the grammar refuses ٩; so does --set).
_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DURATION = re.compile(r"([0-9]+)([smhd])")
_IN_NO_DOMAIN = Decimal("NaN")  # a number too large or small for any decimal: equal to no key


def _dec(value: int | float) -> Decimal:
    """The decimal a literal was written as (repr is the shortest text that reads back)."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _literal_key(node: ast.Node) -> Decimal:
    if isinstance(node, ast.Duration):
        return Decimal(node.seconds)
    return _dec(node.value)


def _text_key(text: str) -> Decimal:
    """The exact decimal of a number's text (``_NUMBER``); an exponent beyond any decimal's
    (``1e-99999999999999999999``) is a number in no domain."""
    try:
        return Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation
        return _IN_NO_DOMAIN


def _duration_key(digits: str, unit: str) -> Decimal:
    """The seconds of ``<digits><unit>`` (no int() of thousands of digits: Python refuses those)."""
    if len(digits.lstrip("0")) > 30:  # far beyond any duration a domain may hold
        return _IN_NO_DOMAIN
    return Decimal(int(digits) * ast.DURATION_UNITS[unit])


def _key_of(kind: str, given: object) -> Decimal | None:
    """The exact key of a value given to bind or ``--set`` (None: not a value of ``kind``)."""
    if isinstance(given, str):
        text = given.strip()
        if kind == "duration":
            m = _DURATION.fullmatch(text)
            return _duration_key(m.group(1), m.group(2)) if m else None
        if kind == "percent":
            if not text.endswith("%") or not _NUMBER.fullmatch(text[:-1].strip()):
                return None
            return _text_key(text[:-1].strip())
        return _text_key(text) if _NUMBER.fullmatch(text) else None
    if isinstance(given, bool):
        return None
    if kind == "number" and isinstance(given, (int, float)):
        return _dec(given) if not isinstance(given, float) or given == given else None
    if kind == "percent" and isinstance(given, ast.Percent):
        return _literal_key(given)
    if kind == "duration" and isinstance(given, ast.Duration):
        return _literal_key(given)
    return None


# ----------------------------------------------------------------------------- domains


def domain_of(param: ast.Param) -> ParamDomain:
    """The domain of a declaration; RbtsError (positioned) when it is not a valid one."""
    kind = param.kind
    dom = param.domain
    literals = [dom.low, dom.high] + ([dom.step] if dom.step is not None else []) \
        if isinstance(dom, ast.ParamRange) else list(dom.values)
    for node in literals:
        if ast.literal_kind(node) != kind:
            raise _error(f"param {param.name}: {value_text(_plain(node))} is a {ast.literal_kind(node)}, but the "
                         f"default {value_text(_plain(param.default))} is a {kind} (one kind per param)", node)
    keys = _range_keys(param, dom) if isinstance(dom, ast.ParamRange) else _list_keys(param, dom)
    whole = all(isinstance(n, ast.Duration) or isinstance(n.value, int) for n in literals)
    values = tuple(_value(kind, key, whole) for key in keys)
    index = dict(zip(keys, values))
    default = index.get(_literal_key(param.default))
    if default is None:
        raise _error(f"param {param.name}: the default {value_text(_plain(param.default))} is not in its domain "
                     f"({_short(values)})", param.default)
    from rbts.dsl.formatter import format_param

    declared = format_param(param).split(" in ", 1)[1]
    return ParamDomain(param.name, kind, default, values, declared, index)


def _range_keys(param: ast.Param, dom: ast.ParamRange) -> list[Decimal]:
    # Exact for any two floats (from 5e-324 to 1.8e308 a quotient has at most ~650 digits).
    with localcontext(Context(prec=2000, Emax=MAX_EMAX, Emin=MIN_EMIN)):
        return _exact_range_keys(param, dom)


def _exact_range_keys(param: ast.Param, dom: ast.ParamRange) -> list[Decimal]:
    low, high = _literal_key(dom.low), _literal_key(dom.high)
    if dom.step is None:
        if param.kind == "duration":
            raise _error(f"param {param.name}: a range of durations needs a step (e.g. `5m..30m step 5m`)", dom)
        if not all(isinstance(n.value, int) for n in (dom.low, dom.high)):
            raise _error(f"param {param.name}: a range of decimal numbers needs a step (e.g. `step 0.05`)", dom)
        step = Decimal(1)
    else:
        step = _literal_key(dom.step)
        if step <= 0:
            raise _error(f"param {param.name}: the step must be above zero", dom.step)
    if high < low:
        raise _error(f"param {param.name}: the range {value_text(_plain(dom.low))}..{value_text(_plain(dom.high))} "
                     "is empty (the low end comes first)", dom)
    count, rest = divmod(high - low, step)
    if rest:
        raise _error(f"param {param.name}: {value_text(_plain(dom.low))}..{value_text(_plain(dom.high))} is not a "
                     f"whole number of steps of {value_text(_plain(dom.step))}", dom.step or dom)
    if count + 1 > MAX_VALUES:
        held = f"{int(count) + 1:,} values" if count < 10**12 else "more values than that"
        raise _error(f"param {param.name}: the domain holds {held}, more than {MAX_VALUES:,}", dom)
    return [(low + i * step).normalize() for i in range(int(count) + 1)]


def _list_keys(param: ast.Param, dom: ast.ParamList) -> list[Decimal]:
    if len(dom.values) > MAX_VALUES:
        raise _error(f"param {param.name}: the domain holds {len(dom.values):,} values, more than {MAX_VALUES:,}", dom)
    keys: list[Decimal] = []
    seen: set[Decimal] = set()
    for node in dom.values:
        key = _literal_key(node)
        if key in seen:
            raise _error(f"param {param.name}: {value_text(_plain(node))} is listed twice", node)
        seen.add(key)
        keys.append(key)
    return keys


def _value(kind: str, key: Decimal, whole: bool) -> Value:
    if kind == "duration":
        return ast.Duration(int(key))
    number: int | float = int(key) if whole and key == key.to_integral_value() else float(key) + 0.0
    return ast.Percent(number) if kind == "percent" else number


def _plain(node: ast.Node) -> Value:
    if isinstance(node, ast.Number):
        return node.value
    return node


def _short(values: tuple[Value, ...]) -> str:
    texts = [value_text(v) for v in values]
    return ", ".join(texts) if len(texts) <= 6 else f"{', '.join(texts[:3])}, ..., {texts[-1]}"


def _error(message: str, node: ast.Node) -> RbtsError:
    return RbtsError([Diagnostic(message, node.span)])
