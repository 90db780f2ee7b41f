from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class SourceRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: uuid.UUID
    ministry_code: str
    programme_code: str
    source_version: int
    attributes: dict[str, Any]
    events_applied: int
    person_id: uuid.UUID | None = None
    received_at: datetime
    updated_at: datetime


class SourceRecordPage(BaseModel):
    items: list[SourceRecordRead]
    total: int
