"""Typed settings read from the environment, shared by every service.

Each service subclasses `ServiceSettings` only to name itself; everything a deployment sets
(database, broker, ports, relay tuning) is one environment variable with the same name in every
service, so Kubernetes ConfigMaps and the local dev stack set them the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for an operator."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    service_name: str = Field(default="somonnoy", description="Name used in logs, events and the consumer group.")
    environment: Literal["local", "test", "staging", "production"] = "local"
    database_url: str = Field(
        default="",
        description="postgresql+asyncpg://user:pass@host:port/db (postgresql:// is accepted and upgraded).",
    )
    # Connections of a process: the engine's pool (DB_POOL_SIZE + DB_MAX_OVERFLOW) and the plain
    # asyncpg pool of hot single-statement paths (DB_POOL_SIZE, opened as they are first used).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    # uvicorn worker processes of one service (`python -m shared.serve`). On Kubernetes scale with
    # replicas and keep 1; locally several let a CPU-bound service use more than one core.
    web_concurrency: int = Field(default=1, ge=1, le=64)
    kafka_bootstrap_servers: str = Field(default="", description="host:port[,host:port...]")
    kafka_topic_partitions: int = Field(default=12, ge=1, le=1000)
    kafka_replication_factor: int = Field(default=1, ge=1, le=10)
    kafka_session_timeout_ms: int = Field(default=6000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(default=2000, ge=100)
    kafka_max_poll_records: int = Field(
        default=2000, ge=1, le=100_000,
        description="events a consumer takes per poll, i.e. per transaction of a set-based handler")
    outbox_batch_size: int = Field(default=2000, ge=1, le=50000)
    outbox_poll_interval_s: float = Field(default=0.1, gt=0, le=60)
    outbox_retention_hours: float = Field(default=168, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # Until the gateway verifies tokens, the calling ministry can come from a header; a
    # production deployment must turn this off explicitly rather than by forgetting it.
    trust_ministry_header: bool = True

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str) -> str:
        if not value:
            return value
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must start with postgresql:// or postgresql+asyncpg://")
        return value

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        for server in filter(None, (s.strip() for s in value.split(","))):
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{server!r} is not host:port")
        return value

    @model_validator(mode="after")
    def _required(self) -> ServiceSettings:
        if not self.database_url:
            raise ValueError("DATABASE_URL is not set")
        if not self.kafka_bootstrap_servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is not set")
        if self.environment == "production" and self.trust_ministry_header:
            raise ValueError("TRUST_MINISTRY_HEADER must be false in production")
        return self

    @property
    def bootstrap_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]

    @property
    def sync_database_url(self) -> str:
        """The same database as a libpq URL, for tools that are not SQLAlchemy."""
        return "postgresql://" + self.database_url.removeprefix("postgresql+asyncpg://")


def load_settings(settings_class: type[ServiceSettings] = ServiceSettings, **overrides: object) -> ServiceSettings:
    """Read settings, turning pydantic's multi-line report into one operator-readable line."""
    try:
        return settings_class(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]).upper() or "settings"
            message = error["msg"].removeprefix("Value error, ")
            problems.append(message if field == "SETTINGS" else f"{field}: {message}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache
def _cached_settings(settings_class: type[ServiceSettings]) -> ServiceSettings:
    return load_settings(settings_class)


async def get_settings(request: Request) -> ServiceSettings:
    """FastAPI dependency: the settings the running app was built with. Async although it does
    not wait: FastAPI runs a plain `def` dependency in its thread pool, a thread hop on every
    request that names the caller."""
    return request.app.state.settings


Settings = Annotated[ServiceSettings, Depends(get_settings)]
