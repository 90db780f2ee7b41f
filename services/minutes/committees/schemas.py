from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.minutes.text import NfcText, OfficeCode


class CommitteeCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "NSSS_FOCAL_POINTS", "name_bn": "জাতীয় সামাজিক নিরাপত্তা কৌশল ফোকাল পয়েন্ট কর্মকর্তাগণ",
        "name_en": "NSSS focal points", "secretary_office_code": "CABINET",
        "member_office_codes": ["MOSW", "MOWCA", "FD"]}]})

    code: OfficeCode = Field(description="Short code, e.g. NSSS_FOCAL_POINTS")
    name_bn: NfcText
    name_en: NfcText | None = None
    secretary_office_code: OfficeCode | None = Field(default=None, description="Office that keeps the minutes")
    member_office_codes: list[OfficeCode] = Field(default_factory=list, description="Member offices, in order")

    @field_validator("member_office_codes")
    @classmethod
    def _no_duplicates(cls, codes: list[str]) -> list[str]:
        if len(set(codes)) != len(codes):
            raise ValueError("an office is listed twice")
        return codes


class CommitteeRead(CommitteeCreate):
    id: uuid.UUID
    created_at: datetime


class CommitteePage(BaseModel):
    items: list[CommitteeRead]
    total: int
