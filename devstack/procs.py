"""Child processes of the stack: started in their own session (so a terminal's Ctrl-C reaches
only the supervisor, which stops them in order), logs to files under .run/logs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.errors import StackError
from shared.net import port_is_free


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_free_ports(ports: dict[str, int]) -> None:
    """One clear line for the first port already taken, naming the variable that moves it."""
    for variable, port in ports.items():
        if not port_is_free(port):
            raise StackError(f"port {port} ({variable}) is already in use: stop what listens there "
                             f"or set {variable} to a free port")


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env}, cwd=self.cwd, start_new_session=True)
        log.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 10.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait(timeout=5)

    def last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""


def stop_together(processes: list[ManagedProcess | None], timeout_s: float = 10.0) -> None:
    """SIGTERM every process first, then wait: shutting down one after another adds up."""
    running = [p for p in processes if p is not None and p.alive()]
    for process in running:
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for process in running:
        assert process.process is not None
        try:
            process.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()


def wait_http_ok(url: str, *, timeout_s: float, process: ManagedProcess | None = None) -> float:
    """Poll `url` until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process is not None and not process.alive():
            raise StackError(f"{process.name} exited during start-up: {process.last_log_line()}"
                             f" (log: {process.log_path})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    where = f" (log: {process.log_path})" if process else ""
    raise StackError(f"{url} did not become ready within {timeout_s:.0f} s{where}")
