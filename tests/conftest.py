"""Session fixtures: the real PostgreSQL and broker (started here unless DATABASE_URL /
KAFKA_BOOTSTRAP_SERVERS point at existing ones), and the running services behind Envoy.

The test stack uses its own free ports and its own database cluster, so it can run beside a
`make run` without touching it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from devstack.postgres import EmbeddedPostgres
from devstack.procs import free_port, stop_together
from devstack.stack import Stack, StackOptions
from services.gateway.routes import load_routes
from shared.settings import ServiceSettings


def _free_port_environ() -> dict[str, str]:
    routes = load_routes(environ={})
    variables = [s.port_variable for s in routes.services]
    variables += [routes.portal_port_variable, routes.gateway_port_variable, routes.admin_port_variable]
    return {variable: str(free_port()) for variable in variables}


async def _create_scratch_database(url: str) -> str:
    """On an external server, tests get a database of their own instead of its real one."""
    libpq = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, _ = libpq.rpartition("/")
    name = f"somonnoy_test_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(libpq)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def infra() -> Iterator[Stack]:
    external_db = os.environ.get("DATABASE_URL") or None
    options = StackOptions(
        name="test",
        postgres_port=free_port(),
        broker_port=free_port(),
        database_url=asyncio.run(_create_scratch_database(external_db)) if external_db else None,
        kafka_bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        environ=_free_port_environ(),
        fast_unsafe_postgres=True,
    )
    stack = Stack(options)
    if not external_db:
        # a fresh cluster of its own for every session: two test runs on one machine never share one
        stack.postgres = EmbeddedPostgres(f"pg-test-{os.getpid()}", options.postgres_port, fast_and_unsafe=True)
    stack.start_infrastructure()
    stack.migrate()
    yield stack
    stack.stop()
    if stack.postgres is not None:
        stack.postgres.destroy()


@pytest.fixture(scope="session")
def stack(infra: Stack) -> Iterator[Stack]:
    """Every service and the gateway running as separate processes, as `make run` starts them."""
    infra.start_services()
    infra.wait_ready(timeout_s=90)
    yield infra
    stop_together([infra.envoy, infra.portal, *infra.services.values()])


def settings_for(infra: Stack, **overrides: object) -> ServiceSettings:
    values: dict[str, object] = {"database_url": infra.database_url, "kafka_bootstrap_servers": infra.kafka_bootstrap,
                                 "environment": "test", "log_json": False}
    values.update(overrides)
    return ServiceSettings(**values)  # type: ignore[arg-type]
