"""Bulk import over HTTP: upload a file, follow its job, download its per-row report; and the
export of a programme's records in the same columns."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select, text

from services.registry.access import CurrentMinistry
from services.registry.audit import service as audit
from services.registry.imports import jobs
from services.registry.imports.formats import UnreadableFile, format_of
from services.registry.imports.models import ImportIssue, ImportJob
from services.registry.imports.schemas import ImportJobPage, ImportJobRead
from services.registry.programmes.models import Programme
from services.registry.programmes.service import check_owner
from shared.db import Database, DbSession
from shared.errors import Forbidden, Invalid, NotFound
from shared.ids import new_id
from shared.logging import request_id_var

router = APIRouter(prefix="/imports", tags=["imports"])
exports_router = APIRouter(prefix="/programmes", tags=["imports"])

COPY_BLOCK = 1 << 20


def job_read(job: ImportJob) -> ImportJobRead:
    state = jobs.job_state(job)
    return ImportJobRead.model_validate({
        **{c: getattr(job, c) for c in ("id", "ministry_code", "filename", "format", "size_bytes", "sha256", "status",
                                        "rows_total", "rows_done", "rows_failed", "rows_warned", "rows_created",
                                        "rows_updated", "rows_unchanged", "chunk_rows", "chunks_done", "error",
                                        "created_at", "started_at", "finished_at")},
        "rows_per_s": state["rows_per_s"], "eta_s": state["eta_s"], "errors_url": f"imports/{job.id}/errors.csv"})


def _store(source: IO[bytes], target: Path) -> tuple[str, int]:
    """Copy the upload to its place on disk a block at a time (never whole in memory)."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while block := source.read(COPY_BLOCK):
            digest.update(block)
            out.write(block)
            size += len(block)
    return digest.hexdigest(), size


@router.post("", response_model=ImportJobRead, status_code=status.HTTP_202_ACCEPTED,
             summary="Upload a ministry file (Parquet, CSV, JSON Lines or XLSX) and queue its import")
async def upload(
    request: Request, response: Response, caller: CurrentMinistry,
    file: Annotated[UploadFile, File(description="Columns as the benchmark file's (unique_id, programme, ministry, "
                                                 "name_bn ... ward) or the API's field names")],
    format: Annotated[Literal["parquet", "csv", "jsonl", "xlsx"] | None,
                      Form(description="Default: from the file name")] = None,
    chunk_rows: Annotated[int | None, Form(ge=100, le=200_000, description="Rows per transaction")] = None,
) -> ImportJobRead:
    filename = Path(file.filename or "upload").name
    try:
        fmt = format_of(filename, format)
    except UnreadableFile as error:
        raise Invalid(str(error), loc=["body", "format"], error_type="import.format", input=filename) from None
    database: Database = request.app.state.db
    job_id = new_id()
    target = jobs.import_dir(request.app.state.settings) / f"{job_id}.{fmt}"
    sha256, size = await asyncio.to_thread(_store, file.file, target)
    if size == 0:
        await asyncio.to_thread(target.unlink)
        raise Invalid("the file is empty", loc=["body", "file"], error_type="import.empty", input=filename)
    job = await jobs.create_job(database, caller=caller, filename=filename, fmt=fmt, path=target, sha256=sha256,
                                size_bytes=size, chunk_rows=chunk_rows or jobs.default_chunk_rows(),
                                request_id=request_id_var.get())
    runner = getattr(request.app.state, "import_runner", None)
    if runner is not None:
        runner.wake.set()
    response.headers["Location"] = f"imports/{job.id}"
    return job_read(job)


async def _own_job(session: DbSession, job_id: uuid.UUID, ministry_code: str) -> ImportJob:
    job = await session.get(ImportJob, job_id, populate_existing=True)
    if job is None:
        raise NotFound("no import job with this id", loc=["path", "job_id"], input=str(job_id))
    if job.ministry_code != ministry_code:
        raise Forbidden(f"this import job is {job.ministry_code}'s", loc=["path", "job_id"],
                        error_type="import.not_yours", input=str(job_id))
    return job


@router.get("", response_model=ImportJobPage, summary="The calling ministry's import jobs, newest first")
async def list_jobs(session: DbSession, caller: CurrentMinistry,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> ImportJobPage:
    found = (await session.scalars(select(ImportJob).where(ImportJob.ministry_code == caller.ministry_code)
                                   .order_by(ImportJob.created_at.desc()).limit(limit))).all()
    return ImportJobPage(items=[job_read(j) for j in found])


@router.get("/{job_id}", response_model=ImportJobRead,
            summary="A job's status and progress: rows done / total / failed, rows per second, ETA")
async def read_job(job_id: uuid.UUID, session: DbSession, caller: CurrentMinistry) -> ImportJobRead:
    return job_read(await _own_job(session, job_id, caller.ministry_code))


ISSUE_HEADER = ("row_number", "severity", "field", "value", "code", "reason", "source_record_id")


def _csv_line(values: tuple[object, ...]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode()


@router.get("/{job_id}/errors.csv", response_class=StreamingResponse,
            summary="The per-row report: row number (1 = first record), severity, field, value, code, reason")
async def job_errors(request: Request, job_id: uuid.UUID, session: DbSession, caller: CurrentMinistry,
                     severity: Literal["error", "warning"] | None = None) -> StreamingResponse:
    await _own_job(session, job_id, caller.ministry_code)
    await session.close()
    database: Database = request.app.state.db
    columns = [getattr(ImportIssue, c) for c in ISSUE_HEADER]

    async def lines() -> AsyncIterator[bytes]:
        yield _csv_line(ISSUE_HEADER)
        after = (0, 0)
        while True:
            query = (select(*columns, ImportIssue.id).where(ImportIssue.job_id == job_id)
                     .where((ImportIssue.row_number, ImportIssue.id) > after)  # type: ignore[operator]
                     .order_by(ImportIssue.row_number, ImportIssue.id).limit(5_000))
            if severity:
                query = query.where(ImportIssue.severity == severity)
            async with database.sessionmaker() as reader:
                rows = (await reader.execute(query)).all()
            if not rows:
                return
            yield b"".join(_csv_line(tuple(r[:-1])) for r in rows)
            after = (rows[-1].row_number, rows[-1].id)

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'})


EXPORT_COLUMNS = ("unique_id", "programme", "ministry", "name_bn", "name_en", "father_bn", "father_en", "mother_bn",
                  "mother_en", "spouse_bn", "spouse_en", "gender", "dob", "birth_year", "nid", "brn", "phone",
                  "division_code", "district_code", "upazila_code", "union_code", "ward", "enrolment_id",
                  "person_id", "enrolment_status")
EXPORT_QUERY = """
SELECT e.source_record_id, e.programme_code, e.ministry_code, p.name_bn, p.name_en, p.father_name_bn,
       p.father_name_en, p.mother_name_bn, p.mother_name_en, p.spouse_name_bn, p.spouse_name_en, p.gender,
       to_char(p.date_of_birth, 'YYYY-MM-DD'), p.birth_year,
       (SELECT raw FROM registry.identifiers i WHERE i.person_id = p.id AND i.kind = 'nid'),
       (SELECT raw FROM registry.identifiers i WHERE i.person_id = p.id AND i.kind = 'brn'),
       (SELECT raw FROM registry.identifiers i WHERE i.person_id = p.id AND i.kind = 'phone'),
       a.division_code, a.district_code, a.upazila_code, a.union_code, a.ward, e.id, p.id, e.status
FROM registry.enrolments e JOIN registry.persons p ON p.id = e.person_id
LEFT JOIN registry.addresses a ON a.id = p.address_id
WHERE e.programme_code = :programme AND e.id > :after
ORDER BY e.id LIMIT 10000
"""


async def export_lines(database: Database, programme: str) -> AsyncIterator[bytes]:
    """A programme's records as CSV in the import's columns (importing it again changes nothing)."""
    yield _csv_line(EXPORT_COLUMNS)
    after = uuid.UUID(int=0)
    while True:
        async with database.engine.connect() as connection:
            rows = (await connection.execute(text(EXPORT_QUERY), {"programme": programme, "after": after})).all()
        if not rows:
            return
        yield b"".join(_csv_line(tuple(r)) for r in rows)
        after = rows[-1][22]


@exports_router.get("/{code}/records.csv", response_class=StreamingResponse,
                    summary="Export a programme's records as CSV, in the import's columns (the owning ministry only)")
async def export_programme(request: Request, code: str, session: DbSession,
                           caller: CurrentMinistry) -> StreamingResponse:
    code = code.upper()
    programme = await session.get(Programme, code)
    if programme is None:
        raise NotFound("no programme with this code", loc=["path", "code"], input=code)
    check_owner(programme, ministry_code=caller.ministry_code, loc=["path", "code"])
    await audit.record(session, caller=caller, action="export", entity_type="programme", entity_ids=[code],
                       detail={"format": "csv"})
    await session.commit()
    return StreamingResponse(export_lines(request.app.state.db, code), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{code}.csv"'})
