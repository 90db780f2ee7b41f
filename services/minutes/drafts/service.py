"""Use cases for drafts: upload a minutes text, correct what the parser read, confirm it into a
meeting. Each commits its change and its events together (outbox): uploading emits
minutes.draft.created, confirming emits minutes.draft.confirmed in the transaction that records the
meeting (with minutes.meeting.created and the decisions' events)."""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from services.minutes.access import Caller
from services.minutes.committees.errors import UnknownCommittee
from services.minutes.committees.models import Committee
from services.minutes.database import outbox
from services.minutes.documents.model import SourceRef
from services.minutes.documents.parser import MinutesTextError, decode_minutes_text, parse_minutes
from services.minutes.drafts.errors import DraftAlreadyConfirmed, DraftNotFound
from services.minutes.drafts.models import Draft
from services.minutes.drafts.schemas import (
    FIELD_NAMES,
    ConfirmBlocker,
    DraftConfirm,
    DraftConfirmed,
    DraftFields,
    DraftPatch,
    DraftRead,
    DraftSource,
)
from services.minutes.meetings.models import Meeting
from services.minutes.meetings.schemas import AgendaItemCreate, DecisionCreate, DistributionEntryCreate, MeetingCreate
from services.minutes.meetings.service import stage_meeting
from services.minutes.offices.models import Office
from shared.errors import Invalid
from shared.events import EventEnvelope
from shared.ids import new_id
from shared.outbox import add_events

DRAFT_CREATED = "minutes.draft.created"
DRAFT_CONFIRMED = "minutes.draft.confirmed"

MAX_SOURCE_BYTES = 2 * 1024 * 1024  # a minutes text is a few kilobytes; a scan's OCR text a few dozen
REQUIRED_FIELDS = ("subject", "chair_name", "held_on")
# The issue date is one date written twice and stored once: correcting any of them settles the pair.
_ISSUE_DATE = frozenset({"issued_on", "issued_on_bangla_text", "issued_on_gregorian_text"})
# Decision fields that go into the meeting; the others (deadlines, responsible_offices) are proposals.
_DECISION_FIELDS_STORED = ("label", "text")


def _now() -> datetime:
    return datetime.now(UTC)


def _related(fields: set[str]) -> set[str]:
    return fields | _ISSUE_DATE if fields & _ISSUE_DATE else set(fields)


def confirm_blockers(draft: Draft) -> list[ConfirmBlocker]:
    blockers: list[ConfirmBlocker] = []
    if draft.committee_id is None:
        blockers.append(ConfirmBlocker(kind="missing", field="committee_id",
                                       reason="no committee chosen: set committee_id on the draft or when confirming"))
    for name in REQUIRED_FIELDS:
        if draft.fields.get(name) in (None, ""):
            blockers.append(ConfirmBlocker(kind="missing", field=name, reason="required, and the draft has none"))
    blockers += [ConfirmBlocker(kind="unsure", field=name, reason=reason) for name, reason in draft.unsure.items()]
    for i, decision in enumerate(draft.fields.get("decisions") or []):
        for name in _DECISION_FIELDS_STORED:
            if name in (decision.get("unsure") or {}):
                blockers.append(ConfirmBlocker(kind="unsure", field=f"decisions[{i}].{name}",
                                               reason=decision["unsure"][name]))
    blockers += [ConfirmBlocker(kind="issue", field=issue["code"], reason=issue["message"]) for issue in draft.issues]
    return blockers


def _blocker_detail(blocker: ConfirmBlocker) -> dict[str, Any]:
    loc: list[str | int] = ["draft", "issues", blocker.field] if blocker.kind == "issue" else ["draft", blocker.field]
    return {"loc": loc, "msg": blocker.reason, "type": f"draft_{'field_' if blocker.kind != 'issue' else ''}"
                                                         f"{blocker.kind}"}


def draft_read(draft: Draft, *, meeting_id: uuid.UUID | None) -> DraftRead:
    return DraftRead.model_validate({
        **draft.fields, "id": draft.id, "status": draft.status, "committee_id": draft.committee_id,
        "meeting_id": meeting_id, "unsure": draft.unsure, "issues": draft.issues,
        "to_confirm": confirm_blockers(draft) if draft.status == "draft" else [],
        "source": DraftSource(filename=draft.source_filename, media_type=draft.source_media_type,
                              sha256=draft.source_sha256, size_bytes=draft.source_size,
                              href=f"drafts/{draft.id}/source"),
        "corrections": draft.corrections, "created_by_office": draft.created_by_office,
        "created_at": draft.created_at, "updated_at": draft.updated_at,
        "confirmed_by_office": draft.confirmed_by_office, "confirmed_at": draft.confirmed_at,
        "forced_reason": draft.forced_reason})


async def _meeting_of(session: AsyncSession, draft_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Meeting.id).where(Meeting.draft_id == draft_id))


async def _load(session: AsyncSession, draft_id: uuid.UUID, *, for_update: bool = False) -> Draft:
    draft = await session.get(Draft, draft_id, with_for_update=for_update, populate_existing=for_update)
    if draft is None:
        raise DraftNotFound("no draft with this id", loc=["path", "draft_id"], input=str(draft_id))
    return draft


async def _require_committee(session: AsyncSession, committee_id: uuid.UUID) -> None:
    if await session.get(Committee, committee_id) is None:
        raise UnknownCommittee("no committee with this id", loc=["body", "committee_id"], input=str(committee_id))


def _parse(content: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        text = decode_minutes_text(content)
    except MinutesTextError as exc:
        raise Invalid(str(exc), loc=["body", "file"], error_type="not_minutes_text") from exc
    parsed = parse_minutes(text)
    return parsed.model_dump(mode="json", exclude={"source"}), parsed.model_dump(
        mode="json", exclude={"unsure", "issues", "source"})


async def create_draft(session: AsyncSession, *, filename: str, media_type: str, content: bytes,
                       caller: Caller) -> DraftRead:
    """Read an uploaded minutes text into a draft; the file is kept with it."""
    caller.require_secretary("upload minutes")
    if len(content) > MAX_SOURCE_BYTES:
        raise Invalid(f"the file is {len(content)} bytes; a minutes text is at most {MAX_SOURCE_BYTES}",
                      loc=["body", "file"], error_type="file_too_large")
    parsed, fields = await asyncio.to_thread(_parse, content)
    sha256 = hashlib.sha256(content).hexdigest()
    parsed["source"] = SourceRef(path=filename, sha256=sha256, size_bytes=len(content)).model_dump()
    draft = Draft(id=new_id(), status="draft", parsed=parsed, fields=fields, unsure=parsed["unsure"],
                  issues=parsed["issues"], corrections=[], source_filename=filename, source_media_type=media_type,
                  source_sha256=sha256, source_size=len(content), source_content=content,
                  created_by_office=caller.office_code)
    session.add(draft)
    await session.flush()
    await session.refresh(draft)
    read = draft_read(draft, meeting_id=None)
    await add_events(session, outbox, [EventEnvelope(
        type=DRAFT_CREATED, producer="minutes", key=str(draft.id),
        payload={"draft_id": str(draft.id), "created_by_office": caller.office_code,
                 "source": read.source.model_dump(mode="json"), "subject": read.subject,
                 "held_on": read.held_on.isoformat() if read.held_on else None,
                 "decision_count": len(read.decisions), "unsure_fields": sorted(read.unsure),
                 "issue_codes": [i.code for i in read.issues]})])
    await session.commit()
    return read


async def get_draft(session: AsyncSession, *, draft_id: uuid.UUID) -> DraftRead:
    draft = await _load(session, draft_id)
    return draft_read(draft, meeting_id=await _meeting_of(session, draft_id))


async def get_source(session: AsyncSession, *, draft_id: uuid.UUID) -> tuple[str, str, bytes]:
    """The uploaded file: name, media type and bytes."""
    row = (await session.execute(
        select(Draft.source_filename, Draft.source_media_type, Draft.source_content).where(Draft.id == draft_id))
    ).one_or_none()
    if row is None:
        raise DraftNotFound("no draft with this id", loc=["path", "draft_id"], input=str(draft_id))
    return row[0], row[1], row[2]


def _issued_before_meeting(fields: dict[str, Any]) -> dict[str, Any] | None:
    issued, held = fields.get("issued_on"), fields.get("held_on")
    if issued and held and date.fromisoformat(issued) < date.fromisoformat(held):
        return {"code": "issued_before_meeting", "fields": ["issued_on", "held_on"],
                "message": f"the minutes are dated {issued}, before the meeting on {held}"}
    return None


async def correct_draft(session: AsyncSession, *, draft_id: uuid.UUID, patch: DraftPatch,
                        caller: Caller) -> DraftRead:
    """Apply the secretary's corrections: corrected and checked fields are no longer unsure, and the
    issues about them are resolved (the issue date is checked again against the meeting date)."""
    caller.require_secretary("correct a draft")
    draft = await _load(session, draft_id, for_update=True)
    if draft.status != "draft":
        raise DraftAlreadyConfirmed("the draft is confirmed; correct the meeting instead", loc=["path", "draft_id"],
                                    input=str(draft_id))
    for i, name in enumerate(patch.checked):
        if name not in FIELD_NAMES:
            raise Invalid("not a field of the draft", loc=["body", "checked", i], input=name)
    if "committee_id" in patch.model_fields_set and patch.committee_id is not None:
        await _require_committee(session, patch.committee_id)
        draft.committee_id = patch.committee_id
    corrections = patch.corrections()
    corrected, checked = set(corrections), set(patch.checked)
    fields = {**draft.fields, **corrections}
    if "decisions" in corrected:
        # The secretary wrote these decisions: nothing in them is the parser's doubt any more.
        fields["decisions"] = [{**d, "unsure": {}} for d in fields["decisions"]]
    if "starts_at" in corrected and "time_text" not in corrected:
        fields["time_text"] = None  # the time as written no longer says the stored time
    settled = _related(corrected | checked)
    issues = [i for i in draft.issues if not set(i["fields"]) & settled]
    if settled & (_ISSUE_DATE | {"held_on"}) and not any(i["code"] == "issued_before_meeting" for i in issues):
        if (again := _issued_before_meeting(fields)) is not None:
            issues.append(again)
    DraftFields.model_validate(fields)  # still a draft's fields
    draft.fields = fields
    draft.unsure = {k: v for k, v in draft.unsure.items() if k not in corrected | checked}
    draft.issues = issues
    if corrected or checked:
        draft.corrections = [*draft.corrections, {"fields": sorted(corrected), "checked": sorted(checked),
                                                  "by_office": caller.office_code, "at": _now().isoformat()}]
    draft.updated_at = func.now()
    await session.flush()
    await session.refresh(draft)
    read = draft_read(draft, meeting_id=None)
    await session.commit()
    return read


def _office_for(recipient: str, offices: list[tuple[str, str]]) -> str | None:
    """The office a distribution line is addressed to: the longest office name it contains."""
    found = [(code, name) for code, name in offices if name in recipient]
    return max(found, key=lambda o: len(o[1]))[0] if found else None


def _meeting_create(draft: Draft, body: DraftConfirm, offices: list[tuple[str, str]]) -> MeetingCreate:
    fields = DraftFields.model_validate(draft.fields)
    sections = list(fields.discussion)
    opening = sections.pop(0).text if sections and sections[0].label is None else None

    def entries(recipients: list[str]) -> list[DistributionEntryCreate]:
        return [DistributionEntryCreate(recipient=r, office_code=_office_for(unicodedata.normalize("NFC", r), offices))
                for r in recipients]

    try:
        return MeetingCreate(
            committee_id=draft.committee_id, title_bn=fields.subject, title_en=body.title_en, held_on=fields.held_on,
            starts_at=fields.starts_at, venue=fields.venue, is_online=body.is_online, chair_name=fields.chair_name,
            chair_designation=fields.chair_designation, attendance_note=fields.attendance_note,
            opening_remarks=opening,
            agenda=[AgendaItemCreate(label=s.label, discussion=s.text) for s in sections],
            decisions=[DecisionCreate(label=d.label, text_bn=d.text, action_items=d.action_items)
                       for d in fields.decisions],
            memo_number=fields.memo_number, issued_on=fields.issued_on, signed_by_name=fields.signed_by_name,
            signed_by_designation=fields.signed_by_designation, distribution=entries(fields.distribution),
            copies=entries(fields.copies))
    except ValidationError as exc:
        raise HTTPException(422, detail=[
            {"loc": ["draft", *error["loc"]], "msg": error["msg"], "type": error["type"]} for error in exc.errors()
        ]) from None


async def confirm_draft(session: AsyncSession, *, draft_id: uuid.UUID, confirm: DraftConfirm,
                        caller: Caller) -> DraftConfirmed:
    """Record the meeting the draft describes, through the meetings use case, and mark the draft
    confirmed by the caller. Refused (422, one entry per field) while required fields are missing, or
    fields are unsure or issues open and the caller does not force it with a reason."""
    caller.require_secretary("confirm a draft")
    draft = await _load(session, draft_id, for_update=True)
    if draft.status != "draft":
        raise DraftAlreadyConfirmed("the draft is already confirmed", loc=["path", "draft_id"], input=str(draft_id))
    if confirm.force and not confirm.reason:
        raise Invalid("say why the draft is confirmed with unsure fields or open issues", loc=["body", "reason"],
                      error_type="reason_required")
    if confirm.committee_id is not None:
        await _require_committee(session, confirm.committee_id)
        draft.committee_id = confirm.committee_id
    blockers = confirm_blockers(draft)
    doubts = [b for b in blockers if b.kind != "missing"]
    if any(b.kind == "missing" for b in blockers) or (doubts and not confirm.force):
        refused = [b for b in blockers if b.kind == "missing" or not confirm.force]
        raise HTTPException(422, detail=[_blocker_detail(b) for b in refused])
    offices = [(code, unicodedata.normalize("NFC", name))
               for code, name in (await session.execute(select(Office.code, Office.name_bn))).all()]
    meeting_create = _meeting_create(draft, confirm, offices)
    draft.status = "confirmed"
    draft.confirmed_by_office = caller.office_code
    draft.confirmed_at = _now()
    draft.updated_at = func.now()
    draft.forced_reason = confirm.reason if doubts else None
    meeting = await stage_meeting(session, meeting=meeting_create, caller=caller, draft_id=draft_id)
    confirmed = draft_read(await _load(session, draft_id), meeting_id=meeting.id)
    await add_events(session, outbox, [EventEnvelope(
        type=DRAFT_CONFIRMED, producer="minutes", key=str(draft_id),
        payload={"draft_id": str(draft_id), "meeting_id": str(meeting.id), "committee_id": str(meeting.committee_id),
                 "confirmed_by_office": caller.office_code, "forced": bool(doubts),
                 "forced_reason": confirmed.forced_reason,
                 "unconfirmed": [b.model_dump() for b in doubts],
                 "source": confirmed.source.model_dump(mode="json")})])
    await session.commit()
    return DraftConfirmed(draft=confirmed, meeting=meeting)
