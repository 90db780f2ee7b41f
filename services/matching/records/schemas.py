from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SourceRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: uuid.UUID
    ministry_code: str
    programme_code: str
    source_version: int
    attributes: dict[str, Any] | None = Field(description="The record's fields as the registry sent them; null "
                                              "unless the caller may read its personal data (personal_data)")
    personal_data: bool = Field(default=True, description="Whether the caller may read this record's personal "
                                "data: a ministry its own records, the reviewer and auditor roles every record")
    events_applied: int
    person_id: uuid.UUID | None = Field(default=None, description="The person the record is linked to")
    received_at: datetime
    updated_at: datetime


class SourceRecordPage(BaseModel):
    items: list[SourceRecordRead]
    total: int
