import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.matching.jobs import service
from services.matching.jobs.schemas import JobRead
from shared.db import DbSession

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("/rematch", response_model=JobRead, status_code=202,
             summary="Re-cluster every record with the batch engine in the background; poll GET /jobs/{id}")
async def start_rematch(request: Request, session: DbSession) -> JobRead:
    job = await service.create_job(session)
    runner = getattr(request.app.state, "jobs", None)
    if runner is None:  # an app built without services.matching.app.create_app (no resuming at start-up)
        runner = request.app.state.jobs = service.JobRunner(request.app.state.db)
    runner.start(job.id)
    return job


@router.get("/{job_id}", response_model=JobRead, summary="A job's status, phase and progress")
async def read_job(job_id: uuid.UUID, session: DbSession) -> JobRead:
    return await service.get_job(session, job_id)


@router.get("", response_model=list[JobRead], summary="Recent jobs, newest first")
async def list_jobs(session: DbSession, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[JobRead]:
    return await service.list_jobs(session, limit)
