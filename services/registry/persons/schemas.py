from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.registry.geography.schemas import AddressIn, AddressRead
from shared.normalize import (
    NormalizationError,
    normalize_bangla_text,
    normalize_person_name,
)
from shared.normalize.validation import (
    CheckedBrn,
    CheckedDateOfBirth,
    CheckedGender,
    CheckedNid,
    CheckedPhone,
    check,
)

NAME_FIELDS = ("name_bn", "name_en", "father_name_bn", "father_name_en", "mother_name_bn", "mother_name_en",
               "spouse_name_bn", "spouse_name_en")
IDENTIFIER_FIELDS = ("nid", "brn", "phone")
PERSON_EXAMPLE = {"name_bn": "মোছাঃ রহিমা খাতুন", "name_en": "Mst. Rahima Khatun", "gender": "F",
                  "date_of_birth": "01/07/1962", "nid": "১৯৬২ ৯৮৭ ৬৫৪ ৩২১", "phone": "01819-556677",
                  "address": {"union_code": 1927, "ward": 4}}


class PersonFields(BaseModel):
    """Personal fields as a ministry submits them. Each is checked and normalised by
    `shared.normalize`; an invalid one is a 422 naming the field, the value and the reason.
    Identifiers are kept as submitted beside their normalised form."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name_bn: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    father_name_bn: str | None = Field(default=None, max_length=200)
    father_name_en: str | None = Field(default=None, max_length=200)
    mother_name_bn: str | None = Field(default=None, max_length=200)
    mother_name_en: str | None = Field(default=None, max_length=200)
    spouse_name_bn: str | None = Field(default=None, max_length=200)
    spouse_name_en: str | None = Field(default=None, max_length=200)
    gender: CheckedGender = Field(default=None, max_length=40, description="male / female / third_gender, "
                                  "or an English or Bangla form of them (M, মহিলা, হিজড়া)")
    date_of_birth: CheckedDateOfBirth = Field(default=None, max_length=40, description="12/03/1956 (day/month/year), "
                                              "1956-03-12, 12 March 1956, or 1956")
    nid: CheckedNid = Field(default=None, max_length=40, description="10, 13 or 17 digits, ASCII or Bangla")
    brn: CheckedBrn = Field(default=None, max_length=40, description="Birth registration number, 17 digits")
    phone: CheckedPhone = Field(default=None, max_length=40, description="Bangladeshi mobile number, any common form")
    household_id: uuid.UUID | None = None
    relationship_to_head: str | None = Field(default=None, max_length=60)
    address: AddressIn | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*NAME_FIELDS)
    @classmethod
    def _name(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else check(normalize_person_name, value, field=info.field_name)


def lenient_person_name(value: str, *, field: str) -> str:
    """normalize_person_name, except that a name with digits is kept (text-cleaned) rather than
    refused. Ministry exports carry such names ("রহিম ২", "Test Person 12"); refusing the record
    would lose the whole enrolment, while the matching service sees the name as it is."""
    try:
        return normalize_person_name(value, field=field)
    except NormalizationError as error:
        if error.code != "name.digits":
            raise
        return normalize_bangla_text(value)


class PersonCreate(PersonFields):
    model_config = ConfigDict(json_schema_extra={"examples": [PERSON_EXAMPLE]})

    @model_validator(mode="after")
    def _has_a_name(self) -> PersonCreate:
        if not (self.name_bn or self.name_en):
            raise ValueError("give name_bn or name_en (or both)")
        return self


class PersonUpdate(PersonFields):
    """Only the fields sent change; a field sent as null is cleared."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "+8801711234567", "version": 1}]})

    version: int | None = Field(default=None, ge=1, description="If given, the update applies only to this version "
                                "(409 otherwise): no lost updates between two clerks")


class IdentifierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: Literal["nid", "brn", "phone"]
    raw: str = Field(description="As submitted")
    normalized: str | None = Field(description="None when the raw value could not be normalised (kept as sent)")
    comparable: str | None = Field(description="What equality is decided on (a 17-digit NID's 13-digit part)")


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name_bn: str | None
    name_en: str | None
    father_name_bn: str | None
    father_name_en: str | None
    mother_name_bn: str | None
    mother_name_en: str | None
    spouse_name_bn: str | None
    spouse_name_en: str | None
    gender: str | None
    date_of_birth: str | None = Field(description="YYYY-MM-DD, or YYYY when only the year is known")
    nid: str | None
    brn: str | None
    phone: str | None
    identifiers: list[IdentifierRead]
    household_id: uuid.UUID | None
    relationship_to_head: str | None
    address: AddressRead | None
    registered_by: str
    status: str
    deactivated_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PersonPage(BaseModel):
    items: list[PersonRead]
    next_cursor: str | None


class Deactivation(BaseModel):
    reason: str | None = Field(default=None, max_length=500, examples=["deceased"])
    end_date: date | None = Field(default=None, description="Enrolments only: last day (default today)")


class EnrolmentSummary(BaseModel):
    """One enrolment as every member may see it: no personal field, no ministry record id."""

    enrolment_id: uuid.UUID
    programme_code: str
    programme_name_bn: str
    programme_name_en: str
    ministry_code: str
    status: str
    start_date: date | None
    end_date: date | None


class CoordinatedView(BaseModel):
    """Which programmes and ministries a person is enrolled in. Personal fields are left out;
    `personal_data_readable` says whether the calling ministry may read them."""

    person_id: uuid.UUID
    person_status: str
    personal_data_readable: bool
    enrolments: list[EnrolmentSummary]


class SearchHit(BaseModel):
    person_id: uuid.UUID
    matched_on: str = Field(description="nid, brn, phone, name_bn or name_en")
    score: float = Field(description="1.0 for an identifier; trigram similarity of the name keys otherwise")
    person: PersonRead | None = Field(description="Only when the calling ministry may read the personal data")
    coordinated: CoordinatedView


class SearchResult(BaseModel):
    query: dict[str, str]
    hits: list[SearchHit]
