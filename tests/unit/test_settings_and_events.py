from __future__ import annotations

import time
import uuid

import pytest
from pydantic import ValidationError

from shared.events import EventEnvelope
from shared.settings import ConfigurationError, ServiceSettings, load_settings

GOOD = {"database_url": "postgresql://u:p@db:5432/somonnoy", "kafka_bootstrap_servers": "k1:9092,k2:9092"}


def test_libpq_urls_are_upgraded_to_asyncpg() -> None:
    settings = ServiceSettings(**GOOD)
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/somonnoy"
    assert settings.sync_database_url == "postgresql://u:p@db:5432/somonnoy"
    assert settings.bootstrap_servers == ["k1:9092", "k2:9092"]
    assert ServiceSettings(**{**GOOD, "database_url": "postgres://x@h/d"}).database_url.startswith("postgresql+asyncpg://")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"database_url": ""}, "DATABASE_URL is not set"),
        ({"kafka_bootstrap_servers": ""}, "KAFKA_BOOTSTRAP_SERVERS is not set"),
        ({"database_url": "mysql://x@h/d"}, "DATABASE_URL: must start with postgresql://"),
        ({"kafka_bootstrap_servers": "no-port"}, "KAFKA_BOOTSTRAP_SERVERS: 'no-port' is not host:port"),
        ({"db_pool_size": 0}, "DB_POOL_SIZE:"),
        ({"environment": "production"}, "TRUST_MINISTRY_HEADER must be false in production"),
    ],
)
def test_bad_settings_become_one_readable_line(overrides: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(ServiceSettings, **{**GOOD, **overrides})
    message = str(caught.value)
    assert "\n" not in message and expected in message and message.startswith("invalid configuration: ")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@h/d")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "h:1")
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "48")
    settings = load_settings(ServiceSettings)
    assert settings.kafka_topic_partitions == 48 and settings.database_url.endswith("env@h/d")


def test_event_envelope_round_trips_bangla_payloads() -> None:
    event = EventEnvelope(type="registry.beneficiary.upserted", producer="registry", key="42",
                          payload={"name_bn": "মোছাঃ রহিমা খাতুন", "nid": "1962987654321"})
    again = EventEnvelope.from_bytes(event.to_bytes())
    assert again == event and again.topic == "registry.beneficiary.upserted"
    assert isinstance(again.event_id, uuid.UUID) and again.schema_version == 1
    # minted as every id is (shared.ids): an outbox's event-id index grows at its right end
    time.sleep(0.002)
    later = EventEnvelope(type="registry.beneficiary.upserted", producer="registry", key="43", payload={})
    assert event.event_id.version == 7 and event.event_id < later.event_id
    assert "মোছাঃ".encode() in event.to_bytes()  # UTF-8 on the wire, not \u escapes


@pytest.mark.parametrize("bad_type", ["beneficiary", "registry.beneficiary", "Registry.Beneficiary.Upserted",
                                      "registry.beneficiary.upserted.v2", "registry..upserted"])
def test_event_types_must_be_service_entity_event(bad_type: str) -> None:
    with pytest.raises(ValidationError):
        EventEnvelope(type=bad_type, producer="registry", key="1", payload={})
