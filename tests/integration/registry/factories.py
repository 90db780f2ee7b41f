"""Factories for registry requests: each call makes a new, valid, unique record; tests pass
only what they care about as overrides."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx

_rng = random.Random()


def headers(ministry: str, *roles: str) -> dict[str, str]:
    result = {"X-Ministry-Code": ministry}
    if roles:
        result["X-Roles"] = ",".join(roles)
    return result


def unique_nid13() -> str:
    # First digit 2-9 and random rest: never a placeholder (repeated or consecutive digits).
    return str(_rng.randint(2, 9)) + "".join(str(_rng.randint(0, 9)) for _ in range(12))


def unique_phone() -> str:
    return f"017{_rng.randint(10_000_000, 99_999_999)}"


def person_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"name_bn": "মোছাঃ রহিমা খাতুন", "name_en": "Mst. Rahima Khatun", "gender": "F",
                               "date_of_birth": "01/07/1962", "nid": unique_nid13(), "phone": unique_phone()}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def record_payload(ministry: str = "MOSW", programme: str = "OAA", **overrides: Any) -> dict[str, Any]:
    payload = {"ministry_code": ministry, "programme_code": programme,
               "source_record_id": f"{programme}-{uuid.uuid4().hex[:12]}", **person_payload()}
    payload.update(overrides)
    return payload


async def create_person(client: httpx.AsyncClient, ministry: str = "MOSW", **overrides: Any) -> dict[str, Any]:
    response = await client.post("/persons", json=person_payload(**overrides), headers=headers(ministry))
    assert response.status_code == 201, response.text
    return response.json()


async def submit_record(client: httpx.AsyncClient, ministry: str = "MOSW", programme: str = "OAA",
                        **overrides: Any) -> dict[str, Any]:
    response = await client.post("/beneficiaries", json=record_payload(ministry, programme, **overrides),
                                 headers=headers(ministry))
    assert response.status_code == 201, response.text
    return response.json()


async def enrol(client: httpx.AsyncClient, person_id: str, ministry: str, programme: str,
                **overrides: Any) -> httpx.Response:
    body = {"person_id": person_id, "programme_code": programme,
            "source_record_id": f"{programme}-{uuid.uuid4().hex[:12]}", **overrides}
    return await client.post("/enrolments", json=body, headers=headers(ministry))


async def create_household(client: httpx.AsyncClient, ministry: str = "MOSW", **address: Any) -> dict[str, Any]:
    response = await client.post("/households", json={"address": address or {"union_code": 1927, "ward": 4}},
                                 headers=headers(ministry))
    assert response.status_code == 201, response.text
    return response.json()


async def audit_entries(client: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get("/audit", params={**filters, "limit": 200}, headers=headers("CD", "auditor"))
    assert response.status_code == 200, response.text
    return response.json()["items"]
