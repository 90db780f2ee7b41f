from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, computed_field

from services.minutes.dates import bangla_date_text


class SearchHit(BaseModel):
    kind: Literal["decision", "meeting"]
    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    meeting_title_bn: str
    meeting_title_en: str | None
    held_on: date
    decision_id: uuid.UUID | None = None
    decision_label: str | None = None
    decision_title: str | None = None
    text_bn: str | None = None
    text_en: str | None = None
    score: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def held_on_bn(self) -> str:
        return bangla_date_text(self.held_on) or ""


class SearchResult(BaseModel):
    query: str
    normalized_query: str
    items: list[SearchHit]
