"""`risk: broker_stop` given by a param (SPEC §2.5 with §6.1): `--set` changes the stop's distance,
the JSON form names the param for the setting (valid against the schema) and reads back."""

from __future__ import annotations

from rbts.dsl.json_form import schema
from rbts.dsl.json_validate import validator_class
from rbts.dsl.load import load_strategy

TEXT = """strategy "guarded"
universe: AAPL
risk: broker_stop stop
param stop = 5% in [3%, 5%, 8%]

entry up: close > 0
exit down: close < 0
"""


def test_a_param_gives_the_broker_stop_and_set_changes_it():
    assert load_strategy(TEXT).settings.broker_stop == 0.05
    assert load_strategy(TEXT, overrides={"stop": "8%"}).settings.broker_stop == 0.08


def test_the_json_form_names_the_param_is_valid_and_reads_back():
    checked = load_strategy(TEXT, overrides={"stop": "3%"})
    data = checked.json_form()
    assert data["setting_params"] == {"risk.broker_stop": "stop"}
    assert data["settings"]["risk"]["broker_stop_pct"] == 3
    assert not list(validator_class()(schema()).iter_errors(data))
    back = load_strategy(data)
    assert back.strategy == checked.strategy and back.settings.broker_stop == 0.03
