"""One exchange time zone and calendar (rbts.dsl.exchange): no module spells them out again."""

from __future__ import annotations

from pathlib import Path

from rbts.dsl.exchange import EXCHANGE_CALENDAR, EXCHANGE_TZ
from rbts.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_no_module_spells_the_exchange_out():
    found = []
    for folder in ("dsl", "compiler", "runtime", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "dsl" / "exchange.py":
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(ROOT)}: {word}" for word in ("America/New_York", '"XNYS"') if word in text]
    assert found == []


def test_the_settings_default_to_the_exchange():
    settings = Settings(home=Path("."))
    assert (settings.timezone, settings.calendar) == (EXCHANGE_TZ, EXCHANGE_CALENDAR) == ("America/New_York", "XNYS")
