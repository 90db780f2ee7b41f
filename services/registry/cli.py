"""``registry`` command line, for operations.

    registry import FILE --ministry MOSW [--url URL] [--errors ERRORS.csv]   # through the HTTP API
    registry import FILE --ministry MOSW --direct                           # in this process (DATABASE_URL)
    registry job JOB_ID --ministry MOSW [--url URL]
    registry export PROGRAMME --ministry MOSW --out FILE.csv [--url URL | --direct]

`import` uploads a Parquet, CSV, JSON Lines or XLSX file to `POST /imports`, then shows a
progress bar from `GET /imports/{id}` until the job ends and prints its summary as one JSON
line (exit status 1 if the job failed). `--direct` runs the same job machinery in this process
against DATABASE_URL, for when the service is not reachable. The URL is the registry's, through
the gateway (`REGISTRY_URL`, default http://127.0.0.1:8080/registry).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.registry.access import Caller
from shared.db import Database
from shared.ids import new_id
from shared.settings import ConfigurationError, ServiceSettings, load_settings

app = typer.Typer(help="Registry tools.", no_args_is_help=True)

DEFAULT_URL = "http://127.0.0.1:8080/registry"
UrlOption = typer.Option(None, "--url", envvar="REGISTRY_URL", help=f"The registry's base URL (default {DEFAULT_URL})")
MinistryOption = typer.Option(..., "--ministry", help="The calling ministry (X-Ministry-Code)")


@app.callback()
def main() -> None:
    """Registry tools."""


def _settings() -> ServiceSettings:
    # --direct writes only to PostgreSQL; the broker setting is required by the shared
    # settings but never used here.
    try:
        return load_settings(ServiceSettings, service_name="registry-cli",
                             kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "unused:9092")
    except ConfigurationError as error:
        raise typer.BadParameter(str(error)) from None


def _headers(ministry: str, roles: str | None) -> dict[str, str]:
    headers = {"X-Ministry-Code": ministry.upper()}
    if roles:
        headers["X-Roles"] = roles
    return headers


def _summary(job: dict[str, Any]) -> str:
    keys = ("id", "status", "rows_total", "rows_done", "rows_failed", "rows_warned", "rows_created", "rows_updated",
            "rows_unchanged", "rows_per_s", "error")
    return orjson.dumps({k: job.get(k) for k in keys}, default=str).decode()


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[failed]} failed"), TextColumn("{task.fields[rate]} rows/s"),
                    TimeRemainingColumn(), transient=False, disable=not sys.stderr.isatty(),
                    console=None)


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help=".parquet, .csv, .jsonl or .xlsx"),
    ministry: str = MinistryOption,
    roles: str | None = typer.Option(None, help="X-Roles, e.g. operator for a file of several ministries"),
    url: str | None = UrlOption,
    direct: bool = typer.Option(False, help="Run the job in this process against DATABASE_URL"),
    file_format: str | None = typer.Option(None, "--format", help="parquet, csv, jsonl or xlsx (default: from name)"),
    chunk_rows: int | None = typer.Option(None, min=100, max=200_000, help="Rows per transaction"),
    errors: Path | None = typer.Option(None, help="Write the per-row report (errors and warnings) here as CSV"),
) -> None:
    """Import a ministry file and follow its job."""
    if direct:
        job = asyncio.run(_import_direct(path, ministry.upper(), roles, file_format, chunk_rows, errors))
    else:
        job = _import_http(path, ministry, roles, url or DEFAULT_URL, file_format, chunk_rows, errors)
    print(_summary(job))
    if job["status"] != "succeeded":
        raise typer.Exit(1)


def _import_http(path: Path, ministry: str, roles: str | None, url: str, file_format: str | None,
                 chunk_rows: int | None, errors: Path | None) -> dict[str, Any]:
    headers = _headers(ministry, roles)
    data = {k: str(v) for k, v in (("format", file_format), ("chunk_rows", chunk_rows)) if v}
    with httpx.Client(base_url=url.rstrip("/"), timeout=600) as client:
        with path.open("rb") as handle:  # streamed from disk, not read whole
            response = client.post("/imports", files={"file": (path.name, handle)}, data=data, headers=headers)
        if response.status_code != 202:
            raise typer.BadParameter(f"upload refused ({response.status_code}): {response.text[:500]}")
        job = response.json()
        with _progress() as progress:
            task = progress.add_task(path.name, total=None, failed=0, rate="-")
            while job["status"] in ("queued", "running"):
                time.sleep(0.5)
                job = client.get(f"/imports/{job['id']}", headers=headers).raise_for_status().json()
                progress.update(task, total=job["rows_total"], completed=job["rows_done"], failed=job["rows_failed"],
                                rate=round(job["rows_per_s"] or 0))
        if errors is not None:
            with errors.open("wb") as out, client.stream("GET", f"/imports/{job['id']}/errors.csv",
                                                         headers=headers) as stream:
                for block in stream.raise_for_status().iter_bytes():
                    out.write(block)
    return job


async def _import_direct(path: Path, ministry: str, roles: str | None, file_format: str | None,
                         chunk_rows: int | None, errors: Path | None) -> dict[str, Any]:
    from services.registry.imports import jobs
    from services.registry.imports.formats import format_of
    from services.registry.imports.models import ImportJob
    from services.registry.imports.router import ISSUE_HEADER, _csv_line

    settings = _settings()
    database = Database(settings)
    try:
        fmt = format_of(path.name, file_format)
        job_id = new_id()
        target = jobs.import_dir(settings) / f"{job_id}.{fmt}"
        await asyncio.to_thread(shutil.copyfile, path, target)
        caller = Caller(ministry_code=ministry, roles=frozenset(r.strip().lower() for r in (roles or "").split(",")
                                                                if r.strip()))
        await jobs.create_job(database, caller=caller, filename=path.name, fmt=fmt, path=target, sha256="-",
                              size_bytes=target.stat().st_size, chunk_rows=chunk_rows or jobs.default_chunk_rows(),
                              request_id=None)
        runner = jobs.ImportRunner(database, settings)
        from sqlalchemy import text

        async with database.engine.begin() as connection:  # this process runs it, now
            await connection.execute(text(
                "UPDATE registry.import_jobs SET status = 'running', lease_owner = :owner, attempts = 1, "
                "started_at = now(), lease_until = now() + interval '1 minute' WHERE id = :id"),
                {"owner": runner.owner, "id": job_id})
        work = asyncio.create_task(runner.process(job_id))
        with _progress() as progress:
            task = progress.add_task(path.name, total=None, failed=0, rate="-")
            while True:
                async with database.sessionmaker() as session:
                    row = await session.get(ImportJob, job_id, populate_existing=True)
                    state = jobs.job_state(row)
                progress.update(task, total=state["rows_total"], completed=state["rows_done"],
                                failed=state["rows_failed"], rate=round(state["rows_per_s"] or 0))
                if work.done():
                    break
                await asyncio.sleep(0.5)
        await work
        async with database.sessionmaker() as session:
            state = jobs.job_state(await session.get(ImportJob, job_id, populate_existing=True))
        if errors is not None:
            async with database.engine.connect() as connection:
                rows = (await connection.execute(text(
                    "SELECT row_number, severity, field, value, code, reason, source_record_id "
                    "FROM registry.import_errors WHERE job_id = :id ORDER BY row_number, id"), {"id": job_id})).all()
            with errors.open("wb") as out:
                out.write(_csv_line(ISSUE_HEADER))
                out.writelines(_csv_line(tuple(r)) for r in rows)
        return state
    finally:
        await database.dispose()


@app.command("job")
def show_job(job_id: str = typer.Argument(..., help="The import job's id"), ministry: str = MinistryOption,
             url: str | None = UrlOption) -> None:
    """Show an import job (status, rows done / total / failed, rate, ETA) as JSON."""
    with httpx.Client(base_url=(url or DEFAULT_URL).rstrip("/"), timeout=30) as client:
        response = client.get(f"/imports/{job_id}", headers=_headers(ministry, None))
    if response.status_code != 200:
        raise typer.BadParameter(f"{response.status_code}: {response.text[:500]}")
    print(orjson.dumps(response.json(), option=orjson.OPT_INDENT_2).decode())


@app.command("export")
def export_programme(
    programme: str = typer.Argument(..., help="Programme code, e.g. OAA"), ministry: str = MinistryOption,
    out: Path = typer.Option(..., "--out", help="CSV file to write"), url: str | None = UrlOption,
    direct: bool = typer.Option(False, help="Read DATABASE_URL in this process instead of the HTTP API"),
) -> None:
    """Export a programme's records as CSV, in the import's columns (its ministry only)."""
    if direct:
        rows = asyncio.run(_export_direct(programme.upper(), ministry.upper(), out))
    else:
        with httpx.Client(base_url=(url or DEFAULT_URL).rstrip("/"), timeout=600) as client, \
                client.stream("GET", f"/programmes/{programme.upper()}/records.csv",
                              headers=_headers(ministry, None)) as response:
            if response.status_code != 200:
                response.read()
                raise typer.BadParameter(f"{response.status_code}: {response.text[:500]}")
            with out.open("wb") as handle:
                for block in response.iter_bytes():
                    handle.write(block)
        rows = max(sum(1 for _ in out.open("rb")) - 1, 0)
    print(orjson.dumps({"programme": programme.upper(), "rows": rows, "out": str(out)}).decode())


async def _export_direct(programme: str, ministry: str, out: Path) -> int:
    from services.registry.audit import service as audit
    from services.registry.imports.router import export_lines
    from services.registry.programmes.models import Programme
    from services.registry.programmes.service import check_owner
    from shared.errors import DomainError

    database = Database(_settings())
    try:
        async with database.sessionmaker() as session:
            found = await session.get(Programme, programme)
            if found is None:
                raise typer.BadParameter(f"no programme {programme}")
            try:
                check_owner(found, ministry_code=ministry, loc=["programme"])
            except DomainError as error:
                raise typer.BadParameter(error.msg) from None
            await audit.record(session, caller=Caller(ministry_code=ministry), action="export",
                               entity_type="programme", entity_ids=[programme], detail={"format": "csv", "via": "cli"})
            await session.commit()
        lines = 0
        with out.open("wb") as handle:
            async for block in export_lines(database, programme):
                handle.write(block)
                lines += block.count(b"\n")
        return max(lines - 1, 0)
    finally:
        await database.dispose()


if __name__ == "__main__":
    app()
