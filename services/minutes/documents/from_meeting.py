"""A stored meeting as the document to issue: `MeetingRead` -> `MinutesDocument`, field by field.

The meeting holds what the minutes say (subject, chair, dates, venue, discussion, decisions, memo,
distribution). What only the page needs (the office lines under the heading, the decisions' intro
sentence, the closing paragraph, the forwarding officer, the time as written) comes from the draft
the meeting was confirmed from, when there is one; a meeting entered through `POST /meetings` gets
the recording office's name under the heading and the layout's defaults. Used by
`GET /meetings/{id}/document` and `minutes export`, so both issue the same bytes.
"""

from __future__ import annotations

from typing import Any

from services.minutes.documents.model import (
    GOVERNMENT_HEADING,
    DecisionEntry,
    DiscussionSection,
    MinutesDocument,
    MinutesDraft,
)
from services.minutes.meetings.schemas import MeetingRead

__all__ = ["meeting_document"]


def meeting_document(meeting: MeetingRead, *, draft_fields: dict[str, Any] | None = None,
                     office_name: str | None = None) -> MinutesDocument:
    """The document of a stored meeting; `draft_fields` are the confirmed draft's fields, if any."""
    extras = MinutesDraft.model_validate(draft_fields) if draft_fields else None
    discussion = []
    if meeting.opening_remarks:
        discussion.append(DiscussionSection(label=None, text=meeting.opening_remarks))
    discussion += [DiscussionSection(label=item.label, text=item.discussion or item.title or "")
                   for item in meeting.agenda if item.discussion or item.title]
    office_lines = extras.office_lines if extras else [line for line in (office_name,) if line]
    # The time as written only while it still says the stored time.
    time_text = extras.time_text if extras and extras.starts_at == meeting.starts_at else None
    return MinutesDocument(
        government=extras.government if extras else GOVERNMENT_HEADING,
        office_lines=office_lines,
        subject=meeting.title_bn,
        chair_name=meeting.chair_name,
        chair_designation=meeting.chair_designation,
        held_on=meeting.held_on,
        starts_at=meeting.starts_at,
        time_text=time_text,
        venue=meeting.venue,
        attendance_note=meeting.attendance_note,
        discussion=discussion,
        offices_named=extras.offices_named if extras else [],
        decisions_intro=extras.decisions_intro if extras else None,
        decisions=[DecisionEntry(label=d.label, text=d.text_bn) for d in meeting.decisions],
        closing=extras.closing if extras else None,
        signed_by_name=meeting.signed_by_name,
        signed_by_designation=meeting.signed_by_designation,
        memo_number=meeting.memo_number,
        issued_on=meeting.issued_on,
        distribution=[e.recipient for e in meeting.distribution],
        copies=[e.recipient for e in meeting.copies],
        circulated_by_name=extras.circulated_by_name if extras else None,
        circulated_by_designation=extras.circulated_by_designation if extras else None,
    )
