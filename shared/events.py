"""The one event envelope every service publishes and consumes.

The topic of an event is its type, named `<service>.<entity>.<event>`
(e.g. `registry.beneficiary.upserted`); the key decides the partition, so every event about one
entity stays in order.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.ids import new_id

EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=new_id)
    # checked by pydantic-core (Rust), not by a Python validator: a consumer validates every event
    type: str = Field(pattern=EVENT_TYPE_PATTERN.pattern, description="<service>.<entity>.<event>; also the topic name")
    schema_version: int = Field(default=1, ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    key: str = Field(description="Partition key: the id of the entity the event is about")
    payload: dict[str, Any]

    @property
    def topic(self) -> str:
        return self.type

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, data: bytes) -> EventEnvelope:
        # parsed and validated in one pass by pydantic-core (~15% cheaper than orjson, then validation)
        return cls.model_validate_json(data)
