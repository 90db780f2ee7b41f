"""Follow-up in-process: the overdue sweep and its Kafka event, who sees which action items,
progress updates with evidence, and the dashboard summary."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from kafka import KafkaConsumer

from devstack.stack import Stack
from services.minutes.app import SPEC, create_minutes_app
from services.minutes.settings import MinutesSettings
from shared.app import create_service_app
from shared.events import EventEnvelope
from tests.conftest import settings_for
from tests.integration.minutes.api import create_committee, new_meeting, record_meeting, sweep
from tests.integration.minutes.factories import (
    action_payload,
    decision_payload,
    meeting_payload,
    office_headers,
    secretary_headers,
)

pytestmark = pytest.mark.integration


def _new_consumer(bootstrap: str, topic: str) -> KafkaConsumer:
    return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"test-minutes-{uuid.uuid4().hex[:8]}",
                         auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100,
                         metadata_max_age_ms=1000, session_timeout_ms=6000, heartbeat_interval_ms=2000)


async def _consume_first(bootstrap: str, topic: str, wanted: Callable[[EventEnvelope], bool],
                         timeout_s: float = 30.0) -> EventEnvelope:
    # Poll in a thread: the app under test relays its outbox on this same event loop.
    consumer = await asyncio.to_thread(_new_consumer, bootstrap, topic)
    try:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            batch = await asyncio.to_thread(consumer.poll, 500)
            for records in batch.values():
                for record in records:
                    event = EventEnvelope.from_bytes(record.value)
                    if wanted(event):
                        return event
        raise AssertionError(f"no matching event on {topic} within {timeout_s} s")
    finally:
        await asyncio.to_thread(consumer.close)


async def test_the_sweep_marks_a_passed_deadline_overdue_and_the_event_reaches_kafka(
        client: httpx.AsyncClient, infra: Stack) -> None:
    meeting = await new_meeting(
        client,
        decision_payload("ক", action_payload("MOSW", deadline="31 October 2021"),
                         action_payload("MOWCA", deadline="2021-11-01"), action_payload("MOCA")))
    passed, due_today, no_deadline = meeting["decisions"][0]["action_items"]

    result = await sweep(client, today="2021-11-01")

    assert result["today_bn"] == "১৬ কার্তিক ১৪২৮"
    marked = {item["id"]: item for item in result["marked_overdue"]}
    assert passed["id"] in marked and marked[passed["id"]]["status"] == "overdue"
    assert due_today["id"] not in marked and no_deadline["id"] not in marked
    states = {a["id"]: a["status"] for a in (await client.get(
        "/actions", params={"meeting_id": meeting["id"]}, headers=secretary_headers())).json()["items"]}
    assert states == {passed["id"]: "overdue", due_today["id"]: "open", no_deadline["id"]: "open"}

    event = await _consume_first(infra.kafka_bootstrap, "minutes.action.overdue", lambda e: e.key == passed["id"])
    assert event.type == "minutes.action.overdue" and event.producer == "minutes"
    assert event.payload["responsible_office_codes"] == ["MOSW"]
    assert (event.payload["deadline"], event.payload["marked_on"]) == ("2021-10-31", "2021-11-01")

    again = await sweep(client, today="2021-11-01")
    assert passed["id"] not in {item["id"] for item in again["marked_overdue"]}


async def test_an_office_sees_only_its_own_action_items_unless_it_is_the_secretary(
        client: httpx.AsyncClient) -> None:
    meeting = await new_meeting(client, decision_payload(
        "ক", action_payload("MOSW", "MOWCA", deadline="2031-01-01"), action_payload("FD", deadline="2031-01-01")))
    shared_item, finance_item = meeting["decisions"][0]["action_items"]
    in_meeting = {"meeting_id": meeting["id"]}

    mosw = (await client.get("/actions", params=in_meeting, headers=office_headers("MOSW"))).json()
    assert [a["id"] for a in mosw["items"]] == [shared_item["id"]]
    finance = (await client.get("/actions", params=in_meeting, headers=office_headers("FD", "auditor"))).json()
    assert [a["id"] for a in finance["items"]] == [finance_item["id"]]
    assert (await client.get(f"/actions/{finance_item['id']}", headers=office_headers("MOSW"))).status_code == 403
    assert (await client.get(f"/actions/{shared_item['id']}", headers=office_headers("MOWCA"))).status_code == 200
    other = await client.get("/actions", params={**in_meeting, "office": "FD"}, headers=office_headers("MOSW"))
    assert other.status_code == 403 and other.json()["detail"][0]["type"] == "forbidden"

    everything = (await client.get("/actions", params=in_meeting, headers=secretary_headers())).json()
    assert {a["id"] for a in everything["items"]} == {shared_item["id"], finance_item["id"]}
    finance_seen_by_secretary = (await client.get(
        "/actions", params={**in_meeting, "office": "fd"}, headers=secretary_headers())).json()
    assert [a["id"] for a in finance_seen_by_secretary["items"]] == [finance_item["id"]]


async def test_an_office_sees_its_open_and_overdue_items(client: httpx.AsyncClient) -> None:
    office = "MOCHTA"
    meeting = await new_meeting(client, decision_payload(
        "ক", action_payload(office, deadline="2020-01-05"), action_payload(office, deadline="2032-06-30"),
        action_payload("MOSW", deadline="2020-01-05")))
    late, later, someone_elses = meeting["decisions"][0]["action_items"]
    await sweep(client, today="2020-01-06")
    response = await client.get("/actions", params=[("status", "open"), ("status", "overdue"),
                                                    ("meeting_id", meeting["id"])], headers=office_headers(office))
    items = response.json()["items"]
    assert [(a["id"], a["status"]) for a in items] == [(late["id"], "overdue"), (later["id"], "open")]
    assert someone_elses["id"] not in {a["id"] for a in items}


async def test_updates_carry_evidence_and_who_posted_them_and_closed_items_take_no_more(
        client: httpx.AsyncClient) -> None:
    meeting = await new_meeting(client, decision_payload("ক", action_payload("MOSW", "MOWCA", deadline="2031-05-01")))
    item = meeting["decisions"][0]["action_items"][0]
    url = f"/actions/{item['id']}/updates"

    progress = await client.post(url, headers=office_headers("MOWCA"), json={
        "status": "in_progress", "note": "খসড়া পর্যালোচনা চলছে", "evidence": ["স্মারক নং ৩০.০০.০০০০.১১১.২২"]})
    assert progress.status_code == 200, progress.text
    assert progress.json()["status"] == "in_progress" and progress.json()["version"] == 2
    assert (await client.post(url, headers=office_headers("FD"), json={"note": "x"})).status_code == 403
    assert (await client.post(url, headers=office_headers("MOSW"), json={"status": "cancelled"})).status_code == 403
    done = await client.post(url, headers=office_headers("MOSW"), json={
        "status": "done", "note": "ই-মেইলযোগে প্রেরণ করা হয়েছে", "evidence": ["https://example.gov.bd/memo/602"]})
    assert done.status_code == 200
    updates = done.json()["updates"]
    assert [(u["posted_by_office"], u["status_before"], u["status_after"]) for u in updates] == [
        ("MOWCA", "open", "in_progress"), ("MOSW", "in_progress", "done")]
    assert updates[1]["evidence"] == ["https://example.gov.bd/memo/602"]
    closed = await client.post(url, headers=secretary_headers(), json={"note": "পুনরায়"})
    assert closed.status_code == 409 and closed.json()["detail"][0]["type"] == "action_closed"


async def test_progress_on_an_overdue_item_keeps_it_overdue_until_done(client: httpx.AsyncClient) -> None:
    meeting = await new_meeting(client, decision_payload("ক", action_payload("MOLE", deadline="2019-02-01")))
    item = meeting["decisions"][0]["action_items"][0]
    await sweep(client, today="2019-02-02")
    url = f"/actions/{item['id']}/updates"
    still = await client.post(url, headers=office_headers("MOLE"), json={"status": "in_progress", "note": "চলছে"})
    assert still.json()["status"] == "overdue"
    assert (await client.post(url, headers=office_headers("MOLE"), json={"status": "done"})).json()["status"] == "done"


async def test_the_summary_counts_per_office_and_per_committee(client: httpx.AsyncClient) -> None:
    def office_counts(summary: dict, code: str) -> dict:
        found = [o["counts"] for o in summary["offices"] if o["office_code"] == code]
        return found[0] if found else {"open": 0, "overdue": 0, "done": 0, "total": 0}

    before = (await client.get("/summary", headers=office_headers("MOSW"))).json()
    committee = await create_committee(client)
    await record_meeting(client, meeting_payload(committee["id"], decision_payload(
        "ক", action_payload("MORA", deadline="2018-01-01"), action_payload("MORA", "MOSW", deadline="2033-01-01")),
        decision_payload("খ")))
    await sweep(client, today="2018-01-02")
    after = (await client.get("/summary", headers=office_headers("MOSW"))).json()

    [mine] = [c for c in after["committees"] if c["committee_id"] == committee["id"]]
    assert (mine["meetings"], mine["decisions"]) == (1, 2)
    assert {k: mine["counts"][k] for k in ("open", "overdue", "done", "total")} == {
        "open": 1, "overdue": 1, "done": 0, "total": 2}
    for code, open_delta, overdue_delta in (("MORA", 1, 1), ("MOSW", 1, 0)):
        assert office_counts(after, code)["open"] - office_counts(before, code)["open"] == open_delta
        assert office_counts(after, code)["overdue"] - office_counts(before, code)["overdue"] == overdue_delta


async def test_a_caller_without_an_office_gets_401_in_the_one_error_shape(client: httpx.AsyncClient,
                                                                           infra: Stack) -> None:
    missing = await client.get("/actions")
    assert missing.status_code == 401
    assert missing.json() == {"detail": [{"loc": ["header", "X-Ministry-Code"],
                                          "msg": "the X-Ministry-Code header is required", "type": "unauthenticated"}]}
    untrusted = create_service_app(SPEC, settings_for(infra, trust_ministry_header=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=untrusted), base_url="http://minutes") as other:
        refused = await other.get("/actions", headers=office_headers("MOSW"))
    assert refused.status_code == 401 and refused.json()["detail"][0]["type"] == "unauthenticated"


async def test_the_sweep_endpoint_defaults_to_today_in_bangladesh(client: httpx.AsyncClient) -> None:
    meeting = await new_meeting(client, decision_payload("ক", action_payload("MOFL", deadline="2020-03-01")))
    item = meeting["decisions"][0]["action_items"][0]
    response = await client.post("/actions/sweep", headers=secretary_headers())
    assert response.status_code == 200, response.text
    assert response.json()["today"] == datetime.now(ZoneInfo("Asia/Dhaka")).date().isoformat()
    assert item["id"] in {i["id"] for i in response.json()["marked_overdue"]}
    refused = await client.post("/actions/sweep", headers=office_headers("MOFL"))
    assert refused.status_code == 403


async def test_the_service_runs_the_daily_sweep_beside_its_api(client: httpx.AsyncClient, infra: Stack) -> None:
    app = create_minutes_app(MinutesSettings(**settings_for(infra).model_dump(), overdue_sweep_hour=4))
    async with app.router.lifespan_context(app):
        sweeper = app.state.overdue_sweeper
        assert (sweeper.zone, sweeper.hour) == ("Asia/Dhaka", 4)
        meeting = await new_meeting(client, decision_payload("ক", action_payload("MOYS", deadline="2020-04-01")))
        item = meeting["decisions"][0]["action_items"][0]
        # What the background task does each day, called directly instead of waiting for 04:00.
        await sweeper.sweep_once()  # (the start-up sweep may have marked it already)
    read = (await client.get(f"/actions/{item['id']}", headers=office_headers("MOYS"))).json()
    assert read["status"] == "overdue"
    disabled = create_minutes_app(MinutesSettings(**settings_for(infra).model_dump(), overdue_sweep_enabled=False))
    async with disabled.router.lifespan_context(disabled):
        assert not hasattr(disabled.state, "overdue_sweeper")
