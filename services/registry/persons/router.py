import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from services.registry.access import CurrentMinistry
from services.registry.pagination import Cursor, Limit, decode_cursor
from services.registry.persons import reads, service
from services.registry.persons.schemas import (
    CoordinatedView,
    Deactivation,
    PersonCreate,
    PersonPage,
    PersonRead,
    PersonUpdate,
    SearchResult,
)
from shared.db import DbSession

router = APIRouter(prefix="/persons", tags=["persons"])

Status = Literal["active", "inactive"]


@router.post("", response_model=PersonRead, status_code=status.HTTP_201_CREATED, summary="Register a person")
async def create_person(data: PersonCreate, session: DbSession, caller: CurrentMinistry) -> PersonRead:
    return await service.create_person(session, caller=caller, data=data)


@router.get("", response_model=PersonPage,
            summary="Persons whose data the calling ministry may read, filtered, a page at a time")
async def list_persons(
    session: DbSession, caller: CurrentMinistry,
    ministry: Annotated[str | None, Query(description="Enrolled in a programme of this ministry")] = None,
    programme: Annotated[str | None, Query(description="Enrolled in this programme")] = None,
    status: Status | None = None, division_code: int | None = None, district_code: int | None = None,
    upazila_code: int | None = None, union_code: int | None = None, household_id: uuid.UUID | None = None,
    cursor: Cursor = None, limit: Limit = 50,
) -> PersonPage:
    return await service.list_persons(
        session, caller=caller, ministry=ministry.upper() if ministry else None,
        programme=programme.upper() if programme else None, status=status,
        division_code=division_code, district_code=district_code, upazila_code=upazila_code, union_code=union_code,
        household_id=household_id, after=decode_cursor(cursor), limit=limit)


@router.get("/search", response_model=SearchResult,
            summary="Find persons by NID (any of its forms), BRN, phone (any form) or name (Bangla or Latin)")
async def search_persons(
    session: DbSession, caller: CurrentMinistry,
    nid: Annotated[str | None, Query(description="10, 13 or 17 digits; a 17-digit NID finds its 13-digit form")] = None,
    brn: str | None = None,
    phone: Annotated[str | None, Query(description="01711-234567, +8801711234567, ০১৭১১২৩৪৫৬৭ ...")] = None,
    name: Annotated[str | None, Query(description="Bangla or Latin; honorifics and case are ignored")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchResult:
    return await service.search_persons(session, caller=caller, nid=nid, brn=brn, phone=phone, name=name, limit=limit)


@router.get("/{person_id}", response_model=PersonRead, summary="A person's personal data (own programmes only)")
async def read_person(person_id: uuid.UUID, request: Request, caller: CurrentMinistry) -> Response:
    # The body is PersonRead already serialised (persons/reads.py): one statement, no ORM.
    return Response(await reads.read_person_json(request.app.state.db, caller=caller, person_id=person_id),
                    media_type="application/json")


@router.get("/{person_id}/enrolments", response_model=CoordinatedView,
            summary="Coordinated view, open to every ministry: the person's programmes and ministries, "
                    "no personal fields")
async def coordinated_view(person_id: uuid.UUID, session: DbSession, caller: CurrentMinistry) -> CoordinatedView:
    return await service.coordinated_view(session, caller=caller, person_id=person_id)


@router.patch("/{person_id}", response_model=PersonRead, summary="Change a person's fields (only those sent)")
async def update_person(person_id: uuid.UUID, data: PersonUpdate, session: DbSession,
                        caller: CurrentMinistry) -> PersonRead:
    return await service.update_person(session, caller=caller, person_id=person_id, data=data,
                                       expected_version=data.version)


@router.post("/{person_id}/deactivate", response_model=PersonRead, summary="Mark a person inactive (e.g. deceased)")
async def deactivate_person(person_id: uuid.UUID, session: DbSession, caller: CurrentMinistry,
                            deactivation: Deactivation | None = None) -> PersonRead:
    return await service.deactivate_person(session, caller=caller, person_id=person_id,
                                           deactivation=deactivation or Deactivation())
