"""The matching service's settings."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    service_name: str = "matching"
    # A consumer batch is linked set-based in one transaction: its fixed costs (locks, round trips,
    # commits) are shared by more records in a larger poll (2,000 -> 5,000: ~8% more records/s on
    # 2 cores), while a quiet stream is still linked as it comes (a poll returns what is there).
    kafka_max_poll_records: int = Field(
        default=5000, ge=1, le=100_000,
        description="events a consumer takes per poll, i.e. per linking transaction")
