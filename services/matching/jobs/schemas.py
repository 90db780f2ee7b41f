from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    phase: str = Field(description="queued, reading, matching, assigning, writing, done")
    records_done: int = Field(description="source records read so far (all of them once reading is over)")
    records_total: int | None
    attempts: int = Field(description="runs started; a run interrupted by a restart is resumed from the start")
    result: dict[str, Any] | None = Field(
        None, description="on success: records, persons, records_changed, persons_created, persons_removed, ...")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
