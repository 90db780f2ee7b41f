"""kafka-python clients tuned for this project: batching producers, quick-to-join consumers."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


def make_producer(settings: ServiceSettings) -> KafkaProducer:
    """A producer that batches: the relay sends a page of events, then flushes once."""
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.service_name}-outbox",
        acks="all",
        compression_type="lz4",
        linger_ms=5,
        batch_size=512 * 1024,
        max_request_size=8 * 1024 * 1024,
        # Fail a send within seconds while the broker is down: the outbox keeps the event and
        # the relay tries again, so there is nothing to gain from long client-side retries.
        request_timeout_ms=5000,
        max_block_ms=5000,
        retries=2,
        reconnect_backoff_max_ms=2000,
        # Topics are created by ensure_topics with our partition count, never by a first send.
        allow_auto_create_topics=False,
    )


def make_consumer(settings: ServiceSettings, topics: Iterable[str], group_id: str) -> KafkaConsumer:
    return KafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group_id,
        client_id=f"{settings.service_name}-consumer",
        enable_auto_commit=False,
        # A broker that lost its state (Tansu on memory storage after a restart) has no
        # committed offsets: read from the start and let the idempotent consumer skip repeats.
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_records=settings.kafka_max_poll_records,
        # Only ensure_topics creates topics (with our partition count): a consumer's metadata
        # request must not create one with the broker's default count first.
        allow_auto_create_topics=False,
        fetch_max_wait_ms=100,
        # Notice recreated topics and partitions quickly instead of after the default 5 minutes.
        metadata_max_age_ms=3000,
        reconnect_backoff_max_ms=2000,
        request_timeout_ms=max(settings.kafka_session_timeout_ms + 5000, 15000),
    )


def ensure_topics(settings: ServiceSettings, topics: Iterable[str]) -> list[str]:
    """Create missing topics with the configured partition count; returns the ones created."""
    wanted = sorted(set(topics))
    if not wanted:
        return []
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                             client_id=f"{settings.service_name}-admin", request_timeout_ms=5000)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            try:
                admin.create_topics([
                    NewTopic(name=t, num_partitions=settings.kafka_topic_partitions,
                             replication_factor=settings.kafka_replication_factor)
                    for t in missing
                ])
            except TopicAlreadyExistsError:
                pass  # another replica created it between our list and create
            logger.info("created topics", extra={"topics": missing})
        return missing
    finally:
        admin.close()


def broker_reachable(settings: ServiceSettings, timeout_s: float = 1.0) -> tuple[bool, str]:
    """A TCP connection to any bootstrap server: cheap enough for every readiness probe."""
    last_error = "no bootstrap servers"
    for server in settings.bootstrap_servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout_s):
                return True, ""
        except OSError as exc:
            last_error = f"{server}: {exc.strerror or exc}"
    return False, last_error


__all__ = ["KafkaError", "broker_reachable", "ensure_topics", "make_consumer", "make_producer"]
