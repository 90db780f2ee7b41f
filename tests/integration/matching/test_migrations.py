"""Matching migrations that move stored data, run forwards and backwards on a database of their own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import polars as pl
import pytest
from alembic import command

from devstack.stack import Stack
from services.matching.engine.blocking import BlockingRule, default_rules
from services.matching.engine.normalize import normalize_table
from services.matching.linking import bulk
from services.matching.linking.frames import family_block_keys
from shared.migrations import alembic_config, upgrade
from tests.integration.matching.scratch import scratch_database
from tests.integration.matching.test_incremental_agrees_with_batch import BENCH_FILE, RECORD_COLUMNS

pytestmark = pytest.mark.integration

WHOLE_NID, FIRST_NAME_YEAR_DISTRICT = 0, 6  # the families migration 0008 retires
RETIRED = (WHOLE_NID, FIRST_NAME_YEAR_DISTRICT)


@pytest.fixture
async def own_url(infra: Stack) -> AsyncIterator[str]:
    async with scratch_database(infra, "matching_migrations") as url:
        yield url


def _retired_rule_keys(keys: pl.DataFrame) -> set[tuple[int, int, str]]:
    """(family, row, key) of the retired rules, as they were written: the whole NID, and first name +
    birth year + district in either script."""
    whole_nid = family_block_keys(keys, [BlockingRule("nid13", pl.col("nid13"))])
    first_year_district = family_block_keys(keys, [BlockingRule(f"first_{script}+year+district", pl.concat_str(
        [pl.col(f"name_{script}").str.split(" ").list.first(), pl.col("birth_year").cast(pl.String),
         pl.col("district_code").cast(pl.String)], separator="|")) for script in ("bn", "en")])
    return ({(WHOLE_NID, row, key) for row, key in whole_nid.select("row", "key").iter_rows()}
            | {(FIRST_NAME_YEAR_DISTRICT, row, key)
               for row, key in first_year_district.select("row", "key").iter_rows()})


@pytest.mark.skipif(not BENCH_FILE.exists(), reason="bench file not available")
async def test_retiring_two_block_families_deletes_their_keys_and_a_downgrade_rebuilds_them(
        own_url: str) -> None:
    await asyncio.to_thread(upgrade, "matching", own_url)
    table = pl.read_parquet(BENCH_FILE, columns=RECORD_COLUMNS).head(3_000)
    keys = normalize_table(table)
    record_ids = pl.Series("record_id", [str(uuid.uuid4()) for _ in range(table.height)])
    raw = await asyncpg.connect(own_url)
    try:
        async with raw.transaction():
            await bulk.load_keys(raw, record_ids, keys)
        # (the sentinel of migration 0010 aside)
        stored = await raw.fetch("SELECT rule, key, record_id::text AS record_id FROM matching.block_keys "
                                 "WHERE rule >= 0")
        assert stored and all(r["rule"] not in RETIRED for r in stored)

        await asyncio.to_thread(command.downgrade, alembic_config("matching", own_url), "0007")
        rebuilt = await raw.fetch("SELECT rule, key, record_id::text AS record_id FROM matching.block_keys "
                                  "WHERE rule = ANY($1::smallint[])", RETIRED)
        row_of = {record_id: row for row, record_id in enumerate(record_ids.to_list())}
        expected = _retired_rule_keys(keys)
        # most records have a NID, and a name, a birth year and a district
        assert all(sum(family == f for family, _, _ in expected) > 1_000 for f in RETIRED)
        assert {(r["rule"], row_of[r["record_id"]], r["key"]) for r in rebuilt} == expected
        # the other families are untouched
        assert await raw.fetchval("SELECT count(*) FROM matching.block_keys WHERE rule <> ALL($1::smallint[])",
                                  RETIRED) == len(stored)

        await asyncio.to_thread(upgrade, "matching", own_url)
        assert await raw.fetchval("SELECT count(*) FROM matching.block_keys WHERE rule = ANY($1::smallint[])",
                                  RETIRED) == 0
        assert await raw.fetchval("SELECT count(*) FROM matching.block_keys WHERE rule >= 0") == len(stored)
    finally:
        await raw.close()


def test_no_default_rule_uses_a_retired_family_number() -> None:
    from services.matching.linking.frames import rule_families

    assert not set(RETIRED) & set(rule_families(default_rules()).tolist())


async def test_record_keys_remember_the_transaction_that_stored_them_from_revision_0009(own_url: str) -> None:
    await asyncio.to_thread(upgrade, "matching", own_url, "0008")
    raw = await asyncpg.connect(own_url)
    try:
        before, after = uuid.uuid4(), uuid.uuid4()
        await raw.execute("INSERT INTO matching.record_keys (record_id, keys) VALUES ($1, 'a,b')", before)
        await asyncio.to_thread(upgrade, "matching", own_url)
        async with raw.transaction():
            await raw.execute("INSERT INTO matching.record_keys (record_id, keys) VALUES ($1, 'c,d')", after)
            storing = await raw.fetchval("SELECT pg_current_xact_id()::text")
        rows = {r["record_id"]: (r["stored_by"], r["restored"]) for r in await raw.fetch(
            "SELECT record_id, stored_by::text AS stored_by, restored FROM matching.record_keys")}
        # a row stored before the revision is visible to every snapshot: no transaction id, no rewrite
        assert rows == {before: (None, False), after: (storing, False)}

        await asyncio.to_thread(command.downgrade, alembic_config("matching", own_url), "0008")
        columns = {r["column_name"] for r in await raw.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'matching' AND table_name = 'record_keys'")}
        assert columns == {"record_id", "keys", "updated_at"}
    finally:
        await raw.close()


async def _persistence_and_sentinels(raw: asyncpg.Connection) -> tuple[str, int]:
    return (await raw.fetchval("SELECT relpersistence::text FROM pg_class WHERE oid = 'matching.block_keys'::regclass"),
            await raw.fetchval("SELECT count(*) FROM matching.block_keys WHERE rule = -1"))


@pytest.mark.skipif(not BENCH_FILE.exists(), reason="bench file not available")
async def test_the_block_key_index_becomes_unlogged_with_its_sentinel_and_a_downgrade_logs_it_again(
        own_url: str) -> None:
    await asyncio.to_thread(upgrade, "matching", own_url)
    table = pl.read_parquet(BENCH_FILE, columns=RECORD_COLUMNS).head(500)
    raw = await asyncpg.connect(own_url)
    try:
        async with raw.transaction():
            await bulk.load_keys(raw, pl.Series("record_id", [str(uuid.uuid4()) for _ in range(table.height)]),
                                 normalize_table(table))
        keys = await raw.fetchval("SELECT count(*) FROM matching.block_keys WHERE rule >= 0")
        assert keys > 1_000
        assert await _persistence_and_sentinels(raw) == ("u", 1)

        await asyncio.to_thread(command.downgrade, alembic_config("matching", own_url), "0009")
        assert await _persistence_and_sentinels(raw) == ("p", 0)
        assert await raw.fetchval("SELECT count(*) FROM matching.block_keys") == keys

        await asyncio.to_thread(upgrade, "matching", own_url)
        assert await _persistence_and_sentinels(raw) == ("u", 1)
        assert await raw.fetchval("SELECT count(*) FROM matching.block_keys WHERE rule >= 0") == keys
    finally:
        await raw.close()
