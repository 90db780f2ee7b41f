"""The registry app in-process on the real PostgreSQL and broker of the `infra` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from devstack.stack import Stack
from services.registry.app import create_app
from tests.conftest import settings_for


@pytest.fixture(scope="session")
async def registry_app(infra: Stack) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(infra, service_name="registry"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def registry(registry_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=registry_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture(scope="session")
async def engine(infra: Stack) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(settings_for(infra).database_url)
    yield engine
    await engine.dispose()
