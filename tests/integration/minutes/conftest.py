"""The minutes app in-process against the real PostgreSQL and broker (its outbox relay runs)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from devstack.stack import Stack
from services.minutes.app import SPEC
from shared.app import create_service_app
from tests.conftest import settings_for


@pytest.fixture(scope="session")
async def minutes_app(infra: Stack) -> AsyncIterator[FastAPI]:
    app = create_service_app(SPEC, settings_for(infra))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(minutes_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=minutes_app), base_url="http://minutes") as c:
        yield c
