"""Households: people who live and eat together at one address."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.registry.database import Base
from services.registry.geography.models import Address
from services.registry.ids import utcnow
from shared.ids import new_id


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (CheckConstraint("status IN ('active', 'inactive')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    address_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("addresses.id"))
    registered_by: Mapped[str] = mapped_column(ForeignKey("ministries.code"), index=True)
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivation_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())

    address: Mapped[Address | None] = relationship(lazy="joined")
