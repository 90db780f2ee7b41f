"""The whole system on one machine: infrastructure, migrations, services and the gateway.

Used by `make run` (long-lived, Ctrl-C stops what it started) and by the test suite (its own
ports and its own database cluster, so tests never touch a running `make run`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.broker import TansuBroker, check_broker_reachable
from devstack.errors import StackError
from devstack.paths import REPO_ROOT, RUN_DIR
from devstack.postgres import EmbeddedPostgres, check_database_reachable
from devstack.procs import ManagedProcess, require_free_ports, stop_together, wait_http_ok
from services.gateway.envoy import render_envoy_yaml
from services.gateway.routes import GatewayRoutes, load_routes
from shared.migrations import SERVICES_WITH_MIGRATIONS, upgrade
from shared.net import port_is_free

SERVICE_APPS = {"registry": "services.registry.app:app", "matching": "services.matching.app:app",
                "minutes": "services.minutes.app:app"}


@dataclass
class StackOptions:
    name: str = "dev"  # folder names under .run: dev and test stacks never share state
    postgres_port: int = 55432
    broker_port: int = 19092
    database_url: str | None = None  # set: use it, start no PostgreSQL
    kafka_bootstrap: str | None = None  # set: use it, start no broker
    environ: dict[str, str] = field(default_factory=dict)  # port overrides (REGISTRY_PORT...)
    fast_unsafe_postgres: bool = False
    extra_service_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, name: str = "dev") -> StackOptions:
        def port(variable: str, default: int) -> int:
            value = os.environ.get(variable, "")
            if value and not value.isdigit():
                raise StackError(f"{variable}={value!r} is not a TCP port")
            return int(value) if value else default

        return cls(name=name, postgres_port=port("POSTGRES_PORT", 55432), broker_port=port("BROKER_PORT", 19092),
                   database_url=os.environ.get("DATABASE_URL") or None,
                   kafka_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
                   environ=dict(os.environ))


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        try:
            self.routes: GatewayRoutes = load_routes(environ=options.environ)
        except ValueError as exc:
            raise StackError(str(exc)) from None
        self.log_dir = RUN_DIR / options.name / "logs"
        self.postgres: EmbeddedPostgres | None = None
        self.broker: TansuBroker | None = None
        self.services: dict[str, ManagedProcess] = {}
        self.portal: ManagedProcess | None = None
        self.envoy: ManagedProcess | None = None

    # -- infrastructure -------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        if self.options.database_url:
            return self.options.database_url
        assert self.postgres is not None
        return self.postgres.url

    @property
    def service_database_url(self) -> str:
        """What the services and migrations use: DATABASE_URL as given, else the embedded
        PostgreSQL through its Unix-domain socket (it runs on this machine)."""
        if self.options.database_url:
            return self.options.database_url
        assert self.postgres is not None
        return self.postgres.socket_url

    @property
    def kafka_bootstrap(self) -> str:
        if self.options.kafka_bootstrap:
            return self.options.kafka_bootstrap
        assert self.broker is not None
        return self.broker.bootstrap

    def preflight(self) -> None:
        ports = {s.port_variable: s.port for s in self.routes.services}
        ports[self.routes.portal_port_variable] = self.routes.portal_port
        ports[self.routes.gateway_port_variable] = self.routes.gateway_port
        ports[self.routes.admin_port_variable] = self.routes.admin_port
        if not self.options.kafka_bootstrap:
            ports["BROKER_PORT"] = self.options.broker_port
        require_free_ports(ports)
        if self.options.database_url:
            check_database_reachable(self.options.database_url)
        if self.options.kafka_bootstrap:
            check_broker_reachable(self.options.kafka_bootstrap)

    def start_infrastructure(self) -> None:
        if not self.options.database_url:
            self.postgres = self.postgres or EmbeddedPostgres(f"pg-{self.options.name}", self.options.postgres_port,
                                                              fast_and_unsafe=self.options.fast_unsafe_postgres)
            if not self.postgres.is_running() and not port_is_free(self.options.postgres_port):
                raise StackError(f"port {self.options.postgres_port} (POSTGRES_PORT) is already in use: "
                                 "stop what listens there or set POSTGRES_PORT to a free port")
            self.postgres.start()
        if not self.options.kafka_bootstrap:
            self.broker = TansuBroker(self.options.broker_port, self.log_dir / "broker.log")
            self.broker.start()

    def migrate(self) -> None:
        for service in SERVICES_WITH_MIGRATIONS:
            upgrade(service, self.service_database_url)

    # -- services and gateway -------------------------------------------------------------
    def service_env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.service_database_url, "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
                "ENVIRONMENT": "test" if self.options.name != "dev" else "local",
                "PYTHONUNBUFFERED": "1", **self.options.extra_service_env}

    def make_service_process(self, name: str) -> ManagedProcess:
        route = next(s for s in self.routes.services if s.name == name)
        return ManagedProcess(
            name=name,
            command=[sys.executable, "-m", "shared.serve", SERVICE_APPS[name], "--port", str(route.port)],
            log_path=self.log_dir / f"{name}.log",
            env={**self.service_env(), "SERVICE_NAME": name},
            cwd=REPO_ROOT,
        )

    def start_services(self) -> None:
        for route in self.routes.services:
            process = self.make_service_process(route.name)
            process.start()
            self.services[route.name] = process
        self.portal = ManagedProcess(
            name="portal",
            command=[sys.executable, "-m", "services.gateway.portal", "--port", str(self.routes.portal_port)],
            log_path=self.log_dir / "portal.log", env=_ports_env(self.routes), cwd=REPO_ROOT)
        self.portal.start()
        config_path = RUN_DIR / self.options.name / "envoy.yaml"
        config_path.write_text(render_envoy_yaml(self.routes))
        # One worker thread proxies 4,000 requests/s with a third of a core here; a second one
        # only competed with the services for the two cores (fewer requests/s, longer tail).
        self.envoy = ManagedProcess(
            name="gateway",
            command=[str(Path(sys.executable).parent / "envoy"), "-c", str(config_path), "--concurrency", "1",
                     "--use-dynamic-base-id", "--log-level", "warn"],
            log_path=self.log_dir / "gateway.log")
        self.envoy.start()

    def restart_service(self, name: str, timeout_s: float = 60.0) -> float:
        """Start a (stopped or killed) service again; returns the seconds until it was ready."""
        old = self.services.get(name)
        if old is not None:
            old.stop()
        process = self.make_service_process(name)
        process.start()
        self.services[name] = process
        return wait_http_ok(f"{self.service_url(name)}/readyz", timeout_s=timeout_s, process=process)

    def wait_ready(self, timeout_s: float = 60.0) -> dict[str, float]:
        deadline = time.monotonic() + timeout_s
        waited: dict[str, float] = {}
        for route in self.routes.services:
            waited[route.name] = wait_http_ok(f"{self.gateway_url}{route.prefix}/readyz",
                                              timeout_s=max(deadline - time.monotonic(), 1),
                                              process=self.services[route.name])
        waited["gateway"] = wait_http_ok(f"{self.gateway_url}/readyz", timeout_s=max(deadline - time.monotonic(), 1),
                                         process=self.envoy)
        return waited

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.routes.gateway_port}"

    def service_url(self, name: str) -> str:
        route = next(s for s in self.routes.services if s.name == name)
        return f"http://127.0.0.1:{route.port}"

    def stop(self) -> None:
        stop_together([self.envoy, self.portal, *self.services.values()])
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def _ports_env(routes: GatewayRoutes) -> dict[str, str]:
    env = {s.port_variable: str(s.port) for s in routes.services}
    env[routes.portal_port_variable] = str(routes.portal_port)
    return env

