import uuid
from typing import Literal

from fastapi import APIRouter, status

from services.registry.access import CurrentMinistry
from services.registry.enrolments import service
from services.registry.enrolments.schemas import EnrolmentCreate, EnrolmentPage, EnrolmentRead, EnrolmentUpdate
from services.registry.pagination import Cursor, Limit, decode_cursor
from services.registry.persons.schemas import Deactivation
from shared.db import DbSession

router = APIRouter(prefix="/enrolments", tags=["enrolments"])


@router.post("", response_model=EnrolmentRead, status_code=status.HTTP_201_CREATED,
             summary="Enrol a person in one of the calling ministry's programmes")
async def create_enrolment(data: EnrolmentCreate, session: DbSession, caller: CurrentMinistry) -> EnrolmentRead:
    return await service.create_enrolment(session, caller=caller, data=data)


@router.get("", response_model=EnrolmentPage, summary="The calling ministry's enrolments, filtered")
async def list_enrolments(session: DbSession, caller: CurrentMinistry, programme: str | None = None,
                          status: Literal["active", "suspended", "inactive"] | None = None,
                          person_id: uuid.UUID | None = None, cursor: Cursor = None,
                          limit: Limit = 50) -> EnrolmentPage:
    return await service.list_enrolments(session, caller=caller, programme=programme.upper() if programme else None,
                                         status=status, person_id=person_id, after=decode_cursor(cursor),
                                         limit=limit)


@router.get("/{enrolment_id}", response_model=EnrolmentRead, summary="One enrolment (own ministry only)")
async def read_enrolment(enrolment_id: uuid.UUID, session: DbSession, caller: CurrentMinistry) -> EnrolmentRead:
    return await service.get_enrolment(session, caller=caller, enrolment_id=enrolment_id)


@router.patch("/{enrolment_id}", response_model=EnrolmentRead, summary="Change status, dates or source record id")
async def update_enrolment(enrolment_id: uuid.UUID, data: EnrolmentUpdate, session: DbSession,
                           caller: CurrentMinistry) -> EnrolmentRead:
    return await service.update_enrolment(session, caller=caller, enrolment_id=enrolment_id, data=data)


@router.post("/{enrolment_id}/deactivate", response_model=EnrolmentRead,
             summary="End an enrolment (status inactive, end_date today unless given)")
async def deactivate_enrolment(enrolment_id: uuid.UUID, session: DbSession, caller: CurrentMinistry,
                               deactivation: Deactivation | None = None) -> EnrolmentRead:
    return await service.deactivate_enrolment(session, caller=caller, enrolment_id=enrolment_id,
                                              deactivation=deactivation or Deactivation())
