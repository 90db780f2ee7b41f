"""The batch re-match: the batch engine over every source record, written back with stable ids.

1. **read**: the source records are streamed out of PostgreSQL in chunks with ``COPY (SELECT ...)
   TO STDOUT`` (CSV, keyset-paginated on the record id), the engine's input columns extracted from
   the JSONB attributes in SQL, each chunk parsed by Polars: no Python loop per record;
2. **match**: ``engine.pipeline.dedupe`` (parameters estimated on the register when it is large
   enough) with the reviewers' decisions: accepted pairs as must-link edges, rejected pairs as
   cannot-link constraints;
3. **assign** (``assign_person_ids``, pure Polars): every new cluster takes the id of the existing
   person it overlaps most (ties: the oldest person); a person claimed by several clusters (a
   split) stays with the one holding most of its records and the smaller parts get new ids; a
   re-run that changes nothing keeps every id;
4. **write**, in one transaction (never half-applied): the changed links are COPYed into a temp
   table, then persons are inserted, links upserted, emptied persons removed, one
   ``matching.person.unlinked`` / ``matching.person.linked`` event per changed record is staged in
   the outbox with one INSERT ... SELECT, the parameters are stored in ``model_params`` (the ones
   real-time linking uses from then on) and the job is marked succeeded.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
import numpy as np
import polars as pl
from sqlalchemy.ext.asyncio import AsyncConnection

from services.matching.engine.columns import ATTRIBUTE_COLUMNS, INPUT_COLUMNS
from services.matching.engine.estimate import ModelParams
from services.matching.engine.pipeline import dedupe
from services.matching.linking.service import PERSON_LINKED, PERSON_UNLINKED
from shared.db import Database
from shared.ids import uuid7_series

log = logging.getLogger(__name__)

READ_CHUNK = 100_000
ASSIGN_ROUNDS = 8
Progress = Callable[..., Awaitable[None]]


async def raw_connection(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy one (for COPY)."""
    return (await connection.get_raw_connection()).driver_connection


def _attribute_text(attribute: str) -> str:
    """An attribute as text, as ``linking.frames.records_frame`` reads it: a number without its
    trailing zeros (a code sent as 26.0 is 26), empty text as null."""
    value = f"attributes -> {attribute!r}"
    return (f"NULLIF(CASE jsonb_typeof({value}) WHEN 'number' THEN trim_scale(({value})::numeric)::text "
            f"ELSE attributes ->> {attribute!r} END, '')")


def _input_select() -> str:
    """SELECT list turning the JSONB attributes into the engine's input columns (first non-empty
    attribute wins, as ``linking.frames.records_frame`` does)."""
    sources: dict[str, list[str]] = {c: [] for c in INPUT_COLUMNS}
    for attribute, column in ATTRIBUTE_COLUMNS.items():
        sources[column].append(attribute)
    parts = [f"COALESCE({', '.join(_attribute_text(a) for a in attrs)}) AS {col}" for col, attrs in sources.items()]
    return "record_id::text AS record_id, " + ", ".join(parts)


async def read_source_records(raw: asyncpg.Connection, progress: Progress | None = None,
                              chunk: int = READ_CHUNK) -> pl.DataFrame:
    """Every source record as ``record_id`` (text) plus the engine's input columns."""
    select_list = _input_select()
    schema = {"record_id": pl.String, **{c: pl.String for c in INPUT_COLUMNS}}
    chunks: list[pl.DataFrame] = []
    last = "00000000-0000-0000-0000-000000000000"
    done = 0
    while True:
        buffer = io.BytesIO()
        await raw.copy_from_query(
            f"SELECT {select_list} FROM matching.source_records WHERE record_id > $1::uuid "
            f"ORDER BY record_id LIMIT {int(chunk)}", last, output=buffer, format="csv", header=True)
        frame = pl.read_csv(buffer.getvalue(), schema=schema) if buffer.tell() else pl.DataFrame(schema=schema)
        if frame.height == 0:
            break
        chunks.append(frame)
        done += frame.height
        last = frame["record_id"][-1]
        if progress is not None:
            await progress(records_done=done)
        if frame.height < chunk:
            break
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=schema)


async def _copy_frame(raw: asyncpg.Connection, query: str, schema: dict[str, Any]) -> pl.DataFrame:
    buffer = io.BytesIO()
    await raw.copy_from_query(query, output=buffer, format="csv", header=True)
    return pl.read_csv(buffer.getvalue(), schema=schema) if buffer.tell() else pl.DataFrame(schema=schema)


async def read_decisions(raw: asyncpg.Connection) -> pl.DataFrame:
    return await _copy_frame(raw, "SELECT record_a::text, record_b::text, status FROM matching.review_pairs "
                                  "WHERE status <> 'pending'",
                             {"record_a": pl.String, "record_b": pl.String, "status": pl.String})


async def read_current_links(raw: asyncpg.Connection) -> pl.DataFrame:
    return await _copy_frame(
        raw, "SELECT l.record_id::text, l.person_id::text, extract(epoch FROM p.created_at)::float8 AS created "
             "FROM matching.person_links l JOIN matching.source_records s USING (record_id) "
             "LEFT JOIN matching.persons p USING (person_id)",
        {"record_id": pl.String, "person_id": pl.String, "created": pl.Float64})


def decision_pairs(record_ids: pl.Series, decisions: pl.DataFrame, status: str) -> np.ndarray:
    """Row-index pairs of the decided pairs with ``status`` whose both records are in the run."""
    index = pl.DataFrame({"record_id": record_ids, "row": pl.int_range(record_ids.len(), eager=True)})
    pairs = (decisions.filter(pl.col("status") == status)
             .join(index.rename({"record_id": "record_a", "row": "a"}), on="record_a")
             .join(index.rename({"record_id": "record_b", "row": "b"}), on="record_b"))
    return np.stack([pairs["a"].to_numpy(), pairs["b"].to_numpy()], axis=1).astype(np.int64).reshape(-1, 2)


def assign_person_ids(record_ids: pl.Series, cluster: np.ndarray, current: pl.DataFrame) -> pl.DataFrame:
    """Person id of every record of a new clustering, keeping existing ids stable.

    ``current`` holds ``record_id, person_id, created`` (the existing links, ``created`` the
    person's creation time).  A cluster takes the id of the person it shares most records with (ties:
    the oldest person, then the smaller id); a person wanted by several clusters goes to the one
    holding most of its records, the others try their next person and, failing that, get a new id.
    Returns ``record_id, cluster, person_id, old_person_id, new_person``.
    """
    rows = pl.DataFrame({"record_id": record_ids, "cluster": cluster.astype(np.int64)})
    joined = rows.join(current.rename({"person_id": "old_person_id"}), on="record_id", how="left")
    overlap = (joined.drop_nulls("old_person_id")
               .group_by("cluster", "old_person_id")
               .agg(n=pl.len(), created=pl.col("created").min())
               .rename({"old_person_id": "person_id"}))
    assigned = pl.DataFrame(schema={"cluster": pl.Int64, "person_id": pl.String})
    for _ in range(ASSIGN_ROUNDS):
        open_ = (overlap.join(assigned, on="cluster", how="anti")
                 .join(assigned, on="person_id", how="anti"))
        if open_.height == 0:
            break
        best = (open_.sort(["n", "created", "person_id"], descending=[True, False, False], nulls_last=True)
                .unique("cluster", keep="first", maintain_order=True))
        winners = (best.sort(["n", "cluster"], descending=[True, False])
                   .unique("person_id", keep="first", maintain_order=True).select("cluster", "person_id"))
        assigned = pl.concat([assigned, winners])
    clusters = rows.select("cluster").unique().join(assigned, on="cluster", how="left")
    fresh = clusters.filter(pl.col("person_id").is_null()).sort("cluster")
    fresh = fresh.with_columns(person_id=uuid7_series(fresh.height, "person_id"), new_person=pl.lit(True))
    clusters = pl.concat([clusters.filter(pl.col("person_id").is_not_null()).with_columns(new_person=pl.lit(False)),
                          fresh])
    return joined.select("record_id", "cluster", "old_person_id").join(clusters, on="cluster", how="left")


def best_probability(n: int, pairs: np.ndarray, probability: np.ndarray, threshold: float) -> np.ndarray:
    """Per record, the highest probability of a link it takes part in (NaN for none)."""
    best = np.full(n, -1.0)
    linked = probability >= threshold
    if linked.any():
        np.maximum.at(best, pairs[linked, 0], probability[linked])
        np.maximum.at(best, pairs[linked, 1], probability[linked])
    best[best < 0] = np.nan
    return best


@dataclass
class RematchResult:
    records: int
    persons: int
    records_changed: int
    persons_created: int
    persons_removed: int
    events: int
    accepted_pairs: int
    rejected_pairs: int
    params_id: int | None
    timings: dict[str, float]


_WRITE_SQL = [
    # the links as they are now (incremental linking may have moved some since the snapshot)
    """UPDATE rematch_links t SET old_person_id = l.person_id
       FROM matching.person_links l WHERE l.record_id = t.record_id""",
    "DELETE FROM rematch_links WHERE old_person_id IS NOT DISTINCT FROM person_id",
    """INSERT INTO matching.persons (person_id)
       SELECT DISTINCT person_id FROM rematch_links WHERE new_person ON CONFLICT DO NOTHING""",
    """INSERT INTO matching.person_links (record_id, person_id, probability)
       SELECT record_id, person_id, probability FROM rematch_links
       ON CONFLICT (record_id) DO UPDATE SET person_id = excluded.person_id,
           probability = excluded.probability, linked_at = now()""",
]
_EVENTS_SQL = """
    INSERT INTO matching.outbox (event_id, topic, key, body)
    SELECT e.id, e.topic, e.person_id::text,
           convert_to(jsonb_build_object(
               'event_id', e.id, 'type', e.topic, 'schema_version', 1, 'occurred_at', to_jsonb(now()),
               'producer', 'matching', 'key', e.person_id::text,
               'payload', jsonb_build_object('person_id', e.person_id::text, 'record_id', e.record_id::text,
                                             'probability', e.probability, 'job_id', $1::text) || e.extra
           )::text, 'UTF8')
    FROM (
        SELECT gen_random_uuid() AS id, $2::text AS topic, old_person_id AS person_id, record_id,
               NULL::float8 AS probability, jsonb_build_object('linked_to', person_id::text) AS extra, 0 AS step
        FROM rematch_links WHERE old_person_id IS NOT NULL
        UNION ALL
        SELECT gen_random_uuid(), $3::text, person_id, record_id, probability,
               CASE WHEN old_person_id IS NULL THEN '{}'::jsonb
                    ELSE jsonb_build_object('unlinked_from', old_person_id::text) END, 1
        FROM rematch_links
    ) e
    ORDER BY e.record_id, e.step
"""
_REMOVE_EMPTY_SQL = """
    DELETE FROM matching.persons p
    WHERE p.person_id IN (SELECT DISTINCT old_person_id FROM rematch_links WHERE old_person_id IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM matching.person_links l WHERE l.person_id = p.person_id)
"""


async def write_links(raw: asyncpg.Connection, links: pl.DataFrame, *, job_id: uuid.UUID | None,
                      params: ModelParams | None, records: int, source: str,
                      finish: Callable[[asyncpg.Connection, dict[str, Any]], Awaitable[None]] | None = None,
                      ) -> dict[str, int]:
    """Apply ``links`` (record_id, person_id, new_person, probability) in one transaction."""
    async with raw.transaction():
        # incremental linking waits while the final write runs (a few seconds on 1M records); the
        # tables are locked in the order incremental linking touches them (persons, then links), so
        # the two never wait on each other in a cycle
        await raw.execute("LOCK TABLE matching.persons IN EXCLUSIVE MODE")
        await raw.execute("LOCK TABLE matching.person_links IN EXCLUSIVE MODE")
        await raw.execute("CREATE TEMP TABLE rematch_links (record_id uuid PRIMARY KEY, person_id uuid NOT NULL, "
                          "old_person_id uuid, new_person boolean NOT NULL, probability float8) ON COMMIT DROP")
        buffer = io.BytesIO()
        links.select("record_id", "person_id", "new_person", "probability").write_csv(buffer, include_header=False)
        buffer.seek(0)
        await raw.copy_to_table("rematch_links", source=buffer, format="csv",
                                columns=["record_id", "person_id", "new_person", "probability"])
        for statement in _WRITE_SQL[:2]:
            await raw.execute(statement)
        changed = int(await raw.fetchval("SELECT count(*) FROM rematch_links"))
        created = int(await raw.fetchval(
            "SELECT count(DISTINCT person_id) FROM rematch_links WHERE new_person"))
        for statement in _WRITE_SQL[2:]:
            await raw.execute(statement)
        removed = int((await raw.execute(_REMOVE_EMPTY_SQL)).split()[-1])
        events = int((await raw.execute(_EVENTS_SQL, str(job_id) if job_id else None,
                                        PERSON_UNLINKED, PERSON_LINKED)).split()[-1])
        params_id = None
        if params is not None:
            params_id = await raw.fetchval(
                "INSERT INTO matching.model_params (params, records, source) VALUES ($1::jsonb, $2, $3) RETURNING id",
                json.dumps(asdict(params)), records, source)
        summary = {"records_changed": changed, "persons_created": created, "persons_removed": removed,
                   "events": events, "params_id": params_id}
        if finish is not None:
            await finish(raw, summary)
    return summary


async def run_rematch(database: Database, job_id: uuid.UUID | None = None, progress: Progress | None = None,
                      finish: Callable[[asyncpg.Connection, dict[str, Any]], Awaitable[None]] | None = None,
                      ) -> RematchResult:
    """Re-cluster every source record with the batch engine and store the result (see module doc)."""
    timings: dict[str, float] = {}

    async def report(**fields: Any) -> None:
        if progress is not None:
            await progress(**fields)

    t = time.perf_counter()
    async with database.engine.connect() as connection:
        raw = await raw_connection(connection)
        total = int(await raw.fetchval("SELECT count(*) FROM matching.source_records"))
        await report(phase="reading", records_total=total, records_done=0)
        table = await read_source_records(raw, progress)
        decisions = await read_decisions(raw)
        current = await read_current_links(raw)
    timings["read"] = time.perf_counter() - t

    await report(phase="matching", records_done=table.height)
    t = time.perf_counter()
    record_ids = table["record_id"]
    must_link = decision_pairs(record_ids, decisions, "accepted")
    cannot_link = decision_pairs(record_ids, decisions, "rejected")
    if table.height:
        result = await asyncio.to_thread(dedupe, table.drop("record_id"), must_link=must_link,
                                         cannot_link=cannot_link)
        cluster, params = result.cluster_id, result.params
        best = best_probability(table.height, result.pairs, result.probability, params.threshold)
    else:
        cluster, params, best = np.zeros(0, dtype=np.int64), None, np.zeros(0)
    timings["match"] = time.perf_counter() - t

    await report(phase="assigning")
    t = time.perf_counter()
    links = assign_person_ids(record_ids, cluster, current)
    links = links.join(pl.DataFrame({"record_id": record_ids, "probability": best}), on="record_id", how="left")
    links = links.with_columns(pl.col("probability").fill_nan(None))
    persons = links["person_id"].n_unique()
    # unchanged in the snapshot: nothing to write (a record moved since by incremental linking keeps
    # that newer link)
    links = links.filter(pl.col("old_person_id").is_null() | (pl.col("old_person_id") != pl.col("person_id")))
    timings["assign"] = time.perf_counter() - t

    await report(phase="writing")
    t = time.perf_counter()
    known = {"records": table.height, "persons": persons, "accepted_pairs": len(must_link),
             "rejected_pairs": len(cannot_link)}

    async def finish_with_result(raw: asyncpg.Connection, summary: dict[str, Any]) -> None:
        if finish is not None:
            timings["write"] = time.perf_counter() - t
            await finish(raw, {**known, **summary, "timings": {k: round(v, 2) for k, v in timings.items()}})

    async with database.engine.connect() as connection:
        raw = await raw_connection(connection)
        summary = await write_links(raw, links, job_id=job_id, params=params, records=table.height,
                                    source=f"rematch {job_id}" if job_id else "rematch", finish=finish_with_result)
    timings["write"] = time.perf_counter() - t
    log.info("rematch: %d records, %d persons, %s", table.height, persons, summary)
    return RematchResult(**known, timings={k: round(v, 2) for k, v in timings.items()}, **summary)
