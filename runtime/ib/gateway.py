"""Is TWS / IB Gateway there? The probe and the one wording for "it is not", shared by downloads and the live bot."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rbts.runtime.settings import Settings


def gateway_reachable(settings: Settings, timeout: float = 3.0) -> bool:
    """True when something accepts TCP connections at the configured host and port."""
    try:
        with socket.create_connection((settings.ib.host, int(settings.ib.port)), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_gateway(
    settings: Settings,
    *,
    report: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    interval: float = 5.0,
) -> bool:
    """Block until TWS/Gateway accepts connections: True then, False if ``stop`` is set first.

    Each failed probe calls ``report`` with :func:`unreachable_message` (plus the retry
    interval); the wait is interruptible through ``stop``, so the process never hangs.
    """
    while not gateway_reachable(settings, timeout=min(3.0, interval)):
        if report is not None:
            report(f"{unreachable_message(settings)}; retrying every {interval:g} s")
        if stop is not None:
            if stop.wait(interval):
                return False
        else:
            time.sleep(interval)
    return True


def unreachable_message(settings: Settings) -> str:
    """The one wording for "no TWS/Gateway there", shared by downloads and the live bot."""
    host, port = settings.ib.host, settings.ib.port
    return (
        f"cannot reach IB Gateway/TWS at {host}:{port} — is it running, API enabled? "
        "(set the port with RBTS_IB_PORT or ib: {port: ...} in rbts.yaml; "
        "Gateway paper 4002, live 4001; TWS paper 7497, live 7496)"
    )
