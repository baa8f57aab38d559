"""The Strategy tab through Streamlit's AppTest (the app script run headless)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import rbts.ui
from rbts.ui.session import DOC_KEY, REFERENCE

APP = str(Path(rbts.ui.__file__).resolve().parent / "app.py")
BROKEN_LINE = "entry bull_cross: fast crosses_above (slow"


@pytest.fixture
def app(small_demo_home, tmp_path, monkeypatch):
    """The app on a copy-free demo home (the app only reads the catalog; the registry goes to tmp)."""
    monkeypatch.setenv("RBTS_HOME", str(small_demo_home))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _doc(at):
    return at.session_state[DOC_KEY]


def _ace_args(at) -> dict:
    (editor,) = [c for c in at.get("component_instance") if c.proto.component_name.endswith("streamlit_ace")]
    return json.loads(editor.proto.json_args)


def _rule_cards(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("<span class='rbts-badge")]


def _gen(at, form: str) -> int:
    return at.session_state[f"strategy.gen.{form}"] if f"strategy.gen.{form}" in at.session_state else 0


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_the_app_opens_on_the_reference_strategy(app):
    assert _doc(app).is_valid
    assert any("Valid strategy" in s.value for s in app.success)
    assert _ace_args(app)["defaultValue"] == _doc(app).text
    rules = _rule_cards(app)
    assert len(rules) == 4 and "vix_calm" in rules[1]
    assert any("last true" in m.value or "true now" in m.value or "never true" in m.value for m in app.markdown)


def test_builder_writes_a_rule_into_the_text(app):
    p = "strategy.rule.0"
    app.radio(key=f"{p}.scope").set_value("exit")
    app.text_input(key=f"{p}.name").input("rsi_high")
    app.selectbox(key=f"{p}.c0.left.kind").set_value("indicator").run()
    app.selectbox(key=f"{p}.c0.left.func").set_value("rsi").run()
    app.selectbox(key=f"{p}.c0.op").set_value("above").run()
    app.selectbox(key=f"{p}.c0.right.kind").set_value("number").run()
    app.number_input(key=f"{p}.c0.right.value").set_value(70).run()
    _button(app, "Add rule").click().run()
    assert not app.exception
    text = _doc(app).text
    assert "exit rsi_high: rsi(close, 14) > 70\n" in text
    assert _ace_args(app)["defaultValue"] == text  # the editor shows the builder's text
    assert "# equity / number of tickers" in text  # the example's comments survive


def test_text_edits_update_the_builder(app):
    text = REFERENCE + "exit spike: high(VIX) > 2%\nexit calm: rsi(close, 14) < 30 for 3 bars\n"
    _doc(app).set_text(text, from_editor=True)
    app.run()
    rules = _rule_cards(app)
    assert len(rules) == 6
    assert "edit in the code" in rules[4] and "edit in the code" not in rules[5]  # 2% is text-only
    edit_buttons = [b for b in app.button if b.label == "Edit"]
    assert edit_buttons[4].disabled and not edit_buttons[5].disabled
    edit_buttons[5].click().run()
    assert app.text_input(key="strategy.rule.1.name").value == "calm"
    assert app.selectbox(key="strategy.rule.1.c0.temporal").value == "for"
    app.selectbox(key="strategy.rule.1.c0.op").set_value("below").run()
    app.number_input(key="strategy.rule.1.c0.right.value").set_value(25).run()
    _button(app, "Save rule").click().run()
    assert "exit calm: rsi(close, 14) < 25 for 3 bars\n" in _doc(app).text
    assert "exit spike: high(VIX) > 2%\n" in _doc(app).text  # the read-only rule is never lost


def test_errors_become_editor_annotations_and_a_list(app):
    before = _doc(app).text
    text = before.replace("entry bull_cross: fast crosses_above slow", BROKEN_LINE)
    assert BROKEN_LINE in text
    _doc(app).set_text(text, from_editor=True)
    app.run()
    row = text.splitlines().index(BROKEN_LINE)
    notes = _ace_args(app)["annotations"]
    assert notes and notes[0]["row"] == row and notes[0]["type"] == "error"
    assert any(f"line {row + 1}, col" in e.value for e in app.error)
    assert any("builder waits" in i.value for i in app.info)
    assert _doc(app).valid_text == before  # the last valid strategy is kept
    _button(app, "Revert to the last valid version").click().run()
    assert _doc(app).text == before and not _ace_args(app)["annotations"]


def test_a_bad_json_import_replaces_nothing(app):
    before = _doc(app).text
    app.text_area(key="strategy.paste.0").input('{"rbts": 1, "name": "x", "body": [}').run()
    _button(app, "Import pasted text").click().run()
    assert not app.exception
    assert any("was not imported" in e.value for e in app.error)
    assert _doc(app).text == before


def test_a_good_json_import_replaces_the_strategy(app):
    from rbts.dsl.checker import check_text
    from rbts.ui import persistence

    other = REFERENCE.replace("VIX-calm EMA cross", "Imported one").replace("capital: 10000", "capital: 5000")
    app.text_area(key="strategy.paste.0").input(persistence.export_json(check_text(other))).run()
    _button(app, "Import pasted text").click().run()
    assert _doc(app).valid.settings.name == "Imported one" and _doc(app).valid.settings.capital == 5000


@pytest.mark.slow
def test_backtest_results_are_shown(app):
    app.multiselect(key="strategy.bt.tickers").set_value(["AAPL"])
    app.date_input(key="strategy.bt.start").set_value(pytest.importorskip("datetime").date(2025, 3, 3))
    app.date_input(key="strategy.bt.end").set_value(pytest.importorskip("datetime").date(2025, 3, 14)).run()
    _button(app, "Run backtest").click().run()
    job = app.session_state["strategy.bt.job"]
    job.wait(timeout=300)
    assert job.error is None, job.error
    app.run()
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert labels[:6] == ["Total return", "CAGR", "Sharpe", "Max drawdown", "Trades", "Win rate"]
    assert any("fewer than 30" in w.value for w in app.warning)  # small-sample warning from metrics.json
    charts = app.get("plotly_chart")
    assert len(charts) >= 6  # 4 rule charts + equity + price
    assert any("Equity and drawdown" in c.proto.spec for c in charts)
    downloads = [d.proto.label for d in app.get("download_button")]
    assert downloads[-5:] == ["trades.csv", "equity.csv", "metrics.json", "Run folder (.zip)", "HTML report"]


def test_a_running_backtest_shows_progress_and_can_be_cancelled(app):
    _button(app, "Run backtest").click().run()
    job = app.session_state["strategy.bt.job"]
    assert not job.done and app.get("progress")  # the polling fragment's bar, beside Cancel
    next(b for b in app.button if b.key == "strategy.bt.cancel").click().run()
    assert not app.exception, app.exception
    assert "strategy.bt.job" not in app.session_state and not job._job._process.is_alive()
    assert "cancelled" in app.session_state["strategy.bt.error"]
    assert any("The backtest failed" in e.value and "cancelled" in e.value for e in app.error)


@pytest.fixture
def writable_app(small_demo_home, tmp_path, monkeypatch):
    """The app on a private copy of the demo home (for the registry and the live folder)."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(small_demo_home, home)
    monkeypatch.setenv("RBTS_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at, home


def test_save_open_and_apply_without_a_bot(writable_app):
    app, home = writable_app
    _button(app, "Save as a new version").click().run()
    assert (home / "strategies" / "vix-calm-ema-cross" / "v0001.json").exists()
    original = _doc(app).text
    _doc(app).set_text(original.replace("capital: 10000", "capital: 7000"), from_editor=True)
    app.run()
    _button(app, "Open").click().run()  # the only saved version
    assert _doc(app).text == original
    _button(app, "Apply to bot").click().run()
    assert not app.exception
    assert any("No bot is running" in i.value for i in app.info)
    assert any(b.label == "Start a replay bot" for b in app.button)
    assert (home / "live" / "active_strategy.json").exists()


@pytest.mark.slow
def test_the_reference_strategy_can_be_built_by_clicking(app):
    """The issue's "done when": a new user clicks the reference strategy together."""
    from rbts.dsl.checker import check_text

    _button(app, "Blank strategy").click().run()
    s = f"strategy.set.{_gen(app, 'settings')}"  # a new form: it shows the blank strategy's settings
    app.text_input(key=f"{s}.name").input("VIX-calm EMA cross")
    app.multiselect(key=f"{s}.universe").set_value(["AAPL", "MSFT", "NVDA", "AMZN"])
    app.selectbox(key=f"{s}.cycle").set_value("5m")
    app.selectbox(key=f"{s}.order").set_value("limit")
    app.number_input(key=f"{s}.offset").set_value(0.05)
    app.text_input(key=f"{s}.ttl").input("5m")
    app.number_input(key=f"{s}.max_daily_loss").set_value(2.0)
    _button(app, "Apply settings").click().run()

    for g, (name, period) in enumerate([("fast", 9), ("slow", 21)]):
        p = f"strategy.let.{g}"
        app.text_input(key=f"{p}.name").input(name)
        app.selectbox(key=f"{p}.curve.tf").set_value("5m")
        app.number_input(key=f"{p}.curve.ema.p0").set_value(period)
        _button(app, "Add named curve").click().run()

    def rule(g, scope, name):
        p = f"strategy.rule.{g}"
        app.radio(key=f"{p}.scope").set_value(scope)
        app.text_input(key=f"{p}.name").input(name)
        return f"{p}.c0"

    c = rule(0, "global", "market_hours")
    app.selectbox(key=f"{c}.op").set_value("time_in").run()
    _button(app, "Add rule").click().run()

    c = rule(1, "global", "vix_calm")
    app.selectbox(key=f"{c}.left.kind").set_value("indicator").run()
    app.selectbox(key=f"{c}.left.src.sym").set_value("VIX")
    app.selectbox(key=f"{c}.left.tf").set_value("5m")
    app.selectbox(key=f"{c}.left.tr").set_value("slope").run()
    app.selectbox(key=f"{c}.left.trw").set_value("30m")
    app.selectbox(key=f"{c}.op").set_value("below").run()
    app.selectbox(key=f"{c}.right.kind").set_value("number").run()
    app.number_input(key=f"{c}.right.value").set_value(-0.25).run()
    _button(app, "Add rule").click().run()

    for g, scope, name, op in [(2, "entry", "bull_cross", "crosses_above"), (3, "exit", "bear_cross", "crosses_below")]:
        c = rule(g, scope, name)
        app.selectbox(key=f"{c}.left.kind").set_value("let").run()
        app.selectbox(key=f"{c}.left.let").set_value("fast")
        app.selectbox(key=f"{c}.op").set_value(op).run()
        app.selectbox(key=f"{c}.right.kind").set_value("let").run()
        app.selectbox(key=f"{c}.right.let").set_value("slow").run()
        _button(app, "Add rule").click().run()

    assert not app.exception
    built, reference = check_text(_doc(app).text), check_text(REFERENCE)
    assert built.strategy.body == reference.strategy.body
    same = dataclasses.replace(built.settings, defaulted=()) == dataclasses.replace(reference.settings, defaulted=())
    assert same  # the reference writes capital and sizing out; their defaults mean the same


def test_a_fresh_home_without_data_still_edits(tmp_path, monkeypatch):
    monkeypatch.setenv("RBTS_HOME", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert _doc(at).is_valid
    assert any("catalog is empty" in w.value for w in at.warning)
    assert any("No bars in the data catalog" in c.value for c in at.caption)


def test_full_chart_explains_why_a_rule_is_not_true_now(app):
    app.toggle(key="strategy.rc.more.vix_calm").set_value(True).run()
    assert not app.exception
    shown = " ".join(m.value for m in app.markdown)
    assert "Not true now because" in shown or "Every condition of this rule holds" in shown


def test_forms_show_what_the_code_changed(app):
    """A setting or a rule changed in the code editor, then the builder's form applied: the code's
    change stays (the forms kept their old values, Streamlit's keyed widgets, and wrote them back)."""
    _doc(app).set_text(_doc(app).text.replace("capital: 10000", "capital: 20000"), from_editor=True)
    app.run()
    _button(app, "Apply settings").click().run()
    assert "capital: 20000\n" in _doc(app).text
    assert app.number_input(key=f"strategy.set.{_gen(app, 'settings')}.capital").value == 20000

    index = next(i for i, card in enumerate(_rule_cards(app)) if "bull_cross" in card)
    [b for b in app.button if b.label == "Edit"][index].click().run()
    _doc(app).set_text(_doc(app).text.replace("entry bull_cross: fast crosses_above", "entry bull_cross: fast crosses"),
                       from_editor=True)
    app.run()
    _button(app, "Save rule").click().run()
    assert "entry bull_cross: fast crosses slow\n" in _doc(app).text


def test_a_strategy_with_params_opens(app):
    """Params in the text (SPEC §6.1): the tab shows the rules; the settings form shows the params they use."""
    text = (Path(__file__).resolve().parents[2] / "tests" / "corpus" / "valid" / "params_everywhere.rbts").read_text()
    _doc(app).set_text(text, from_editor=False)
    app.run()
    assert not app.exception, app.exception
    assert _doc(app).is_valid and len(_rule_cards(app)) == 4
    s = f"strategy.set.{_gen(app, 'settings')}"
    picked = {k: app.selectbox(key=f"{s}.{k}.param").value
              for k in ("sizing_value", "offset", "ttl", "max_daily_loss", "stop_loss", "take_profit", "trailing_stop")}
    assert picked == {"sizing_value": "size", "offset": "offset", "ttl": "ttl_time", "max_daily_loss": "daily",
                      "stop_loss": "stop", "take_profit": "target", "trailing_stop": "trail"}
    assert app.selectbox(key=f"{s}.broker_stop.param").value == ""
    # rules using duration and percent params open in the builder; `prev` and `within` of a let stay in the code
    editable = ["edit in the code" not in card for card in _rule_cards(app)]
    assert editable == [True, False, True, True]
    _button(app, "Apply settings").click().run()  # nothing changed: the text stays as it is
    assert _doc(app).text == text


def test_builder_parameters_and_a_rule_input_using_one(app):
    """The Parameters section writes `param` lines; a rule's numeric input can use a param instead of a number."""
    _add_param(app, "rsi_level", "number", "70", low="60", high="80", step="5")
    text = _doc(app).text
    assert "param rsi_level = 70 in 60..80 step 5\n" in text
    assert _ace_args(app)["defaultValue"] == text  # the code editor shows it
    assert "# equity / number of tickers" in text  # comments survive

    r = "strategy.rule.0"
    app.radio(key=f"{r}.scope").set_value("exit")
    app.text_input(key=f"{r}.name").input("rsi_high")
    app.selectbox(key=f"{r}.c0.left.kind").set_value("indicator").run()
    app.selectbox(key=f"{r}.c0.left.func").set_value("rsi").run()
    app.selectbox(key=f"{r}.c0.op").set_value("above").run()
    app.selectbox(key=f"{r}.c0.right.kind").set_value("number").run()
    app.selectbox(key=f"{r}.c0.right.value.from").set_value("rsi_level").run()
    _button(app, "Add rule").click().run()
    assert not app.exception, app.exception
    text = _doc(app).text
    assert "exit rsi_high: rsi(close, 14) > rsi_level\n" in text
    assert _doc(app).is_valid and _doc(app).valid.params["rsi_level"].values == (60, 65, 70, 75, 80)

    # the rule using the param opens in the builder with the param picked; the param cannot be deleted now
    rules = _rule_cards(app)
    edit = [b for b in app.button if b.label == "Edit"]
    index = next(i for i, card in enumerate(rules) if "rsi_high" in card)
    assert "edit in the code" not in rules[index] and not edit[index].disabled
    edit[index].click().run()
    g = app.session_state["strategy.gen.rule"]
    assert app.selectbox(key=f"strategy.rule.{g}.c0.right.value.from").value == "rsi_level"
    assert next(b for b in app.button if b.key == "strategy.param.del.rsi_level").disabled

    # a param of the code editor shows in the builder; changing its default there keeps the rule
    _doc(app).set_text(_doc(app).text.replace("param rsi_level = 70 in", "param rsi_level = 75 in"), from_editor=True)
    app.run()
    assert "param rsi_level = 75 in 60..80 step 5" in " ".join(m.value for m in app.markdown)

    # a value outside its domain is refused with the language's words, the text unchanged
    before = _doc(app).text
    _add_param(app, "fast_n", "number", "30", values="5, 9, 13")
    assert _doc(app).text == before
    assert any("fast_n" in e.value and "30" in e.value for e in app.error)


def _add_param(app, name, kind, default, *, values=None, low=None, high=None, step=""):
    p = f"strategy.param.{_gen(app, 'param')}"
    app.text_input(key=f"{p}.name").input(name)
    app.selectbox(key=f"{p}.kind").set_value(kind).run()
    app.text_input(key=f"{p}.default").input(default)
    if values is not None:
        app.radio(key=f"{p}.shape").set_value("list").run()
        app.text_input(key=f"{p}.values").input(values)
    else:
        app.text_input(key=f"{p}.low").input(low)
        app.text_input(key=f"{p}.high").input(high)
        app.text_input(key=f"{p}.step").input(step)
    _button(app, "Add parameter").click().run()
    assert not app.exception, app.exception


def test_builder_duration_and_percent_params(app):
    """Duration and percent params: added in the section, used by a timeframe, a window and a stop, changed, refused."""
    _add_param(app, "tf", "duration", "5m", values="5m, 15m")
    _add_param(app, "w", "duration", "30m", low="15m", high="1h", step="15m")
    _add_param(app, "stop", "percent", "2", low="1", high="3", step="0.5")
    text = _doc(app).text
    assert "param tf = 5m in [5m, 15m]\nparam w = 30m in 15m..1h step 15m\nparam stop = 2% in 1%..3% step 0.5%\n" in text

    r = "strategy.rule.0"
    app.text_input(key=f"{r}.name").input("trend")
    app.selectbox(key=f"{r}.c0.left.kind").set_value("indicator").run()
    app.selectbox(key=f"{r}.c0.left.tf").set_value("tf").run()
    app.selectbox(key=f"{r}.c0.right.func").set_value("sma").run()
    app.selectbox(key=f"{r}.c0.right.tf").set_value("tf").run()
    app.selectbox(key=f"{r}.c0.temporal").set_value("within").run()
    app.selectbox(key=f"{r}.c0.window").set_value("w").run()
    _button(app, "Add rule").click().run()
    assert not app.exception, app.exception
    assert "entry trend: ema(close, 9, tf) crosses_above sma(close, 20, tf) within w\n" in _doc(app).text

    s = f"strategy.set.{_gen(app, 'settings')}"
    app.selectbox(key=f"{s}.stop_loss.param").set_value("stop")
    _button(app, "Apply settings").click().run()
    assert "risk: stop_loss stop\n" in _doc(app).text and _doc(app).is_valid

    # the rule opens in the builder with the params picked
    cards = _rule_cards(app)
    index = next(i for i, card in enumerate(cards) if "trend" in card)
    [b for b in app.button if b.label == "Edit"][index].click().run()
    g = app.session_state["strategy.gen.rule"]
    assert [app.selectbox(key=f"strategy.rule.{g}.c0.{k}").value for k in ("left.tf", "right.tf", "window")] == \
        ["tf", "tf", "w"]

    # change a param through its edit button: the form holds its values
    next(b for b in app.button if b.key == "strategy.param.edit.stop").click().run()
    p = f"strategy.param.{app.session_state['strategy.gen.param']}"
    assert (app.selectbox(key=f"{p}.kind").value, app.text_input(key=f"{p}.high").value) == ("percent", "3")
    app.text_input(key=f"{p}.high").input("4")
    _button(app, "Save parameter").click().run()
    assert "param stop = 2% in 1%..4% step 0.5%\n" in _doc(app).text and _doc(app).is_valid

    # a change of kind that breaks a use is refused with the checker's words, the text unchanged
    before = _doc(app).text
    next(b for b in app.button if b.key == "strategy.param.edit.tf").click().run()
    p = f"strategy.param.{app.session_state['strategy.gen.param']}"
    app.selectbox(key=f"{p}.kind").set_value("number").run()
    app.text_input(key=f"{p}.default").input("5")
    app.text_input(key=f"{p}.values").input("5, 15")
    _button(app, "Save parameter").click().run()
    assert _doc(app).text == before
    assert any("not applied" in e.value and "param tf is a number, but the timeframe of ema needs a duration" in e.value
               for e in app.error), [e.value for e in app.error]
