"""Reads the gateway's routes file into typed objects."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import yaml

ROUTES_FILE = Path(str(files("services.gateway") / "routes.yaml"))


@dataclass(frozen=True)
class ServiceRoute:
    name: str
    prefix: str
    port_variable: str
    port: int
    description: str
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class GatewayRoutes:
    services: tuple[ServiceRoute, ...]
    portal_port_variable: str
    portal_port: int
    gateway_port_variable: str
    gateway_port: int
    admin_port_variable: str
    admin_port: int
    upstream_timeout_s: int


def load_routes(path: Path = ROUTES_FILE, environ: dict[str, str] | None = None) -> GatewayRoutes:
    """Routes with ports taken from the environment where it sets them (e.g. REGISTRY_PORT)."""
    env = os.environ if environ is None else environ
    raw = yaml.safe_load(path.read_text())

    def port(variable: str, default: int) -> int:
        value = env.get(variable, "")
        if not value:
            return default
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise ValueError(f"{variable}={value!r} is not a TCP port")
        return int(value)

    # On Kubernetes each service is its own host (REGISTRY_HOST=registry); locally all are 127.0.0.1.
    services = tuple(
        ServiceRoute(name=name, prefix=spec["prefix"].rstrip("/"), port_variable=spec["port_variable"],
                     port=port(spec["port_variable"], spec["port"]), description=spec.get("description", name),
                     host=env.get(f"{name.upper()}_HOST", "127.0.0.1"))
        for name, spec in raw["services"].items()
    )
    gateway = raw["gateway"]
    return GatewayRoutes(
        services=services,
        portal_port_variable=raw["portal"]["port_variable"],
        portal_port=port(raw["portal"]["port_variable"], raw["portal"]["port"]),
        gateway_port_variable=gateway["port_variable"],
        gateway_port=port(gateway["port_variable"], gateway["port"]),
        admin_port_variable=gateway["admin_port_variable"],
        admin_port=port(gateway["admin_port_variable"], gateway["admin_port"]),
        upstream_timeout_s=int(gateway.get("upstream_timeout_s", 60)),
    )
