"""Use cases for enrolments. A ministry enrols people in its own programmes only, and reads
and changes its own enrolments only. It may enrol a person another ministry registered (found
through the coordinated search): that is how a second programme joins a person, and from then
on it may read that person's personal data too. The enrolment is audited like every change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import events
from services.registry.access import Caller
from services.registry.audit import service as audit
from services.registry.database import outbox
from services.registry.enrolments.models import Enrolment
from services.registry.enrolments.schemas import EnrolmentCreate, EnrolmentPage, EnrolmentRead, EnrolmentUpdate
from services.registry.ids import utcnow
from services.registry.pagination import next_cursor
from services.registry.persons.models import Person
from services.registry.persons.records import beneficiary_record
from services.registry.persons.schemas import Deactivation
from services.registry.programmes.service import programme_of
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import EventEnvelope
from shared.outbox import add_events

ENTITY = "enrolment"


def enrolment_events(person: Person, enrolment: Enrolment, event_type: str) -> list[EventEnvelope]:
    read = EnrolmentRead.model_validate(enrolment)
    return [events.registry_event(event_type, key=enrolment.id, payload=read.model_dump(mode="json")),
            events.registry_event(events.BENEFICIARY_UPSERTED, key=enrolment.id,
                                  payload=beneficiary_record(person, enrolment))]


async def _load(session: AsyncSession, *, caller: Caller, enrolment_id: uuid.UUID, action: str,
                for_update: bool = False) -> Enrolment:
    query = select(Enrolment).where(Enrolment.id == enrolment_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    enrolment = (await session.scalars(query)).one_or_none()
    if enrolment is None:
        raise NotFound("no enrolment with this id", loc=["path", "enrolment_id"], input=str(enrolment_id))
    owner = enrolment.ministry_code
    if owner != caller.ministry_code:
        await session.rollback()  # expires `enrolment`: only `owner` is used below
        await audit.record(session, caller=caller, action=action, entity_type=ENTITY, entity_ids=[enrolment_id])
        await session.commit()
        raise Forbidden(f"this enrolment is {owner}'s; the coordinated view of the person "
                        "is open to every ministry", loc=["path", "enrolment_id"],
                        error_type="enrolment.not_yours", input=str(enrolment_id))
    return enrolment


async def _person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = (await session.scalars(select(Person).where(Person.id == person_id))).one_or_none()
    if person is None:
        raise Invalid("no person with this id", loc=["body", "person_id"], error_type="person.unknown",
                      input=str(person_id))
    return person


async def _source_record_taken(session: AsyncSession, *, programme_code: str, source_record_id: str) -> None:
    taken = await session.scalar(select(Enrolment.id).where(Enrolment.programme_code == programme_code,
                                                           Enrolment.source_record_id == source_record_id))
    if taken is not None:
        raise Conflict(f"{programme_code} already has an enrolment with this source record id ({taken})",
                       loc=["body", "source_record_id"], error_type="enrolment.duplicate_source_record",
                       input=source_record_id)


async def create_enrolment(session: AsyncSession, *, caller: Caller, data: EnrolmentCreate) -> EnrolmentRead:
    programme = await programme_of(session, code=data.programme_code, ministry_code=caller.ministry_code,
                                   loc=["body", "programme_code"])
    person = await _person(session, data.person_id)
    await _source_record_taken(session, programme_code=programme.code, source_record_id=data.source_record_id)
    enrolment = Enrolment(person_id=person.id, programme_code=programme.code, ministry_code=programme.ministry_code,
                          source_record_id=data.source_record_id, status=data.status, start_date=data.start_date,
                          end_date=data.end_date)
    session.add(enrolment)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request took the same source record id
        await session.rollback()
        await _source_record_taken(session, programme_code=programme.code, source_record_id=data.source_record_id)
        raise
    await audit.record(session, caller=caller, action=audit.CREATE, entity_type=ENTITY, entity_ids=[enrolment.id],
                       detail={"person_id": str(person.id), "programme_code": programme.code})
    await add_events(session, outbox, enrolment_events(person, enrolment, events.ENROLMENT_UPSERTED))
    await session.commit()
    return EnrolmentRead.model_validate(enrolment)


async def get_enrolment(session: AsyncSession, *, caller: Caller, enrolment_id: uuid.UUID) -> EnrolmentRead:
    enrolment = await _load(session, caller=caller, enrolment_id=enrolment_id, action=audit.READ_DENIED)
    await audit.record(session, caller=caller, action=audit.READ, entity_type=ENTITY, entity_ids=[enrolment_id])
    await session.commit()
    return EnrolmentRead.model_validate(enrolment)


async def update_enrolment(session: AsyncSession, *, caller: Caller, enrolment_id: uuid.UUID,
                           data: EnrolmentUpdate) -> EnrolmentRead:
    enrolment = await _load(session, caller=caller, enrolment_id=enrolment_id, action=audit.CHANGE_DENIED,
                            for_update=True)
    if data.version is not None and data.version != enrolment.version:
        raise Conflict(f"the enrolment is at version {enrolment.version}, not {data.version}; read it again",
                       loc=["body", "version"], error_type="version.stale", input=data.version)
    fields = data.model_fields_set - {"version"}
    if "source_record_id" in fields and data.source_record_id != enrolment.source_record_id:
        if data.source_record_id is None:
            raise Invalid("source_record_id cannot be cleared", loc=["body", "source_record_id"],
                          error_type="enrolment.source_record_required")
        await _source_record_taken(session, programme_code=enrolment.programme_code,
                                   source_record_id=data.source_record_id)
        enrolment.source_record_id = data.source_record_id
    if "status" in fields:
        if data.status is None:
            raise Invalid("status cannot be cleared", loc=["body", "status"], error_type="enrolment.status_required")
        if enrolment.status == "inactive":
            raise Conflict("the enrolment was deactivated; enrol the person again instead", loc=["body", "status"],
                           error_type="enrolment.inactive", input=data.status)
        enrolment.status = data.status
    for name in ("start_date", "end_date"):
        if name in fields:
            setattr(enrolment, name, getattr(data, name))
    if enrolment.start_date and enrolment.end_date and enrolment.end_date < enrolment.start_date:
        raise Invalid("end_date is before start_date", loc=["body", "end_date"], error_type="enrolment.dates",
                      input=str(enrolment.end_date))
    enrolment.version += 1
    enrolment.updated_at = utcnow()
    await session.flush()
    person = await _person(session, enrolment.person_id)
    await audit.record(session, caller=caller, action=audit.UPDATE, entity_type=ENTITY, entity_ids=[enrolment.id],
                       detail={"fields": sorted(fields)})
    await add_events(session, outbox, enrolment_events(person, enrolment, events.ENROLMENT_UPSERTED))
    await session.commit()
    return EnrolmentRead.model_validate(enrolment)


async def deactivate_enrolment(session: AsyncSession, *, caller: Caller, enrolment_id: uuid.UUID,
                               deactivation: Deactivation) -> EnrolmentRead:
    enrolment = await _load(session, caller=caller, enrolment_id=enrolment_id, action=audit.CHANGE_DENIED,
                            for_update=True)
    if enrolment.status != "inactive":
        now = utcnow()
        end_date = deactivation.end_date or now.date()
        if enrolment.start_date and end_date < enrolment.start_date:
            raise Invalid("end_date is before the enrolment's start_date", loc=["body", "end_date"],
                          error_type="enrolment.dates", input=str(end_date))
        enrolment.status = "inactive"
        enrolment.end_date = end_date
        enrolment.deactivated_at = enrolment.updated_at = now
        enrolment.deactivation_reason = deactivation.reason
        enrolment.version += 1
        await session.flush()
        person = await _person(session, enrolment.person_id)
        await audit.record(session, caller=caller, action=audit.DEACTIVATE, entity_type=ENTITY,
                           entity_ids=[enrolment.id], detail={"reason": deactivation.reason})
        await add_events(session, outbox, enrolment_events(person, enrolment, events.ENROLMENT_DEACTIVATED))
        await session.commit()
    return EnrolmentRead.model_validate(enrolment)


async def list_enrolments(session: AsyncSession, *, caller: Caller, programme: str | None, status: str | None,
                          person_id: uuid.UUID | None, after: uuid.UUID | None, limit: int) -> EnrolmentPage:
    query: Select[Any] = select(Enrolment).where(Enrolment.ministry_code == caller.ministry_code)
    if programme is not None:
        query = query.where(Enrolment.programme_code == programme)
    if status is not None:
        query = query.where(Enrolment.status == status)
    if person_id is not None:
        query = query.where(Enrolment.person_id == person_id)
    if after is not None:
        query = query.where(Enrolment.id > after)
    enrolments = (await session.scalars(query.order_by(Enrolment.id).limit(limit))).all()
    await audit.record(session, caller=caller, action=audit.READ, entity_type=ENTITY,
                       entity_ids=[e.id for e in enrolments], detail={"via": "list"})
    await session.commit()
    return EnrolmentPage(items=[EnrolmentRead.model_validate(e) for e in enrolments],
                         next_cursor=next_cursor([e.id for e in enrolments], limit))
