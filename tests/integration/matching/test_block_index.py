"""The blocking-key index is an unlogged table (migration 0010): PostgreSQL empties it when it
recovers from a crash. Linking then refuses to match (its candidates would be incomplete) and the
service rebuilds the index from the stored record keys: the same keys as before, and linking finds
its candidates again. Against the real PostgreSQL, crashed for real in the last test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import polars as pl
import pytest
from sqlalchemy import text

from devstack.postgres import EmbeddedPostgres
from devstack.procs import free_port
from devstack.stack import Stack
from services.matching.app import create_app
from services.matching.linking.block_index import block_index_built, ensure_block_index, guard_block_index
from services.matching.linking.service import BlockIndexNotBuilt, link_records
from shared.db import Database
from shared.migrations import upgrade
from tests.conftest import settings_for
from tests.integration.matching.scratch import as_new_records, migrated_matching_database
from tests.integration.matching.test_incremental_linking import _person_of, person_record
from tests.paths import BENCH_DIR

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_database(infra: Stack) -> AsyncIterator[Database]:
    async with migrated_matching_database(infra, "matching_block_index") as database:
        yield database


def _bench_records(n: int) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    return as_new_records(pl.read_parquet(BENCH_DIR / "bd_100000_s42.parquet").head(n))


async def _link(database: Database, records: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    async with database.sessionmaker() as session, session.begin():
        await link_records(session, records)


async def _block_keys(database: Database) -> set[tuple[int, str, str]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(text("SELECT rule, key, record_id::text FROM matching.block_keys"))
        return {tuple(row) for row in rows.all()}


async def _count(database: Database, table: str) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM matching.{table}")))


async def _empty_as_after_a_crash(database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        await session.execute(text("TRUNCATE matching.block_keys"))


async def test_linking_refuses_an_emptied_index_and_the_rebuild_restores_every_key(own_database: Database) -> None:
    database = own_database
    await _link(database, _bench_records(600))
    rahim = person_record()
    first = uuid.uuid4()
    await _link(database, [(first, rahim)])
    before = await _block_keys(database)
    assert len(before) > 3_000 and (-1, "", "00000000-0000-0000-0000-000000000000") in before
    assert await ensure_block_index(database) is None  # whole: nothing to do

    await _empty_as_after_a_crash(database)
    assert not await block_index_built(database)
    records, links = await _count(database, "record_keys"), await _count(database, "person_links")
    again = uuid.uuid4()
    with pytest.raises(BlockIndexNotBuilt):
        await _link(database, [(again, {**rahim, "phone": None})])
    # nothing of the refused batch is kept
    assert (await _count(database, "record_keys"), await _count(database, "person_links")) == (records, links)

    written = await ensure_block_index(database)
    assert written == len(before) - 1  # every key but the sentinel, which is back too
    assert await _block_keys(database) == before
    assert await ensure_block_index(database) is None

    await _link(database, [(again, {**rahim, "phone": None})])
    assert await _person_of(database, again) == await _person_of(database, first) is not None


async def test_the_match_api_answers_503_with_retry_after_while_the_index_is_empty(infra: Stack) -> None:
    async with migrated_matching_database(infra, "matching_block_api") as database:
        await _link(database, [(uuid.uuid4(), person_record())])
        await _empty_as_after_a_crash(database)
        app = create_app(settings_for(infra, database_url=database.settings.database_url))
        app.state.db = database  # what the lifespan would set; its guard is not started here
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            response = await client.post("/match", json=person_record())
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"]
        assert response.json()["detail"][0]["type"] == "block_index_rebuilding"


async def test_the_match_api_answers_503_instead_of_waiting_for_a_rebuild_holding_the_index(infra: Stack) -> None:
    async with migrated_matching_database(infra, "matching_block_lock") as database:
        await _link(database, [(uuid.uuid4(), person_record())])
        app = create_app(settings_for(infra, database_url=database.settings.database_url))
        app.state.db = database
        async with database.sessionmaker() as rebuild, rebuild.begin():
            await rebuild.execute(text("LOCK TABLE matching.block_keys IN ACCESS EXCLUSIVE MODE"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
                # waiting for the lock would wait until this test lets go of it: a failure, not a hang
                response = await asyncio.wait_for(client.post("/match", json=person_record()), timeout=30)
        assert response.status_code == 503, response.text
        assert response.json()["detail"][0]["type"] == "block_index_rebuilding"


async def test_a_real_crash_empties_the_index_and_the_guard_rebuilds_it(infra: Stack) -> None:
    # durable commits (the test cluster commits without waiting for the WAL: a crash would lose them)
    postgres = EmbeddedPostgres(f"pg-crash-{uuid.uuid4().hex[:8]}", free_port(), fast_and_unsafe=False)
    await asyncio.to_thread(postgres.start)
    try:
        await asyncio.to_thread(upgrade, "matching", postgres.url)
        settings = settings_for(infra, database_url=postgres.url)
        database = Database(settings)
        try:
            records = _bench_records(300)
            await _link(database, records)
            before = await _block_keys(database)
            stored = await _count(database, "record_keys")
        finally:
            await database.dispose()
        assert stored == len(records) and len(before) > 1_000

        await asyncio.to_thread(postgres.crash)
        await asyncio.to_thread(postgres.start)
        database = Database(settings)
        try:
            # the records survive the crash; the unlogged index, sentinel included, does not
            assert await _count(database, "record_keys") == stored
            assert await _count(database, "block_keys") == 0
            stop = asyncio.Event()
            guard = asyncio.create_task(guard_block_index(database, stop, interval_s=0.2))
            try:
                for _ in range(300):
                    if await block_index_built(database):
                        break
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await guard
            assert await _block_keys(database) == before
        finally:
            await database.dispose()
    finally:
        await asyncio.to_thread(postgres.destroy)
