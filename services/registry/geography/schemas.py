from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AddressIn(BaseModel):
    """Where someone lives. Give the lowest level you know: the levels above it are derived
    (a union names its upazila, district and division); given ones must agree."""

    model_config = ConfigDict(str_strip_whitespace=True, json_schema_extra={"examples": [
        {"union_code": 1927, "ward": 4, "line": "গ্রাম: চরপাড়া"}]})

    division_code: int | None = Field(default=None, ge=1)
    district_code: int | None = Field(default=None, ge=1)
    upazila_code: int | None = Field(default=None, ge=1)
    union_code: int | None = Field(default=None, ge=1)
    ward: int | None = Field(default=None, ge=1, le=99)
    line: str | None = Field(default=None, max_length=300, description="Village, para, house")


class AddressRead(AddressIn):
    model_config = ConfigDict(from_attributes=True)


class GeoUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: str
    code: int
    parent_code: int | None
    name_en: str
    name_bn: str
