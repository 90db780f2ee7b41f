"""Async SQLAlchemy engine and sessions, one schema per service.

Every service owns one PostgreSQL schema; its tables are declared with that schema in their
`MetaData`, so two services can share a database server in development without sharing tables.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from shared.settings import ServiceSettings

# Constraint names that Alembic can diff and that read well in error messages.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def declarative_base_for(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables all live in `schema`."""

    class Base(DeclarativeBase):
        metadata = service_metadata(schema)

    return Base


class Database:
    """Engine plus session factory; one per process, stored on `app.state.db`.

    Beside them, `pool()` is a plain asyncpg pool for hot paths that are one prepared statement
    (`GET /registry/persons/{id}`): through the ORM such a read costs about ten times its query
    in Python, and every checkout of the engine's pool pings the server first (one more round
    trip). asyncpg sees at once when the server closes a connection (restart, terminated
    backend), and its pool then opens a new one on the next acquire."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        # asyncpg's pool hands a released connection to whichever task asks first: under load a
        # waiter that loses that race queues again at the back (asyncio.Queue), and the tail
        # latency grows tenfold. A semaphore of the pool's size queues the waiters first come,
        # first served (CPython >= 3.11.1), and who holds it is sure to find a free connection.
        self._pool_turns = asyncio.Semaphore(settings.db_pool_size)
        self.engine: AsyncEngine = create_async_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
            connect_args={"server_settings": {"application_name": settings.service_name}, "timeout": 5},
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def pool(self) -> asyncpg.Pool:
        """The asyncpg pool, created on first use (in the serving event loop). For single
        statements that leave no session state behind (no SET, LISTEN, cursor or advisory
        lock): a released connection is not reset, which would cost a round trip per use."""
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.settings.sync_database_url, min_size=1, max_size=self.settings.db_pool_size,
                        timeout=5, server_settings={"application_name": self.settings.service_name},
                        reset=_keep_session)
        return self._pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of `pool()`, waiters served in order of arrival."""
        pool = self._pool or await self.pool()
        async with self._pool_turns, pool.acquire() as connection:
            yield connection

    async def dispose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await self.engine.dispose()


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release without `RESET ALL; UNLISTEN *; ...` (asyncpg still rolls back an open
    transaction first, e.g. of a cancelled request)."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session whose transaction the use case commits (or not)."""
    database: Database = request.app.state.db
    async with database.sessionmaker() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]
