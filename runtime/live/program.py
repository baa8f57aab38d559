"""What the live bot runs: a checked strategy (``StrategySpec``) and the Nautilus strategy built from it.

Two functions make a *plugin* (``load_text`` and ``build``); this module is the
default one (the DSL checker and ``RuleStrategy``).  ``RBTS_LIVE_PLUGIN`` names
another module with the same two functions; the tests use it to run the
service with a small strategy of their own.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from rbts.dsl.errors import RbtsError
from rbts.dsl.settings import ResolvedSettings

PLUGIN_ENV = "RBTS_LIVE_PLUGIN"
STRATEGY_ID = "RuleStrategy"
ORDER_ID_TAG = "001"  # the strategy id is f"{STRATEGY_ID}-{ORDER_ID_TAG}" across swaps: positions carry over


@dataclass(frozen=True)
class StrategySpec:
    """A strategy that passed every check, ready to run."""

    name: str
    settings: ResolvedSettings
    json_text: str  # the JSON form (what the registry stores and the active file holds)
    source_text: str | None = None  # the .rbts text, when it came from one
    checked: Any = field(default=None, compare=False)  # the checker's result, for the builder


@dataclass
class BuildContext:
    """What a builder may use besides the spec."""

    mode: str  # "replay" | "ib"
    settings: Any  # rbts.runtime.settings.Settings
    version: str  # registry label, e.g. "vix-calm-ema-cross v3"
    publish: Any  # callable(topic, msg): the node's message bus publish
    # Symbols the bot holds a position in that the version does not trade: its exit rules, stops,
    # breaker and flatten must still apply to them, never an entry (SPEC §5).
    exit_only: tuple[str, ...] = ()

    def instrument_id(self, symbol: str) -> str:
        """The Nautilus instrument id of a DSL symbol in this mode (replay: the one sandbox venue)."""
        from rbts.runtime.data.instruments import lookup

        info = lookup(symbol, self.settings)
        if self.mode == "replay":
            from rbts.runtime.live.replay import VENUE

            return f"{info.nautilus_symbol}.{VENUE}"
        return info.instrument_id_str


def plugin() -> ModuleType:
    name = os.environ.get(PLUGIN_ENV) or __name__
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise RbtsError(f"{PLUGIN_ENV}={name!r}: cannot import it ({exc})") from None


def load_file(path: str | Path) -> StrategySpec:
    from rbts.dsl.load import read_text

    return plugin().load_text(read_text(Path(path)), str(path))


# ------------------------------------------------------------------ the default plugin
def load_text(text: str, filename: str | None = None) -> StrategySpec:
    """Parse + check a ``.rbts`` text or a JSON form (through the front door)."""
    from rbts.dsl.load import load_strategy

    checked = load_strategy(text, filename=filename)
    source = None if checked.origin.form == "json" else text
    return StrategySpec(checked.settings.name, checked.settings, json.dumps(checked.json_form(), indent=2) + "\n",
                        source, checked)


def build(spec: StrategySpec, ctx: BuildContext):
    """A ``RuleStrategy`` for the spec whose cycles and events go onto the message bus."""
    from rbts.runtime.live import rule_strategy_adapter

    return rule_strategy_adapter.build(spec, ctx)
