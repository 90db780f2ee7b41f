import uuid
from typing import Literal

from fastapi import APIRouter, status

from services.registry.access import CurrentMinistry
from services.registry.households import service
from services.registry.households.schemas import HouseholdCreate, HouseholdPage, HouseholdRead, HouseholdUpdate
from services.registry.pagination import Cursor, Limit, decode_cursor
from services.registry.persons.schemas import Deactivation
from shared.db import DbSession

router = APIRouter(prefix="/households", tags=["households"])


@router.post("", response_model=HouseholdRead, status_code=status.HTTP_201_CREATED, summary="Register a household")
async def create_household(data: HouseholdCreate, session: DbSession, caller: CurrentMinistry) -> HouseholdRead:
    return await service.create_household(session, caller=caller, data=data)


@router.get("", response_model=HouseholdPage, summary="Households of the calling ministry's beneficiaries")
async def list_households(session: DbSession, caller: CurrentMinistry,
                          status: Literal["active", "inactive"] | None = None, division_code: int | None = None,
                          district_code: int | None = None, upazila_code: int | None = None,
                          union_code: int | None = None, cursor: Cursor = None, limit: Limit = 50) -> HouseholdPage:
    return await service.list_households(session, caller=caller, status=status, division_code=division_code,
                                         district_code=district_code, upazila_code=upazila_code,
                                         union_code=union_code, after=decode_cursor(cursor), limit=limit)


@router.get("/{household_id}", response_model=HouseholdRead, summary="One household")
async def read_household(household_id: uuid.UUID, session: DbSession, caller: CurrentMinistry) -> HouseholdRead:
    return await service.get_household(session, caller=caller, household_id=household_id)


@router.patch("/{household_id}", response_model=HouseholdRead, summary="Change a household's address")
async def update_household(household_id: uuid.UUID, data: HouseholdUpdate, session: DbSession,
                           caller: CurrentMinistry) -> HouseholdRead:
    return await service.update_household(session, caller=caller, household_id=household_id, data=data)


@router.post("/{household_id}/deactivate", response_model=HouseholdRead, summary="Mark a household inactive")
async def deactivate_household(household_id: uuid.UUID, session: DbSession, caller: CurrentMinistry,
                               deactivation: Deactivation | None = None) -> HouseholdRead:
    return await service.deactivate_household(session, caller=caller, household_id=household_id,
                                              deactivation=deactivation or Deactivation())
