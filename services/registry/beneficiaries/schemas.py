from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.text.digits import to_ascii_digits

CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,31}$"


class BeneficiaryCreate(BaseModel):
    """A ministry's record of one person in one of its programmes."""

    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra={"examples": [{
        "ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": "OAA-2024-000187",
        "name_bn": "মোঃ আব্দুর রহিম", "name_en": "Md. Abdur Rahim", "nid": "1990123456789",
        "phone": "01711-234567", "date_of_birth": "1956-03-12"}]})

    ministry_code: str = Field(pattern=CODE_PATTERN, description="Submitting ministry, e.g. MOSW")
    programme_code: str = Field(pattern=CODE_PATTERN, description="Programme, e.g. OAA (old-age allowance)")
    source_record_id: str = Field(min_length=1, max_length=100,
                                  description="The record's id in the ministry's own system")
    name_bn: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    nid: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=40)
    date_of_birth: date | None = None

    @field_validator("name_bn", "name_en")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return unicodedata.normalize("NFC", value) if value else None

    @field_validator("nid")
    @classmethod
    def _nid_digits(cls, value: str | None) -> str | None:
        if not value:
            return None
        digits = to_ascii_digits(value).replace(" ", "").replace("-", "")
        if not digits.isdigit() or len(digits) not in (10, 13, 17):
            raise ValueError("NID must have 10, 13 or 17 digits")
        return digits

    @model_validator(mode="after")
    def _has_a_name(self) -> BeneficiaryCreate:
        if not (self.name_bn or self.name_en):
            raise ValueError("give name_bn or name_en (or both)")
        return self


class BeneficiaryRead(BeneficiaryCreate):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
