"""Import jobs: queued by `POST /imports`, run in the registry service's background.

A job is a row in `import_jobs` leased by one process at a time (`lease_owner`,
`lease_until`, renewed while it runs). Its file is read a chunk at a time; each chunk is checked
and normalised in a worker thread (`prepare`), while the previous one is written with set-based
SQL (`sql`) in ONE transaction that also advances the job's `rows_done` and writes its events:
a chunk is applied entirely or not at all. A process that dies leaves its lease to expire; any
registry process then claims the job again and goes on after its last committed chunk, so a job
is resumed or reported failed, never half-applied silently.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import logging
import os
import socket
import tempfile
import time
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import polars as pl
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.registry import events
from services.registry.access import Caller
from services.registry.audit import service as audit
from services.registry.database import outbox
from services.registry.geography.models import GeoUnit
from services.registry.imports import sql
from services.registry.imports.formats import UnreadableFile, count_rows, read_chunks
from services.registry.imports.models import ImportJob
from services.registry.imports.prepare import STAGE_COLUMNS, Context, Prepared, new_programmes, prepare_chunk
from services.registry.imports.rows import chunk_events
from services.registry.ministries.models import Ministry
from services.registry.programmes.models import Programme
from shared.db import Database
from shared.outbox import add_events, outbox_rows
from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)

OPERATOR_ROLE = "operator"
DEFAULT_CHUNK_ROWS = 25_000
LEASE_SECONDS = 20.0
MAX_ATTEMPTS = 5
POLL_SECONDS = 2.0
WRITERS = int(os.environ.get("REGISTRY_IMPORT_WRITERS") or 2)  # chunks written at once (connections)
# = OutboxRelay(...).lock_key for the registry's outbox
RELAY_LOCK = zlib.crc32(f"outbox:{outbox.schema}".encode())
RELAY_LOCK_WAIT_S = float(os.environ.get("REGISTRY_IMPORT_RELAY_WAIT_S") or 15.0)


async def hold_back_the_relay(connection: asyncpg.Connection, job_id: uuid.UUID) -> bool:
    """Take the outbox relay's lock shared on `connection` (released with it), waiting at most
    RELAY_LOCK_WAIT_S; returns whether it was taken.

    Held, it keeps the cores for the import: the records' events wait in the outbox and are
    published once the job ends, its progress events go ahead (the relay's priority topics).
    Publishing beside it would cost more CPU than the import itself (three events a row). It is
    a speed-up, not a condition: a relay that keeps its page's transaction open (a broker that
    does not answer holds a send for up to a minute) must not stall the import, which then goes
    on with the relay publishing beside it.
    """
    await connection.execute(f"SET lock_timeout = '{int(RELAY_LOCK_WAIT_S * 1000)}ms'")
    try:
        await connection.execute("SELECT pg_advisory_lock_shared($1)", RELAY_LOCK)
        return True
    except asyncpg.LockNotAvailableError:
        logger.warning("the outbox relay kept its lock; the import goes on with events published beside it",
                       extra={"job_id": str(job_id), "waited_s": RELAY_LOCK_WAIT_S})
        return False
    finally:
        await connection.execute("RESET lock_timeout")


def batch_key(job_id: uuid.UUID) -> str:
    """The key column of the outbox batch rows a job writes (each event carries its own key)."""
    return f"import:{job_id}"


def import_dir(settings: ServiceSettings | None = None) -> Path:
    """Where uploads are kept until their job ends (REGISTRY_IMPORT_DIR)."""
    configured = getattr(settings, "registry_import_dir", None) or os.environ.get("REGISTRY_IMPORT_DIR")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "somonnoy-registry-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_chunk_rows() -> int:
    return int(os.environ.get("REGISTRY_IMPORT_CHUNK_ROWS") or DEFAULT_CHUNK_ROWS)


def libpq_url(settings: ServiceSettings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def job_state(job: ImportJob | Any) -> dict[str, Any]:
    """The job as its events and `GET /imports/{id}` describe it."""
    rate = job.rows_done / job.work_seconds if job.work_seconds and job.rows_done else None
    remaining = (job.rows_total - job.rows_done) if job.rows_total is not None else None
    eta = round(remaining / rate, 1) if rate and remaining is not None and job.status in ("queued", "running") \
        else (0.0 if job.status in ("succeeded", "failed") else None)
    return {"id": str(job.id), "ministry_code": job.ministry_code, "filename": job.filename, "format": job.format,
            "status": job.status, "rows_total": job.rows_total, "rows_done": job.rows_done,
            "rows_failed": job.rows_failed, "rows_warned": job.rows_warned, "rows_created": job.rows_created,
            "rows_updated": job.rows_updated, "rows_unchanged": job.rows_unchanged, "chunks_done": job.chunks_done,
            "rows_per_s": round(rate, 1) if rate else None, "eta_s": eta, "error": job.error}


async def create_job(database: Database, *, caller: Caller, filename: str, fmt: str, path: Path, sha256: str,
                     size_bytes: int, chunk_rows: int, request_id: str | None) -> ImportJob:
    """Queue a job for an uploaded file, with its audit entry (one per job) and first event."""
    job = ImportJob(id=uuid.UUID(path.stem), ministry_code=caller.ministry_code, roles=sorted(caller.roles),
                    filename=filename, format=fmt, path=str(path), sha256=sha256, size_bytes=size_bytes,
                    chunk_rows=chunk_rows, status="queued", rows_done=0, rows_failed=0, rows_warned=0,
                    rows_created=0, rows_updated=0, rows_unchanged=0, chunks_done=0, attempts=0, work_seconds=0.0,
                    request_id=request_id)
    async with database.sessionmaker() as session:
        session.add(job)
        await session.flush()
        await audit.record(session, caller=caller, action="import", entity_type="import_job", entity_ids=[job.id],
                           detail={"filename": filename, "format": fmt, "sha256": sha256, "size_bytes": size_bytes})
        await add_events(session, outbox, [events.registry_event(events.IMPORT_PROGRESSED, key=job.id,
                                                                 payload=job_state(job))])
        await session.commit()
    return job


class LeaseLost(RuntimeError):
    """Another process took the job over (this one was too slow to renew its lease)."""


class StopAfterChunks(RuntimeError):
    """Tests: stop a job as a crash would, after some committed chunks."""


class ImportRunner:
    """Runs the import jobs of one registry process, one job at a time (memory stays bounded by
    the chunk size), claiming unfinished jobs whose lease has expired, its own included."""

    def __init__(self, database: Database, settings: ServiceSettings) -> None:
        self.database = database
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wake = asyncio.Event()
        self.current: uuid.UUID | None = None
        self._last_commit = time.perf_counter()
        self._check_parents_per_chunk = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                job_id = await self.claim()
                if job_id is not None:
                    await self.process(job_id)
                    continue
            except Exception:  # keep the runner alive; the job itself is marked failed in process()
                logger.exception("import runner: unexpected error")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first_of(stop, self.wake), timeout=POLL_SECONDS)

    async def release(self) -> None:
        """On shutdown: let the job this process was running be claimed at once (its current
        chunk was rolled back), instead of after the lease runs out."""
        async with self.database.engine.begin() as connection:
            await connection.execute(text(
                "UPDATE registry.import_jobs SET lease_until = now(), lease_owner = NULL "
                "WHERE lease_owner = :owner AND status = 'running'"), {"owner": self.owner})

    async def claim(self) -> uuid.UUID | None:
        async with self.database.engine.begin() as connection:
            row = (await connection.execute(text("""
                UPDATE registry.import_jobs
                SET status = 'running', lease_owner = :owner, attempts = attempts + 1,
                    lease_until = now() + make_interval(secs => :lease), started_at = coalesce(started_at, now()),
                    updated_at = now()
                WHERE id = (SELECT id FROM registry.import_jobs
                            WHERE status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now())
                            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, attempts"""), {"owner": self.owner, "lease": LEASE_SECONDS})).first()
        if row is None:
            return None
        if row.attempts > MAX_ATTEMPTS:
            await self.finish(row.id, status="failed", error=f"gave up after {MAX_ATTEMPTS} attempts")
            return None
        return row.id

    async def _job(self, job_id: uuid.UUID) -> ImportJob:
        async with self.database.sessionmaker() as session:
            return (await session.scalars(select(ImportJob).where(ImportJob.id == job_id))).one()

    async def process(self, job_id: uuid.UUID, *, max_chunks: int | None = None) -> None:
        """Run a claimed job to its end (or, with `max_chunks`, stop after that many chunks as a
        crash would: the lease is kept, the job stays `running`)."""
        self.current = job_id
        heartbeat = asyncio.create_task(self._heartbeat(job_id))
        try:
            await self._process(job_id, max_chunks=max_chunks)
        except StopAfterChunks:
            pass
        except LeaseLost:
            logger.warning("import job taken over by another process", extra={"job_id": str(job_id)})
        except UnreadableFile as error:
            await self.finish(job_id, status="failed", error=str(error))
        except Exception as error:
            logger.exception("import job failed", extra={"job_id": str(job_id)})
            await self.finish(job_id, status="failed", error=f"{type(error).__name__}: {str(error)[:500]}")
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            self.current = None

    async def _heartbeat(self, job_id: uuid.UUID) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 4)
            async with self.database.engine.begin() as connection:
                await connection.execute(text(
                    "UPDATE registry.import_jobs SET lease_until = now() + make_interval(secs => :lease) "
                    "WHERE id = :id AND lease_owner = :owner AND status = 'running'"),
                    {"id": job_id, "owner": self.owner, "lease": LEASE_SECONDS})

    async def _process(self, job_id: uuid.UUID, *, max_chunks: int | None) -> None:
        job = await self._job(job_id)
        path = Path(job.path)
        if not await asyncio.to_thread(path.exists):
            raise UnreadableFile("the uploaded file is no longer there (the job cannot resume); upload it again")
        if job.rows_total is None:
            total = await asyncio.to_thread(count_rows, path, job.format)
            async with self.database.engine.begin() as connection:
                await connection.execute(text("UPDATE registry.import_jobs SET rows_total = :n WHERE id = :id"),
                                         {"n": total, "id": job_id})
            job.rows_total = total
        context = await self._context(job)
        self._last_commit = time.perf_counter()
        connections = [await asyncpg.connect(libpq_url(self.settings),
                                             server_settings={"application_name": "registry-import"})
                       for _ in range(WRITERS)]
        try:
            for connection in connections:
                await connection.execute(sql.CREATE_TEMP_TABLES)
                await connection.execute(sql.SESSION_SETTINGS)
            self._check_parents_per_chunk = await can_skip_row_triggers(connections[0])
            await hold_back_the_relay(connections[0], job_id)
            queue: asyncio.Queue[Prepared | BaseException | None] = asyncio.Queue(maxsize=1)
            producer = asyncio.create_task(self._produce(job, context, queue))
            # Up to WRITERS chunks are written at once, each on its own connection; they commit in
            # file order (each waits for the job row the one before it updates, and checks that
            # rows_done is where it starts).
            in_flight: collections.deque[asyncio.Task[None]] = collections.deque()
            done, chunks = job.rows_done, 0
            try:
                while True:
                    item = await queue.get()
                    if item is None:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    if len(in_flight) == WRITERS:
                        await in_flight.popleft()
                    before = in_flight[-1] if in_flight else None
                    connection = connections[chunks % WRITERS]
                    in_flight.append(asyncio.create_task(
                        self._write_in_order(connection, job, item, start=done, before=before)))
                    done += item.rows
                    chunks += 1
                    if max_chunks is not None and chunks >= max_chunks:
                        break
                while in_flight:
                    await in_flight.popleft()
                if max_chunks is not None and chunks >= max_chunks:
                    raise StopAfterChunks
            finally:
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)
                producer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await producer
        finally:
            for connection in connections:
                connection.terminate() if connection.is_in_transaction() else await connection.close()
        await self.finish(job_id, status="succeeded")

    async def _produce(self, job: ImportJob, context: Context,
                       queue: asyncio.Queue[Prepared | BaseException | None]) -> None:
        """Read and prepare the next chunk while the previous one is written."""
        try:
            chunks = read_chunks(Path(job.path), job.format, chunk_rows=job.chunk_rows, skip=job.rows_done)
            offset = job.rows_done
            while True:
                chunk = await asyncio.to_thread(next, chunks, None)
                if chunk is None:
                    break
                fresh = new_programmes(chunk, context)
                if fresh:
                    await self._register_programmes(job, fresh, context)
                prepared = await asyncio.to_thread(prepare_chunk, chunk, first_row=offset, context=context,
                                                   now=datetime.now(UTC))
                offset += prepared.rows
                await queue.put(prepared)
            await queue.put(None)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # handed to the writer, which fails the job with it
            await queue.put(error)

    async def _write_in_order(self, connection: asyncpg.Connection, job: ImportJob, prepared: Prepared, *,
                              start: int, before: asyncio.Task[None] | None) -> None:
        try:
            await self._write(connection, job, prepared, start=start, before=before)
        except asyncpg.UniqueViolationError:
            # The same record in this chunk and the one written beside it: write it again once
            # that one has committed (it then finds the record stored).
            if before is None:
                raise
            with contextlib.suppress(Exception):
                await before
            await self._write(connection, job, prepared, start=start, before=before)

    async def _write(self, connection: asyncpg.Connection, job: ImportJob, prepared: Prepared, *,
                     start: int, before: asyncio.Task[None] | None) -> None:
        # Built beside the chunk's statements (on another core), as most chunks are all new.
        all_new_events = asyncio.ensure_future(asyncio.to_thread(
            chunk_events, prepared.stage, now=prepared.now, key=batch_key(job.id)))
        try:
            await self._write_chunk(connection, job, prepared, start=start, all_new_events=all_new_events,
                                    before=before)
        finally:
            if not all_new_events.done():
                all_new_events.cancel()
            with contextlib.suppress(BaseException):
                await all_new_events
        self._last_commit = time.perf_counter()

    async def _write_chunk(self, connection: asyncpg.Connection, job: ImportJob, prepared: Prepared, *, start: int,
                           all_new_events: asyncio.Future[list[tuple[str, str, str, bytes, int]]],
                           before: asyncio.Task[None] | None) -> None:
        rows_done = start + prepared.rows
        counts: dict[str, int] = {}
        async with connection.transaction():
            if prepared.stage.height:
                await connection.copy_to_table("import_stage", source=_csv(prepared.stage), columns=STAGE_COLUMNS,
                                               format="csv")
                if await connection.fetchval(sql.COUNT_STORED) == 0:
                    counts = {"new": prepared.stage.height}
                    statements = sql.ALL_NEW
                else:
                    await connection.execute(sql.RESOLVE)
                    counts = {row[0]: row[1] for row in await connection.fetch(sql.COUNT_ACTIONS)}
                    statements = sql.RESOLVED
                if counts.get("new") or counts.get("changed"):
                    await write_rows(connection, statements, now=prepared.now,
                                     check_parents=(sql.CHECK_PARENTS_ALL_NEW if statements is sql.ALL_NEW
                                                    else sql.CHECK_PARENTS_RESOLVED)
                                     if self._check_parents_per_chunk else None)
                if counts.get("new"):
                    if counts["new"] == prepared.stage.height:
                        batches = await all_new_events
                    else:
                        new = [row[0] for row in await connection.fetch(sql.NEW_ROWS)]
                        batches = await asyncio.to_thread(chunk_events, prepared.stage, now=prepared.now,
                                                          key=batch_key(job.id), new_rows=new)
                    await connection.copy_records_to_table("outbox", schema_name="registry", records=batches,
                                                           columns=("event_id", "topic", "key", "body", "events"))
                if counts.get("changed"):
                    await connection.execute(sql.INSERT_CHANGED_EVENTS)
            if prepared.issues.height:
                issues = prepared.issues.select(pl.lit(str(job.id)).alias("job_id"), pl.all())
                await connection.copy_to_table("import_errors", schema_name="registry", source=_csv(issues),
                                               columns=sql.ISSUE_COLUMNS, format="csv")
            if before is not None:
                # The chunk before this one commits first: its statements may still be running
                # (they started earlier but can take longer), and this chunk's progress update
                # requires rows_done to be where the one before leaves it. Waited on without
                # being cancelled with this chunk (asyncio.wait, not await).
                await asyncio.wait([before])
            # Work time: since the previous commit of this run (reading and preparing overlap writing).
            elapsed = time.perf_counter() - self._last_commit
            row = await connection.fetchrow(sql.PROGRESS, job.id, self.owner, rows_done, prepared.failed,
                                            prepared.warned, counts.get("new", 0), counts.get("changed", 0),
                                            counts.get("same", 0), elapsed, LEASE_SECONDS, start)
            if row is None:
                raise LeaseLost(f"{job.id}: the job is not at row {start} or not leased by this process")
            state = job_state(SimpleNamespace(**dict(row)))
            await connection.executemany(
                "INSERT INTO registry.outbox (event_id, topic, key, body) VALUES ($1, $2, $3, $4)",
                [(r["event_id"], r["topic"], r["key"], r["body"]) for r in outbox_rows(
                    [events.registry_event(events.IMPORT_PROGRESSED, key=job.id, payload=state)])])

    async def finish(self, job_id: uuid.UUID, *, status: str, error: str | None = None) -> None:
        async with self.database.sessionmaker() as session:
            job = (await session.scalars(select(ImportJob).where(ImportJob.id == job_id).with_for_update())).one()
            if job.status in ("succeeded", "failed"):
                return
            if job.lease_owner not in (None, self.owner):
                return
            job.status, job.error = status, error
            job.finished_at = job.updated_at = datetime.now(UTC)
            job.lease_owner, job.lease_until = None, None
            await add_events(session, outbox, [events.registry_event(events.IMPORT_FINISHED, key=job.id,
                                                                     payload=job_state(job))])
            await session.commit()
            path = Path(job.path)
        with contextlib.suppress(OSError):
            await asyncio.to_thread(path.unlink)
        logger.info("import job finished", extra={"job_id": str(job_id), "status": status})

    async def _context(self, job: ImportJob) -> Context:
        async with self.database.sessionmaker() as session:
            programmes = dict((await session.execute(select(Programme.code, Programme.ministry_code))).all())
            ministries = frozenset((await session.scalars(select(Ministry.code))).all())
            units: dict[str, dict[int, int | None]] = {}
            for level, code, parent in (await session.execute(
                    select(GeoUnit.level, GeoUnit.code, GeoUnit.parent_code))).all():
                units.setdefault(level, {})[code] = parent
        return Context(job_ministry=job.ministry_code, operator=OPERATOR_ROLE in (job.roles or []),
                       today=datetime.now(UTC).date(), programmes=programmes, ministries=ministries, units=units)

    async def _register_programmes(self, job: ImportJob, fresh: dict[str, str], context: Context) -> None:
        """Programmes first seen in the file are registered as their ministry's, as
        `POST /beneficiaries` does (one audit entry each)."""
        async with self.database.sessionmaker() as session:
            for code, ministry in fresh.items():
                inserted = (await session.execute(
                    pg_insert(Programme).values(code=code, name_bn=code, name_en=code, ministry_code=ministry)
                    .on_conflict_do_nothing(index_elements=[Programme.code]).returning(Programme.code))).scalar()
                if inserted:
                    await audit.record(session, caller=Caller(ministry_code=job.ministry_code,
                                                              roles=frozenset(job.roles or [])),
                                       action=audit.CREATE, entity_type="programme", entity_ids=[code],
                                       detail={"via": "import", "import_job": str(job.id), "ministry_code": ministry})
            await session.commit()
            owners = (await session.execute(select(Programme.code, Programme.ministry_code)
                                            .where(Programme.code.in_(list(fresh))))).all()
        context.programmes.update(dict(owners))


class BrokenReferences(RuntimeError):
    """A chunk's rows name a parent that is not there (a bug, not bad input: rows are checked
    before they are written). The chunk is rolled back and the job fails."""


async def can_skip_row_triggers(connection: asyncpg.Connection) -> bool:
    """Whether this database role may set `session_replication_role` (a superuser, or on
    PostgreSQL 15+ a role granted `SET ON PARAMETER session_replication_role`). Without it the
    chunks are written with the foreign-key triggers firing, as any other write: slower, the same
    result."""
    try:
        async with connection.transaction():
            await connection.execute("SET LOCAL session_replication_role = replica")
    except asyncpg.InsufficientPrivilegeError:
        logger.warning("import: this role cannot set session_replication_role; foreign keys are checked per row")
        return False
    return True


async def write_rows(connection: asyncpg.Connection, statements: list[tuple[str, bool]], *, now: datetime,
                     check_parents: str | None) -> None:
    """Run a chunk's write statements (in its open transaction). With `check_parents`, the
    per-row foreign-key triggers are off for them, and that one query checks the chunk's
    references instead (see `sql._parents_check`); the audit log's own triggers fire always."""
    if check_parents is not None:
        await connection.execute("SET LOCAL session_replication_role = replica")
    for statement, stamped in statements:
        await connection.execute(statement, *((now,) if stamped else ()))
    if check_parents is not None:
        # (a failed statement rolls the transaction back, and the SET LOCAL with it)
        await connection.execute("SET LOCAL session_replication_role = origin")
        missing = await connection.fetchrow(check_parents)
        if any(missing.values()):
            raise BrokenReferences("the chunk's rows name missing parents: "
                                   + ", ".join(f"{name} {count}" for name, count in missing.items() if count))


def _csv(frame: pl.DataFrame) -> io.BytesIO:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="")
    buffer.seek(0)
    return buffer


async def _first_of(*waitables: asyncio.Event) -> None:
    tasks = [asyncio.create_task(w.wait()) for w in waitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
