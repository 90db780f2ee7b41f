from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.registry.persons.schemas import NAME_FIELDS, PersonFields, lenient_person_name
from services.registry.programmes.schemas import CODE_PATTERN
from shared.normalize.validation import check


class BeneficiaryCreate(PersonFields):
    """A ministry's record of one person in one of its programmes: stored as a person and an
    enrolment, keyed on (programme_code, source_record_id). Sending the same key again replaces
    the person's fields with the record's (fields left out are cleared)."""

    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra={"examples": [{
        "ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": "OAA-2024-000187",
        "name_bn": "মোঃ আব্দুর রহিম", "name_en": "Md. Abdur Rahim", "nid": "1990123456789",
        "phone": "01711-234567", "date_of_birth": "1956-03-12", "gender": "M",
        "address": {"union_code": 1927, "ward": 4}}]})

    ministry_code: str = Field(pattern=CODE_PATTERN, description="Submitting ministry, e.g. MOSW")
    programme_code: str = Field(pattern=CODE_PATTERN, description="Programme, e.g. OAA (old-age allowance)")
    source_record_id: str = Field(min_length=1, max_length=100,
                                  description="The record's id in the ministry's own system")
    start_date: date | None = Field(default=None, description="Enrolment start")

    @field_validator("ministry_code", "programme_code", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        # Ministry files write "MoSW"; the registry's codes are upper case.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(*NAME_FIELDS)
    @classmethod
    def _name(cls, value: str | None, info: Any) -> str | None:
        # Replaces PersonFields._name: records are taken with digits in names (see lenient_person_name).
        return None if value is None else check(lenient_person_name, value, field=info.field_name)

    @model_validator(mode="after")
    def _has_a_name(self) -> BeneficiaryCreate:
        if not (self.name_bn or self.name_en):
            raise ValueError("give name_bn or name_en (or both)")
        return self


class BeneficiaryRead(BaseModel):
    """The stored record: the enrolment (id) with its person's fields, as matching receives it."""

    id: uuid.UUID = Field(description="The enrolment's id")
    person_id: uuid.UUID
    ministry_code: str
    programme_code: str
    source_record_id: str
    version: int
    enrolment_status: str
    person_status: str
    name_bn: str | None
    name_en: str | None
    father_name_bn: str | None
    father_name_en: str | None
    mother_name_bn: str | None
    mother_name_en: str | None
    spouse_name_bn: str | None
    spouse_name_en: str | None
    gender: str | None
    date_of_birth: str | None
    birth_year: int | None
    nid: str | None
    nid_comparable: str | None
    brn: str | None
    phone: str | None
    household_id: uuid.UUID | None
    division_code: int | None
    district_code: int | None
    upazila_code: int | None
    union_code: int | None
    ward: int | None
    created_at: datetime
    updated_at: datetime
