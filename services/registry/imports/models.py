"""Import jobs and their per-row report (errors and warnings)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.database import Base

JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class ImportJob(Base):
    """One uploaded file being imported. `rows_done` counts the rows of committed chunks, so
    it is also where a resumed job starts reading again."""

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_ministry", "ministry_code", "created_at"),
                      Index("ix_import_jobs_unfinished", "status", postgresql_where="status IN ('queued', 'running')"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    ministry_code: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    filename: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    chunk_rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default="queued")
    rows_total: Mapped[int | None] = mapped_column(BigInteger)
    rows_done: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_failed: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_warned: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_created: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_updated: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_unchanged: Mapped[int] = mapped_column(BigInteger, server_default="0")
    chunks_done: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Seconds spent working on the job (all attempts): what rows_per_s and the ETA are based on.
    work_seconds: Mapped[float] = mapped_column(server_default="0")


class ImportIssue(Base):
    """A problem with one row: `error` (the row was not stored) or `warning` (stored, see reason)."""

    __tablename__ = "import_errors"
    __table_args__ = (Index("ix_import_errors_job_row", "job_id", "row_number"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    row_number: Mapped[int] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    source_record_id: Mapped[str | None] = mapped_column(Text)
