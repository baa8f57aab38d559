"""Run a sweep's variants on an existing Ray cluster (``--ray HOST:PORT``).

One actor per CPU (or ``--workers``, at most the cluster's CPUs); each actor is a
worker like a local one: it loads the strategy and imports once and runs many variants,
reading the catalog from the home folder's path on its own machine (a shared folder
mounted at the same path everywhere).  Bars never travel through the driver.  An actor
whose process dies has its variant retried once on a fresh actor, then an error row.

Ray is an optional extra (``pip install "rbts[ray]"``); nothing here imports it before a
sweep asks for it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
from collections import deque

from rbts.dsl.errors import RbtsError
from rbts.runtime.research.executor import Executor, after_death
from rbts.runtime.research.tasks import PreparedSetup, RunSetup, Task, TaskResult

CONNECT_SECONDS = 5.0
JOIN_SECONDS = 60.0
START_SECONDS = 600.0  # actors import nautilus_trader and load the strategy


class SweepActor:
    """The body of a Ray actor (made remote at start, so importing this module needs no Ray)."""

    def __init__(self, setup: RunSetup) -> None:
        self.prepared = PreparedSetup(setup)

    def pid(self) -> int:
        return os.getpid()

    def run(self, task: Task) -> TaskResult:
        return self.prepared.run(task)


def split_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``ray://HOST:PORT`` -> (host, port); anything else is an error."""
    rest = address.strip().removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise RbtsError(f"--ray {address}: expected HOST:PORT of the cluster's head (e.g. 10.0.0.5:6379)")
    return host.strip("[]"), int(port)


def probe(address: str, timeout: float = CONNECT_SECONDS) -> None:
    """Fail fast and clearly when nothing listens at the address (ray.init would wait a long time)."""
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
    raise RbtsError(f"--ray {address}: cannot reach a Ray cluster there ({reason}); start one with "
                    f"`ray start --head --port {port}` on that machine, or leave out --ray to run locally")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _import_ray(loopback: bool):
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if loopback:  # keep Ray on loopback: otherwise it swaps 127.0.0.1 for the network address
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
        from ray._private import ray_constants
    except ImportError:
        raise RbtsError('--ray needs Ray installed: pip install "rbts[ray]" (on this machine and every node)') from None
    if loopback:  # Ray reads that variable once, at import: a process may have imported it before
        ray_constants.ENABLE_RAY_CLUSTER = False
    return ray


def _join(ray, address: str, timeout: float = JOIN_SECONDS) -> None:
    """ray.init, bounded: Ray retries an unanswering cluster for many minutes."""
    outcome: dict = {}

    def join() -> None:
        try:
            ray.init(address=address, namespace="rbts", logging_level=logging.ERROR, log_to_driver=False,
                     configure_logging=False)
            outcome["ok"] = True
        except Exception as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=join, daemon=True, name="rbts-ray-join")
    thread.start()
    thread.join(timeout)
    if "error" in outcome:
        exc = outcome["error"]
        raise RbtsError(f"--ray {address}: cannot join the Ray cluster: {type(exc).__name__}: {_cause(exc)}")
    if "ok" not in outcome:
        raise RbtsError(f"--ray {address}: something listens there but no Ray cluster answered within "
                        f"{timeout:.0f} s (is it the head's GCS port, usually 6379?)")


class RayExecutor(Executor):
    def __init__(self, address: str, workers: int | None = None) -> None:
        split_address(address)
        super().__init__()
        self.address = address.strip()
        self.workers = workers or 0  # 0: one per CPU of the cluster
        self._running: dict = {}  # ObjectRef -> (actor, task)
        self._idle: list = []
        self._ray = None

    def describe(self) -> dict:
        return {"kind": "ray", "address": self.address, "workers": self.workers}

    def start(self, setup: RunSetup, runs: int | None = None) -> None:
        probe(self.address)
        ray = self._ray = _import_ray(loopback=_is_loopback(split_address(self.address)[0]))
        _join(ray, self.address)
        cpus = int(ray.cluster_resources().get("CPU", 0))
        if cpus < 1:
            raise RbtsError(f"--ray {self.address}: the cluster has no CPUs to run on")
        self.workers = min(self.workers or cpus, cpus, runs or cpus)
        self._setup = setup
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(SweepActor)
        actors = [self._actor_class.remote(setup) for _ in range(self.workers)]
        try:
            pids = ray.get([a.pid.remote() for a in actors], timeout=START_SECONDS)
        except Exception as exc:
            raise RbtsError(f"Ray workers could not start: {_cause(exc)}") from None
        self._pids = {a._actor_id: pid for a, pid in zip(actors, pids)}
        self._idle = actors

    def _dispatch(self) -> None:
        while self._idle and self._queue:
            actor, task = self._idle.pop(), self._queue.popleft()
            self._running[actor.run.remote(task)] = (actor, task)

    def busy_pids(self) -> list[int]:
        """Process ids of the first actors now running a variant (tests kill one)."""
        return [self._pids[a._actor_id] for a, _ in self._running.values() if a._actor_id in self._pids]

    def poll(self, timeout: float) -> list[TaskResult]:
        ray, out = self._ray, []
        if not self._running:
            return out
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._running), num_returns=len(self._running), timeout=0)
        for ref in ready:
            actor, task = self._running.pop(ref)
            try:
                out.append(ray.get(ref))
                self._idle.append(actor)
            except ray.exceptions.RayActorError as exc:
                self._replace(actor)
                outcome = after_death(task, _cause(exc))
                if isinstance(outcome, Task):
                    self._queue.appendleft(outcome)
                else:
                    out.append(outcome)
            except ray.exceptions.RayError as exc:  # the task itself failed outside run()'s own handling
                self._idle.append(actor)
                out.append(TaskResult.failed(task, f"Ray: {_cause(exc)}"))
        self._pending -= len(out)
        self._dispatch()
        return out

    def _replace(self, actor) -> None:
        try:
            self._ray.kill(actor)
        except Exception:  # already gone
            pass
        self._idle.append(self._actor_class.remote(self._setup))

    def close(self) -> None:
        if self._ray is None:
            return
        for actor in [*self._idle, *(a for a, _ in self._running.values())]:
            try:
                self._ray.kill(actor)
            except Exception:  # already gone
                pass
        self._running, self._idle, self._queue = {}, [], deque()
        self._ray.shutdown()


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
