"""A ministry's records reach matching by event and become persons; dashboards read who is in
which programmes through the gateway."""

from __future__ import annotations

import csv
import io
import time
import uuid

import httpx
import pytest

from devstack.stack import Stack

pytestmark = pytest.mark.e2e


def _code() -> str:
    return "T" + uuid.uuid4().hex[:8].upper()


def _wait_person(client: httpx.Client, record_id: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = client.get(f"/matching/records/{record_id}")
        if response.status_code == 200 and response.json()["person_id"]:
            return response.json()["person_id"]
        time.sleep(0.05)
    raise AssertionError(f"record {record_id} was not linked within {timeout_s} s")


def _wait_attribute(client: httpx.Client, record_id: str, ministry: str, attribute: str, value: str,
                    timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = client.get(f"/matching/records/{record_id}", headers={"X-Ministry-Code": ministry})
        if response.status_code == 200 and response.json()["attributes"].get(attribute) == value:
            return
        time.sleep(0.05)
    raise AssertionError(f"record {record_id} did not get {attribute}={value} within {timeout_s} s")


def test_one_person_in_two_ministries_programmes_is_one_person_and_counted_once(stack: Stack) -> None:
    old_age, food = _code(), _code()
    nid13 = f"{uuid.uuid4().int % 10**13:013d}"
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        first = client.post("/registry/beneficiaries", json={
            "ministry_code": "MOSW", "programme_code": old_age, "source_record_id": "OAA-1",
            "name_bn": "মোছাঃ হাজেরা বেগম", "nid": nid13, "date_of_birth": "1948-05-09", "phone": "01911-223344"})
        second = client.post("/registry/beneficiaries", json={
            "ministry_code": "MOFOOD", "programme_code": food, "source_record_id": "FFP-77",
            "name_en": "Mst. Hajera Begum", "nid": "1948" + nid13, "phone": "+8801911223344"})
        assert first.status_code == second.status_code == 201
        person = _wait_person(client, first.json()["id"])
        assert _wait_person(client, second.json()["id"]) == person

        detail = client.get(f"/matching/persons/{person}").json()
        assert {r["record_id"] for r in detail["records"]} == {first.json()["id"], second.json()["id"]}
        assert detail["programmes"] == sorted([old_age, food]) and detail["ministries"] == ["MOFOOD", "MOSW"]

        report = client.get("/matching/reports/duplicates", params={"by": "programme"}).json()
        pair = [r for r in report["overlaps"] if {r["left"], r["right"]} == {old_age, food}]
        assert pair == [{"left": min(old_age, food), "right": max(old_age, food), "persons": 1}]
        csv_text = client.get("/matching/reports/duplicates", params={"by": "programme", "format": "csv"}).text
        rows = list(csv.reader(io.StringIO(csv_text)))
        assert rows[0] == ["programme_a", "programme_b", "persons_in_both"]
        assert [min(old_age, food), max(old_age, food), "1"] in rows

        match = client.post("/matching/match", json={"name_bn": "হাজেরা বেগম", "nid": nid13}).json()
        assert match["candidates"][0]["person_id"] == person

        # she leaves the old-age allowance: no longer a duplicate, unless every record is asked for
        suspended = client.patch(f"/registry/enrolments/{first.json()['id']}", json={"status": "suspended"},
                                 headers={"X-Ministry-Code": "MOSW"})
        assert suspended.status_code == 200, suspended.text
        _wait_attribute(client, first.json()["id"], "MOSW", "enrolment_status", "suspended")
        for enrolments, expected in (("active", []), ("all", [1])):
            report = client.get("/matching/reports/duplicates", params={"by": "programme",
                                                                        "enrolments": enrolments}).json()
            assert report["enrolments"] == enrolments
            assert [r["persons"] for r in report["overlaps"] if {r["left"], r["right"]} == {old_age, food}] == expected


def test_a_rematch_job_runs_in_the_service_and_keeps_person_ids(stack: Stack) -> None:
    nid13 = f"{uuid.uuid4().int % 10**13:013d}"
    programme = _code()
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        created = [client.post("/registry/beneficiaries", json={
            "ministry_code": "MODMR", "programme_code": programme, "source_record_id": f"VGD-{i}",
            "name_bn": name, "nid": nid13, "date_of_birth": "1977-07-17", "gender": "F"}).json()["id"]
            for i, name in enumerate(["মোছাঃ জোহরা খাতুন", "জোহরা খাতুন"])]
        person = _wait_person(client, created[0])
        assert _wait_person(client, created[1]) == person

        response = client.post("/matching/jobs/rematch")
        if response.status_code == 409:  # another test's job is still running: wait for it
            time.sleep(5)
            response = client.post("/matching/jobs/rematch")
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        deadline = time.monotonic() + 120
        while (job := client.get(f"/matching/jobs/{job_id}").json())["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "succeeded", job
        assert job["records_done"] == job["records_total"] >= 2
        assert [_wait_person(client, r) for r in created] == [person, person]
