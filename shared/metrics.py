"""Prometheus metrics, defined once per process and labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("outbox_events_published_total", "Events the relay published", ["service"])
OUTBOX_FAILED = Counter("outbox_publish_failures_total", "Relay publish attempts that failed", ["service"])
OUTBOX_PENDING = Gauge("outbox_pending_events", "Events written but not yet acknowledged by the broker",
                       ["service"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events applied by a consumer", ["service", "topic"])
EVENTS_SKIPPED = Counter("events_duplicate_skipped_total", "Redelivered events skipped as already applied",
                         ["service", "topic"])
EVENTS_REJECTED = Counter("events_rejected_total", "Messages that were not valid events", ["service", "topic"])
