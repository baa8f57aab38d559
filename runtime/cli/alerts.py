"""``rbts alerts test`` / ``rbts alerts list``: check where the bot's alerts go (issue #18)."""

from __future__ import annotations

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import settings_from, user_errors

alerts_app = typer.Typer(help="Alerts (Apprise URLs in rbts.yaml `alerts:` or RBTS_ALERTS).", no_args_is_help=True)

NONE_CONFIGURED = ("no alert destinations: add `alerts:` to rbts.yaml (a list of Apprise URLs) "
                   "or set RBTS_ALERTS")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


@alerts_app.command("test")
def test_cmd(ctx: typer.Context,
             timeout: float = typer.Option(10.0, "--timeout", min=0.5, help="Seconds per destination.")) -> None:
    """Send a test message to every destination now; report each (exit 1 if one failed)."""
    from rbts.runtime.alerts.sender import Alert, ApprisePlace

    with user_errors():
        settings = settings_from(ctx)
        if not settings.alerts:
            raise RbtsError(NONE_CONFIGURED)
        alert = Alert("test", "info", "RBTS test alert",
                      f"This is a test from `rbts alerts test` (home {settings.home}). Alerts reach you here.")
        failed = 0
        for route in settings.alerts:
            try:
                place = ApprisePlace(route.url, timeout)
            except ValueError as exc:
                failed += 1
                typer.echo(f"FAILED  {exc}", err=True)
                continue
            if place.send(alert):
                typer.echo(f"sent    {place.name}")
            else:
                failed += 1
                typer.echo(f"FAILED  {place.name}: the service refused it or did not answer within {timeout:g}s",
                           err=True)
        if failed:
            raise RbtsError(f"{failed} of {len(settings.alerts)} destination(s) did not receive the test alert")


@alerts_app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """Show each destination (secrets masked), the event kinds it wants and its minimum level."""
    from rbts.runtime.alerts.config import KINDS
    from rbts.runtime.alerts.sender import ApprisePlace

    with user_errors():
        settings = settings_from(ctx)
        if not settings.alerts:
            raise RbtsError(NONE_CONFIGURED)
        for route in settings.alerts:
            try:
                name = ApprisePlace(route.url, 1.0).name
            except ValueError as exc:
                name = f"{exc}"
            kinds = "all" if route.kinds >= set(KINDS) else ", ".join(sorted(route.kinds))
            typer.echo(f"{name}\n  events: {kinds}\n  level:  {route.level} and above")
