from __future__ import annotations

import pytest

from services.gateway.envoy import render_envoy_config
from services.gateway.portal import merge_openapi
from services.gateway.routes import load_routes


def _routes_by_prefix(config: dict) -> dict[str, dict]:
    listener = config["static_resources"]["listeners"][0]
    manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
    routes = manager["route_config"]["virtual_hosts"][0]["routes"]
    return {r["match"].get("prefix") or r["match"]["path"]: r["route"] for r in routes}


def test_every_service_prefix_is_routed_and_stripped() -> None:
    routes = load_routes(environ={})
    config = render_envoy_config(routes)
    by_prefix = _routes_by_prefix(config)
    for service in routes.services:
        assert by_prefix[f"{service.prefix}/"] == {"cluster": service.name, "prefix_rewrite": "/",
                                                    "timeout": f"{routes.upstream_timeout_s}s"}
        assert by_prefix[service.prefix]["cluster"] == service.name
    assert by_prefix["/"]["cluster"] == "portal"
    clusters = {c["name"]: c for c in config["static_resources"]["clusters"]}
    assert set(clusters) == {"registry", "matching", "minutes", "portal"}


def test_ports_come_from_the_environment() -> None:
    routes = load_routes(environ={"REGISTRY_PORT": "18101", "GATEWAY_PORT": "18000"})
    config = render_envoy_config(routes)
    assert config["static_resources"]["listeners"][0]["address"]["socket_address"]["port_value"] == 18000
    registry = next(c for c in config["static_resources"]["clusters"] if c["name"] == "registry")
    endpoint = registry["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
    assert endpoint["address"]["socket_address"]["port_value"] == 18101


def test_a_bad_port_is_named() -> None:
    with pytest.raises(ValueError, match="MATCHING_PORT='eighty'"):
        load_routes(environ={"MATCHING_PORT": "eighty"})


def test_the_gateway_returns_request_ids_and_logs_json() -> None:
    manager = render_envoy_config(load_routes(environ={}))["static_resources"]["listeners"][0][
        "filter_chains"][0]["filters"][0]["typed_config"]
    assert manager["generate_request_id"] and manager["always_set_request_id_in_response"]
    assert "request_id" in manager["access_log"][0]["typed_config"]["log_format"]["json_format"]


def _doc(paths: dict, schemas: dict) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas}}


def test_merged_openapi_prefixes_paths_and_keeps_colliding_schemas_apart() -> None:
    page_a = {"type": "object", "properties": {"items": {"type": "array"}}}
    page_b = {"type": "object", "properties": {"rows": {"type": "array"}}}
    ref = {"$ref": "#/components/schemas/Page"}
    registry = _doc({"/persons": {"get": {"operationId": "list", "tags": ["persons"],
                                          "responses": {"200": {"content": {"application/json": {"schema": ref}}}}}}},
                    {"Page": page_a})
    matching = _doc({"/records": {"get": {"operationId": "list", "responses": {
        "200": {"content": {"application/json": {"schema": ref}}}}}}}, {"Page": page_b})
    merged = merge_openapi({"registry": registry, "matching": matching}, load_routes(environ={}))
    assert set(merged["paths"]) == {"/registry/persons", "/matching/records"}
    schemas = merged["components"]["schemas"]
    assert schemas["Page"] == page_a and schemas["matching_Page"] == page_b
    matching_ref = merged["paths"]["/matching/records"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"]
    assert matching_ref == "#/components/schemas/matching_Page"
    assert merged["paths"]["/registry/persons"]["get"]["operationId"] == "registry_list"
    assert merged["paths"]["/registry/persons"]["get"]["tags"] == ["registry: persons"]
