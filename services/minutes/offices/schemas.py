from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OfficeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_bn: str
    name_en: str
    kind: str


class OfficePage(BaseModel):
    items: list[OfficeRead]
    total: int
