"""Builds a service's FastAPI app: lifespan (DB, outbox relay, consumers), health, metrics, docs,
errors and request ids. Each service passes its routers, tables and subscriptions; nothing here
is specific to one service."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Table
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.consumer import EventConsumer, Subscription, topics_of
from shared.db import Database
from shared.docs import mount_local_swagger
from shared.errors import install_error_handlers
from shared.kafka import broker_reachable, ensure_topics
from shared.logging import RequestIdMiddleware, configure_logging
from shared.metrics import HTTP_REQUESTS
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings, load_settings

logger = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    version: str
    routers: Sequence[APIRouter]
    outbox: Table
    processed_events: Table
    produced_topics: Sequence[str] = ()
    subscriptions: Sequence[Subscription] = ()
    # published ahead of the rest while a bulk writer holds the relay back (see OutboxRelay)
    priority_topics: Sequence[str] = ()
    settings_class: type[ServiceSettings] = ServiceSettings
    tags: list[dict[str, str]] = field(default_factory=list)
    # ASGI middleware of the service, innermost: inside request ids and metrics, outside routing.
    middleware: Sequence[Callable[[ASGIApp], ASGIApp]] = ()


@dataclass
class Runtime:
    """Background work a service runs beside its HTTP API."""

    relay: OutboxRelay
    consumers: list[EventConsumer]
    stop: asyncio.Event
    tasks: list[asyncio.Task]


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, scope.get("method", ""), template, str(status)).observe(
                time.perf_counter() - started)


def create_service_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service_settings = settings or load_settings(spec.settings_class, service_name=spec.name)
        configure_logging(spec.name, service_settings.log_level, service_settings.log_json)
        database = Database(service_settings)
        app.state.settings = service_settings
        app.state.db = database
        stop = asyncio.Event()
        relay = OutboxRelay(settings=service_settings, database=database, outbox=spec.outbox,
                            topics=[*spec.produced_topics, *topics_of(spec.subscriptions)],
                            priority_topics=spec.priority_topics)
        consumers = [EventConsumer(settings=service_settings, database=database,
                                   processed=spec.processed_events, subscription=s)
                     for s in spec.subscriptions]
        await _ensure_topics_before_consuming(service_settings, relay.topics)
        tasks = [asyncio.create_task(relay.run(stop), name=f"{spec.name}-outbox-relay")]
        tasks += [asyncio.create_task(c.run(stop), name=f"{spec.name}-consumer-{c.group_id}") for c in consumers]
        app.state.runtime = Runtime(relay=relay, consumers=consumers, stop=stop, tasks=tasks)
        # What exists now (modules, the app, its routes and schemas: 160,000 objects) lives as long
        # as the process. Frozen, the collector stops scanning it: under load a full collection,
        # which a stream of requests triggers every few seconds, took 50-130 ms (a pause of every
        # request in flight) and takes a few now.
        gc.freeze()
        logger.info("service started", extra={"topics_out": list(spec.produced_topics),
                                               "topics_in": sorted(topics_of(spec.subscriptions))})
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await database.dispose()

    app = FastAPI(title=spec.title, description=spec.description, version=spec.version,
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_tags=spec.tags or None)
    if settings is not None:
        app.state.settings = settings
    install_error_handlers(app)
    for middleware in spec.middleware:
        app.add_middleware(middleware)
    app.add_middleware(MetricsMiddleware, service=spec.name)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health_router())
    for router in spec.routers:
        app.include_router(router)
    mount_local_swagger(app)
    return app


async def _ensure_topics_before_consuming(settings: ServiceSettings, topics: Sequence[str]) -> None:
    """Create our topics before a consumer's first metadata request can auto-create them with
    the broker's default partition count; a broker that is down now is handled by the relay."""
    try:
        await asyncio.wait_for(asyncio.to_thread(ensure_topics, settings, topics), timeout=10)
    except Exception as exc:
        logger.warning("could not create topics at start-up; the relay retries",
                       extra={"error": str(exc)[:300]})


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz", summary="Readiness: the database and the broker are reachable")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(request.app.state.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {str(exc)[:200] or type(exc).__name__}"
        ok, error = await asyncio.to_thread(broker_reachable, request.app.state.settings)
        checks["broker"] = "ok" if ok else f"unreachable: {error}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                            status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
