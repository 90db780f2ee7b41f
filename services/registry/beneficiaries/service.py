"""A ministry record in one call: upsert the person and their enrolment in the programme.

This is the path ministry systems (and later the bulk import) use; persons and enrolments
have their own finer-grained endpoints."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import events
from services.registry.access import Caller
from services.registry.audit import service as audit
from services.registry.beneficiaries.schemas import BeneficiaryCreate, BeneficiaryRead
from services.registry.database import outbox
from services.registry.enrolments.models import Enrolment
from services.registry.enrolments.service import enrolment_events
from services.registry.ids import utcnow
from services.registry.persons.models import Person
from services.registry.persons.records import beneficiary_record
from services.registry.persons.schemas import PersonFields
from services.registry.persons.service import apply_fields, person_events
from services.registry.programmes.service import programme_for_record
from shared.errors import Forbidden, NotFound
from shared.outbox import add_events

BENEFICIARY_UPSERTED = events.BENEFICIARY_UPSERTED
# A ministry record carries the whole person except household membership, which is managed
# through /persons and /households; resubmitting a record leaves it as it is.
RECORD_FIELDS = set(PersonFields.model_fields) - {"household_id", "relationship_to_head"}


async def upsert_beneficiary(session: AsyncSession, *, caller: Caller,
                             record: BeneficiaryCreate) -> tuple[BeneficiaryRead, bool]:
    """Create the person and enrolment, or update them when the ministry sends the same source
    record again. Returns the stored record and whether it was created."""
    if record.ministry_code != caller.ministry_code:
        raise Forbidden(f"{caller.ministry_code} cannot submit records for {record.ministry_code}",
                        loc=["body", "ministry_code"], error_type="ministry.not_caller", input=record.ministry_code)
    for attempt in (1, 2):
        try:
            return await _upsert(session, caller=caller, record=record)
        except IntegrityError:
            # Two first submissions of one record raced; the second now finds the first's rows.
            await session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _upsert(session: AsyncSession, *, caller: Caller, record: BeneficiaryCreate) -> tuple[BeneficiaryRead, bool]:
    programme, registered = await programme_for_record(session, code=record.programme_code,
                                                       ministry_code=record.ministry_code,
                                                       loc=["body", "programme_code"])
    if registered:
        await audit.record(session, caller=caller, action=audit.CREATE, entity_type="programme",
                           entity_ids=[programme.code], detail={"via": "beneficiary"})
    enrolment = (await session.scalars(
        select(Enrolment).where(Enrolment.programme_code == programme.code,
                                Enrolment.source_record_id == record.source_record_id)
        .with_for_update().execution_options(populate_existing=True))).one_or_none()
    created = enrolment is None
    if enrolment is None:
        person = Person(registered_by=caller.ministry_code, identifiers=[])
        session.add(person)
        await apply_fields(session, person, record, fields=RECORD_FIELDS, caller=caller, loc=["body"])
        await session.flush()
        enrolment = Enrolment(person_id=person.id, programme_code=programme.code,
                              ministry_code=programme.ministry_code, source_record_id=record.source_record_id,
                              start_date=record.start_date)
        session.add(enrolment)
        await session.flush()
        await audit.record(session, caller=caller, action=audit.CREATE, entity_type="person", entity_ids=[person.id],
                           detail={"via": "beneficiary"})
        await audit.record(session, caller=caller, action=audit.CREATE, entity_type="enrolment",
                           entity_ids=[enrolment.id], detail={"via": "beneficiary"})
        staged = enrolment_events(person, enrolment, events.ENROLMENT_UPSERTED)[:1]
    else:
        person = (await session.scalars(
            select(Person).where(Person.id == enrolment.person_id).with_for_update(of=Person)
            .execution_options(populate_existing=True))).one()
        await apply_fields(session, person, record, fields=RECORD_FIELDS, caller=caller, loc=["body"])
        person.version += 1
        person.updated_at = utcnow()
        if "start_date" in record.model_fields_set and record.start_date != enrolment.start_date:
            enrolment.start_date = record.start_date
            enrolment.version += 1
            enrolment.updated_at = person.updated_at
        await session.flush()
        await audit.record(session, caller=caller, action=audit.UPDATE, entity_type="person", entity_ids=[person.id],
                           detail={"via": "beneficiary", "enrolment_id": str(enrolment.id)})
        staged = []
    # person.upserted, then the flat record of every enrolment of the person (this one included).
    staged = [*(await person_events(session, person)), *staged]
    await add_events(session, outbox, staged)
    await session.commit()
    return BeneficiaryRead.model_validate(beneficiary_record(person, enrolment)), created


async def find_record(session: AsyncSession, *, beneficiary_id: uuid.UUID) -> Enrolment:
    enrolment = await session.get(Enrolment, beneficiary_id)
    if enrolment is None:
        raise NotFound("no beneficiary with this id", loc=["path", "beneficiary_id"], input=str(beneficiary_id))
    return enrolment


async def read_beneficiary(session: AsyncSession, *, caller: Caller, enrolment: Enrolment) -> BeneficiaryRead:
    if enrolment.ministry_code != caller.ministry_code:
        await audit.record(session, caller=caller, action=audit.READ_DENIED, entity_type="enrolment",
                           entity_ids=[enrolment.id])
        await session.commit()
        raise Forbidden(f"this record is {enrolment.ministry_code}'s", loc=["path", "beneficiary_id"],
                        error_type="personal_data.not_yours", input=str(enrolment.id))
    person = (await session.scalars(select(Person).where(Person.id == enrolment.person_id))).one()
    await audit.record(session, caller=caller, action=audit.READ, entity_type="person", entity_ids=[person.id],
                       detail={"via": "beneficiary", "enrolment_id": str(enrolment.id)})
    await session.commit()
    return BeneficiaryRead.model_validate(beneficiary_record(person, enrolment))
