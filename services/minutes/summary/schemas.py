from __future__ import annotations

import uuid

from pydantic import BaseModel


class StatusCounts(BaseModel):
    open: int = 0
    in_progress: int = 0
    overdue: int = 0
    done: int = 0
    cancelled: int = 0
    total: int = 0


class OfficeSummary(BaseModel):
    office_code: str
    name_bn: str | None
    name_en: str | None
    counts: StatusCounts


class CommitteeSummary(BaseModel):
    committee_id: uuid.UUID
    code: str
    name_bn: str
    name_en: str | None
    meetings: int
    decisions: int
    counts: StatusCounts


class FollowUpSummary(BaseModel):
    offices: list[OfficeSummary]
    committees: list[CommitteeSummary]
