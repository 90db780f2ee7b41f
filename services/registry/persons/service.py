"""Use cases for persons. Each change commits together with its audit entry and its events;
each read of personal data commits its audit entry before the data is returned. Reading one
person by id, the hot path, is one statement of its own: `persons/reads.py`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import events
from services.registry.access import Caller
from services.registry.audit import service as audit
from services.registry.database import outbox
from services.registry.enrolments.models import Enrolment
from services.registry.geography.models import Address
from services.registry.geography.service import store_address
from services.registry.households.models import Household
from services.registry.households.service import household_readable_by
from services.registry.ids import utcnow
from services.registry.pagination import next_cursor
from services.registry.persons.models import IDENTIFIER_KINDS, Identifier, Person
from services.registry.persons.records import beneficiary_record, dob_columns, make_identifier, person_read
from services.registry.persons.schemas import (
    NAME_FIELDS,
    CoordinatedView,
    Deactivation,
    EnrolmentSummary,
    PersonCreate,
    PersonFields,
    PersonPage,
    PersonRead,
    SearchHit,
    SearchResult,
)
from services.registry.programmes.models import Programme
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import EventEnvelope
from shared.normalize import (
    NormalizationError,
    name_match_key,
    normalize_bangla_text,
    normalize_brn,
    normalize_nid,
    normalize_phone,
)
from shared.outbox import add_events

ENTITY = "person"
NAME_SIMILARITY_THRESHOLD = 0.3


# -- who may read what --------------------------------------------------------------------------

def readable_by(ministry_code: str) -> ColumnElement[bool]:
    """A person's personal data is readable by the ministry that registered them and by every
    ministry that enrols them in one of its programmes (in any status: history stays readable)."""
    return or_(Person.registered_by == ministry_code,
               exists().where(Enrolment.person_id == Person.id, Enrolment.ministry_code == ministry_code))


async def may_read(session: AsyncSession, *, person_id: uuid.UUID, ministry_code: str) -> bool:
    return bool(await session.scalar(select(readable_by(ministry_code)).where(Person.id == person_id)))


async def _load(session: AsyncSession, person_id: uuid.UUID, *, for_update: bool = False) -> Person:
    query = select(Person).where(Person.id == person_id)
    if for_update:
        query = query.with_for_update(of=Person).execution_options(populate_existing=True)
    person = (await session.scalars(query)).unique().one_or_none()
    if person is None:
        raise person_not_found(person_id)
    return person


def person_not_found(person_id: uuid.UUID) -> NotFound:
    return NotFound("no person with this id", loc=["path", "person_id"], input=str(person_id))


def personal_data_refused(caller: Caller, person_id: uuid.UUID) -> Forbidden:
    return Forbidden(f"{caller.ministry_code} does not enrol this person in any of its programmes; "
                     "only the coordinated view (GET /persons/{id}/enrolments) is open to it",
                     loc=["path", "person_id"], error_type="personal_data.not_yours", input=str(person_id))


async def _require_access(session: AsyncSession, *, caller: Caller, person_id: uuid.UUID, action: str) -> None:
    if await may_read(session, person_id=person_id, ministry_code=caller.ministry_code):
        return
    # The refusal is itself worth auditing: it commits even though the request fails.
    await session.rollback()
    await audit.record(session, caller=caller, action=action, entity_type=ENTITY, entity_ids=[person_id])
    await session.commit()
    raise personal_data_refused(caller, person_id)


# -- writing the personal fields ----------------------------------------------------------------

def search_key(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return name_match_key(name)
    except NormalizationError:  # a record's name kept with digits (lenient_person_name)
        return normalize_bangla_text(name).casefold()


def set_fields(person: Person, values: dict[str, Any]) -> None:
    """Copy already validated and normalised values onto the person: names and their search
    keys, gender, date of birth, identifiers (the part with no database read)."""
    for name in NAME_FIELDS:
        if name in values:
            setattr(person, name, values[name])
    if "name_bn" in values:
        person.name_bn_key = search_key(values["name_bn"])
    if "name_en" in values:
        person.name_en_key = search_key(values["name_en"])
    for name in ("gender", "relationship_to_head"):
        if name in values:
            setattr(person, name, values[name])
    if "date_of_birth" in values:
        for column, value in dob_columns(values["date_of_birth"]).items():
            setattr(person, column, value)
    for kind in IDENTIFIER_KINDS:
        if kind in values:
            _set_identifier(person, kind, values[kind])


async def apply_fields(session: AsyncSession, person: Person, data: PersonFields, *, fields: set[str],
                       caller: Caller, loc: list[str | int]) -> None:
    """Copy the given (already validated and normalised) fields onto the person."""
    values = data.model_dump(include=fields, exclude={"address", "version"})
    set_fields(person, values)
    if not (person.name_bn or person.name_en):
        raise Invalid("a person needs name_bn or name_en", loc=[*loc, "name_bn"], error_type="name.missing")
    if "household_id" in values and values["household_id"] != person.household_id:
        if values["household_id"] is not None:
            await _check_household(session, household_id=values["household_id"], caller=caller,
                                   loc=[*loc, "household_id"])
        person.household_id = values["household_id"]
    if "address" in fields:
        person.address = await store_address(session, data.address, current=person.address, loc=[*loc, "address"])


def _set_identifier(person: Person, kind: str, raw: str | None) -> None:
    current = next((i for i in person.identifiers if i.kind == kind), None)
    if raw is None:
        if current is not None:
            person.identifiers.remove(current)
        return
    fresh = make_identifier(kind, raw)
    if current is None:
        person.identifiers.append(fresh)
    else:  # in place: replacing the row would insert before deleting and trip uq (person, kind)
        current.raw, current.normalized, current.comparable = fresh.raw, fresh.normalized, fresh.comparable


async def _check_household(session: AsyncSession, *, household_id: uuid.UUID, caller: Caller,
                           loc: list[str | int]) -> None:
    found = await session.scalar(select(household_readable_by(caller.ministry_code)).where(
        Household.id == household_id))
    if found is None:
        raise Invalid("no household with this id", loc=loc, error_type="household.unknown", input=str(household_id))
    if not found:
        raise Forbidden("this household is not one of your programmes' households", loc=loc,
                        error_type="household.not_yours", input=str(household_id))


async def person_events(session: AsyncSession, person: Person, *, with_records: bool = True) -> list[EventEnvelope]:
    """person.upserted, and the flat record of each of the person's enrolments for matching."""
    staged = [events.registry_event(events.PERSON_UPSERTED, key=person.id,
                                    payload=person_read(person).model_dump(mode="json"))]
    if with_records:
        enrolments = (await session.scalars(select(Enrolment).where(Enrolment.person_id == person.id)
                                            .order_by(Enrolment.id))).all()
        staged += [events.registry_event(events.BENEFICIARY_UPSERTED, key=e.id, payload=beneficiary_record(person, e))
                   for e in enrolments]
    return staged


# -- use cases ------------------------------------------------------------------------------------

async def create_person(session: AsyncSession, *, caller: Caller, data: PersonCreate) -> PersonRead:
    person = Person(registered_by=caller.ministry_code, identifiers=[])
    session.add(person)
    await apply_fields(session, person, data, fields=data.model_fields_set | {"name_bn", "name_en"}, caller=caller,
                       loc=["body"])
    await session.flush()
    await audit.record(session, caller=caller, action=audit.CREATE, entity_type=ENTITY, entity_ids=[person.id])
    await add_events(session, outbox, await person_events(session, person, with_records=False))
    await session.commit()
    return person_read(person)


async def update_person(session: AsyncSession, *, caller: Caller, person_id: uuid.UUID,
                        data: PersonFields, expected_version: int | None) -> PersonRead:
    await _load(session, person_id)
    await _require_access(session, caller=caller, person_id=person_id, action=audit.CHANGE_DENIED)
    person = await _load(session, person_id, for_update=True)
    if expected_version is not None and expected_version != person.version:
        raise Conflict(f"the person is at version {person.version}, not {expected_version}; read it again",
                       loc=["body", "version"], error_type="version.stale", input=expected_version)
    fields = data.model_fields_set - {"version"}
    await apply_fields(session, person, data, fields=fields, caller=caller, loc=["body"])
    person.version += 1
    person.updated_at = utcnow()
    await session.flush()
    await audit.record(session, caller=caller, action=audit.UPDATE, entity_type=ENTITY, entity_ids=[person.id],
                       detail={"fields": sorted(fields)})
    await add_events(session, outbox, await person_events(session, person))
    await session.commit()
    return person_read(person)


async def deactivate_person(session: AsyncSession, *, caller: Caller, person_id: uuid.UUID,
                            deactivation: Deactivation) -> PersonRead:
    """The person stays (their history is evidence); they are marked inactive. Enrolments are
    each their ministry's to end."""
    await _load(session, person_id)
    await _require_access(session, caller=caller, person_id=person_id, action=audit.CHANGE_DENIED)
    person = await _load(session, person_id, for_update=True)
    if person.status != "inactive":
        person.status = "inactive"
        person.deactivated_at = utcnow()
        person.deactivation_reason = deactivation.reason
        person.version += 1
        person.updated_at = person.deactivated_at
        await session.flush()
        await audit.record(session, caller=caller, action=audit.DEACTIVATE, entity_type=ENTITY,
                           entity_ids=[person.id], detail={"reason": deactivation.reason})
        staged = await person_events(session, person)
        staged.insert(0, events.registry_event(events.PERSON_DEACTIVATED, key=person.id, payload={
            "id": str(person.id), "status": person.status, "reason": person.deactivation_reason,
            "deactivated_at": person.deactivated_at.isoformat(), "version": person.version,
            "by": caller.ministry_code}))
        await add_events(session, outbox, staged)
        await session.commit()
    return person_read(person)


async def list_persons(session: AsyncSession, *, caller: Caller, ministry: str | None, programme: str | None,
                       status: str | None, division_code: int | None, district_code: int | None,
                       upazila_code: int | None, union_code: int | None, household_id: uuid.UUID | None,
                       after: uuid.UUID | None, limit: int) -> PersonPage:
    """The persons the caller may read, narrowed by the filters. `ministry` and `programme`
    select those enrolled there, whoever's it is: "my beneficiaries who also receive FFP"."""
    query: Select[Any] = select(Person).where(readable_by(caller.ministry_code))
    if ministry is not None:
        query = query.where(exists().where(Enrolment.person_id == Person.id, Enrolment.ministry_code == ministry))
    if programme is not None:
        query = query.where(exists().where(Enrolment.person_id == Person.id, Enrolment.programme_code == programme))
    if status is not None:
        query = query.where(Person.status == status)
    if household_id is not None:
        query = query.where(Person.household_id == household_id)
    geo = {Address.division_code: division_code, Address.district_code: district_code,
           Address.upazila_code: upazila_code, Address.union_code: union_code}
    if any(v is not None for v in geo.values()):
        query = query.where(exists().where(Address.id == Person.address_id,
                                           and_(*(c == v for c, v in geo.items() if v is not None))))
    if after is not None:
        query = query.where(Person.id > after)
    persons = (await session.scalars(query.order_by(Person.id).limit(limit))).unique().all()
    await audit.record(session, caller=caller, action=audit.READ, entity_type=ENTITY,
                       entity_ids=[p.id for p in persons], detail={"via": "list"})
    await session.commit()
    return PersonPage(items=[person_read(p) for p in persons], next_cursor=next_cursor([p.id for p in persons], limit))


async def coordinated_view(session: AsyncSession, *, caller: Caller, person_id: uuid.UUID) -> CoordinatedView:
    person = await _load(session, person_id)
    [view] = await _coordinated_views(session, caller=caller, persons=[person])
    return view


async def _coordinated_views(session: AsyncSession, *, caller: Caller,
                             persons: Sequence[Person]) -> list[CoordinatedView]:
    ids = [p.id for p in persons]
    rows = (await session.execute(
        select(Enrolment, Programme.name_bn, Programme.name_en)
        .join(Programme, Programme.code == Enrolment.programme_code)
        .where(Enrolment.person_id.in_(ids)).order_by(Enrolment.id))).all()
    readable = set((await session.scalars(select(Person.id).where(Person.id.in_(ids),
                                                                   readable_by(caller.ministry_code)))).all())
    by_person: dict[uuid.UUID, list[EnrolmentSummary]] = {i: [] for i in ids}
    for enrolment, name_bn, name_en in rows:
        by_person[enrolment.person_id].append(EnrolmentSummary(
            enrolment_id=enrolment.id, programme_code=enrolment.programme_code, programme_name_bn=name_bn,
            programme_name_en=name_en, ministry_code=enrolment.ministry_code, status=enrolment.status,
            start_date=enrolment.start_date, end_date=enrolment.end_date))
    return [CoordinatedView(person_id=p.id, person_status=p.status, personal_data_readable=p.id in readable,
                            enrolments=by_person[p.id]) for p in persons]


async def search_persons(session: AsyncSession, *, caller: Caller, nid: str | None, brn: str | None,
                         phone: str | None, name: str | None, limit: int) -> SearchResult:
    """Find persons by an identifier in any written form, or by a name in Bangla or Latin.

    Every member sees who matched and where they are enrolled (the coordinated view); the
    personal fields only of the persons it may read, and those reads are audited."""
    given = {k: v for k, v in (("nid", nid), ("brn", brn), ("phone", phone), ("name", name)) if v}
    if len(given) != 1:
        raise Invalid("give exactly one of nid, brn, phone, name", loc=["query"], error_type="search.one_key",
                      input=sorted(given))
    [(key, raw)] = given.items()
    scored: list[tuple[uuid.UUID, str, float]]
    try:
        if key == "name":
            scored = await _name_matches(session, raw, limit)
        else:
            comparable = (normalize_nid(raw, field="nid").comparable if key == "nid"
                          else normalize_brn(raw, field="brn") if key == "brn" else normalize_phone(raw, field="phone"))
            ids = (await session.scalars(select(Identifier.person_id).where(
                Identifier.kind == key, Identifier.comparable == comparable)
                .order_by(Identifier.person_id).limit(limit))).all()
            scored = [(i, key, 1.0) for i in ids]
    except NormalizationError as error:
        raise Invalid(error.reason, loc=["query", error.field], error_type=error.code, input=raw) from None
    persons = {p.id: p for p in (await session.scalars(
        select(Person).where(Person.id.in_([s[0] for s in scored])))).unique().all()}
    ordered = [persons[i] for i, _, _ in scored if i in persons]
    views = {v.person_id: v for v in await _coordinated_views(session, caller=caller, persons=ordered)}
    hits = [SearchHit(person_id=i, matched_on=field, score=round(score, 3),
                      person=person_read(persons[i]) if views[i].personal_data_readable else None,
                      coordinated=views[i]) for i, field, score in scored if i in persons]
    await audit.record(session, caller=caller, action=audit.READ, entity_type=ENTITY,
                       entity_ids=[h.person_id for h in hits if h.person is not None], detail={"via": "search",
                                                                                                "key": key})
    await session.commit()
    return SearchResult(query={key: raw}, hits=hits)


async def _name_matches(session: AsyncSession, raw: str, limit: int) -> list[tuple[uuid.UUID, str, float]]:
    key = name_match_key(raw, field="name")
    matches: dict[uuid.UUID, tuple[str, float]] = {}
    for column, label in ((Person.name_bn_key, "name_bn"), (Person.name_en_key, "name_en")):
        score = func.similarity(column, key)
        rows = (await session.execute(
            select(Person.id, score).where(column.op("%")(key), score >= NAME_SIMILARITY_THRESHOLD)
            .order_by(score.desc(), Person.id).limit(limit))).all()
        for person_id, value in rows:
            if person_id not in matches or matches[person_id][1] < value:
                matches[person_id] = (label, float(value))
    ranked = sorted(matches.items(), key=lambda item: (-item[1][1], item[0]))[:limit]
    return [(person_id, label, score) for person_id, (label, score) in ranked]
