"""Bulk import against the real database: the same rows, events and audit entries as the API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.stack import Stack
from services.registry.imports.service import import_records
from shared.db import Database
from tests.conftest import settings_for
from tests.integration.registry.factories import headers, unique_nid13, unique_phone


@pytest.fixture(scope="module")
async def database(infra: Stack) -> AsyncIterator[Database]:
    database = Database(settings_for(infra))
    yield database
    await database.dispose()


def a_record(tag: str, n: int, **overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "ministry_code": "MoFood", "programme_code": "FFP", "source_record_id": f"{tag}-{n}",
        "name_bn": "রহিমা খাতুন", "name_en": "Rahima Khatun", "gender": "F", "date_of_birth": "1975",
        "nid": unique_nid13(), "phone": unique_phone(), "address": {"union_code": 1927, "ward": 3}}
    record.update(overrides)
    return record


async def test_an_import_stores_valid_records_and_reports_the_rest(database: Database, engine: AsyncEngine,
                                                                   registry: httpx.AsyncClient) -> None:
    tag = f"IMP{uuid.uuid4().hex[:6]}"
    records = [a_record(tag, n) for n in range(7)]
    records[2]["nid"] = "12345"
    records[4]["programme_code"] = "OAA"
    records.append({**records[0], "phone": "01819-556677"})  # the same record again, later in the file
    report = await import_records(database, records=records, batch_size=3)

    assert (report.rows, report.created, report.updated, report.rejected) == (8, 5, 1, 2)
    assert {(r.row, r.errors[0]["type"]) for r in report.rejections} == {(2, "nid.length"),
                                                                         (4, "programme.not_yours")}
    async with engine.connect() as connection:
        stored = (await connection.execute(text(
            "SELECT e.id, e.person_id, e.version, a.district_code FROM registry.enrolments e "
            "JOIN registry.persons p ON p.id = e.person_id JOIN registry.addresses a ON a.id = p.address_id "
            "WHERE e.source_record_id LIKE :tag ORDER BY e.source_record_id"), {"tag": f"{tag}-%"})).all()
        assert len(stored) == 5 and {row.district_code for row in stored} == {27}
        first = stored[0]
        topics = (await connection.execute(text(
            "SELECT topic FROM registry.outbox WHERE key IN (:p, :e) ORDER BY id"),
            {"p": str(first.person_id), "e": str(first.id)})).scalars().all()
        audited = await connection.scalar(text(
            "SELECT count(*) FROM registry.audit_log WHERE entity_id = :p AND action = 'create' "
            "AND actor_ministry = 'MOFOOD'"), {"p": str(first.person_id)})
    assert topics[:3] == ["registry.person.upserted", "registry.beneficiary.upserted",
                          "registry.enrolment.upserted"]
    assert topics[3:] == ["registry.person.upserted", "registry.beneficiary.upserted"]  # the repeated record
    assert audited == 1

    # What the import stored reads back through the API like anything else.
    person = await registry.get(f"/persons/{first.person_id}", headers=headers("MOFOOD"))
    assert person.status_code == 200 and person.json()["phone"] == "+8801819556677"
    found = await registry.get("/persons/search", params={"nid": records[1]["nid"]}, headers=headers("MOFOOD"))
    assert len(found.json()["hits"]) == 1


async def test_importing_the_same_file_again_updates_instead_of_duplicating(database: Database) -> None:
    tag = f"RE{uuid.uuid4().hex[:6]}"
    records = [a_record(tag, n) for n in range(4)]
    first = await import_records(database, records=records)
    again = await import_records(database, records=records)
    assert (first.created, first.updated) == (4, 0)
    assert (again.created, again.updated, again.rejected) == (0, 4, 0)


async def test_worker_processes_import_the_same_way(database: Database, engine: AsyncEngine) -> None:
    tag = f"WK{uuid.uuid4().hex[:6]}"
    records = [a_record(tag, n) for n in range(9)]
    records[5]["phone"] = "02-9515530"
    report = await import_records(database, records=records, batch_size=2, workers=1)
    assert (report.rows, report.created, report.rejected) == (9, 8, 1)
    assert report.rejections[0].row == 5 and report.rejections[0].errors[0]["type"] == "phone.not_mobile"
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT count(*) FROM registry.enrolments "
                                              "WHERE source_record_id LIKE :tag"), {"tag": f"{tag}-%"})
    assert stored == 8


async def test_an_import_registers_new_programmes_for_the_first_ministry_to_send_them(
        database: Database, registry: httpx.AsyncClient) -> None:
    tag, code = f"NP{uuid.uuid4().hex[:6]}", "N" + uuid.uuid4().hex[:8].upper()
    records = [a_record(tag, 0, programme_code=code), a_record(tag, 1, programme_code=code),
               a_record(tag, 2, programme_code=code, ministry_code="MOSW")]
    report = await import_records(database, records=records, batch_size=10)
    assert (report.created, report.rejected) == (2, 1)
    assert report.rejections[0].row == 2 and report.rejections[0].errors[0]["type"] == "programme.not_yours"
    owners = {p["code"]: p["ministry_code"] for p in (await registry.get("/programmes")).json()}
    assert owners[code] == "MOFOOD"
