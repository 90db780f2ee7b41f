"""The daily overdue sweep, run in the service process at a configured local hour.

It also sweeps once at start-up, so a day missed while the service was down is caught up at
once. Several replicas sweeping at the same time is harmless (see `mark_overdue_actions`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.minutes.actions.service import mark_overdue_actions, today_in
from shared.db import Database

logger = logging.getLogger(__name__)

RETRY_AFTER_FAILURE_S = 300.0


def next_sweep_at(now: datetime, *, hour: int) -> datetime:
    """The first `hour`:00 strictly after `now`, in `now`'s zone (which must be set)."""
    assert now.tzinfo is not None, "give an aware datetime in the deadlines' zone"
    candidate = datetime.combine(now.date(), time(hour), tzinfo=now.tzinfo)
    if candidate <= now:
        candidate = datetime.combine(now.date() + timedelta(days=1), time(hour), tzinfo=now.tzinfo)
    return candidate


class OverdueSweeper:
    def __init__(self, *, database: Database, zone: str, hour: int) -> None:
        self.database = database
        self.zone = zone
        self.hour = hour
        self.sweeps = 0

    async def sweep_once(self) -> int:
        async with self.database.sessionmaker() as session:
            marked = await mark_overdue_actions(session, today=today_in(self.zone))
        self.sweeps += 1
        return len(marked)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                marked = await self.sweep_once()
                now = datetime.now(ZoneInfo(self.zone))
                next_at = next_sweep_at(now, hour=self.hour)
                wait_s = (next_at - now).total_seconds()
                logger.info("overdue sweep done", extra={"marked_overdue": marked, "next_at": next_at.isoformat()})
            except Exception as exc:  # a database outage: try again later, keep the service up
                logger.warning("overdue sweep failed; will retry", extra={"error": str(exc)[:300]})
                wait_s = RETRY_AFTER_FAILURE_S
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait_s)
            except TimeoutError:
                pass
