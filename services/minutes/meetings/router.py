import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.minutes.access import CurrentOffice
from services.minutes.meetings import service
from services.minutes.meetings.schemas import DecisionCreate, DecisionRead, MeetingCreate, MeetingPage, MeetingRead
from shared.db import DbSession

router = APIRouter(prefix="/meetings", tags=["meetings"])


@router.post("", response_model=MeetingRead, status_code=status.HTTP_201_CREATED,
             summary="Record a meeting's minutes: agenda, decisions, action items, memo, distribution "
                     "(committee secretary)")
async def record_meeting(meeting: MeetingCreate, caller: CurrentOffice, session: DbSession,
                         response: Response) -> MeetingRead:
    created = await service.record_meeting(session, meeting=meeting, caller=caller)
    response.headers["Location"] = f"meetings/{created.id}"
    return created


@router.get("", response_model=MeetingPage, summary="Meetings, latest first")
async def list_meetings(caller: CurrentOffice, session: DbSession, committee_id: uuid.UUID | None = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50,
                        offset: Annotated[int, Query(ge=0)] = 0) -> MeetingPage:
    return await service.list_meetings(session, committee_id=committee_id, limit=limit, offset=offset)


@router.get("/{meeting_id}", response_model=MeetingRead, summary="One meeting's minutes, dates in both calendars")
async def read_meeting(meeting_id: uuid.UUID, caller: CurrentOffice, session: DbSession) -> MeetingRead:
    return await service.get_meeting(session, meeting_id=meeting_id)


@router.post("/{meeting_id}/decisions", response_model=DecisionRead, status_code=status.HTTP_201_CREATED,
             summary="Add a decision to recorded minutes (committee secretary)")
async def record_decision(meeting_id: uuid.UUID, decision: DecisionCreate, caller: CurrentOffice,
                          session: DbSession) -> DecisionRead:
    return await service.record_decision(session, meeting_id=meeting_id, decision=decision, caller=caller)
