"""A local HTTP endpoint on 127.0.0.1 (a free port) that records what alerts arrive.

``HttpSink(statuses=[500, 500])`` answers the first two requests with 500, then 200;
``hang=True`` accepts requests and never answers (until stopped).  ``received`` holds each
request's path and JSON body (Apprise's ``json://`` posts title, message and type).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HttpSink:
    def __init__(self, statuses: list[int] | None = None, hang: bool = False) -> None:
        self.statuses = list(statuses or [])
        self.hang = hang
        self.received: list[dict] = []  # {"path", "body", "status"}
        self.attempts = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink.attempts += 1
                    status = sink.statuses.pop(0) if sink.statuses else 200
                if sink.hang:
                    sink._released.wait(30)
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
                with sink._lock:
                    sink.received.append({"path": self.path, "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "alerts") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def delivered(self, path: str | None = None) -> list[dict]:
        """Bodies answered with 200 (optionally only those posted to ``/path``)."""
        with self._lock:
            return [r["body"] for r in self.received
                    if r["status"] == 200 and (path is None or r["path"] == f"/{path}")]

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "alerts"):
        """``predicate(self)``'s first truthy value, polled (the timeout only guards a hang)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate(self)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; received {self.received}")

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpSink:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
