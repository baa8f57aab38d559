"""``rbts service install`` / ``uninstall`` / ``show``: run the bot as a systemd service (issue #18);
``rbts service exited`` is what the unit runs after the bot's process ended (the ``died`` alert)."""

from __future__ import annotations

from pathlib import Path

import typer

from rbts.runtime.cli.common import settings_from, user_errors

service_app = typer.Typer(help="The bot as a systemd service (instead of `rbts live --detach`'s supervisor).",
                          no_args_is_help=True)

MODE = typer.Option("ib", "--mode", help="ib (TWS/Gateway) or replay.")
SYSTEM = typer.Option(False, "--system", help="A system unit in /etc/systemd/system (needs root; runs as "
                      "--run-as) instead of a user unit in ~/.config/systemd/user.")
NAME = typer.Option("rbts", "--name", help="Unit name (NAME.service); one per home.")


def register(app: typer.Typer) -> None:
    app.add_typer(service_app, name="service")


def _unit(ctx: typer.Context, mode: str, system: bool, name: str, run_as: str | None = None,
          env_file: Path | None = None):
    from rbts.runtime.live.service import build_unit

    return build_unit(settings_from(ctx), mode=mode, scope="system" if system else "user", name=name,
                      run_as=run_as, env_file=env_file)


@service_app.command("install")
def install_cmd(
    ctx: typer.Context,
    mode: str = MODE,
    system: bool = SYSTEM,
    name: str = NAME,
    run_as: str = typer.Option(None, "--run-as", help="System unit: the user the bot runs as (default: the "
                               "user behind sudo, else the current one)."),
    env_file: Path = typer.Option(None, "--env-file", help="A file of KEY=VALUE lines for the bot (e.g. "
                                  "RBTS_ALERTS with its secrets), read by systemd (EnvironmentFile=)."),
    start: bool = typer.Option(False, "--start", help="Also enable it at boot and start it now."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the unit and where it would go; change nothing."),
    force: bool = typer.Option(False, "--force", help="Replace an existing unit with other contents."),
) -> None:
    """Write a systemd unit that runs `rbts live --mode MODE --resume` for this home and restarts it
    when it dies (back-off and crash limit from rbts.yaml)."""
    from rbts.dsl.errors import RbtsError
    from rbts.runtime.live import control, service

    with user_errors():
        if env_file is not None and not Path(env_file).is_file():
            raise RbtsError(f"--env-file {env_file}: no such file")
        unit = _unit(ctx, mode, system, name, run_as, env_file)
        if dry_run:
            typer.echo(f"# {unit.path} (dry run: nothing written)")
            typer.echo(unit.text, nl=False)
            return
        done = service.install(unit, force=force, enable=start, now=start)
        for line in done:
            typer.echo(line)
        running = control.bot_state(settings_from(ctx))
        if running.running and not start:
            typer.echo(f"note: a bot runs in this home now (pid {running.pid}): `rbts stop` it before "
                       f"`{' '.join(unit.systemctl('start', unit.file_name))}` (one bot per home)", err=True)
        if not start:
            typer.echo(f"next: {' '.join(unit.systemctl('enable', '--now', unit.file_name))}")
        if unit.scope == "user":
            typer.echo("a user unit runs while you are logged in; to keep it running after you log out and "
                       "start it at boot: loginctl enable-linger $USER")


@service_app.command("uninstall")
def uninstall_cmd(ctx: typer.Context, system: bool = SYSTEM, name: str = NAME) -> None:
    """Stop and disable the unit and remove its file (the home, its store and strategies stay)."""
    from rbts.runtime.live import service

    with user_errors():
        for line in service.uninstall(_unit(ctx, "ib", system, name)):
            typer.echo(line)


@service_app.command("exited", hidden=True)
def exited_cmd(ctx: typer.Context) -> None:
    """Run by systemd (ExecStopPost) after the bot ended: a death becomes a `died` event and alert."""
    from rbts.runtime.live import service

    with user_errors():
        message = service.exited(settings_from(ctx))
    if message:
        typer.echo(message, err=True)
