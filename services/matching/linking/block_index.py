"""Keeps the blocking-key index whole: rebuilt from the record keys when PostgreSQL has emptied it.

``matching.block_keys`` is UNLOGGED (migration 0010): derived data, kept out of the write-ahead log
(its rows were ~40% of the WAL records a linked record wrote). PostgreSQL empties such a table when
it recovers from a crash, and a standby holds none of it, so after a crash or a failover the index
is empty while the records are all there. Linking notices (the sentinel row is gone with the rest:
``BlockIndexNotBuilt``, HTTP 503, a consumer batch rolled back and retried) and every replica's guard
looks every ``GUARD_INTERVAL_S``; the first to see it rebuilds the index in one transaction while
the others' linking waits for it.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from services.matching.linking.bulk import rebuild_block_keys
from services.matching.linking.service import BUILT_SQL
from shared.db import Database

logger = logging.getLogger(__name__)

GUARD_INTERVAL_S = 10.0


async def block_index_built(database: Database) -> bool:
    async with database.sessionmaker() as session:
        return bool(await session.scalar(text(f"SELECT {BUILT_SQL}")))


async def ensure_block_index(database: Database) -> int | None:
    """Rebuild the index if it is not whole; returns the keys written, None if it was whole."""
    if await block_index_built(database):
        return None
    logger.warning("the blocking-key index is empty (database crash or failover): rebuilding it")
    async with database.connection() as connection:
        async with connection.transaction():
            written = await rebuild_block_keys(connection)
        if written is not None:
            # the visibility map of the new pages, for index-only probes (outside a transaction)
            await connection.execute("VACUUM (ANALYZE) matching.block_keys")
            logger.warning("blocking-key index rebuilt", extra={"block_keys": written})
    return written


async def guard_block_index(database: Database, stop: asyncio.Event, interval_s: float = GUARD_INTERVAL_S) -> None:
    """``ensure_block_index`` now and every ``interval_s`` until ``stop`` (a failure, e.g. the
    database away, is logged and tried again next time)."""
    while not stop.is_set():
        try:
            await ensure_block_index(database)
        except Exception as exc:
            logger.warning("blocking-key index check failed; trying again", extra={"error": str(exc)[:300]})
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
