import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.minutes.access import CurrentOffice
from services.minutes.actions import service
from services.minutes.actions.schemas import (
    ActionItemPage,
    ActionItemRead,
    ActionStatus,
    ActionUpdateCreate,
    SweepRequest,
    SweepResult,
)
from services.minutes.settings import MinutesSettings
from shared.db import DbSession
from shared.settings import Settings

router = APIRouter(prefix="/actions", tags=["actions"])


@router.get("", response_model=ActionItemPage,
            summary="Action items, soonest deadline first: your office's, or any office's for a committee secretary")
async def list_actions(
    caller: CurrentOffice, session: DbSession,
    office: Annotated[str | None, Query(description="Office code; only a secretary may name another office")] = None,
    status: Annotated[list[ActionStatus] | None, Query(description="Repeat for several, e.g. open and overdue")] = None,
    committee_id: uuid.UUID | None = None, meeting_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
) -> ActionItemPage:
    return await service.list_actions(session, caller=caller, office_code=office.upper() if office else None,
                                      statuses=status or (), committee_id=committee_id, meeting_id=meeting_id,
                                      limit=limit, offset=offset)


@router.post("/sweep", response_model=SweepResult,
             summary="Mark action items past their deadline overdue now (committee secretary; also runs daily)")
async def sweep_overdue(caller: CurrentOffice, session: DbSession, settings: Settings,
                        request: SweepRequest | None = None) -> SweepResult:
    caller.require_secretary("run the overdue sweep")
    zone = settings.minutes_timezone if isinstance(settings, MinutesSettings) else MinutesSettings.model_fields[
        "minutes_timezone"].default
    today = (request.today if request else None) or service.today_in(zone)
    marked = await service.mark_overdue_actions(session, today=today)
    return SweepResult(today=today, marked_overdue=marked)


@router.get("/{action_id}", response_model=ActionItemRead, summary="One action item with its updates")
async def read_action(action_id: uuid.UUID, caller: CurrentOffice, session: DbSession) -> ActionItemRead:
    return await service.get_action(session, action_id=action_id, caller=caller)


@router.post("/{action_id}/updates", response_model=ActionItemRead,
             summary="Report progress on an action item, with evidence (a responsible office or the secretary)")
async def post_update(action_id: uuid.UUID, update: ActionUpdateCreate, caller: CurrentOffice,
                      session: DbSession) -> ActionItemRead:
    return await service.post_update(session, action_id=action_id, update_=update, caller=caller)
