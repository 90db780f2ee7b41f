"""Renders Envoy's bootstrap configuration from the routes file.

Envoy (not a Python proxy) is the gateway: it strips each service's path prefix, makes or keeps
an `x-request-id`, returns it on every response and writes one JSON access-log line per request.
"""

from __future__ import annotations

from typing import Any

import yaml

from services.gateway.routes import GatewayRoutes

_HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
_ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
_STDOUT_LOG = "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog"

ACCESS_LOG_FORMAT = {
    "ts": "%START_TIME%",
    "service": "gateway",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "status": "%RESPONSE_CODE%",
    "flags": "%RESPONSE_FLAGS%",
    "upstream": "%UPSTREAM_CLUSTER%",
    "duration_ms": "%DURATION%",
    "bytes_in": "%BYTES_RECEIVED%",
    "bytes_out": "%BYTES_SENT%",
    "ministry": "%REQ(X-MINISTRY-CODE)%",
}


def _cluster(name: str, host: str, port: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                "socket_address": {"address": host, "port_value": port}}}}]}],
        },
    }


def render_envoy_config(routes: GatewayRoutes, *, listen_host: str = "127.0.0.1") -> dict[str, Any]:
    timeout = f"{routes.upstream_timeout_s}s"
    route_entries: list[dict[str, Any]] = []
    for service in routes.services:
        # "/registry" and "/registry/..." both reach the registry as "/" and "/...".
        route_entries.append({"match": {"prefix": f"{service.prefix}/"},
                              "route": {"cluster": service.name, "prefix_rewrite": "/", "timeout": timeout}})
        route_entries.append({"match": {"path": service.prefix},
                              "route": {"cluster": service.name, "prefix_rewrite": "/", "timeout": timeout}})
    route_entries.append({"match": {"prefix": "/"}, "route": {"cluster": "portal", "timeout": "30s"}})

    connection_manager = {
        "@type": _HCM,
        "stat_prefix": "gateway",
        "codec_type": "AUTO",
        "generate_request_id": True,
        "preserve_external_request_id": True,
        "always_set_request_id_in_response": True,
        "use_remote_address": True,
        "access_log": [{"name": "envoy.access_loggers.stdout",
                        "typed_config": {"@type": _STDOUT_LOG,
                                         "log_format": {"json_format": ACCESS_LOG_FORMAT}}}],
        "route_config": {"name": "somonnoy", "virtual_hosts": [
            {"name": "somonnoy", "domains": ["*"], "routes": route_entries}]},
        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": _ROUTER}}],
    }
    clusters = [_cluster(s.name, s.host, s.port) for s in routes.services]
    clusters.append(_cluster("portal", "127.0.0.1", routes.portal_port))
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": routes.admin_port}}},
        "static_resources": {
            "listeners": [{
                "name": "gateway",
                "address": {"socket_address": {"address": listen_host, "port_value": routes.gateway_port}},
                "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                                "typed_config": connection_manager}]}],
            }],
            "clusters": clusters,
        },
    }


def render_envoy_yaml(routes: GatewayRoutes, *, listen_host: str = "127.0.0.1") -> str:
    return yaml.safe_dump(render_envoy_config(routes, listen_host=listen_host), sort_keys=False)
