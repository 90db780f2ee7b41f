"""How an import chunk is written: with the per-row foreign-key triggers off, one query checks the
chunk's references, and a chunk that names a missing parent leaves nothing behind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from devstack.stack import Stack
from services.registry.imports import sql
from services.registry.imports.jobs import BrokenReferences, can_skip_row_triggers, libpq_url, write_rows
from tests.conftest import settings_for


@pytest.fixture
async def connection(infra: Stack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(libpq_url(settings_for(infra)))
    await connection.execute(sql.CREATE_TEMP_TABLES)
    yield connection
    await connection.close()


async def stage_one(connection: asyncpg.Connection, *, programme: str, ministry: str) -> uuid.UUID:
    """One new record in import_stage, as a prepared chunk would COPY it; returns its person id."""
    person_id = uuid.uuid4()
    await connection.execute("""
        INSERT INTO import_stage (row_number, source_record_id, programme_code, ministry_code, name_bn, name_en,
                                  name_bn_key, name_en_key, gender, birth_year, dob_precision, nid_raw, nid_norm,
                                  nid_comp, phone_raw, phone_norm, division_code, person_id, enrolment_id, address_id)
        VALUES (1, $1, $2, $3, 'রহিমা খাতুন', 'Rahima Khatun', 'rahima khatun', 'rahima khatun', 'female', 1956,
                'year', '১৯৫৬২৬৯৪৮১২৩৪৫৬৭৮', '19562694812345678', '2694812345678', '01711-000000', '+8801711000000',
                30, $4, $5, $6)""", f"r-{uuid.uuid4().hex[:10]}", programme, ministry, person_id, uuid.uuid4(),
        uuid.uuid4())
    return person_id


async def stored(connection: asyncpg.Connection, person_id: uuid.UUID) -> dict[str, int]:
    return dict(await connection.fetchrow("""
        SELECT (SELECT count(*) FROM registry.persons WHERE id = $1) AS persons,
               (SELECT count(*) FROM registry.identifiers WHERE person_id = $1) AS identifiers,
               (SELECT count(*) FROM registry.enrolments WHERE person_id = $1) AS enrolments""", person_id))


async def test_a_chunk_is_stored_whole_with_its_references_checked_once(connection: asyncpg.Connection) -> None:
    async with connection.transaction():
        person_id = await stage_one(connection, programme="OAA", ministry="MOSW")
        await write_rows(connection, sql.ALL_NEW, now=datetime.now(UTC), check_parents=sql.CHECK_PARENTS_ALL_NEW)
        # the triggers are back on for whatever the transaction does next
        assert await connection.fetchval("SHOW session_replication_role") == "origin"
    assert await stored(connection, person_id) == {"persons": 1, "identifiers": 2, "enrolments": 1}


@pytest.mark.parametrize(("programme", "ministry", "missing"), [
    ("NO-SUCH-PROGRAMME", "MOSW", "programmes 1"),
    ("OAA", "MOWCA", "programmes 1"),  # the programme is MOSW's: another ministry cannot enrol in it
    ("OAA", "NOSUCH", "ministries 1"),
])
async def test_a_chunk_naming_a_missing_parent_leaves_nothing_behind(
        connection: asyncpg.Connection, programme: str, ministry: str, missing: str) -> None:
    person_id = uuid.uuid4()
    with pytest.raises(BrokenReferences, match=missing):
        async with connection.transaction():
            person_id = await stage_one(connection, programme=programme, ministry=ministry)
            await write_rows(connection, sql.ALL_NEW, now=datetime.now(UTC),
                             check_parents=sql.CHECK_PARENTS_ALL_NEW)
    assert await stored(connection, person_id) == {"persons": 0, "identifiers": 0, "enrolments": 0}


async def test_without_the_check_the_foreign_keys_refuse_the_same_chunk(connection: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with connection.transaction():
            await stage_one(connection, programme="OAA", ministry="MOWCA")
            await write_rows(connection, sql.ALL_NEW, now=datetime.now(UTC), check_parents=None)


async def test_only_a_role_allowed_to_set_replication_role_skips_the_row_triggers(
        infra: Stack, connection: asyncpg.Connection) -> None:
    assert await can_skip_row_triggers(connection)  # the dev stack's role is the superuser
    suffix = uuid.uuid4().hex[:8]
    plain, granted = f"importer_plain_{suffix}", f"importer_granted_{suffix}"
    for role in (plain, granted):
        await connection.execute(f"CREATE ROLE {role} LOGIN")
    await connection.execute(f"GRANT SET ON PARAMETER session_replication_role TO {granted}")
    try:
        url = libpq_url(settings_for(infra))
        for role, allowed in ((plain, False), (granted, True)):
            other = await asyncpg.connect(url, user=role)
            try:
                assert await can_skip_row_triggers(other) is allowed
            finally:
                await other.close()
    finally:
        await connection.execute(f"REVOKE SET ON PARAMETER session_replication_role FROM {granted}")
        for role in (plain, granted):
            await connection.execute(f"DROP ROLE {role}")


async def test_the_audit_log_stays_append_only_with_the_row_triggers_off(connection: asyncpg.Connection) -> None:
    for statement in ("UPDATE registry.audit_log SET action = action",
                      "DELETE FROM registry.audit_log", "TRUNCATE registry.audit_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")
                await connection.execute("INSERT INTO registry.audit_log (actor_ministry, action, entity_type) "
                                         "VALUES ('MOSW', 'read', 'person')")
                await connection.execute(statement)
