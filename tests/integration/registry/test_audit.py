"""Acceptance: every read of personal data and every change is in the audit log, which
cannot be changed afterwards."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.registry.factories import audit_entries, create_person, headers, submit_record


async def test_each_read_of_personal_data_is_logged(registry: httpx.AsyncClient) -> None:
    person_id = (await create_person(registry, "MOSW"))["id"]
    for _ in range(2):
        assert (await registry.get(f"/persons/{person_id}", headers=headers("MOSW"))).status_code == 200
    assert (await registry.get(f"/persons/{person_id}", headers=headers("MOCOM"))).status_code == 403

    entries = await audit_entries(registry, entity_type="person", entity_id=person_id)
    assert [(e["action"], e["actor_ministry"]) for e in entries] == [
        ("create", "MOSW"), ("read", "MOSW"), ("read", "MOSW"), ("read.denied", "MOCOM")]
    assert all(e["occurred_at"] and e["request_id"] for e in entries)


async def test_lists_and_searches_log_every_person_they_return(registry: httpx.AsyncClient) -> None:
    person = await create_person(registry, "MOCHTA", name_en="Uchaching Marma", name_bn="উচাচিং মারমা")
    listed = await registry.get("/persons", headers=headers("MOCHTA"), params={"limit": 200})
    assert person["id"] in [p["id"] for p in listed.json()["items"]]
    found = await registry.get("/persons/search", params={"phone": person["phone"]}, headers=headers("MOCHTA"))
    assert [h["person_id"] for h in found.json()["hits"]] == [person["id"]]

    reads = [e for e in await audit_entries(registry, entity_id=person["id"]) if e["action"] == "read"]
    assert [e["detail"]["via"] for e in reads] == ["list", "search"]


async def test_every_change_is_logged(registry: httpx.AsyncClient) -> None:
    record = await submit_record(registry, "MOSW", "DIS")
    person_id, enrolment_id = record["person_id"], record["id"]
    await registry.patch(f"/persons/{person_id}", json={"phone": "01911223344"}, headers=headers("MOSW"))
    await registry.post(f"/enrolments/{enrolment_id}/deactivate", json={"reason": "moved abroad"},
                        headers=headers("MOSW"))

    person_actions = [e["action"] for e in await audit_entries(registry, entity_id=person_id)]
    enrolment_actions = [e["action"] for e in await audit_entries(registry, entity_id=enrolment_id)]
    assert person_actions == ["create", "update"]
    assert enrolment_actions == ["create", "deactivate"]


async def test_the_audit_log_is_append_only(registry: httpx.AsyncClient, engine: AsyncEngine) -> None:
    await create_person(registry, "MOSW")
    for statement in ("UPDATE registry.audit_log SET action = 'nothing'", "DELETE FROM registry.audit_log",
                      "TRUNCATE registry.audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM registry.audit_log")) > 0


async def test_the_audit_log_pages_by_cursor(registry: httpx.AsyncClient) -> None:
    person_id = (await create_person(registry, "MOSW"))["id"]
    for _ in range(3):
        await registry.get(f"/persons/{person_id}", headers=headers("MOSW"))
    auditor = headers("CD", "auditor")
    first = (await registry.get("/audit", params={"entity_id": person_id, "limit": 2}, headers=auditor)).json()
    second = (await registry.get("/audit", params={"entity_id": person_id, "limit": 2,
                                                   "cursor": first["next_cursor"]}, headers=auditor)).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert first["items"][-1]["id"] < second["items"][0]["id"]
