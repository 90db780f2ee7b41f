"""A database of its own on the test cluster, for tests that need an empty register or migrate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import polars as pl

from devstack.stack import Stack
from shared.db import Database
from shared.migrations import upgrade
from tests.conftest import settings_for


@asynccontextmanager
async def scratch_database(infra: Stack, prefix: str) -> AsyncIterator[str]:
    """The libpq URL of a new, empty database, dropped afterwards."""
    libpq = infra.database_url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, _ = libpq.rpartition("/")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(libpq)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def migrated_matching_database(infra: Stack, prefix: str) -> AsyncIterator[Database]:
    """A new database with the matching schema, empty, as the service's ``Database``."""
    async with scratch_database(infra, prefix) as url:
        await asyncio.to_thread(upgrade, "matching", url)
        database = Database(settings_for(infra, database_url=url))
        try:
            yield database
        finally:
            await database.dispose()


NOT_ATTRIBUTES = ("unique_id", "programme", "ministry", "person_id", "household_id")


def as_new_records(frame: pl.DataFrame) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """Rows of a bench file as new records under fresh ids: their attributes, without the ground
    truth (person_id, household_id) and the bench's own ids, empty fields left out."""
    return [(uuid.uuid4(), {k: v for k, v in row.items() if v is not None and k not in NOT_ATTRIBUTES})
            for row in frame.to_dicts()]
