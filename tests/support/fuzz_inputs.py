"""Hypothesis strategies for hostile and careless input (issue #13): rule files, JSON forms,
CSV bar files and command lines.

Each draws from three sources: mutations of real files (the examples and the corpora),
the grammar itself (``hypothesis.extra.lark``), and the shapes that broke the program
before (huge numbers, long let chains, deep nesting, control characters, keywords as
names, Unicode digits, bar sizes Nautilus cannot name ...).
"""

from __future__ import annotations

import copy
import json
import random
from functools import lru_cache
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
# a plain seeded Random (Hypothesis' own randoms() draws extreme values on purpose; the hostile
# values here are chosen explicitly, the rest should look like real files)
SEEDED = st.integers(0, 2**32 - 1).map(random.Random)
HOSTILE = ROOT / "tests" / "corpus" / "hostile"

BIG_NUMBERS = ["1" + "0" * 99, "9" * 5000, "1" + "0" * 400, "1e308", "1e309", "1e-400", "99999999999", "10000000000000000",
               "0", "00", "0.0", "4294967296", "18446744073709551616", ".5", "5.", "1e15", "1000001"]
ODD_CHARS = ["\t", "\r", "\x00", "\x0b", "\x0c", "\x1f", "\x7f", "\u2028", "\u0085", "\ufeff", "é", "ß", "٩", "Ⅸ", "\u200b",
             '"', "(", ")", ":", "%", "#", ",", "\\", "'"]
KEYWORDS = ["and", "or", "not", "crosses", "crosses_above", "within", "for", "between", "time", "in", "ttl", "bars",
            "let", "entry", "exit", "global", "strategy", "universe", "capital", "cycle", "sizing", "order", "risk",
            "fees", "market", "limit", "equal", "RTH", "ETH", ",", "\n"]
ODD_DURATIONS = ["0m", "99999999999d", "1000000000s", "7m", "59s", "90s", "25h", "2d", "366d", "3651d", "٩m", "1e3m"]


# ----------------------------------------------------------------------------- rule files


def _files(pattern: str, *folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.glob(pattern))


@lru_cache(maxsize=1)
def corpus_texts() -> tuple[str, ...]:
    paths = _files("*.rbts", ROOT / "examples", ROOT / "tests" / "corpus" / "valid", ROOT / "tests" / "corpus" / "invalid",
                   HOSTILE)
    return tuple(p.read_text(encoding="utf-8", errors="replace") for p in paths)


def _tokens(text: str) -> list[str]:
    import re

    return re.findall(r'"[^"\n]*"|\w+|\s+|.', text) or [text]


def mutate_text(text: str, rng: random.Random) -> str:
    """One to four token-level edits, most of them hostile on purpose."""
    tokens = _tokens(text)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(tokens))
        kind = rng.randrange(12)
        if kind == 0:
            del tokens[i]
            tokens = tokens or [""]
        elif kind == 1:
            tokens.insert(i, tokens[i])
        elif kind == 2:
            j = rng.randrange(len(tokens))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif kind == 3:
            tokens.insert(i, "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randint(1, 3))))
        elif kind == 4:
            tokens[i] = rng.choice(BIG_NUMBERS) if tokens[i].isdigit() else tokens[i] + " " + rng.choice(BIG_NUMBERS)
        elif kind == 5:
            depth = rng.choice([50, 199, 200, 201, 250, 3000])
            tokens.insert(i, rng.choice(["(" * depth + "1" + ")" * depth, "-" * depth + "close", "not " * depth + "x",
                                         "(" * depth]))
        elif kind == 6:
            tokens.insert(i, rng.choice(ODD_CHARS))
        elif kind == 7:
            tokens[i] = rng.choice(KEYWORDS)
        elif kind == 8:
            tokens.insert(i, rng.choice(ODD_DURATIONS))
        elif kind == 9:
            lines = rng.choice(corpus_texts()).splitlines() or [""]
            tokens.insert(i, "\n" + rng.choice(lines) + "\n")
        elif kind == 10:
            tokens.insert(i, rng.choice(["\r\n", "\n" * 3, "\n)\n", "\n(\n", "  \\\n"]))
        else:
            tokens[i] = tokens[i].upper() if rng.random() < 0.5 else tokens[i] * rng.choice([2, 50])
    return "".join(tokens)


def let_chain(n: int) -> str:
    lets = "".join(f"let v{i} = v{i - 1} + 1\n" for i in range(1, n))
    return f'universe: AAPL\nlet v0 = close\n{lets}entry: v{n - 1} > 1\n'


def _nested(kind: str, depth: int) -> str:
    inner = {"paren": "(" * depth + "close" + ")" * depth, "neg": "-" * depth + "close",
             "not": "not " * depth + "close > 1", "plus": " + ".join(["close"] * depth),
             "call": "ema(" * depth + "close" + ", 3)" * depth, "within": "close > 1" + " within 2 bars" * depth}[kind]
    return f"universe: AAPL\nentry: {inner}{'' if kind in ('not', 'within') else ' > 1'}\n"


_HOSTILE_RULES = [
    "prev(close, {n}) > 1", "close > 1 within {n} bars", "close > 1 for {n} bars", "close > highest(high, {n}d)",
    "ema(close, {n}) > 1", "ema(close, {n}, 5m) > 1", "macd(close, 3, {n}) > 0", "change(close, {n}) > 0",
    "slope(close, {n} bars) > 0", "rsi(close, {n}) > 50", "close > {n}", "close > {n}%", "close > lowest(low, {n}m)",
    "bb_upper(close, 20, {n}) > close", "pct_change(close, {n}h) > 0",
]
_HOSTILE_SETTINGS = [
    "capital: {n}", "sizing: {n}", "sizing: {n}%", "fees: {n}%", "order: limit {n}% ttl {n} cycles",
    "order: limit 1% ttl {n}m", "risk: stop_loss {n}%", "risk: max_daily_loss {n}%", "cycle: {n}m", "bars: {n}s",
]
_HOSTILE_NAMES = ['strategy "a\tb"', 'strategy "\x01"', 'universe: "A\x01B"', 'universe: "BRK B", "A/B"', 'universe: "é"',
                  "exit exit: close > 1", "entry and: close > 1", "let in = close", 'universe: "  "', 'strategy ""',
                  'universe: "5m"', "entry r: ema(close, ٩, ٥m) > 1", 'universe: "' + "X" * 300 + '"']


def targeted_text() -> st.SearchStrategy[str]:
    numbers = st.sampled_from(BIG_NUMBERS) | st.integers(0, 10**20).map(str)
    base = 'universe: AAPL\ncycle: 5m\n'
    return st.one_of(
        st.integers(1, 600).map(let_chain),
        st.builds(_nested, st.sampled_from(["paren", "neg", "not", "plus", "call", "within"]),
                  st.sampled_from([1, 50, 199, 200, 201, 1000]) | st.integers(1, 400)),
        st.builds(lambda rule, n: base + "entry: " + rule.format(n=n) + "\n", st.sampled_from(_HOSTILE_RULES), numbers),
        st.builds(lambda s, n: s.format(n=n) + "\n" + base + "entry: close > 1\n", st.sampled_from(_HOSTILE_SETTINGS),
                  numbers),
        st.sampled_from(_HOSTILE_NAMES).map(lambda line: line + "\n" + ("" if "universe" in line else base)
                                            + ("" if ":" in line.split("\n")[0][-16:] else "entry: close > 1\n")),
    )


@lru_cache(maxsize=1)
def _grammar_strategy():
    from hypothesis.extra.lark import from_lark
    from lark import Lark

    from rbts.dsl.grammar import grammar_text

    return from_lark(Lark(grammar_text(), parser="lalr", lexer="contextual"))


# ----------------------------------------------------------------------------- params and --set

PARAM_NUMBERS = ["1", "2", "3", "5", "9", "14", "20", "50"]
PARAM_HOSTILE_NUMBERS = ["0", "-1", "-0.5", "0.05", "2.5", "1000000", "1000001", "1" + "0" * 99, "1e3", "٩", "99999999999"]
PARAM_DURATIONS = ["5m", "10m", "15m", "30m", "1h"]
PARAM_HOSTILE_DURATIONS = ["30s", "1m", "1d", "7m", "0m", "3661d", "99999999999d"]
_PARAM_USES = {  # where a param of each kind may stand ({p}: its name), then where it may not
    "number": (["ema(close, {p}) > 1", "prev(close, {p}) > 1", "close > {p}", "rsi(close, {p}, 5m) < 50",
                "macd(close, 3, {p}) > 0", "bb_upper(close, 20, {p}) > close", "close / {p} > 1", "sma(close, {p}, 15m) > 1"],
               ["close > 1 within {p} bars", "close > 1 for {p}", "ema(close, 9, {p}) > 1", "sizing: {p}", "capital: {p}"]),
    "percent": (["close > {p}", "pct_change(close, 1h) < {p}", "sizing: {p}", "order: limit {p} ttl 5m",
                 "risk: stop_loss {p}", "risk: trailing_stop {p}"],
                ["ema(close, {p}) > 1", "fees: {p}", "prev(close, {p}) > 1"]),
    "duration": (["ema(close, 9, {p}) > 1", "slope(close, {p}) > 0", "close > highest(high, {p})",
                  "close > 1 within {p}", "change(close, {p}) > 0", "order: limit 0.05% ttl {p}"],
                 ["cycle: {p}", "bars: {p}", "ema(close, {p}) > 1", "close > {p}"]),
}
SET_VALUES = ["1", "2", "5", "9", "12", "14", "20", "0", "-1", "-0.25", "0.5", "2%", "0.5%", "25%", "5m", "15m", "1h",
              "30s", "1d", "", " ", "abc", "nan", "inf", "-inf", "1e400", "9" * 400, "٩", "5m\n", "1_000", "0x10",
              "2000000", "1" + "0" * 99, "1.0", "12.0", "99999999999d", "5 m", "%", "-0", "1e-400", "1e999999999",
              "1e-99999999999999999999", "9" * 5000 + "m", "٥m", "0.10000000000000000000000000001", "1e-999999999999",
              "0.050", "005m", "9e0"]


def _param_line(rng: random.Random, name: str, kind: str, hostile: bool) -> str:
    """``param NAME = DEFAULT in DOMAIN``: a range (a step now and then) or a list of values."""
    pool = PARAM_DURATIONS if kind == "duration" else PARAM_NUMBERS
    if hostile:
        pool = pool + (PARAM_HOSTILE_DURATIONS if kind == "duration" else PARAM_HOSTILE_NUMBERS)
    suffix = "%" if kind == "percent" else ""
    values = sorted(rng.sample(pool, min(len(pool), rng.randint(2, 4))), key=pool.index)
    values = [v + suffix for v in values]
    if rng.random() < 0.5 or (kind == "duration" and not hostile):
        domain = "[" + ", ".join(values) + "]"
    else:
        step = ("1" + suffix) if kind != "duration" else "5m"
        domain = f"{values[0]}..{values[-1]}" + (f" step {step}" if hostile and rng.random() < 0.5 else "")
    default = rng.choice(values) if not hostile or rng.random() < 0.8 else rng.choice(pool) + suffix
    return f"param {name} = {default} in {domain}"


def param_text(rng: random.Random) -> str:
    """A strategy declaring one to three params, used in rules and settings: plausible half the
    time, otherwise with hostile values, uses where no param may stand, and repeated lines."""
    hostile = rng.random() < 0.5
    lines, rules = ["universe: AAPL", "cycle: 5m"], []
    names = rng.sample(["n", "fast", "tf", "w", "lag", "thr", "sl", "p1"], rng.randint(1, 3))
    settings = set()
    for name in names:
        kind = rng.choice(list(_PARAM_USES))
        lines.append(_param_line(rng, name, kind, hostile))
        good, bad = _PARAM_USES[kind]
        use = rng.choice(bad if hostile and rng.random() < 0.3 else good).format(p=name)
        if ":" not in use:
            rules.append("entry: " + use)
        elif use.split(":")[0] not in settings:
            settings.add(use.split(":")[0])
            lines.append(use)
    if hostile and rng.random() < 0.3:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))  # a param or setting twice
    return "\n".join(lines + (rules or ["entry: close > 1"])) + "\n"


def param_names(text: str) -> list[str]:
    import re

    return re.findall(r"^\s*param\s+(\w+)", text, flags=re.MULTILINE)


def set_overrides(names: list[str], rng: random.Random) -> dict[str, str] | None:
    """``--set`` overrides for a strategy declaring ``names`` (None: no ``--set``, half the time;
    otherwise one or two, now and then for a name it does not declare)."""
    if rng.random() < 0.5:
        return None
    pool = names + ["unknown"] if names and rng.random() < 0.85 else ["unknown", "n", "close"]
    return {rng.choice(pool): rng.choice(SET_VALUES) for _ in range(rng.randint(1, 2))}


def dsl_texts() -> st.SearchStrategy[str]:
    """Rule files: mostly mutated real files, then grammar-made text, targeted shapes, params, and noise."""
    mutated = st.builds(mutate_text, st.sampled_from(corpus_texts()), SEEDED)
    noise = st.text(max_size=200) | st.sampled_from(["x.rbts", "my strategy.rbts", "a.json", " b.RBTS ", "x.rbts\n"])
    return st.one_of(mutated, mutated, mutated, st.deferred(lambda: _grammar_strategy()), targeted_text(),
                     SEEDED.map(param_text), SEEDED.map(lambda rng: mutate_text(param_text(rng), rng)), noise)


def dsl_cases() -> st.SearchStrategy[tuple[str, dict[str, str] | None]]:
    """A rule file and the ``--set`` overrides given with it (None for none)."""
    return st.builds(lambda text, rng: (text, set_overrides(param_names(text), rng)), dsl_texts(), SEEDED)


# ----------------------------------------------------------------------------- JSON forms


@lru_cache(maxsize=1)
def corpus_json() -> tuple[object, ...]:
    """The JSON forms of the examples and of every valid corpus file."""
    from rbts.dsl.load import load_strategy

    docs = [json.loads(p.read_text()) for p in _files("*.json", ROOT / "examples")]
    docs += [load_strategy(path).json_form() for path in _files("*.rbts", ROOT / "examples", ROOT / "tests" / "corpus" / "valid")]
    return tuple(docs)


HOSTILE_VALUES = [
    10**400, -(10**400), 10**101, 10**15, 1e308, -0.0, 0, -1, 0.5, 1.0, True, None, "", " ", "5m\n", "10:30\n", "A\x01B",
    "AAPL\n", "exit", "and", "\u0669m", "99999999999d", "0m", "25:00", "24:00", "x" * 5000, [], {}, [[[[[]]]]],
    {"node": "number", "value": 10**400}, {"node": "name", "name": "close\n"}, {"node": "bogus"}, {"node": None},
    {"node": "duration", "value": "5m\n"}, {"node": "bars", "count": 10**99}, {"cycles": 10**99}, {"cycles": 0},
]


@lru_cache(maxsize=1)
def hostile_json() -> tuple[str, ...]:
    """The JSON files of the hostile corpus, as text (some are not even JSON Python would write)."""
    return tuple(p.read_text() for p in _files("*.json", HOSTILE))


def _hostile(rng: random.Random):
    """A fresh copy of a hostile value: a shared one would be mutated by later edits (an append
    of a list to itself) and grow without bound over a long run (20 GB at 3,000 examples)."""
    return copy.deepcopy(rng.choice(HOSTILE_VALUES))


def _paths(value, prefix=()):
    """Every path into ``value``, parents first (iterative: two deep wraps of 400 levels nest
    deeper than a recursive walk may go)."""
    stack = [(value, prefix)]
    while stack:
        value, prefix = stack.pop()
        yield prefix
        if isinstance(value, dict):
            stack.extend(((v, (*prefix, k)) for k, v in reversed(list(value.items()))))
        elif isinstance(value, list):
            stack.extend(((v, (*prefix, i)) for i, v in reversed(list(enumerate(value)))))


def _wrap_deep(value, depth: int):
    for _ in range(depth):
        value = {"node": "not", "operand": value}
    return value


def _mild(doc, rng: random.Random):
    """A plausible edit: another valid-looking number, name or duration where one was."""
    paths = [p for p in _paths(doc) if p and isinstance(_at(doc, p), (int, float, str)) and not isinstance(_at(doc, p), bool)]
    if not paths:
        return doc
    path = rng.choice(paths)
    old = _at(doc, path)
    if isinstance(old, str):
        new = rng.choice(["5m", "15m", "1h", "1d", "30s", "fast", "AAPL", "VIX", "09:45", old, old])
    else:
        new = rng.choice([1, 2, 3, 9, 14, 20, 50, 0.5, 2.5, 100, 1000, 10**6, old * 2, old + 1, old, old])
    _at(doc, path[:-1])[path[-1]] = new
    return doc


def _at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def mutate_json(doc, rng: random.Random):
    """None to three structural edits of a JSON form: plausible values (a third of the documents),
    hostile values, missing and extra keys, depth."""
    doc = json.loads(json.dumps(doc))
    if rng.random() < 0.45:
        for _ in range(rng.choice([0, 0, 1, 2])):
            doc = _mild(doc, rng)
        return doc
    deepened = False  # one deep wrap per document: two of 400 levels pass json.dumps' own recursion limit
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return _hostile(rng)
        path = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key, kind = path[-1], rng.randrange(6)
        if kind <= 2:
            parent[key] = _hostile(rng)
        elif kind == 3 and isinstance(parent, dict):
            del parent[key]
        elif kind == 3:
            parent.append(parent[key])
        elif kind == 4 and isinstance(parent, dict):
            parent[rng.choice(["extra", "node", "value", "span", "name"])] = _hostile(rng)
        else:
            depth = 1 if deepened else rng.choice([1, 150, 199, 200, 201, 400])
            parent[key], deepened = _wrap_deep(parent[key], depth), deepened or depth > 1
    return doc


def mutate_json_text(text: str, rng: random.Random) -> str:
    pieces = ["", "0", "-1", "2.5", "null", "true", "[]", "{}", '"x"', '"5m"', '"and"', ",", "}", "1e999", "\ufeff",
              "-0.0", "1" + "0" * 400, "NaN", "Infinity", '"\\n"', '"\\u0000"', "[" * 3000, "\\"]
    i = rng.randrange(len(text) + 1)
    return text[:i] + rng.choice(pieces) + text[i + rng.randint(0, 8):]


def json_texts() -> st.SearchStrategy[str]:
    structural = st.builds(lambda doc, rng: json.dumps(mutate_json(doc, rng), ensure_ascii=rng.random() < 0.5),
                           st.sampled_from(corpus_json()), SEEDED)
    textual = st.builds(lambda doc, rng: mutate_json_text(json.dumps(doc, indent=2), rng),
                        st.sampled_from(corpus_json()), SEEDED)
    seeds = st.builds(mutate_json_text, st.sampled_from(hostile_json()), SEEDED)
    return st.one_of(structural, structural, textual, seeds)


def _json_param_names(text: str) -> list[str]:
    try:
        params = json.loads(text).get("params")
        return [p["name"] for p in params if isinstance(p.get("name"), str)][:10]
    except (ValueError, AttributeError, TypeError, KeyError, RecursionError):
        return []


def json_cases() -> st.SearchStrategy[tuple[str, dict[str, str] | None]]:
    """A JSON form and the ``--set`` overrides given with it (None for none)."""
    return st.builds(lambda text, rng: (text, set_overrides(_json_param_names(text), rng)), json_texts(), SEEDED)


# ----------------------------------------------------------------------------- CSV files

HEADERS = ["ts,open,high,low,close,volume", "TS,Open,High,Low,Close,Volume", '"ts","open","high","low","close","volume"',
           '"ts,x",open,high,low,close,volume', "time,open,high,low,close,volume", "ts,open,high,low,close",
           "ts,open,high,low,close,volume,close", "symbol,ts,open,high,low,close,volume,vwap", "ts;open;high;low;close;volume",
           "\ufeffts,open,high,low,close,volume", "", "ts,open,high,low,close,volume,"]
ODD_FIELDS = ["1e17", "1e19", "-1", "0", "nan", "NaN", "", "abc", "1e-9", "0.001", "1e308", "inf", "1,5", "٩", '"7"',
              "  12  ", "1e400", "None", "9" * 400]
ODD_TIMES = ["2025-13-01 09:31", "1960-03-03 09:31", "2262-04-12 00:00", "2300-01-01", "yesterday", "", "2025-03-09 02:30",
             "2025-11-02 01:30", "2025-03-03T09:31:00Z", "2025-03-03T09:31:00+99:00", "1741012260", "2025-03-03 09:31:30",
             "0001-01-01", "2025-03-03 24:00", "2025-03-03 09:31:00.5"]
STEPS = [60, 60, 60, 300, 3600, 86400, 21660, 90, 30, 7 * 60, 5400]


@st.composite
def csv_files(draw) -> bytes:
    rng = draw(SEEDED)
    header = rng.choice(HEADERS)
    step = rng.choice(STEPS)
    start = pd.Timestamp("2025-03-03 09:30") + pd.Timedelta(seconds=step)
    rows, odd = [], 0.0 if rng.random() < 0.4 else rng.choice([0.05, 0.3])  # 40 %: a clean file
    if odd == 0.0:
        header = rng.choice(HEADERS[:3])
    for k in range(rng.choice([0, 1, 2, 3, 5, 12, 40])):
        ts = (start + pd.Timedelta(seconds=step * k)).strftime("%Y-%m-%d %H:%M:%S")
        price = round(100 + rng.gauss(0, 1), 2)
        fields = [ts, price, price + 0.5, price - 0.5, price, rng.randint(0, 1000)]
        if rng.random() < odd:
            fields[rng.randrange(1, 6)] = rng.choice(ODD_FIELDS)
        if rng.random() < odd / 2:
            fields[0] = rng.choice(ODD_TIMES)
        if rng.random() < odd / 3:
            rng.shuffle(fields)
        rows.append(",".join(str(f) for f in fields))
    if rows and rng.random() < odd:
        rows.insert(rng.randrange(len(rows)), rng.choice(rows))
    newline = rng.choice(["\n", "\n", "\r\n"] + (["\r"] if odd else []))
    data = (newline.join([header, *rows]) + newline).encode("utf-8")
    if rng.random() < odd / 2:
        i = rng.randrange(len(data) + 1)
        data = data[:i] + rng.choice([b"\xff", b"\x00", b"\xe2\x80", b"\n\n", b'"']) + data[i:]
    return data


# ----------------------------------------------------------------------------- command lines

DATES = ["2025-03-04", "2025-03-05", "2025-03-20", "2025-13-01", "0001-01-01", "9999-12-31", "", "nat", "yesterday",
         "2025-03-04T10:00", "2025-03-09T02:30", "2025-03-04T10:00:00+01:00", "2025-02-30", "1970-01-01", "2199-12-31"]
NUMBERS = ["10000", "1", "0", "-5", "inf", "-inf", "nan", "1e-9", "1e13", "1e300", "abc", "1,000", "", "5e3"]
SYMBOLS = ["AAPL", "aapl", "MSFT,VIX", "", " ", "A/B", "../x", "ÄÖ", "5m\n", "X" * 300, "VIX", "BRK.B", "\x00", ","]
ZONES = ["America/New_York", "UTC", "Mars/Base", "", "../../etc/passwd", "Europe/Paris"]
SETS = ["fast=13", "fast=5", "tf=15m", "fast=4", "tf=1h", "fast=", "=3", "fast", "nope=1", "fast=13%", "tf=15",
        "fast=٩", "fast = 9", "fast=1e400", "tf=5m=5m", "FAST=9", "thr=0.1", "thr=1e-999999999999", "fast=1e999999999",
        "tf=" + "9" * 5000 + "m"]  # --set for the {params} strategy (fast, tf, thr)


@st.composite
def command_lines(draw) -> list[str]:
    """An ``rbts`` command line; ``{home}``, ``{strategy}``, ``{json}``, ``{csv}``, ``{file}``, ``{dir}``,
    ``{missing}``, ``{through}`` (a path through a file) and ``{params}`` (a strategy declaring params
    ``fast`` and ``tf``) are filled in by the test."""
    paths = st.sampled_from(["{file}", "{dir}", "{missing}", "{through}", "{strategy}", "{json}", "{csv}", "/dev/null"])
    dates, numbers, symbols = st.sampled_from(DATES), st.sampled_from(NUMBERS), st.sampled_from(SYMBOLS)
    strategy = st.sampled_from(["{strategy}", "{params}", "{params}", "{json}", "{file}", "{dir}", "{missing}", "{csv}"])
    sets = st.sampled_from(SETS)
    home = draw(st.sampled_from(["{home}", "{home}", "{home}", "{file}", "{missing}", "{through}"]))
    options = {
        "compile": [["--graph"], ["-o", draw(paths)], ["--set", draw(sets)], ["--set", draw(sets)]],
        "fmt": [["--check"]],
        "trace": [["--start", draw(dates)], ["--end", draw(dates)], ["--symbol", draw(symbols)], ["--csv", draw(paths)],
                  ["--set", draw(sets)]],
        "backtest": [["--start", draw(dates)], ["--end", draw(dates)], ["--capital", draw(numbers)],
                     ["--symbols", draw(symbols)], ["--out", draw(paths)], ["--set", draw(sets)], ["--set", draw(sets)]],
        "data import": [["--symbol", draw(symbols)], ["--tz", draw(st.sampled_from(ZONES))],
                        ["--stamped", draw(st.sampled_from(["close", "open", "middle", ""]))]],
        "data ls": [],
        "data repair": [],
        "data rm": [["--yes"]],
    }
    command = draw(st.sampled_from(sorted(options)))
    chosen = [opt for opt in options[command] if draw(st.booleans())]
    args = ["--home", home, *command.split()]
    if command in ("compile", "fmt", "trace", "backtest"):
        args.append(draw(strategy))
    elif command == "data import":
        args.append(draw(st.sampled_from(["{csv}", "{file}", "{dir}", "{missing}", "{strategy}"])))
    elif command in ("data repair", "data rm"):
        args.append(draw(symbols))
    for opt in chosen:
        args.extend(opt)
    if command == "backtest" and draw(st.booleans()):  # a backtest that runs, now and then
        args += ["--start", "2025-03-05", "--end", "2025-03-06"]
    return args
