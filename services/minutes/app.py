"""The minutes service: committee meetings, decisions and their follow-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.minutes.actions.router import router as actions_router
from services.minutes.actions.scheduler import OverdueSweeper
from services.minutes.actions.service import ACTION_OVERDUE, ACTION_UPDATED
from services.minutes.committees.router import router as committees_router
from services.minutes.committees.service import COMMITTEE_CREATED
from services.minutes.database import outbox, processed_events
from services.minutes.drafts.router import router as drafts_router
from services.minutes.drafts.service import DRAFT_CONFIRMED, DRAFT_CREATED
from services.minutes.meetings.document_router import router as meeting_documents_router
from services.minutes.meetings.router import router as meetings_router
from services.minutes.meetings.service import ACTION_CREATED, DECISION_RECORDED, MEETING_CREATED
from services.minutes.offices.router import router as offices_router
from services.minutes.search.router import router as search_router
from services.minutes.settings import MinutesSettings
from services.minutes.summary.router import router as summary_router
from shared.app import ServiceSpec, create_service_app
from shared.settings import ServiceSettings

SPEC = ServiceSpec(
    name="minutes",
    title="Somonnoy minutes",
    description="Meetings, decisions and action items with owners and deadlines, in both calendars.",
    version="0.3.0",
    routers=[offices_router, committees_router, meetings_router, meeting_documents_router, drafts_router,
             actions_router, search_router, summary_router],
    outbox=outbox,
    processed_events=processed_events,
    produced_topics=[COMMITTEE_CREATED, MEETING_CREATED, DECISION_RECORDED, ACTION_CREATED, ACTION_UPDATED,
                     ACTION_OVERDUE, DRAFT_CREATED, DRAFT_CONFIRMED],
    settings_class=MinutesSettings,
    tags=[{"name": "offices", "description": "Ministries and divisions"},
          {"name": "committees", "description": "Committees and their member offices"},
          {"name": "meetings", "description": "Minutes: meetings, agenda, decisions, memo and distribution"},
          {"name": "drafts", "description": "Minutes texts uploaded, read into drafts, checked and confirmed"},
          {"name": "actions", "description": "Action items, progress updates and the overdue sweep"},
          {"name": "search", "description": "Search minutes and decisions in Bangla and English"},
          {"name": "summary", "description": "Follow-up counts for dashboards"}],
)


def create_minutes_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The service app plus the daily overdue sweep running beside it (when the settings enable it)."""
    app = create_service_app(SPEC, settings)
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            service_settings = app.state.settings
            task = None
            stop = asyncio.Event()
            if isinstance(service_settings, MinutesSettings) and service_settings.overdue_sweep_enabled:
                sweeper = OverdueSweeper(database=app.state.db, zone=service_settings.minutes_timezone,
                                         hour=service_settings.overdue_sweep_hour)
                app.state.overdue_sweeper = sweeper
                task = asyncio.create_task(sweeper.run(stop), name="minutes-overdue-sweep")
            try:
                yield
            finally:
                stop.set()
                if task is not None:
                    await asyncio.gather(task, return_exceptions=True)

    app.router.lifespan_context = lifespan
    return app


app = create_minutes_app()
