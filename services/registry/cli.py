"""``registry`` command line.

    DATABASE_URL=... registry import FILE.parquet [--ministry MOSW] [--rejects REJECTS.jsonl]

Imports ministry records (benchmark columns; see services/registry/imports/reader.py) straight
into the registry's database, with the checks, events and audit entries of
`POST /beneficiaries`. The events wait in the outbox; the running registry service's relay
publishes them. A summary goes to stdout as one JSON line.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import orjson
import typer

from services.registry.imports.reader import read_records
from services.registry.imports.service import ImportReport, Rejection, import_records
from shared.db import Database
from shared.settings import ConfigurationError, ServiceSettings, load_settings

app = typer.Typer(help="Registry tools.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Registry tools."""


def _settings() -> ServiceSettings:
    # The import writes only to PostgreSQL; the broker setting is required by the shared
    # settings but never used here.
    try:
        return load_settings(ServiceSettings, service_name="registry-import",
                             kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "unused:9092")
    except ConfigurationError as error:
        raise typer.BadParameter(str(error)) from None


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help=".parquet or .csv with benchmark columns"),
    ministry: str | None = typer.Option(None, help="Accept only this ministry's records"),
    rejects: Path | None = typer.Option(None, help="Write each rejected record as a JSON line here"),
    batch_size: int = typer.Option(5_000, min=1, max=50_000),
    workers: int = typer.Option(max(1, (os.cpu_count() or 2) - 1), min=0,
                                 help="Processes that check and build records while this one writes (0: none)"),
) -> None:
    """Import a ministry file into the registry."""
    report = asyncio.run(_run(path, ministry.upper() if ministry else None, rejects, batch_size, workers))
    print(orjson.dumps({"rows": report.rows, "created": report.created, "updated": report.updated,
                        "rejected": report.rejected, "seconds": round(report.seconds, 2),
                        "rows_per_second": round(report.rows_per_second)}).decode())
    if report.rows and report.rejected == report.rows:
        sys.exit(1)


async def _run(path: Path, ministry: str | None, rejects: Path | None, batch_size: int,
               workers: int) -> ImportReport:
    database = Database(_settings())
    handle = rejects.open("wb") if rejects else None

    def write(rejection: Rejection) -> None:
        if handle is not None:
            handle.write(orjson.dumps({"row": rejection.row, "source_record_id": rejection.source_record_id,
                                       "errors": rejection.errors}, default=repr) + b"\n")

    try:
        return await import_records(database, records=read_records(path), only_ministry=ministry,
                                    batch_size=batch_size, workers=workers, on_rejection=write,
                                    keep_rejections=0)
    finally:
        if handle is not None:
            handle.close()
        await database.dispose()


if __name__ == "__main__":
    app()
