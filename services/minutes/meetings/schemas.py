from __future__ import annotations

import uuid
from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from services.minutes.actions.schemas import ActionItemCreate, ActionItemRead
from services.minutes.bangla_calendar import check_date_pair, from_bangla, parse_bangla_date
from services.minutes.dates import WrittenDate, bangla_date_text
from services.minutes.text import NfcText, OfficeCode, OptionalNfcText


class AttendeeIn(BaseModel):
    name: NfcText
    designation: NfcText | None = None
    office_code: OfficeCode | None = None


class AgendaItemCreate(BaseModel):
    label: NfcText | None = Field(default=None, description="As written, e.g. ০২ or ২.১")
    title: NfcText | None = None
    discussion: OptionalNfcText = ""


class AgendaItemRead(AgendaItemCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int


class DecisionCreate(BaseModel):
    label: NfcText = Field(description="As written: ক, খ, গ ... or ০৬(ক)")
    title: NfcText | None = Field(default=None, description="A short title, in any language")
    text_bn: NfcText = Field(description="The decision as the minutes word it")
    text_en: NfcText | None = Field(default=None, description="English translation")
    action_items: list[ActionItemCreate] = Field(default_factory=list)


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    meeting_id: uuid.UUID
    position: int
    label: str
    title: str | None
    text_bn: str
    text_en: str | None
    action_items: list[ActionItemRead]


class DistributionEntryCreate(BaseModel):
    recipient: NfcText = Field(description="As written, e.g. 'সচিব, ভূমি মন্ত্রণালয়'")
    office_code: OfficeCode | None = Field(default=None, description="The office, when the recipient is one")


class DistributionEntryRead(DistributionEntryCreate):
    model_config = ConfigDict(from_attributes=True)

    position: int


class MeetingCreate(BaseModel):
    """A meeting's minutes as the committee secretary enters them."""

    committee_id: uuid.UUID
    title_bn: NfcText
    title_en: NfcText | None = None
    held_on: WrittenDate = Field(description="ISO date or as written: ২৪ অক্টোবর ২০২১ খ্রি:")
    starts_at: time | None = None
    venue: NfcText | None = None
    is_online: bool = False
    chair_name: NfcText
    chair_designation: NfcText | None = None
    attendance_note: NfcText | None = Field(default=None, description="E.g. পরিশিষ্ট-ক when attendance is annexed")
    attendees: list[AttendeeIn] = Field(default_factory=list)
    opening_remarks: OptionalNfcText | None = None
    agenda: list[AgendaItemCreate] = Field(default_factory=list)
    decisions: list[DecisionCreate] = Field(default_factory=list)
    memo_number: NfcText | None = Field(default=None, description="স্মারক নম্বর / নং as written")
    issued_on: WrittenDate | None = Field(default=None, description="Issue date of the memo (Gregorian)")
    issued_on_bangla: NfcText | None = Field(
        default=None, description="The memo's Bangla date as written (e.g. ১৯ কার্তিক ১৪২৮); checked against "
                                  "issued_on, or used for it when issued_on is not given")
    signed_by_name: NfcText | None = None
    signed_by_designation: NfcText | None = None
    distribution: list[DistributionEntryCreate] = Field(default_factory=list, description="বিতরণ, in order")
    copies: list[DistributionEntryCreate] = Field(default_factory=list, description="অনুলিপি, in order")

    @model_validator(mode="after")
    def _consistent(self) -> MeetingCreate:
        labels = [d.label for d in self.decisions]
        if len(set(labels)) != len(labels):
            raise ValueError("two decisions have the same label")
        if self.issued_on_bangla:
            bangla = parse_bangla_date(self.issued_on_bangla)
            if self.issued_on is None:
                self.issued_on = from_bangla(bangla)
            elif (problem := check_date_pair(bangla, self.issued_on)) is not None:
                # The scanned minutes carry such typos (৭ January 2019 for ২৩ পৌষ ১৪২৬); a wrong date
                # must be fixed by the secretary, not copied into the follow-up deadlines.
                raise ValueError(f"the memo's two dates disagree: {problem.describe()}")
        return self


class MeetingRead(BaseModel):
    id: uuid.UUID
    committee_id: uuid.UUID
    title_bn: str
    title_en: str | None
    held_on: date
    starts_at: time | None
    venue: str | None
    is_online: bool
    chair_name: str
    chair_designation: str | None
    attendance_note: str | None
    attendees: list[AttendeeIn]
    opening_remarks: str | None
    agenda: list[AgendaItemRead]
    decisions: list[DecisionRead]
    memo_number: str | None
    issued_on: date | None
    signed_by_name: str | None
    signed_by_designation: str | None
    distribution: list[DistributionEntryRead]
    copies: list[DistributionEntryRead]
    recorded_by_office: str
    draft_id: uuid.UUID | None = Field(default=None, description="The draft (and uploaded source file) the "
                                                                 "meeting was confirmed from")
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def held_on_bn(self) -> str:
        return bangla_date_text(self.held_on) or ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def issued_on_bn(self) -> str | None:
        return bangla_date_text(self.issued_on)


class MeetingSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    committee_id: uuid.UUID
    title_bn: str
    title_en: str | None
    held_on: date
    memo_number: str | None
    issued_on: date | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def held_on_bn(self) -> str:
        return bangla_date_text(self.held_on) or ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def issued_on_bn(self) -> str | None:
        return bangla_date_text(self.issued_on)


class MeetingPage(BaseModel):
    items: list[MeetingSummary]
    total: int
    limit: int
    offset: int
