from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.registry.programmes.schemas import CODE_PATTERN


class EnrolmentCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra={"examples": [{
        "person_id": "0193a0b4-6c2e-7d2a-9f3e-0c8a4b1d2e3f", "programme_code": "OAA",
        "source_record_id": "OAA-2024-000187", "start_date": "2024-07-01"}]})

    person_id: uuid.UUID
    programme_code: str = Field(pattern=CODE_PATTERN, description="One of the calling ministry's programmes")
    source_record_id: str = Field(min_length=1, max_length=100, description="The record's id in the ministry's system")
    status: Literal["active", "suspended"] = "active"
    start_date: date | None = None
    end_date: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> EnrolmentCreate:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class EnrolmentUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(str_strip_whitespace=True)

    source_record_id: str | None = Field(default=None, min_length=1, max_length=100)
    status: Literal["active", "suspended"] | None = None
    start_date: date | None = None
    end_date: date | None = None
    version: int | None = Field(default=None, ge=1, description="If given, applies only to this version (409 else)")


class EnrolmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    programme_code: str
    ministry_code: str
    source_record_id: str
    status: str
    start_date: date | None
    end_date: date | None
    deactivated_at: datetime | None
    deactivation_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class EnrolmentPage(BaseModel):
    items: list[EnrolmentRead]
    next_cursor: str | None
