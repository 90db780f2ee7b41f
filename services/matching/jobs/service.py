"""Starting, running, resuming and reporting background jobs.

A job runs in a task of the service process, not in the request that started it. While it runs,
the process holds a session-level advisory lock on the job (on a connection of its own); a
process that dies releases it with its connection. At start-up every replica looks for queued or
running jobs whose lock is free, i.e. whose runner is gone, and runs them again from the start:
nothing of a run is applied before its final transaction, so a restarted run is a clean re-run.
After ``MAX_ATTEMPTS`` interrupted runs the job is reported failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import asyncpg
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.jobs.models import FAILED, QUEUED, REMATCH, RUNNING, SUCCEEDED, Job
from services.matching.jobs.rematch import run_rematch
from services.matching.jobs.schemas import JobRead
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.ids import new_id

log = logging.getLogger(__name__)

LOCK_CLASS = 0x4D4A  # advisory lock namespace of matching jobs ("MJ")
MAX_ATTEMPTS = 3


async def create_job(session: AsyncSession, kind: str = REMATCH) -> JobRead:
    """A queued job; a second one while one of its kind is unfinished is a conflict."""
    job = Job(id=new_id(), kind=kind, status=QUEUED, phase="queued", records_done=0, attempts=0)
    session.add(job)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        active = await session.scalar(select(Job).where(Job.kind == kind, Job.status.in_([QUEUED, RUNNING])))
        raise Conflict(f"a {kind} job is already {active.status if active else 'active'}: "
                       f"{active.id if active else ''}", loc=["path"], input=kind) from None
    await session.refresh(job)
    return JobRead.model_validate(job)


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> JobRead:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound("no job with this id", loc=["path", "job_id"], input=str(job_id))
    return JobRead.model_validate(job)


async def list_jobs(session: AsyncSession, limit: int) -> list[JobRead]:
    rows = (await session.scalars(select(Job).order_by(Job.created_at.desc()).limit(limit))).all()
    return [JobRead.model_validate(r) for r in rows]


class JobRunner:
    """Runs jobs as tasks of this process (one per job) and resumes orphaned ones."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.tasks: dict[uuid.UUID, asyncio.Task] = {}

    def start(self, job_id: uuid.UUID) -> None:
        running = self.tasks.get(job_id)
        if running is None or running.done():
            self.tasks[job_id] = asyncio.create_task(self._run(job_id), name=f"matching-job-{job_id}")

    async def resume_orphans(self) -> list[uuid.UUID]:
        """Start every unfinished job; those still run by a live process are skipped by their lock."""
        async with self.database.sessionmaker() as session:
            ids = list((await session.scalars(select(Job.id).where(Job.status.in_([QUEUED, RUNNING])))).all())
        for job_id in ids:
            self.start(job_id)
        return ids

    async def close(self) -> None:
        """Stop at shutdown: an interrupted job stays running in the table and is resumed later."""
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def _update(self, job_id: uuid.UUID, **values: Any) -> None:
        async with self.database.sessionmaker() as session, session.begin():
            await session.execute(update(Job).where(Job.id == job_id).values(updated_at=text("now()"), **values))

    async def _run(self, job_id: uuid.UUID) -> None:
        async with self.database.engine.connect() as lock_connection:
            key = {"c": LOCK_CLASS, "j": str(job_id)}
            locked = await lock_connection.scalar(text("SELECT pg_try_advisory_lock(:c, hashtext(:j))"), key)
            await lock_connection.commit()
            if not locked:
                return  # another process runs it
            try:
                await self._claim_and_run(job_id)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._unlock(lock_connection, key))

    @staticmethod
    async def _unlock(connection: Any, key: dict[str, Any]) -> None:
        await connection.execute(text("SELECT pg_advisory_unlock(:c, hashtext(:j))"), key)
        await connection.commit()

    async def _claim_and_run(self, job_id: uuid.UUID) -> None:
        async with self.database.sessionmaker() as session, session.begin():
            attempts = await session.scalar(
                update(Job).where(Job.id == job_id, Job.status.in_([QUEUED, RUNNING]))
                .values(status=RUNNING, attempts=Job.attempts + 1, started_at=text("now()"), error=None,
                        phase="starting", updated_at=text("now()")).returning(Job.attempts))
        if attempts is None:
            return  # finished meanwhile
        if attempts > MAX_ATTEMPTS:
            await self._update(job_id, status=FAILED, finished_at=text("now()"),
                               error=f"interrupted {attempts - 1} times (service restarts); not retried again")
            return

        async def finish(raw: asyncpg.Connection, result: dict[str, Any]) -> None:
            # in the transaction of the final write: the links and "succeeded" commit together
            await raw.execute("UPDATE matching.jobs SET status = 'succeeded', phase = 'done', finished_at = now(), "
                              "updated_at = now(), records_done = coalesce(records_total, records_done), "
                              "result = $2::jsonb WHERE id = $1", job_id, json.dumps(result))

        try:
            await run_rematch(self.database, job_id, progress=lambda **v: self._update(job_id, **v),
                                       finish=finish)
        except asyncio.CancelledError:
            log.warning("job %s interrupted; it will be resumed", job_id)
            raise
        except Exception as exc:
            log.exception("job %s failed", job_id)
            await self._update(job_id, status=FAILED, phase="failed", finished_at=text("now()"),
                               error=f"{type(exc).__name__}: {exc}"[:2000])
            return


__all__ = ["FAILED", "SUCCEEDED", "JobRunner", "create_job", "get_job", "list_jobs"]
