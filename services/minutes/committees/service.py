"""Use cases for committees. Each commits its change and its event together."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.minutes.access import Caller
from services.minutes.committees.errors import CommitteeCodeTaken, CommitteeNotFound
from services.minutes.committees.models import Committee, CommitteeMember
from services.minutes.committees.schemas import CommitteeCreate, CommitteePage, CommitteeRead
from services.minutes.database import outbox
from services.minutes.offices.service import require_known_offices
from shared.events import EventEnvelope
from shared.ids import new_id
from shared.outbox import add_events

COMMITTEE_CREATED = "minutes.committee.created"


def committee_read(committee: Committee) -> CommitteeRead:
    return CommitteeRead(
        id=committee.id, code=committee.code, name_bn=committee.name_bn, name_en=committee.name_en,
        secretary_office_code=committee.secretary_office_code,
        member_office_codes=[m.office_code for m in committee.members], created_at=committee.created_at)


async def create_committee(session: AsyncSession, *, committee: CommitteeCreate, caller: Caller) -> CommitteeRead:
    caller.require_secretary("create a committee")
    references: list[tuple[list[str | int], str]] = [
        (["body", "member_office_codes", i], code) for i, code in enumerate(committee.member_office_codes)]
    if committee.secretary_office_code:
        references.append((["body", "secretary_office_code"], committee.secretary_office_code))
    await require_known_offices(session, references=references)
    if await session.scalar(select(Committee.id).where(Committee.code == committee.code)) is not None:
        raise CommitteeCodeTaken("a committee with this code exists", loc=["body", "code"], input=committee.code)
    stored = Committee(
        id=new_id(), code=committee.code, name_bn=committee.name_bn, name_en=committee.name_en,
        secretary_office_code=committee.secretary_office_code,
        members=[CommitteeMember(office_code=code, position=i)
                 for i, code in enumerate(committee.member_office_codes, start=1)])
    session.add(stored)
    await session.flush()
    await session.refresh(stored, ["created_at"])
    created = committee_read(stored)
    await add_events(session, outbox, [EventEnvelope(
        type=COMMITTEE_CREATED, producer="minutes", key=str(created.id), payload=created.model_dump(mode="json"))])
    await session.commit()
    return created


async def get_committee(session: AsyncSession, *, committee_id: uuid.UUID) -> CommitteeRead:
    committee = await session.get(Committee, committee_id)
    if committee is None:
        raise CommitteeNotFound("no committee with this id", loc=["path", "committee_id"], input=str(committee_id))
    return committee_read(committee)


async def list_committees(session: AsyncSession) -> CommitteePage:
    committees = (await session.scalars(select(Committee).order_by(Committee.code))).all()
    total = int(await session.scalar(select(func.count()).select_from(Committee)) or 0)
    return CommitteePage(items=[committee_read(c) for c in committees], total=total)
