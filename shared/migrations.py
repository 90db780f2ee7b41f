"""Alembic glue: one migration history per service, each in its own schema.

`upgrade(service, url)` is what `make migrate`, the dev stack and the Kubernetes Job call;
`run_env(metadata)` is the body of every service's `migrations/env.py`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import ServiceSettings

SERVICES_WITH_MIGRATIONS = ("registry", "matching", "minutes")


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files(f"services.{service}") / "migrations"))
    config.set_main_option("sqlalchemy.url", ServiceSettings._asyncpg_url(database_url).replace("%", "%%"))
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def run_env(target_metadata: MetaData) -> None:
    """Run migrations online against the service's schema (called from env.py)."""
    schema = target_metadata.schema
    assert schema, "service metadata must name its schema"
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")

    def do_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(ServiceSettings._asyncpg_url(url), poolclass=pool.NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def main() -> None:
    """`python -m shared.migrations [service ...]`: upgrade the named (default: all) services."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("error: DATABASE_URL is not set")
    for service in sys.argv[1:] or SERVICES_WITH_MIGRATIONS:
        upgrade(service, url)
        print(f"migrated {service}")


if __name__ == "__main__":
    main()
