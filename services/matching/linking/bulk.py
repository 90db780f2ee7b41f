"""Set-based loading of a batch result into the incremental tables (COPY, no per-row Python):
record keys, blocking keys, name counts, persons, person links and the model parameters.

Used to seed the incremental tables from a batch run over a register that did not arrive by
events (and by the linking benchmark), and to rebuild the blocking-key index after PostgreSQL has
emptied it (``block_index``).
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import asdict

import asyncpg
import numpy as np
import polars as pl

from services.matching.engine.estimate import ModelParams
from services.matching.linking.frames import KEY_SCHEMA, family_block_keys, keys_to_lines, name_counts
from services.matching.linking.service import BUILT_RECORD, BUILT_RULE, BUILT_SQL, RULES
from shared.ids import uuid7_series


async def _copy(raw: asyncpg.Connection, table: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    buffer.seek(0)
    await raw.copy_to_table(table, schema_name="matching", source=buffer, format="csv", columns=frame.columns)


async def load_keys(raw: asyncpg.Connection, record_ids: pl.Series, keys: pl.DataFrame) -> dict[str, int]:
    """record_keys, block_keys and name_counts of new records (the tables must not hold them yet)."""
    await _copy(raw, "record_keys", pl.DataFrame({"record_id": record_ids,
                                                  "keys": pl.Series(keys_to_lines(keys), dtype=pl.String)}))
    blocks = await copy_block_keys(raw, record_ids, keys)
    counts = name_counts(keys)
    await raw.execute("CREATE TEMP TABLE bulk_name_counts (skeleton text, records int) ON COMMIT DROP")
    buffer = io.BytesIO()
    counts.write_csv(buffer, include_header=False)
    buffer.seek(0)
    await raw.copy_to_table("bulk_name_counts", source=buffer, format="csv")
    await raw.execute("""INSERT INTO matching.name_counts (skeleton, records) SELECT skeleton, records
                         FROM bulk_name_counts ON CONFLICT (skeleton)
                         DO UPDATE SET records = name_counts.records + excluded.records""")
    return {"record_keys": keys.height, "block_keys": blocks, "name_counts": counts.height}


def block_key_rows(record_ids: pl.Series, keys: pl.DataFrame) -> pl.DataFrame:
    """``block_keys`` rows of records given by id and key table (one row per id)."""
    blocks = family_block_keys(keys, RULES)
    return pl.DataFrame({"rule": blocks["family"], "key": blocks["key"], "record_id": record_ids.gather(blocks["row"])})


async def copy_block_keys(raw: asyncpg.Connection, record_ids: pl.Series, keys: pl.DataFrame) -> int:
    """The blocking keys of records (their key table, one row per id), copied in; returns how many."""
    rows = block_key_rows(record_ids, keys)
    await _copy(raw, "block_keys", rows)
    return rows.height


def _block_key_rows_of_lines(lines: str) -> pl.DataFrame:
    table = pl.read_csv(io.StringIO(lines), has_header=False, schema={"record_id": pl.String, **KEY_SCHEMA})
    return block_key_rows(table["record_id"], table.drop("record_id"))


# record keys read for a rebuild: "record_id,keys" lines of the next ids in order after $1, at most $2,
# and the last id (as text: a UUID's text sorts as the UUID does)
_RECORD_KEYS_AFTER_SQL = """
    SELECT coalesce(string_agg(record_id::text || ',' || keys, E'\n'), ''), max(record_id::text)
    FROM (SELECT record_id, keys FROM matching.record_keys WHERE record_id > $1::uuid
          ORDER BY record_id LIMIT $2) AS chunk"""


async def rebuild_block_keys(raw: asyncpg.Connection, chunk: int = 200_000) -> int | None:
    """The whole blocking-key index again from the stored record keys, in the caller's transaction,
    unless it is whole (its sentinel row present: another process rebuilt it); returns the keys
    written, or None.

    Every linking transaction reads the table, so they wait for this one's lock and find the index
    whole; none can have written to it since it was emptied (without the sentinel, linking stops
    at its candidate lookup, before it stores anything). The primary key is built once at the end
    (at 50M records, ~300M keys: inserting them into the index one by one would take hours)."""
    await raw.execute("LOCK TABLE matching.block_keys IN ACCESS EXCLUSIVE MODE")
    if await raw.fetchval(f"SELECT {BUILT_SQL}"):
        return None
    await raw.execute("TRUNCATE matching.block_keys")
    await raw.execute("ALTER TABLE matching.block_keys DROP CONSTRAINT pk_block_keys")
    written, after = 0, BUILT_RECORD
    while True:
        lines, last = await raw.fetchrow(_RECORD_KEYS_AFTER_SQL, after, chunk)
        if not lines:
            break
        # a chunk's keys computed on a worker thread: the event loop keeps serving (503s) meanwhile
        rows = await asyncio.to_thread(_block_key_rows_of_lines, lines)
        await _copy(raw, "block_keys", rows)
        written, after = written + rows.height, last
    await raw.execute("ALTER TABLE matching.block_keys ADD CONSTRAINT pk_block_keys PRIMARY KEY (rule, key, record_id)")
    await raw.execute("INSERT INTO matching.block_keys (rule, key, record_id) VALUES ($1, '', $2::uuid)",
                      BUILT_RULE, BUILT_RECORD)
    return written


async def load_links(raw: asyncpg.Connection, record_ids: pl.Series, cluster: np.ndarray,
                     probability: np.ndarray | None = None) -> int:
    """New persons (one per cluster) and the records' links to them; returns persons created."""
    clusters = pl.DataFrame({"cluster": cluster.astype(np.int64)}).unique().sort("cluster")
    clusters = clusters.with_columns(person_id=uuid7_series(clusters.height, "person_id"))
    links = pl.DataFrame({"record_id": record_ids, "cluster": cluster.astype(np.int64),
                          "probability": probability if probability is not None else np.full(len(cluster), np.nan)})
    links = links.join(clusters, on="cluster").with_columns(pl.col("probability").fill_nan(None))
    await _copy(raw, "persons", clusters.select("person_id"))
    await _copy(raw, "person_links", links.select("record_id", "person_id", "probability"))
    return clusters.height


async def store_params(raw: asyncpg.Connection, params: ModelParams, records: int, source: str) -> int:
    return await raw.fetchval(
        "INSERT INTO matching.model_params (params, records, source) VALUES ($1::jsonb, $2, $3) RETURNING id",
        json.dumps(asdict(params)), records, source)
