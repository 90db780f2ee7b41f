from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MatchRequest(BaseModel):
    """A record as a ministry holds it; any field may be missing (the engine uses what is there)."""

    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra={"examples": [{
        "name_bn": "মোঃ আব্দুর রহিম", "father_bn": "করিম উদ্দিন", "nid": "19561956123456789",
        "date_of_birth": "1956-03-12", "phone": "+8801711234567", "district_code": "26"}]})

    name_bn: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    father_bn: str | None = Field(default=None, max_length=200)
    father_en: str | None = Field(default=None, max_length=200)
    mother_bn: str | None = Field(default=None, max_length=200)
    mother_en: str | None = Field(default=None, max_length=200)
    spouse_bn: str | None = Field(default=None, max_length=200)
    spouse_en: str | None = Field(default=None, max_length=200)
    gender: str | None = Field(default=None, max_length=20)
    date_of_birth: date | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    nid: str | None = Field(default=None, max_length=40)
    brn: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=40)
    division_code: str | None = Field(default=None, max_length=10)
    district_code: str | None = Field(default=None, max_length=10)
    upazila_code: str | None = Field(default=None, max_length=10)
    union_code: str | None = Field(default=None, max_length=10)
    ward: str | None = Field(default=None, max_length=10)
    limit: int = Field(default=10, ge=1, le=100, description="How many candidates to return at most")

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
