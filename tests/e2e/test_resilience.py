"""Acceptance 3 and 4 of the walking skeleton: nothing is lost or applied twice when the broker
goes down or the consumer dies mid-stream. Real broker, real database, real processes."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import asyncpg
import httpx
import pytest

from devstack.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _record(tag: str, n: int) -> dict[str, str]:
    return {"ministry_code": "MODMR", "programme_code": "VGF", "source_record_id": f"{tag}-{n:05d}",
            "name_bn": f"পরীক্ষা ব্যক্তি {n}", "name_en": f"Test Person {n}", "phone": "01711-000000"}


async def _applied(database_url: str, tag: str) -> list[tuple[str, int]]:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await connection.fetch(
            "SELECT attributes->>'source_record_id' AS source_id, events_applied FROM matching.source_records "
            "WHERE attributes->>'source_record_id' LIKE $1", f"{tag}-%")
        return [(r["source_id"], r["events_applied"]) for r in rows]
    finally:
        await connection.close()


def applied(stack: Stack, tag: str) -> list[tuple[str, int]]:
    return asyncio.run(_applied(stack.database_url, tag))


def wait_applied(stack: Stack, tag: str, expected: int, timeout_s: float) -> list[tuple[str, int]]:
    deadline = time.monotonic() + timeout_s
    rows = applied(stack, tag)
    while len(rows) < expected and time.monotonic() < deadline:
        time.sleep(0.25)
        rows = applied(stack, tag)
    return rows


def test_nothing_is_lost_while_the_broker_is_down(stack: Stack) -> None:
    if stack.broker is None:
        pytest.skip("KAFKA_BOOTSTRAP_SERVERS points at a broker these tests cannot stop")
    tag = f"DOWN{uuid.uuid4().hex[:6]}"
    stack.broker.stop()
    try:
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
            assert client.get("/registry/readyz").json()["checks"]["broker"].startswith("unreachable")
            statuses = [client.post("/registry/beneficiaries", json=_record(tag, n)).status_code
                        for n in range(200)]
        assert statuses == [201] * 200  # every write accepted while the broker is down
        time.sleep(1)
        assert applied(stack, tag) == []  # and nothing could have reached the consumer
    finally:
        stack.broker.start()  # same port, empty memory storage: topics and offsets are gone
    rows = wait_applied(stack, tag, 200, timeout_s=90)
    assert len(rows) == 200
    assert {source_id for source_id, _ in rows} == {f"{tag}-{n:05d}" for n in range(200)}
    assert all(count == 1 for _, count in rows), "an event was applied twice"


def test_matching_resumes_after_being_killed_mid_stream(stack: Stack) -> None:
    tag = f"KILL{uuid.uuid4().hex[:6]}"
    total = 600
    posted: list[int] = []

    def post_steadily() -> None:
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
            for n in range(total):
                response = client.post("/registry/beneficiaries", json=_record(tag, n))
                assert response.status_code == 201, response.text
                posted.append(n)
                time.sleep(0.01)

    poster = threading.Thread(target=post_steadily)
    poster.start()
    deadline = time.monotonic() + 60
    while len(applied(stack, tag)) < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    stack.services["matching"].kill()  # SIGKILL: no graceful shutdown, no final offset commit
    applied_at_kill = len(applied(stack, tag))
    assert 0 < applied_at_kill < total, "the kill must land mid-stream"
    while len(posted) < applied_at_kill + 150 and poster.is_alive():
        time.sleep(0.05)  # the registry keeps writing while matching is dead
    stack.restart_service("matching")
    poster.join(timeout=120)
    assert len(posted) == total
    rows = wait_applied(stack, tag, total, timeout_s=90)
    assert len(rows) == total
    assert all(count == 1 for _, count in rows), "an event was applied twice after the restart"
