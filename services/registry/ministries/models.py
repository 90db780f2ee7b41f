"""Ministries and divisions of the Government of Bangladesh that run or coordinate programmes."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base


class Ministry(Base):
    __tablename__ = "ministries"
    __table_args__ = (
        CheckConstraint("kind IN ('ministry', 'division', 'office')", name="kind"),
        CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,31}$'", name="code_format"),
    )

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_bn: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    # The nine members of the Social Assistance thematic cluster of the NSSS (2019 minutes).
    social_assistance_cluster: Mapped[bool] = mapped_column(Boolean, server_default="false")
