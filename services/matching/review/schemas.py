from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.matching.linking.schemas import FieldWeight


class ReviewRecord(BaseModel):
    """One side of a pair in the coordinated view: whose record it is and which person holds it now
    (its personal data: ``GET /records/{id}`` with the reviewer role)."""

    record_id: uuid.UUID
    ministry_code: str | None = Field(description="null for a record linked without a registry event")
    programme_code: str | None
    person_id: uuid.UUID | None = Field(description="The person the record is linked to now")


class ReviewPairRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    record_a: uuid.UUID
    record_b: uuid.UUID
    probability: float | None = Field(description="The model's probability when it queued the pair; null "
                                      "for a pair a reviewer raised (`POST /review` with two records)")
    explanation: list[FieldWeight]
    status: Literal["pending", "accepted", "rejected"]
    decided_by: str | None
    note: str | None
    decided_at: datetime | None
    created_at: datetime
    records: list[ReviewRecord] = Field(default_factory=list, description="record_a and record_b, in that order")


class ReviewPage(BaseModel):
    items: list[ReviewPairRead]
    next_cursor: int | None = Field(description="Pass as `after` to get the next page; null on the last page")


class ReviewDecision(BaseModel):
    decision: Literal["accept", "reject"]
    reviewer: str = Field(min_length=1, max_length=100, description="Who decided (name or office code)")
    note: str | None = Field(default=None, max_length=1000)


class PairDecision(ReviewDecision):
    record_a: uuid.UUID
    record_b: uuid.UUID
