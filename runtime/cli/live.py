"""``rbts live``, ``apply``, ``status``, ``stop``, ``restart``, ``flatten``: run and control the bot (SPEC §5).

Exit status: 0 done; 1 a user error (invalid strategy, no bot running); ``status``
returns 3 when no bot is running (like ``systemctl status``).
"""

from __future__ import annotations

import json
import time

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import SET_HELP, parse_sets, settings_from, user_errors

NOT_RUNNING = 3


def register(app: typer.Typer) -> None:
    app.command("live")(live_cmd)
    app.command("apply")(apply_cmd)
    app.command("status")(status_cmd)
    app.command("stop")(stop_cmd)
    app.command("restart")(restart_cmd)
    app.command("flatten")(flatten_cmd)



def live_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(None, help="Strategy (.rbts or .json) to apply first; default: the active one."),
    mode: str = typer.Option("replay", "--mode", help="replay (catalog bars, simulated fills) or ib (TWS/Gateway)."),
    start: str = typer.Option(None, "--start", help="Replay: first day/time streamed (exchange time); "
                              "default: about 30 sessions before the last bar."),
    end: str = typer.Option(None, "--end", help="Replay: last day/time streamed."),
    speed: float = typer.Option(None, "--speed", min=1, max=10_000, help="Replay speed, x1..x10000 (default from settings)."),
    detach: bool = typer.Option(False, "--detach", help="Run in the background (`rbts status`/`stop` find it)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the previous run's last persisted cycle "
                                "(replay: its positions and cash; IB: the broker's positions); `rbts restart` does."),
    sets: list[str] = typer.Option(None, "--set", help=SET_HELP + " Saved with the applied version: a restart "
                                   "runs the same values.", metavar="NAME=VALUE"),
) -> None:
    """Run the live bot (foreground until Ctrl-C / SIGTERM, or --detach)."""
    from rbts.runtime.live import control, node
    from rbts.runtime.live.lock import BotLock
    from rbts.runtime.live.reasons import reason_of

    if mode not in ("replay", "ib"):
        raise typer.BadParameter("use replay or ib", param_hint="--mode")
    overrides = parse_sets(sets)
    if overrides and not file:
        raise typer.BadParameter("needs a strategy FILE to set params of (the active strategy holds its values)",
                                 param_hint="--set")
    settings = settings_from(ctx)
    speed = speed or settings.replay_speed
    with user_errors():
        if detach:
            pid = control.start(settings, mode, file, start, speed, end, resume=resume, overrides=overrides)
            typer.echo(f"bot started in {mode} mode (pid {pid}); `rbts status` to watch, `rbts stop` to stop")
            return
        with BotLock.acquire(settings.live_dir) as held:  # before anything is touched: one bot per home
            startup_error = None
            if file:
                try:
                    applied = control.apply_file(settings, file, notify=False, overrides=overrides)
                    typer.echo(f"active strategy: {applied.version.label}")
                except RbtsError as exc:
                    startup_error = reason_of(exc)
                    typer.echo(exc.render(), err=True)
                    typer.echo("starting in SAFE MODE (no orders) until a valid strategy is applied", err=True)
            options = node.RunOptions(mode=mode, start=start, end=end, speed=speed, startup_error=startup_error,
                                      resume=resume)
            code = node.run(settings, options, held)
    raise typer.Exit(code)


def apply_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="Strategy file (.rbts or .json)."),
    sets: list[str] = typer.Option(None, "--set", help=SET_HELP + " Saved with the new version: a restart runs "
                                   "the same values.", metavar="NAME=VALUE"),
) -> None:
    """Check a strategy, save it as a new registry version, make it active and reload the bot.

    With --set, the saved version (and the active strategy) holds the set values as its params'
    defaults; the file itself is not changed."""
    from rbts.runtime.live import control

    settings = settings_from(ctx)
    overrides = parse_sets(sets)
    with user_errors():
        applied = control.apply_file(settings, file, overrides=overrides)
    typer.echo(f"saved {applied.version.label} and made it active")
    if not applied.sent_to_bot:
        typer.echo("no bot is running: it will use this version at its next start")
    elif applied.bot_result is None:
        typer.echo(f"error: the bot has not answered within {control.APPLY_WAIT_S:.0f}s; it may still apply "
                   "it: see `rbts status`", err=True)
        raise typer.Exit(1)
    elif applied.bot_result.startswith("failed"):
        typer.echo(f"error: the bot {applied.bot_result}", err=True)
        raise typer.Exit(1)
    else:
        typer.echo(f"bot: {applied.bot_result}")


def status_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show the bot's state: mode, strategy, safe mode, equity and PnL, positions, orders, last events."""
    from rbts.runtime.live import control

    snap = control.snapshot(settings_from(ctx))
    if as_json:
        typer.echo(json.dumps(snap, indent=2, default=str))
    else:
        typer.echo(_render_status(snap))
    if not snap["running"]:
        raise typer.Exit(NOT_RUNNING)


def _render_status(snap: dict) -> str:
    from rbts.runtime.live.status_view import banner, format_ts

    st = snap["status"]
    lines = [banner(snap)]
    if st:
        lines.append(f"equity {st.get('equity', 0):,.2f}  cash {st.get('cash', 0):,.2f}  "
                     f"day {st.get('day_pnl', 0):+,.2f}  realised {st.get('realized_pnl', 0):+,.2f}  "
                     f"unrealised {st.get('unrealized_pnl', 0):+,.2f}")
        lines.append(f"last cycle {format_ts(st.get('last_cycle_ts'))}  last bar {format_ts(st.get('last_bar_ts'))}")
    for p in snap["positions"]:
        lines.append(f"  position {p['symbol']:<6} {p['qty']:>8g} @ {p['avg_px']:.2f}  unrealised {p['unrealized_pnl']:+.2f}"
                     + ("  exit-only (not in the running version: exits only)" if p.get("exit_only") else ""))
    for o in snap["orders"]:
        lines.append(f"  working  {o['symbol']:<6} {o['side']} {o['qty']:g} {o['type']} {o['price'] or ''} {o['status']}")
    for e in snap["events"][:5]:
        lines.append(f"  {time.strftime('%H:%M:%S', time.localtime(e['wall']))} {e['level']:<7} {e['message']}")
    return "\n".join(lines)


def stop_cmd(ctx: typer.Context, timeout: float = typer.Option(20.0, "--timeout", help="Seconds before SIGKILL.")) -> None:
    """Stop the bot gracefully (SIGTERM), killing it if it does not end within --timeout."""
    from rbts.runtime.live import control

    with user_errors():
        typer.echo(control.stop(settings_from(ctx), timeout))


def restart_cmd(ctx: typer.Context) -> None:
    """Stop the bot and start it again with the same mode and options, on the active strategy."""
    from rbts.runtime.live import control

    with user_errors():
        pid = control.restart(settings_from(ctx))
    typer.echo(f"bot restarted (pid {pid})")


def flatten_cmd(ctx: typer.Context, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Cancel every working order and close every position at market; the bot then stays in safe mode."""
    from rbts.runtime.live import control

    if not yes and not typer.confirm("Cancel all orders and close all positions at market?"):
        raise typer.Exit(1)
    with user_errors():
        typer.echo(control.flatten(settings_from(ctx)))
