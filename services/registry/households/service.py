"""Use cases for households. Same rules as persons: a household's address is personal data,
readable by the ministry that registered it and by those enrolling one of its members."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import events
from services.registry.access import Caller
from services.registry.audit import service as audit
from services.registry.database import outbox
from services.registry.enrolments.models import Enrolment
from services.registry.geography.models import Address
from services.registry.geography.service import store_address
from services.registry.households.models import Household
from services.registry.households.schemas import HouseholdCreate, HouseholdPage, HouseholdRead, HouseholdUpdate
from services.registry.ids import utcnow
from services.registry.pagination import next_cursor
from services.registry.persons.models import Person
from services.registry.persons.schemas import Deactivation
from shared.errors import Conflict, Forbidden, NotFound
from shared.outbox import add_events

ENTITY = "household"


def household_readable_by(ministry_code: str) -> ColumnElement[bool]:
    return or_(Household.registered_by == ministry_code,
               exists().where(Person.household_id == Household.id, Enrolment.person_id == Person.id,
                              Enrolment.ministry_code == ministry_code))


async def _load(session: AsyncSession, household_id: uuid.UUID, *, for_update: bool = False) -> Household:
    query = select(Household).where(Household.id == household_id)
    if for_update:
        query = query.with_for_update(of=Household).execution_options(populate_existing=True)
    household = (await session.scalars(query)).one_or_none()
    if household is None:
        raise NotFound("no household with this id", loc=["path", "household_id"], input=str(household_id))
    return household


async def _require_access(session: AsyncSession, *, caller: Caller, household_id: uuid.UUID, action: str) -> None:
    allowed = await session.scalar(select(household_readable_by(caller.ministry_code))
                                   .where(Household.id == household_id))
    if allowed:
        return
    await session.rollback()
    await audit.record(session, caller=caller, action=action, entity_type=ENTITY, entity_ids=[household_id])
    await session.commit()
    raise Forbidden(f"{caller.ministry_code} enrols no member of this household", loc=["path", "household_id"],
                    error_type="personal_data.not_yours", input=str(household_id))


async def _read(session: AsyncSession, household: Household) -> HouseholdRead:
    members = (await session.scalars(select(Person.id).where(Person.household_id == household.id)
                                     .order_by(Person.id))).all()
    return HouseholdRead.model_validate({**{k: getattr(household, k) for k in HouseholdRead.model_fields
                                            if k != "member_ids"}, "member_ids": list(members)})


def _event(event_type: str, read: HouseholdRead) -> Any:
    return events.registry_event(event_type, key=read.id, payload=read.model_dump(mode="json"))


async def create_household(session: AsyncSession, *, caller: Caller, data: HouseholdCreate) -> HouseholdRead:
    household = Household(registered_by=caller.ministry_code)
    session.add(household)
    household.address = await store_address(session, data.address, current=None, loc=["body", "address"])
    await session.flush()
    read = await _read(session, household)
    await audit.record(session, caller=caller, action=audit.CREATE, entity_type=ENTITY, entity_ids=[household.id])
    await add_events(session, outbox, [_event(events.HOUSEHOLD_UPSERTED, read)])
    await session.commit()
    return read


async def get_household(session: AsyncSession, *, caller: Caller, household_id: uuid.UUID) -> HouseholdRead:
    household = await _load(session, household_id)
    await _require_access(session, caller=caller, household_id=household_id, action=audit.READ_DENIED)
    read = await _read(session, household)
    await audit.record(session, caller=caller, action=audit.READ, entity_type=ENTITY, entity_ids=[household_id])
    await session.commit()
    return read


async def update_household(session: AsyncSession, *, caller: Caller, household_id: uuid.UUID,
                           data: HouseholdUpdate) -> HouseholdRead:
    await _load(session, household_id)
    await _require_access(session, caller=caller, household_id=household_id, action=audit.CHANGE_DENIED)
    household = await _load(session, household_id, for_update=True)
    if data.version is not None and data.version != household.version:
        raise Conflict(f"the household is at version {household.version}, not {data.version}; read it again",
                       loc=["body", "version"], error_type="version.stale", input=data.version)
    if "address" in data.model_fields_set:
        household.address = await store_address(session, data.address, current=household.address,
                                                loc=["body", "address"])
    household.version += 1
    household.updated_at = utcnow()
    await session.flush()
    read = await _read(session, household)
    await audit.record(session, caller=caller, action=audit.UPDATE, entity_type=ENTITY, entity_ids=[household.id],
                       detail={"fields": sorted(data.model_fields_set - {"version"})})
    await add_events(session, outbox, [_event(events.HOUSEHOLD_UPSERTED, read)])
    await session.commit()
    return read


async def deactivate_household(session: AsyncSession, *, caller: Caller, household_id: uuid.UUID,
                               deactivation: Deactivation) -> HouseholdRead:
    await _load(session, household_id)
    await _require_access(session, caller=caller, household_id=household_id, action=audit.CHANGE_DENIED)
    household = await _load(session, household_id, for_update=True)
    if household.status != "inactive":
        household.status = "inactive"
        household.deactivated_at = household.updated_at = utcnow()
        household.deactivation_reason = deactivation.reason
        household.version += 1
        await session.flush()
        read = await _read(session, household)
        await audit.record(session, caller=caller, action=audit.DEACTIVATE, entity_type=ENTITY,
                           entity_ids=[household.id], detail={"reason": deactivation.reason})
        await add_events(session, outbox, [_event(events.HOUSEHOLD_DEACTIVATED, read)])
        await session.commit()
        return read
    return await _read(session, household)


async def list_households(session: AsyncSession, *, caller: Caller, status: str | None, division_code: int | None,
                          district_code: int | None, upazila_code: int | None, union_code: int | None,
                          after: uuid.UUID | None, limit: int) -> HouseholdPage:
    query: Select[Any] = select(Household).where(household_readable_by(caller.ministry_code))
    if status is not None:
        query = query.where(Household.status == status)
    geo = {Address.division_code: division_code, Address.district_code: district_code,
           Address.upazila_code: upazila_code, Address.union_code: union_code}
    if any(v is not None for v in geo.values()):
        query = query.where(exists().where(Address.id == Household.address_id,
                                           and_(*(c == v for c, v in geo.items() if v is not None))))
    if after is not None:
        query = query.where(Household.id > after)
    households = (await session.scalars(query.order_by(Household.id).limit(limit))).all()
    items = [await _read(session, h) for h in households]
    await audit.record(session, caller=caller, action=audit.READ, entity_type=ENTITY,
                       entity_ids=[h.id for h in households], detail={"via": "list"})
    await session.commit()
    return HouseholdPage(items=items, next_cursor=next_cursor([h.id for h in households], limit))
