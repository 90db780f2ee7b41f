from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.minutes.actions.schemas import ActionItemCreate
from services.minutes.documents.model import DecisionEntry, Issue, _MinutesFields
from services.minutes.meetings.schemas import MeetingRead
from services.minutes.text import NfcText

# The fields of a draft a secretary can correct: those of MinutesDraft / MinutesDocument.
FIELD_NAMES = frozenset(_MinutesFields.model_fields)


class DraftDecision(DecisionEntry):
    """A decision as read, plus the action items the secretary assigns before confirming. The parser's
    `deadlines` and `responsible_offices` are proposals: they become action items only through here."""

    action_items: list[ActionItemCreate] = Field(default_factory=list)


class DraftFields(_MinutesFields):
    decisions: list[DraftDecision] = Field(default_factory=list)


class DraftSource(BaseModel):
    """The uploaded file the draft was read from; its bytes are at `href`."""

    filename: str
    media_type: str
    sha256: str
    size_bytes: int
    href: str


class ConfirmBlocker(BaseModel):
    """Something that stops the draft from being confirmed as it is."""

    kind: Literal["missing", "unsure", "issue"]
    field: str = Field(description="A draft field, decisions[i].field, committee_id, or the issue's code")
    reason: str


class Correction(BaseModel):
    fields: list[str]
    checked: list[str]
    by_office: str
    at: datetime


class DraftRead(DraftFields):
    id: uuid.UUID
    status: Literal["draft", "confirmed"]
    committee_id: uuid.UUID | None
    meeting_id: uuid.UUID | None = Field(description="The meeting confirmed from this draft")
    unsure: dict[str, str] = Field(description="field -> why the parser was unsure; emptied field by field as "
                                               "the secretary corrects or checks them")
    issues: list[Issue]
    to_confirm: list[ConfirmBlocker] = Field(
        description="What stops a plain confirm: missing required fields, unsure fields, open issues")
    source: DraftSource
    corrections: list[Correction]
    created_by_office: str
    created_at: datetime
    updated_at: datetime
    confirmed_by_office: str | None
    confirmed_at: datetime | None
    forced_reason: str | None


class DraftPatch(DraftFields):
    """Only the fields sent are changed; each one sent is no longer unsure, and issues about it are
    resolved. `checked` names fields that are right as read (confirmed against the scan)."""

    committee_id: uuid.UUID | None = None
    checked: list[str] = Field(default_factory=list, description="Fields checked and right as read")

    def corrections(self) -> dict[str, Any]:
        given = self.model_fields_set & FIELD_NAMES
        return self.model_dump(mode="json", include=given)


class DraftConfirm(BaseModel):
    committee_id: uuid.UUID | None = Field(default=None, description="The committee whose meeting this is, "
                                                                     "unless set on the draft already")
    title_en: NfcText | None = None
    is_online: bool = False
    force: bool = Field(default=False, description="Confirm although fields are still unsure or issues open")
    reason: NfcText | None = Field(default=None, description="Why, when forcing (kept on the draft)")


class DraftConfirmed(BaseModel):
    draft: DraftRead
    meeting: MeetingRead
