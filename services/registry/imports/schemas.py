from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ImportJobRead(BaseModel):
    """An import job and its progress. `rows_done` counts every row of the committed chunks,
    stored or not; `rows_failed` the rows not stored (see the error report)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ministry_code: str = Field(description="The uploading ministry, which owns the job")
    filename: str
    format: Literal["parquet", "csv", "jsonl", "xlsx"]
    size_bytes: int
    sha256: str
    status: Literal["queued", "running", "succeeded", "failed"]
    rows_total: int | None = Field(description="Rows in the file (known once the job has started)")
    rows_done: int
    rows_failed: int = Field(description="Rows not stored: each has at least one `error` line in errors.csv")
    rows_warned: int = Field(description="Rows stored with a `warning` line in errors.csv")
    rows_created: int
    rows_updated: int
    rows_unchanged: int = Field(description="Rows equal to what the last import of the record stored: no change, "
                                            "no event")
    chunk_rows: int
    chunks_done: int
    rows_per_s: float | None
    eta_s: float | None = Field(description="Seconds left at the rate so far")
    error: str | None = Field(description="Why a failed job failed")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    errors_url: str


class ImportJobPage(BaseModel):
    items: list[ImportJobRead]
