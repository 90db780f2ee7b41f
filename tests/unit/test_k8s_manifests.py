from __future__ import annotations

from pathlib import Path

import yaml

from deploy.k8s.render import BASE, GATEWAY_FILE, render_gateway_resources, render_gateway_yaml, validate_core_manifests
from services.gateway.routes import load_routes


def test_committed_gateway_routes_match_the_routes_file() -> None:
    assert GATEWAY_FILE.read_text() == render_gateway_yaml(load_routes(environ={}))


def test_every_service_gets_an_httproute_that_strips_its_prefix() -> None:
    routes = load_routes(environ={})
    resources = {r["metadata"]["name"]: r for r in render_gateway_resources(routes) if r["kind"] == "HTTPRoute"}
    for service in routes.services:
        rule = resources[service.name]["spec"]["rules"][0]
        assert rule["matches"][0]["path"] == {"type": "PathPrefix", "value": service.prefix}
        assert rule["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"] == "/"
        assert rule["backendRefs"][0]["name"] == service.name


def test_core_manifests_are_valid_kubernetes() -> None:
    assert validate_core_manifests() == []


def test_the_validator_catches_an_unknown_field(tmp_path: Path) -> None:
    deployment = yaml.safe_load((BASE / "minutes.yaml").read_text().split("\n---\n")[0])
    deployment["spec"]["replicaz"] = 2
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(deployment))
    problems = validate_core_manifests(tmp_path)
    assert len(problems) == 1 and "replicaz" in problems[0]


def test_every_service_runs_migrations_probes_and_the_same_config() -> None:
    for name in ("registry", "matching", "minutes"):
        deployment = yaml.safe_load((BASE / f"{name}.yaml").read_text().split("\n---\n")[0])
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert f"services.{name}.app:app" in container["command"]
    job = yaml.safe_load((BASE / "migrations.yaml").read_text())
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-3:] == ["registry", "matching", "minutes"]
