from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from services.minutes.dates import WrittenDate, bangla_date_text
from services.minutes.text import NfcText, OfficeCode, OptionalNfcText

BANGLADESH = ZoneInfo("Asia/Dhaka")

ActionStatus = Literal["open", "in_progress", "done", "overdue", "cancelled"]
# What an office may report; "overdue" is set only by the sweep and "open" only at creation.
PostedStatus = Literal["in_progress", "done", "cancelled"]


class ActionItemCreate(BaseModel):
    """What a decision asks of which offices, by when."""

    description: NfcText
    responsible_office_codes: list[OfficeCode] = Field(min_length=1)
    deadline: WrittenDate | None = Field(default=None, description="ISO date or as written: ৩১ অক্টোবর ২০২১")
    deadline_as_written: OptionalNfcText | None = Field(
        default=None, description="The deadline as the minutes word it, e.g. 'এ বছর ডিসেম্বর মাসের মধ্যে'")

    @field_validator("responsible_office_codes")
    @classmethod
    def _no_duplicates(cls, codes: list[str]) -> list[str]:
        if len(set(codes)) != len(codes):
            raise ValueError("an office is listed twice")
        return codes


class ActionUpdateCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "done", "note": "সংশোধনী প্রস্তাব ই-মেইলযোগে প্রেরণ করা হয়েছে",
        "evidence": ["স্মারক নং ৪১.০০.০০০০.০৮৩.১২.০০১.২১-৬০২"]}]})

    status: PostedStatus | None = Field(default=None, description="New status; omit to post progress only")
    note: OptionalNfcText = ""
    evidence: list[NfcText] = Field(default_factory=list, description="Memo numbers, links, file references")


class ActionUpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    posted_by_office: str
    status_before: ActionStatus
    status_after: ActionStatus
    note: str
    evidence: list[str]
    posted_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def posted_on_bn(self) -> str:
        """The Bangladesh date the update was posted, in the Bangla calendar."""
        return bangla_date_text(self.posted_at.astimezone(BANGLADESH).date()) or ""


class ActionItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    decision_id: uuid.UUID
    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    decision_label: str
    description: str
    responsible_office_codes: list[str]
    deadline: date | None
    deadline_as_written: str | None
    status: ActionStatus
    version: int
    created_at: datetime
    updated_at: datetime
    updates: list[ActionUpdateRead] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def deadline_bn(self) -> str | None:
        return bangla_date_text(self.deadline)


class ActionItemPage(BaseModel):
    items: list[ActionItemRead]
    total: int
    limit: int
    offset: int


class SweepRequest(BaseModel):
    today: WrittenDate | None = Field(default=None, description="Defaults to today in Bangladesh")


class SweepResult(BaseModel):
    today: date
    marked_overdue: list[ActionItemRead]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def today_bn(self) -> str:
        return bangla_date_text(self.today) or ""
