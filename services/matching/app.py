"""The matching service: cross-ministry record linkage fed by the registry's events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.matching.database import outbox, processed_events
from services.matching.jobs.router import router as jobs_router
from services.matching.jobs.service import JobRunner
from services.matching.linking.block_index import guard_block_index
from services.matching.linking.router import router as linking_router
from services.matching.linking.service import PERSON_LINKED, PERSON_UNLINKED
from services.matching.records.router import router as records_router
from services.matching.records.service import SUBSCRIPTION
from services.matching.reports.router import router as reports_router
from services.matching.review.router import router as review_router
from services.matching.settings import MatchingSettings
from shared.app import ServiceSpec, create_service_app
from shared.runtime import tune_for_batch_work
from shared.settings import ServiceSettings

SPEC = ServiceSpec(
    name="matching",
    title="Somonnoy matching",
    description="Who is the same person across the ministries' programmes.",
    version="0.1.0",
    routers=[linking_router, review_router, reports_router, records_router, jobs_router],
    produced_topics=[PERSON_LINKED, PERSON_UNLINKED],
    outbox=outbox,
    processed_events=processed_events,
    subscriptions=[SUBSCRIPTION],
    settings_class=MatchingSettings,
)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service app plus its job runner (background re-match jobs, resumed after a restart)."""
    app = create_service_app(SPEC, settings)
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            # the consumer links batches with normalisation and scoring threads beside the loop
            tune_for_batch_work()
            runner = JobRunner(app.state.db)
            app.state.jobs = runner
            await runner.resume_orphans()
            # the blocking-key index rebuilt if a database crash or failover has emptied it
            stop_guard = asyncio.Event()
            guard = asyncio.create_task(guard_block_index(app.state.db, stop_guard), name="block-index-guard")
            try:
                yield
            finally:
                stop_guard.set()
                await guard
                await runner.close()

    app.router.lifespan_context = lifespan
    return app


app = create_app()
