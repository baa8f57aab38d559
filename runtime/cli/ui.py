"""``rbts ui``: start the Streamlit app on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from rbts.runtime.cli.common import settings_from


def register(app: typer.Typer) -> None:
    @app.command("ui")
    def ui(
        ctx: typer.Context,
        port: int = typer.Option(8501, "--port", help="Port of the app."),
        address: str = typer.Option("localhost", "--address", help="Address to bind (localhost by default)."),
        open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab."),
    ) -> None:
        """Start the app (Strategy and Live tabs) at http://ADDRESS:PORT."""
        settings = settings_from(ctx)
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
        typer.echo(f"RBTS app on http://{address}:{port}  (home: {settings.home})", err=True)
        # Streamlit reads .streamlit/config.toml from the working directory: run from the repo root.
        # exec, not a child process: signals (Ctrl+C, SIGTERM) reach Streamlit itself.
        os.chdir(ui_dir.parent)
        os.execve(sys.executable, command, env)


def _theme_flags() -> list[str]:
    """The dark theme also when .streamlit/config.toml is not next to the app (installed wheel)."""
    from rbts.ui import theme

    values = {"base": "dark", "primaryColor": theme.ACCENT, "backgroundColor": theme.BACKGROUND,
              "secondaryBackgroundColor": theme.PANEL, "textColor": theme.TEXT}
    return [arg for key, value in values.items() for arg in (f"--theme.{key}", value)]
