"""Acceptance 5: bad configuration gets one clear line, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from devstack.paths import REPO_ROOT
from devstack.procs import free_port
from devstack.stack import Stack
from services.gateway.routes import load_routes

pytestmark = pytest.mark.e2e


def _free_ports_env() -> dict[str, str]:
    routes = load_routes(environ={})
    names = [s.port_variable for s in routes.services]
    names += [routes.portal_port_variable, routes.gateway_port_variable, routes.admin_port_variable,
              "BROKER_PORT", "POSTGRES_PORT"]
    return {name: str(free_port()) for name in names}


def _run(command: list[str], env: dict[str, str], timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    return subprocess.run(command, env={**base, **env}, capture_output=True, text=True, timeout=timeout_s,
                          cwd=REPO_ROOT)


def _somonnoy_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "devstack.cli", "run", "--no-demo"], {**_free_ports_env(), **env})


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_unreachable_database_url() -> None:
    dead = free_port()
    result = _somonnoy_run({"DATABASE_URL": f"postgresql://postgres:secret@127.0.0.1:{dead}/somonnoy"})
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert line.startswith("error: DATABASE_URL") and "unreachable" in line and f":{dead}/" in line
    assert "secret" not in line  # the password is not printed


def test_unreachable_broker(infra: Stack) -> None:
    dead = free_port()
    result = _somonnoy_run({"DATABASE_URL": infra.database_url, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{dead}"})
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert line.startswith(f"error: KAFKA_BOOTSTRAP_SERVERS 127.0.0.1:{dead} is unreachable")


def test_port_already_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _somonnoy_run({"GATEWAY_PORT": str(port)})
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert line == (f"error: port {port} (GATEWAY_PORT) is already in use: stop what listens there "
                    f"or set GATEWAY_PORT to a free port")


def test_a_service_started_alone_reports_bad_settings_in_one_line(infra: Stack) -> None:
    serve = [sys.executable, "-m", "shared.serve", "services.registry.app:app", "--port", str(free_port())]
    wrong_setting = _run(serve, {"DATABASE_URL": infra.database_url, "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
                                 "DB_POOL_SIZE": "many"})
    assert wrong_setting.returncode == 2
    assert _one_error_line(wrong_setting.stderr).startswith("error: invalid configuration: DB_POOL_SIZE:")

    missing = _run(serve, {})
    assert "DATABASE_URL is not set" in _one_error_line(missing.stderr)

    dead_db = _run(serve, {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x",
                           "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap})
    assert _one_error_line(dead_db.stderr).startswith("error: DATABASE_URL is unreachable")
