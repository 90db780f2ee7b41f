from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.matching.engine.columns import ATTRIBUTE_COLUMNS
from shared.normalize.validation import CheckedBrn, CheckedDateOfBirth, CheckedGender, CheckedNid, CheckedPhone
from shared.text.digits import to_ascii_digits

GEOGRAPHY_FIELDS = ("division_code", "district_code", "upazila_code", "union_code", "ward")


def _also_as(field: str) -> AliasChoices:
    """The field under its name here or under any other name the engine reads it by (the
    registry's ``father_name_bn``, the benchmark files' ``dob``): a ministry system that speaks the
    registry's schema sends its records as they are."""
    column = ATTRIBUTE_COLUMNS[field]
    return AliasChoices(field, *(a for a, c in ATTRIBUTE_COLUMNS.items() if c == column and a != field))


def _name_field(name: str) -> Any:
    return Field(default=None, max_length=200, validation_alias=_also_as(name))


class MatchRequest(BaseModel):
    """A record as a ministry holds it; any field may be missing (the engine uses what is there).

    Identifiers, gender and the birth date are checked as the registry checks them (an invalid one
    is a 422 naming the field and the reason, not a silent "no candidates"); they are matched on
    as given. A field this service does not know is a 422 too: a misspelt field would otherwise be
    dropped without a word."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", json_schema_extra={"examples": [{
        "name_bn": "মোঃ আব্দুর রহিম", "father_bn": "করিম উদ্দিন", "nid": "19561956123456789",
        "date_of_birth": "12/03/1956", "phone": "01711-234567", "district_code": 26}]})

    name_bn: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    father_bn: str | None = _name_field("father_bn")
    father_en: str | None = _name_field("father_en")
    mother_bn: str | None = _name_field("mother_bn")
    mother_en: str | None = _name_field("mother_en")
    spouse_bn: str | None = _name_field("spouse_bn")
    spouse_en: str | None = _name_field("spouse_en")
    gender: CheckedGender = Field(default=None, max_length=40, description="male / female / third_gender, "
                               "or an English or Bangla form of them (M, মহিলা)")
    date_of_birth: CheckedDateOfBirth = Field(default=None, max_length=40, validation_alias=_also_as("date_of_birth"),
                                      description="12/03/1956 (day/month/year), 1956-03-12, 12 March 1956, "
                                      "১২ মার্চ ১৯৫৬, or a bare year (1956)")
    birth_year: int | None = Field(default=None, ge=1900, le=2100, description="When only the year is known")
    nid: CheckedNid = Field(default=None, max_length=40, description="10, 13 or 17 digits, ASCII or Bangla")
    brn: CheckedBrn = Field(default=None, max_length=40, description="Birth registration number, 17 digits")
    phone: CheckedPhone = Field(default=None, max_length=40, description="Bangladeshi mobile number, any common form")
    division_code: int | None = Field(default=None, ge=1, description="Official geocode, ASCII or Bangla digits")
    district_code: int | None = Field(default=None, ge=1)
    upazila_code: int | None = Field(default=None, ge=1)
    union_code: int | None = Field(default=None, ge=1)
    ward: int | None = Field(default=None, ge=1, le=99)
    limit: int = Field(default=10, ge=1, le=100, description="How many candidates to return at most")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*GEOGRAPHY_FIELDS, mode="before")
    @classmethod
    def _ascii_code(cls, value: Any) -> Any:
        return to_ascii_digits(value).strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _something_to_match_on(self) -> MatchRequest:
        if not any((self.name_bn, self.name_en, self.nid, self.brn, self.phone)):
            raise ValueError("give at least a name, a NID, a birth registration number or a phone")
        return self


class FieldWeight(BaseModel):
    field: str
    level: str = Field(description="How the field compared, e.g. 'exact', 'one edit', 'day-month swapped'")
    weight: float = Field(description="Match weight in bits (log2 m/u): positive is evidence for the same person")


class MatchCandidate(BaseModel):
    record_id: uuid.UUID
    person_id: uuid.UUID | None
    probability: float
    ministry_code: str | None
    programme_code: str | None
    explanation: list[FieldWeight]


class MatchResponse(BaseModel):
    threshold: float
    candidates: list[MatchCandidate]


class LinkedRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: uuid.UUID
    ministry_code: str
    programme_code: str
    probability: float | None
    linked_at: datetime


class PersonRead(BaseModel):
    person_id: uuid.UUID
    created_at: datetime
    records: list[LinkedRecord]
    programmes: list[str]
    ministries: list[str]
