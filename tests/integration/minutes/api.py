"""Small helpers that call the minutes API (in-process or through the gateway) and check the status."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.minutes.factories import committee_payload, meeting_payload, secretary_headers


async def create_committee(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/committees", json=committee_payload(**overrides), headers=secretary_headers())
    assert response.status_code == 201, response.text
    return response.json()


async def record_meeting(client: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/meetings", json=payload, headers=secretary_headers())
    assert response.status_code == 201, response.text
    return response.json()


async def new_meeting(client: httpx.AsyncClient, *decisions: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A fresh committee and one meeting of it with these decisions."""
    committee = await create_committee(client)
    return await record_meeting(client, meeting_payload(committee["id"], *decisions, **overrides))


async def sweep(client: httpx.AsyncClient, today: str) -> dict[str, Any]:
    response = await client.post("/actions/sweep", json={"today": today}, headers=secretary_headers())
    assert response.status_code == 200, response.text
    return response.json()
