"""Use cases for meetings and their decisions. Each commits its change and its events together:
recording the minutes emits minutes.meeting.created, one minutes.decision.recorded per decision
and one minutes.action.created per action item, in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from services.minutes.access import Caller
from services.minutes.actions.models import ActionItem, ActionItemOffice
from services.minutes.actions.reads import action_item_read
from services.minutes.committees.errors import UnknownCommittee
from services.minutes.committees.models import Committee
from services.minutes.database import outbox
from services.minutes.meetings.errors import DecisionLabelTaken, MeetingNotFound
from services.minutes.meetings.models import AgendaItem, Decision, DistributionEntry, Meeting
from services.minutes.meetings.schemas import (
    AgendaItemRead,
    AttendeeIn,
    DecisionCreate,
    DecisionRead,
    DistributionEntryRead,
    MeetingCreate,
    MeetingPage,
    MeetingRead,
    MeetingSummary,
)
from services.minutes.offices.service import require_known_offices
from services.minutes.search.text import search_document
from shared.events import EventEnvelope
from shared.ids import new_id
from shared.outbox import add_events

MEETING_CREATED = "minutes.meeting.created"
DECISION_RECORDED = "minutes.decision.recorded"
ACTION_CREATED = "minutes.action.created"

Loc = list[str | int]


def decision_read(decision: Decision) -> DecisionRead:
    return DecisionRead(
        id=decision.id, meeting_id=decision.meeting_id, position=decision.position, label=decision.label,
        title=decision.title, text_bn=decision.text_bn, text_en=decision.text_en,
        action_items=[action_item_read(a, decision_label=decision.label) for a in decision.action_items])


def meeting_read(meeting: Meeting) -> MeetingRead:
    entries: dict[str, list[DistributionEntryRead]] = {"distribution": [], "copy": []}
    for entry in meeting.distribution_entries:
        entries[entry.kind].append(DistributionEntryRead.model_validate(entry))
    return MeetingRead(
        id=meeting.id, committee_id=meeting.committee_id, title_bn=meeting.title_bn, title_en=meeting.title_en,
        held_on=meeting.held_on, starts_at=meeting.starts_at, venue=meeting.venue, is_online=meeting.is_online,
        chair_name=meeting.chair_name, chair_designation=meeting.chair_designation,
        attendance_note=meeting.attendance_note, attendees=[AttendeeIn(**a) for a in meeting.attendees],
        opening_remarks=meeting.opening_remarks,
        agenda=[AgendaItemRead.model_validate(a) for a in meeting.agenda_items],
        decisions=[decision_read(d) for d in meeting.decisions],
        memo_number=meeting.memo_number, issued_on=meeting.issued_on, signed_by_name=meeting.signed_by_name,
        signed_by_designation=meeting.signed_by_designation,
        distribution=sorted(entries["distribution"], key=lambda e: e.position),
        copies=sorted(entries["copy"], key=lambda e: e.position),
        recorded_by_office=meeting.recorded_by_office, draft_id=meeting.draft_id, created_at=meeting.created_at,
        updated_at=meeting.updated_at)


def _meeting_search_text(meeting: MeetingCreate) -> str:
    parts = [meeting.title_bn, meeting.title_en, meeting.venue, meeting.chair_name, meeting.chair_designation,
             meeting.memo_number, meeting.opening_remarks]
    for item in meeting.agenda:
        parts += [item.title, item.discussion]
    return search_document(*parts)


def _decision_search_text(decision: DecisionCreate, meeting: Meeting) -> str:
    return search_document(decision.label, decision.title, decision.text_bn, decision.text_en,
                           *(a.description for a in decision.action_items), meeting.title_bn, meeting.title_en)


def _office_references(meeting: MeetingCreate) -> list[tuple[Loc, str]]:
    references: list[tuple[Loc, str]] = []
    for i, attendee in enumerate(meeting.attendees):
        if attendee.office_code:
            references.append((["body", "attendees", i, "office_code"], attendee.office_code))
    for i, decision in enumerate(meeting.decisions):
        references += _decision_office_references(decision, ["body", "decisions", i])
    for kind in ("distribution", "copies"):
        for i, entry in enumerate(getattr(meeting, kind)):
            if entry.office_code:
                references.append((["body", kind, i, "office_code"], entry.office_code))
    return references


def _decision_office_references(decision: DecisionCreate, loc: Loc) -> list[tuple[Loc, str]]:
    return [([*loc, "action_items", j, "responsible_office_codes", k], code)
            for j, action in enumerate(decision.action_items)
            for k, code in enumerate(action.responsible_office_codes)]


def _new_decision(decision: DecisionCreate, *, meeting: Meeting, position: int) -> Decision:
    decision_id = new_id()
    return Decision(
        id=decision_id, meeting_id=meeting.id, position=position, label=decision.label, title=decision.title,
        text_bn=decision.text_bn, text_en=decision.text_en,
        search_text=_decision_search_text(decision, meeting),
        action_items=[
            ActionItem(id=new_id(), decision_id=decision_id, meeting_id=meeting.id,
                       committee_id=meeting.committee_id, position=j, description=action.description,
                       deadline=action.deadline, deadline_as_written=action.deadline_as_written, status="open",
                       version=1,
                       responsible=[ActionItemOffice(office_code=code, position=k)
                                    for k, code in enumerate(action.responsible_office_codes, start=1)])
            for j, action in enumerate(decision.action_items, start=1)])


def _decision_events(decisions: Sequence[DecisionRead], *, committee_id: uuid.UUID) -> list[EventEnvelope]:
    events = []
    for decision in decisions:
        payload = {**decision.model_dump(mode="json", exclude={"action_items"}), "committee_id": str(committee_id),
                   "action_item_ids": [str(a.id) for a in decision.action_items]}
        events.append(EventEnvelope(type=DECISION_RECORDED, producer="minutes", key=str(decision.id), payload=payload))
        events += [EventEnvelope(type=ACTION_CREATED, producer="minutes", key=str(a.id),
                                 payload=a.model_dump(mode="json", exclude={"updates"}))
                   for a in decision.action_items]
    return events


async def _reload(session: AsyncSession, meeting_id: uuid.UUID) -> Meeting:
    """The meeting as stored (server defaults included), read back inside the same transaction."""
    await session.flush()
    session.expunge_all()
    meeting = await session.get(Meeting, meeting_id)
    assert meeting is not None
    return meeting


async def record_meeting(session: AsyncSession, *, meeting: MeetingCreate, caller: Caller) -> MeetingRead:
    """Record a meeting's minutes: agenda, decisions with their action items, memo and distribution."""
    created = await stage_meeting(session, meeting=meeting, caller=caller)
    await session.commit()
    return created


async def stage_meeting(session: AsyncSession, *, meeting: MeetingCreate, caller: Caller,
                        draft_id: uuid.UUID | None = None) -> MeetingRead:
    """`record_meeting` without the commit, for a use case that records a meeting as part of its own
    transaction (confirming a draft). The session is flushed and emptied (`_reload`)."""
    caller.require_secretary("record minutes")
    if await session.get(Committee, meeting.committee_id) is None:
        raise UnknownCommittee("no committee with this id", loc=["body", "committee_id"],
                               input=str(meeting.committee_id))
    await require_known_offices(session, references=_office_references(meeting))
    stored = Meeting(
        id=new_id(), committee_id=meeting.committee_id, title_bn=meeting.title_bn, title_en=meeting.title_en,
        held_on=meeting.held_on, starts_at=meeting.starts_at, venue=meeting.venue, is_online=meeting.is_online,
        chair_name=meeting.chair_name, chair_designation=meeting.chair_designation,
        attendance_note=meeting.attendance_note, attendees=[a.model_dump() for a in meeting.attendees],
        opening_remarks=meeting.opening_remarks, memo_number=meeting.memo_number, issued_on=meeting.issued_on,
        signed_by_name=meeting.signed_by_name, signed_by_designation=meeting.signed_by_designation,
        recorded_by_office=caller.office_code, draft_id=draft_id, search_text=_meeting_search_text(meeting))
    stored.agenda_items = [AgendaItem(position=i, label=a.label, title=a.title, discussion=a.discussion)
                           for i, a in enumerate(meeting.agenda, start=1)]
    stored.decisions = [_new_decision(d, meeting=stored, position=i) for i, d in enumerate(meeting.decisions, start=1)]
    stored.distribution_entries = [
        DistributionEntry(kind=kind, position=i, recipient=entry.recipient, office_code=entry.office_code)
        for kind, entries in (("distribution", meeting.distribution), ("copy", meeting.copies))
        for i, entry in enumerate(entries, start=1)]
    session.add(stored)
    created = meeting_read(await _reload(session, stored.id))
    payload = {**MeetingSummary.model_validate(created).model_dump(mode="json"),
               "recorded_by_office": created.recorded_by_office,
               "draft_id": str(created.draft_id) if created.draft_id else None,
               "decision_ids": [str(d.id) for d in created.decisions],
               "distribution_office_codes": [e.office_code for e in created.distribution if e.office_code]}
    events = [EventEnvelope(type=MEETING_CREATED, producer="minutes", key=str(created.id), payload=payload)]
    events += _decision_events(created.decisions, committee_id=created.committee_id)
    await add_events(session, outbox, events)
    return created


async def record_decision(session: AsyncSession, *, meeting_id: uuid.UUID, decision: DecisionCreate,
                          caller: Caller) -> DecisionRead:
    """Add a decision (with its action items) to minutes already recorded."""
    caller.require_secretary("record a decision")
    meeting = await session.get(Meeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise MeetingNotFound("no meeting with this id", loc=["path", "meeting_id"], input=str(meeting_id))
    if any(d.label == decision.label for d in meeting.decisions):
        raise DecisionLabelTaken("this meeting already has a decision with this label", loc=["body", "label"],
                                 input=decision.label)
    await require_known_offices(session, references=_decision_office_references(decision, ["body"]))
    position = max((d.position for d in meeting.decisions), default=0) + 1
    new = _new_decision(decision, meeting=meeting, position=position)
    session.add(new)
    reloaded = await _reload(session, meeting_id)
    recorded = decision_read(next(d for d in reloaded.decisions if d.id == new.id))
    await add_events(session, outbox, _decision_events([recorded], committee_id=reloaded.committee_id))
    await session.commit()
    return recorded


async def get_meeting(session: AsyncSession, *, meeting_id: uuid.UUID) -> MeetingRead:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound("no meeting with this id", loc=["path", "meeting_id"], input=str(meeting_id))
    return meeting_read(meeting)


async def list_meetings(session: AsyncSession, *, committee_id: uuid.UUID | None, limit: int,
                        offset: int) -> MeetingPage:
    # The listing shows the meeting only: don't load agenda, decisions and distribution.
    query = select(Meeting).options(raiseload(Meeting.agenda_items), raiseload(Meeting.decisions),
                                    raiseload(Meeting.distribution_entries))
    if committee_id is not None:
        query = query.where(Meeting.committee_id == committee_id)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = (await session.scalars(
        query.order_by(Meeting.held_on.desc(), Meeting.created_at.desc()).limit(limit).offset(offset))).all()
    return MeetingPage(items=[MeetingSummary.model_validate(m) for m in rows], total=total, limit=limit,
                       offset=offset)
