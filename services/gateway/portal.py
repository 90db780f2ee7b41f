"""The gateway's portal: one OpenAPI document for every service, Swagger UI from local files,
and the gateway's own health endpoints. Envoy sends it every path no service prefix claims."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from services.gateway.routes import GatewayRoutes, ServiceRoute, load_routes
from shared.docs import mount_local_swagger
from shared.logging import RequestIdMiddleware, configure_logging

REF_PREFIX = "#/components/schemas/"


def _rewrite_refs(node: Any, rename: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: (REF_PREFIX + rename.get(v.removeprefix(REF_PREFIX), v.removeprefix(REF_PREFIX))
                    if k == "$ref" and isinstance(v, str) and v.startswith(REF_PREFIX)
                    else _rewrite_refs(v, rename)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(v, rename) for v in node]
    return node


def merge_openapi(documents: dict[str, dict[str, Any]], routes: GatewayRoutes,
                  *, title: str = "Somonnoy API") -> dict[str, Any]:
    """One document: each service's paths under its gateway prefix, its schemas renamed when two
    services use the same schema name for different things."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "0.1.0",
                 "description": "All Somonnoy services behind one gateway. Each path starts with the "
                                "service that answers it."},
        "paths": {},
        "components": {"schemas": {}},
        "tags": [],
    }
    prefixes = {s.name: s.prefix for s in routes.services}
    for service, document in documents.items():
        schemas = document.get("components", {}).get("schemas", {})
        rename = {}
        for name, schema in schemas.items():
            existing = merged["components"]["schemas"].get(name)
            rename[name] = name if existing is None or existing == schema else f"{service}_{name}"
        for name, schema in schemas.items():
            merged["components"]["schemas"][rename[name]] = _rewrite_refs(copy.deepcopy(schema), rename)
        for path, operations in document.get("paths", {}).items():
            tagged = {}
            for method, operation in operations.items():
                operation = _rewrite_refs(copy.deepcopy(operation), rename)
                if isinstance(operation, dict):
                    operation["tags"] = [f"{service}: {t}" for t in operation.get("tags", [])] or [service]
                    if "operationId" in operation:
                        operation["operationId"] = f"{service}_{operation['operationId']}"
                tagged[method] = operation
            merged["paths"][prefixes[service] + (path if path != "/" else "")] = tagged
        merged["tags"].append({"name": service, "description": document.get("info", {}).get("description", "")})
    return merged


class OpenApiCache:
    def __init__(self, routes: GatewayRoutes, ttl_s: float = 10.0) -> None:
        self.routes = routes
        self.ttl_s = ttl_s
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0

    async def _fetch(self, client: httpx.AsyncClient, service: ServiceRoute) -> tuple[str, dict[str, Any]]:
        response = await client.get(f"http://{service.host}:{service.port}/openapi.json", timeout=5)
        response.raise_for_status()
        return service.name, response.json()

    async def document(self) -> dict[str, Any]:
        if self._document is None or time.monotonic() - self._fetched_at > self.ttl_s:
            async with httpx.AsyncClient() as client:
                results = await asyncio.gather(*(self._fetch(client, s) for s in self.routes.services),
                                               return_exceptions=True)
            documents = {name: doc for item in results if not isinstance(item, BaseException)
                         for name, doc in [item]}
            self._document = merge_openapi(documents, self.routes)
            missing = [s.name for s in self.routes.services if s.name not in documents]
            if missing:
                self._document["info"]["description"] += f" (not answering now: {', '.join(missing)})"
            else:
                self._fetched_at = time.monotonic()
        return self._document


def create_portal(routes: GatewayRoutes | None = None) -> FastAPI:
    routes = routes or load_routes()
    configure_logging("gateway-portal")
    cache = OpenApiCache(routes)
    app = FastAPI(title="Somonnoy", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(await cache.document())

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        async with httpx.AsyncClient() as client:
            async def check(service: ServiceRoute) -> tuple[str, str]:
                try:
                    response = await client.get(f"http://{service.host}:{service.port}/readyz", timeout=3)
                    return service.name, "ok" if response.status_code == 200 else f"not ready ({response.status_code})"
                except httpx.HTTPError as exc:
                    return service.name, f"unreachable: {type(exc).__name__}"
            checks = dict(await asyncio.gather(*(check(s) for s in routes.services)))
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                            status_code=200 if ready else 503)

    mount_local_swagger(app, openapi_url="/openapi.json", title="Somonnoy API")
    return app


app = create_portal()


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Run the gateway portal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=load_routes().portal_port)
    args = parser.parse_args()
    uvicorn.run("services.gateway.portal:app", host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
