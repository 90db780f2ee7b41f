"""Async SQLAlchemy engine and sessions, one schema per service.

Every service owns one PostgreSQL schema; its tables are declared with that schema in their
`MetaData`, so two services can share a database server in development without sharing tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

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
    """Engine plus session factory; one per process, stored on `app.state.db`."""

    def __init__(self, settings: ServiceSettings) -> None:
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

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: a session whose transaction the use case commits (or not)."""
    database: Database = request.app.state.db
    async with database.sessionmaker() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_session)]
