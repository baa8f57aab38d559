"""The app's password: stored only as a salted scrypt hash in ``<home>/ui-password`` (mode 0600).

``rbts ui`` on a non-loopback address refuses to start without one; once a password is set,
the app asks for it on every address (``ui/login.py``).  scrypt comes with Python's
``hashlib`` (memory-hard, salted, no 72-byte limit as in bcrypt, no extra dependency); the
parameters are stored with the hash, so they can be raised later without breaking old files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
from pathlib import Path

from rbts.dsl.errors import RbtsError

PASSWORD_FILE = "ui-password"
MIN_LENGTH = 8
SCRYPT = {"n": 2**15, "r": 8, "p": 1}  # 32 MiB and a fraction of a second per check: slow to guess


def password_path(home: Path) -> Path:
    return Path(home) / PASSWORD_FILE


def hash_password(password: str, *, salt: bytes | None = None, params: dict | None = None) -> dict:
    params = dict(params or SCRYPT)
    salt = salt if salt is not None else os.urandom(16)
    digest = _scrypt(password, salt, params)
    return {"scheme": "scrypt", **params, "salt": _b64(salt), "hash": _b64(digest)}


def verify_password(password: str, record: dict) -> bool:
    if record.get("scheme") != "scrypt":
        return False
    params = {k: int(record[k]) for k in ("n", "r", "p")}
    digest = _scrypt(password, base64.b64decode(record["salt"]), params)
    return hmac.compare_digest(digest, base64.b64decode(record["hash"]))


def set_password(home: Path, password: str) -> Path:
    """Store ``password``'s salted hash (never the password) for the app; returns the file."""
    from rbts.runtime.files import atomic_write

    if len(password) < MIN_LENGTH:
        raise RbtsError(f"the password is too short: use at least {MIN_LENGTH} characters")
    path = password_path(home)
    Path(home).mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(hash_password(password)) + "\n")
    os.chmod(path, 0o600)
    return path


def stored_password(home: Path) -> dict | None:
    """The stored hash record, or None when no password is set."""
    path = password_path(home)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RbtsError(f"{path}: unreadable ({exc}); set the password again with `rbts ui set-password`") from None
    if not isinstance(record, dict) or not {"scheme", "salt", "hash", "n", "r", "p"} <= set(record):
        raise RbtsError(f"{path}: not a password file; set the password again with `rbts ui set-password`")
    return record


def is_loopback(address: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: only this machine can reach the app."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _scrypt(password: str, salt: bytes, params: dict) -> bytes:
    n, r, p = params["n"], params["r"], params["p"]
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
