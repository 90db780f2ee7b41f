import uuid

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from services.matching.linking import service
from services.matching.linking.models import MergedPerson, Person, PersonLink
from services.matching.linking.schemas import (
    FieldWeight,
    LinkedRecord,
    MatchCandidate,
    MatchRequest,
    MatchResponse,
    PersonRead,
)
from services.matching.records.models import SourceRecord
from shared.db import DbSession
from shared.errors import NotFound

router = APIRouter(tags=["matching"])


@router.post("/match", response_model=MatchResponse,
             summary="Candidates for a record, each with its probability and what agreed and how much it weighed")
async def match(request: MatchRequest, session: DbSession) -> MatchResponse:
    attributes = request.model_dump(exclude={"limit"}, mode="json")
    scored, params = await service.match_record(session, attributes=attributes, limit=request.limit)
    ids = [c.record_id for c in scored]
    persons = dict((await session.execute(select(PersonLink.record_id, PersonLink.person_id)
                                          .where(PersonLink.record_id.in_(ids)))).all()) if ids else {}
    sources = {r.record_id: r for r in (await session.scalars(
        select(SourceRecord).where(SourceRecord.record_id.in_(ids)))).all()} if ids else {}
    return MatchResponse(threshold=params.threshold, candidates=[
        MatchCandidate(record_id=c.record_id, person_id=persons.get(c.record_id), probability=round(c.probability, 6),
                       ministry_code=getattr(sources.get(c.record_id), "ministry_code", None),
                       programme_code=getattr(sources.get(c.record_id), "programme_code", None),
                       explanation=[FieldWeight(field=e.field, level=e.level, weight=e.weight) for e in c.explanation])
        for c in scored])


@router.get("/persons/{person_id}", response_model=PersonRead,
            summary="A person: the records linked to them, with their programmes and ministries",
            responses={301: {"description": "The person was merged into another: `Location` names it "
                                            "(`persons/{survivor}`), which holds their records now"}})
async def read_person(person_id: uuid.UUID, session: DbSession) -> PersonRead | RedirectResponse:
    person = await session.get(Person, person_id)
    if person is None:
        survivor = await session.scalar(
            select(MergedPerson.survivor_id).join(Person, Person.person_id == MergedPerson.survivor_id)
            .where(MergedPerson.person_id == person_id))
        if survivor is not None:
            # relative: resolves to the survivor's URL through the gateway's prefix or without it
            return RedirectResponse(str(survivor), status_code=301)
        raise NotFound("no person with this id", loc=["path", "person_id"], input=str(person_id))
    rows = (await session.execute(
        select(PersonLink.record_id, SourceRecord.ministry_code, SourceRecord.programme_code,
               PersonLink.probability, PersonLink.linked_at)
        .join(SourceRecord, SourceRecord.record_id == PersonLink.record_id)
        .where(PersonLink.person_id == person_id).order_by(PersonLink.linked_at))).all()
    records = [LinkedRecord.model_validate(r._mapping) for r in rows]
    return PersonRead(person_id=person.person_id, created_at=person.created_at, records=records,
                      programmes=sorted({r.programme_code for r in records}),
                      ministries=sorted({r.ministry_code for r in records}))
