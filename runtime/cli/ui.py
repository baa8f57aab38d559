"""``rbts ui``: start the Streamlit app on this machine; ``rbts ui set-password`` locks it.

On localhost the app is open unless a password is set; on any other address ``rbts ui``
refuses to start until one is (the app then asks for it: ui/login.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from rbts.dsl.errors import RbtsError
from rbts.runtime.cli.common import settings_from, user_errors

ui_app = typer.Typer(invoke_without_command=True, help="Start the app (Strategy and Live tabs); "
                     "`rbts ui set-password` to require a login.")


def register(app: typer.Typer) -> None:
    app.add_typer(ui_app, name="ui")


@ui_app.callback()
def ui(
    ctx: typer.Context,
    port: int = typer.Option(8501, "--port", help="Port of the app."),
    address: str = typer.Option("localhost", "--address", help="Address to bind (localhost by default; any "
                                "other address needs a password: `rbts ui set-password`)."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab."),
) -> None:
    """Start the app (Strategy and Live tabs) at http://ADDRESS:PORT."""
    if ctx.invoked_subcommand is not None:
        return
    from rbts.runtime import auth

    settings = settings_from(ctx)
    with user_errors():
        locked = auth.stored_password(settings.home) is not None
        if not locked and not auth.is_loopback(address):
            raise RbtsError(f"--address {address} puts Start, Apply and Flatten on the network: set a password "
                            "first with `rbts ui set-password` (and put the app behind TLS, see docs/ui.md)")
    import rbts.ui

    ui_dir = Path(rbts.ui.__file__).resolve().parent
    env = {**os.environ, "RBTS_HOME": str(settings.home)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ui_dir / "app.py"),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", str(not open_browser).lower(),
        "--browser.gatherUsageStats", "false",
        *_theme_flags(),
    ]
    login = "login required" if locked else "no login (localhost)"
    typer.echo(f"RBTS app on http://{address}:{port}  (home: {settings.home}; {login})", err=True)
    # Streamlit reads .streamlit/config.toml from the working directory: run from the repo root.
    # exec, not a child process: signals (Ctrl+C, SIGTERM) reach Streamlit itself.
    os.chdir(ui_dir.parent)
    os.execve(sys.executable, command, env)


@ui_app.command("set-password")
def set_password_cmd(
    ctx: typer.Context,
    stdin: bool = typer.Option(False, "--stdin", help="Read the password from standard input (scripts)."),
) -> None:
    """Set the app's password (stored only as a salted hash); the app then asks for it."""
    from rbts.runtime import auth

    settings = settings_from(ctx)
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    with user_errors():
        path = auth.set_password(settings.home, password)
    typer.echo(f"password set ({path}, salted scrypt hash); the app asks for it from its next page load")


def _theme_flags() -> list[str]:
    """The dark theme also when .streamlit/config.toml is not next to the app (installed wheel)."""
    from rbts.ui import theme

    values = {"base": "dark", "primaryColor": theme.ACCENT, "backgroundColor": theme.BACKGROUND,
              "secondaryBackgroundColor": theme.PANEL, "textColor": theme.TEXT}
    return [arg for key, value in values.items() for arg in (f"--theme.{key}", value)]
