"""Set-based loading of a batch result into the incremental tables (COPY, no per-row Python):
record keys, blocking keys, name counts, persons, person links and the model parameters.

Used to seed the incremental tables from a batch run over a register that did not arrive by
events (and by the linking benchmark).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict

import asyncpg
import numpy as np
import polars as pl

from services.matching.engine.estimate import ModelParams
from services.matching.linking.frames import family_block_keys, keys_to_lines, name_counts, new_uuids
from services.matching.linking.service import RULES


async def _copy(raw: asyncpg.Connection, table: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    buffer.seek(0)
    await raw.copy_to_table(table, schema_name="matching", source=buffer, format="csv", columns=frame.columns)


async def load_keys(raw: asyncpg.Connection, record_ids: pl.Series, keys: pl.DataFrame) -> dict[str, int]:
    """record_keys, block_keys and name_counts of new records (the tables must not hold them yet)."""
    await _copy(raw, "record_keys", pl.DataFrame({"record_id": record_ids,
                                                  "keys": pl.Series(keys_to_lines(keys), dtype=pl.String)}))
    blocks = family_block_keys(keys, RULES)
    await _copy(raw, "block_keys", pl.DataFrame({
        "rule": blocks["family"], "key": blocks["key"], "record_id": record_ids.gather(blocks["row"])}))
    counts = name_counts(keys)
    await raw.execute("CREATE TEMP TABLE bulk_name_counts (skeleton text, records int) ON COMMIT DROP")
    buffer = io.BytesIO()
    counts.write_csv(buffer, include_header=False)
    buffer.seek(0)
    await raw.copy_to_table("bulk_name_counts", source=buffer, format="csv")
    await raw.execute("""INSERT INTO matching.name_counts (skeleton, records) SELECT skeleton, records
                         FROM bulk_name_counts ON CONFLICT (skeleton)
                         DO UPDATE SET records = name_counts.records + excluded.records""")
    return {"record_keys": keys.height, "block_keys": blocks.height, "name_counts": counts.height}


async def load_links(raw: asyncpg.Connection, record_ids: pl.Series, cluster: np.ndarray,
                     probability: np.ndarray | None = None) -> int:
    """New persons (one per cluster) and the records' links to them; returns persons created."""
    clusters = pl.DataFrame({"cluster": cluster.astype(np.int64)}).unique().sort("cluster")
    clusters = clusters.with_columns(person_id=new_uuids(clusters.height))
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
