from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.registry.geography.schemas import AddressIn, AddressRead


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"address": {"union_code": 1927, "ward": 4,
                                                                           "line": "গ্রাম: চরপাড়া"}}]})

    address: AddressIn | None = None


class HouseholdUpdate(BaseModel):
    address: AddressIn | None = None
    version: int | None = Field(default=None, ge=1, description="If given, applies only to this version (409 else)")


class HouseholdRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    address: AddressRead | None
    registered_by: str
    status: str
    deactivated_at: datetime | None
    member_ids: list[uuid.UUID] = Field(default_factory=list)
    version: int
    created_at: datetime
    updated_at: datetime


class HouseholdPage(BaseModel):
    items: list[HouseholdRead]
    next_cursor: str | None
