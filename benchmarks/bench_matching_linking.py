"""Benchmark of incremental linking against a register already linked (acceptance 3).

    python benchmarks/bench_matching_linking.py

Starts its own PostgreSQL (fsync off), migrates the matching schema and bulk-loads the batch
result of the first ``MATCHING_BENCH_LINKED`` records (default: all 1,000,000) of the 1M bench
file: record keys, blocking keys, name counts, persons, person links and the estimated
parameters, with COPY, then a checkpoint and ``pg_prewarm`` of the indexes and tables linking reads
(the load's dirty pages written out and its hot set in the buffer cache before the measured phases,
as on a register that has been serving; ``load.prewarmed_mb`` says how much). The register's record
ids are UUIDv7, as the registry's bulk import mints them (``shared.ids``: a chunk's millisecond, then
random bits). Then, with records of the 100k bench file under fresh ids (new enrolments, UUIDv7 minted
as the registry mints a new record's; the ground-truth columns are not read) and under the field
names the registry publishes (``father_name_bn``, ``date_of_birth``):

* ``link_p50_ms`` / ``link_p99_ms``: ``MATCHING_BENCH_SINGLES`` (1,000) records linked one at a time,
  each in its own transaction (matching it, storing its keys and link, staging its events, commit);
* ``stream_records_per_s``: ``MATCHING_BENCH_STREAM`` (100,000) registry events through the service's
  own path: published to a broker (Tansu, started here, or ``KAFKA_BOOTSTRAP_SERVERS``), then
  consumed by the matching service's ``EventConsumer`` and subscription (its consumer group, polls
  of up to ``MatchingSettings.kafka_max_poll_records`` (5,000) events, event ids recorded,
  source-record upsert plus linking, two batches' transactions overlapping, offsets committed once
  each transaction has), with the service's own settings (its connection pool included) in a process
  tuned as the service tunes itself at start-up (``shared.runtime.tune_for_batch_work``). All events are
  published before the consumer starts; the rate is counted from the end of its first batch (the
  group join and the first poll's wait are start-up, not stream) to the last event applied.
  ``MATCHING_BENCH_STREAM_PATH=direct`` measures instead the handler alone
  (``apply_beneficiary_upserts`` called with ``MATCHING_BENCH_BATCH`` (2,000) events per
  transaction: no broker, no event-id bookkeeping), the measure of versions before this one.

The cluster runs with the dev stack's settings (``devstack.postgres.server_settings``: here
``shared_buffers`` 1 GB, a background writer that cleans ahead); ``MATCHING_BENCH_SHARED_BUFFERS``
(e.g. ``256MB``) restarts it with another buffer cache. The JSON says which was used, and the load
average of the machine when the stream started (it is shared with other work).

Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import numpy as np
import polars as pl

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from devstack.broker import TansuBroker  # noqa: E402
from devstack.postgres import EmbeddedPostgres, _as_postgres_user, server_settings  # noqa: E402
from devstack.procs import free_port  # noqa: E402
from services.matching.database import processed_events  # noqa: E402
from services.matching.engine.normalize import normalize_table  # noqa: E402
from services.matching.engine.pipeline import dedupe  # noqa: E402
from services.matching.jobs.rematch import best_probability  # noqa: E402
from services.matching.linking import bulk  # noqa: E402
from services.matching.linking.service import link_records  # noqa: E402
from services.matching.records.service import SUBSCRIPTION, apply_beneficiary_upserts  # noqa: E402
from services.matching.settings import MatchingSettings  # noqa: E402
from shared.consumer import EventConsumer  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.events import EventEnvelope  # noqa: E402
from shared.ids import new_id, uuid7_series  # noqa: E402
from shared.kafka import ensure_topics, make_producer  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from shared.runtime import tune_for_batch_work  # noqa: E402
from shared.settings import ServiceSettings  # noqa: E402

GROUND_TRUTH = ("person_id", "household_id")
# what linking reads per record: the block-key index, the candidates' keys, links and persons
PREWARMED = ("pk_block_keys", "record_keys", "pk_record_keys", "person_links", "pk_person_links",
             "ix_person_links_person", "persons", "pk_persons", "name_counts", "pk_name_counts")
NOT_ATTRIBUTES = ("unique_id", "programme", "ministry", *GROUND_TRUTH)


def bench_dir() -> Path:
    return Path(os.environ.get("SOMONNOY_BENCH_DIR", REPO_ROOT.parent / "shared" / "bench"))


def _read(path: Path, limit: int | None = None) -> pl.DataFrame:
    columns = [c for c in pl.read_parquet_schema(path) if c not in GROUND_TRUTH]
    table = pl.read_parquet(path, columns=columns)
    return table.head(limit) if limit else table


# The bench files' columns under the names the registry publishes them by (its beneficiary record,
# ``services.registry.persons.records.beneficiary_record``): the events are the registry's.
REGISTRY_NAMES = {"dob": "date_of_birth", **{f"{relative}_{script}": f"{relative}_name_{script}"
                                             for relative in ("father", "mother", "spouse") for script in ("bn", "en")}}


def _attributes(table: pl.DataFrame) -> list[dict]:
    """Each record as the registry's event payload carries it (its field names, no empty fields)."""
    return [{REGISTRY_NAMES.get(k, k): v for k, v in row.items() if v is not None and k not in NOT_ATTRIBUTES}
            for row in table.to_dicts()]


def _ids(n: int) -> list[uuid.UUID]:
    """New enrolments' ids, as the registry mints them: UUIDv7, a later record a larger id."""
    return [new_id() for _ in range(n)]


def _register_ids(n: int, chunk: int = 10_000) -> pl.Series:
    """The register's record ids as the registry's bulk import minted them: UUIDv7 of each chunk's
    millisecond, a chunk a second, a day before the benchmark."""
    start = time.time_ns() // 1_000_000 - 86_400_000
    return pl.concat([uuid7_series(min(chunk, n - offset), "record_id", millis=start + offset // chunk * 1000)
                      for offset in range(0, n, chunk)]) if n else pl.Series("record_id", [], dtype=pl.String)


async def load_register(url: str, table: pl.DataFrame) -> dict:
    """The batch result of ``table`` in the incremental tables (what a re-match job leaves)."""
    timings = {}
    t = time.perf_counter()
    result = dedupe(table)
    keys = normalize_table(table)
    timings["dedupe_s"] = time.perf_counter() - t
    record_ids = _register_ids(table.height)
    best = best_probability(table.height, result.pairs, result.probability, result.params.threshold)
    t = time.perf_counter()
    raw = await asyncpg.connect(url)
    try:
        await raw.execute("ALTER TABLE matching.block_keys DROP CONSTRAINT pk_block_keys")
        async with raw.transaction():
            counts = await bulk.load_keys(raw, record_ids, keys)
            counts["persons"] = await bulk.load_links(raw, record_ids, result.cluster_id, best)
            await bulk.store_params(raw, result.params, table.height, "bench")
        timings["copy_s"] = time.perf_counter() - t
        t = time.perf_counter()
        await raw.execute("ALTER TABLE matching.block_keys ADD CONSTRAINT pk_block_keys "
                          "PRIMARY KEY (rule, key, record_id)")
        await raw.execute("VACUUM ANALYZE")  # what autovacuum does after a load: index-only scans
        timings["index_s"] = time.perf_counter() - t
        # The load's dirty pages (a few GB) written out now, as on a register that has been running
        # a while: otherwise the checkpointer writes them during the measured phases.
        t = time.perf_counter()
        await raw.execute("CHECKPOINT")
        timings["checkpoint_s"] = time.perf_counter() - t
        # The register's hot set read into the buffer cache, as on a server that has been serving
        # (PostgreSQL's autoprewarm restores it after a restart): the index built above was written
        # around the cache, and without this the first few hundred records measure its filling.
        t = time.perf_counter()
        await raw.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        counts["prewarmed_mb"] = round(8 * await raw.fetchval(
            "SELECT sum(pg_prewarm(('matching.' || name)::regclass))::bigint FROM unnest($1::text[]) AS name",
            list(PREWARMED)) / 1024)
        timings["prewarm_s"] = time.perf_counter() - t
    finally:
        await raw.close()
    return {**counts, **{k: round(v, 1) for k, v in timings.items()}}


async def time_singles(database: Database, records: list[dict]) -> np.ndarray:
    latencies = []
    for record_id, attributes in zip(_ids(len(records)), records, strict=True):
        t = time.perf_counter()
        async with database.sessionmaker() as session, session.begin():
            await link_records(session, [(record_id, attributes)])
        latencies.append(time.perf_counter() - t)
    return np.array(latencies) * 1000


UPSERTED = SUBSCRIPTION.topics[0]


def _events(records: list[dict]) -> list[EventEnvelope]:
    """The registry's events of new enrolments with these attributes (keyed by enrolment, as its
    relay publishes them)."""
    return [EventEnvelope(type=UPSERTED, producer="registry", key=str(i),
                          payload={"id": str(i), "ministry_code": "BENCH", "programme_code": "BENCH", "version": 1,
                                   **attributes})
            for i, attributes in zip(_ids(len(records)), records, strict=True)]


async def time_stream(database: Database, records: list[dict], batch: int) -> float:
    events = _events(records)
    t = time.perf_counter()
    for start in range(0, len(events), batch):
        async with database.sessionmaker() as session, session.begin():
            await apply_beneficiary_upserts(session, events[start:start + batch])
    return time.perf_counter() - t


def _publish(settings: ServiceSettings, events: list[EventEnvelope]) -> None:
    producer = make_producer(settings)
    try:
        for event in events:
            producer.send(event.topic, key=event.key.encode(), value=event.to_bytes())
        producer.flush(timeout=120)
    finally:
        producer.close(timeout=10)


async def time_consumer_stream(settings: ServiceSettings, database: Database, records: list[dict],
                               timeout_s: float = 1800) -> tuple[int, float]:
    """(events counted, seconds) of the stream through the broker and the service's consumer: from
    the end of its first batch to the last event applied."""
    await asyncio.to_thread(ensure_topics, settings, [UPSERTED])
    await asyncio.to_thread(_publish, settings, _events(records))
    consumer = EventConsumer(settings=settings, database=database, processed=processed_events,
                             subscription=SUBSCRIPTION)
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        started = time.perf_counter()
        first: tuple[int, float] | None = None
        while consumer.applied_total < len(records):
            if running.done():
                running.result()  # its error
                raise RuntimeError("the consumer stopped before the stream was applied")
            if time.perf_counter() - started > timeout_s:
                raise TimeoutError(f"{consumer.applied_total} of {len(records)} events applied in {timeout_s:.0f} s")
            if first is None and consumer.applied_total:
                first = (consumer.applied_total, time.perf_counter())
            await asyncio.sleep(0.02)
        ended = time.perf_counter()
    finally:
        stop.set()
        await running
    if first is None or first[0] == len(records):
        raise RuntimeError("the whole stream came in one batch: nothing to time")
    return len(records) - first[0], ended - first[1]


async def run(url: str, bootstrap: str | None, linked: int, singles: int, stream: int, batch: int) -> dict:
    register = _read(bench_dir() / "bd_1000000_s42.parquet", linked)
    t = time.perf_counter()
    loaded = await load_register(url, register)
    load_s = time.perf_counter() - t
    del register
    arriving = _read(bench_dir() / "bd_100000_s42.parquet")
    single_records = _attributes(arriving.tail(singles))
    stream_records = _attributes(arriving.head(stream))
    # the service's own settings (its poll size) and interpreter settings (set at its start-up)
    settings = MatchingSettings(database_url=url, environment="test",
                                kafka_bootstrap_servers=bootstrap or "127.0.0.1:9", log_json=False)
    database = Database(settings)
    tune_for_batch_work()
    try:
        await time_singles(database, single_records[:20])  # warm-up (imports, caches, plans)
        latencies = await time_singles(database, single_records)
        loadavg = [round(x, 2) for x in os.getloadavg()]
        if bootstrap is None:
            streamed, stream_s = len(stream_records), await time_stream(database, stream_records, batch)
        else:
            streamed, stream_s = await time_consumer_stream(settings, database, stream_records)
        raw = await asyncpg.connect(url)
        try:
            shared_buffers = await raw.fetchval("SHOW shared_buffers")
        finally:
            await raw.close()
    finally:
        await database.dispose()
    return {
        "linked_records": linked,
        "link_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "link_p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "link_singles": len(latencies),
        "stream_path": "direct" if bootstrap is None else "consumer",
        "stream_records": len(stream_records),
        "stream_records_timed": streamed,
        "stream_batch": batch if bootstrap is None else settings.kafka_max_poll_records,
        "stream_records_per_s": round(streamed / stream_s, 1),
        "stream_s": round(stream_s, 1),
        "loadavg_at_stream": loadavg,
        "shared_buffers": shared_buffers,
        "load_s": round(load_s, 1),
        "load": loaded,
    }


def restart_with_shared_buffers(postgres: EmbeddedPostgres, size: str) -> None:
    """The bench's cluster again, with a buffer cache of ``size``: the dev stack's start options
    (fsync off) but this ``shared_buffers``, which it cannot take as a parameter."""
    postgres.stop()
    settings = {**server_settings(), "shared_buffers": size, "fsync": "off", "synchronous_commit": "off",
                "full_page_writes": "off"}
    options = f"-h 127.0.0.1 -p {postgres.port} -k {postgres.root} " + " ".join(
        f"-c {name}={value}" for name, value in settings.items())
    subprocess.run(_as_postgres_user([str(postgres.bin / "pg_ctl"), "-D", str(postgres.data), "-l", str(postgres.log),
                                      "-w", "-t", "60", "-o", options, "start"]),
                   check=True, capture_output=True, start_new_session=True)


def main() -> None:
    linked = int(os.environ.get("MATCHING_BENCH_LINKED", 1_000_000))
    singles = int(os.environ.get("MATCHING_BENCH_SINGLES", 1_000))
    stream = int(os.environ.get("MATCHING_BENCH_STREAM", 100_000))
    batch = int(os.environ.get("MATCHING_BENCH_BATCH", 2_000))
    direct = os.environ.get("MATCHING_BENCH_STREAM_PATH", "consumer") == "direct"
    postgres = EmbeddedPostgres("pg-bench-matching", free_port(), fast_and_unsafe=True)
    postgres.destroy()  # a leftover of an interrupted run
    postgres.start()
    broker = None
    bootstrap = None if direct else os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    try:
        if not direct and not bootstrap:
            broker = TansuBroker(free_port(), postgres.root / "broker.log")
            broker.start()
            bootstrap = broker.bootstrap
        if os.environ.get("MATCHING_BENCH_SHARED_BUFFERS"):
            restart_with_shared_buffers(postgres, os.environ["MATCHING_BENCH_SHARED_BUFFERS"])
        upgrade("matching", postgres.url)
        # the services' own connection to the database on this machine (devstack's Stack does the same)
        result = asyncio.run(run(postgres.socket_url, bootstrap, linked, singles, stream, batch))
        result["database_connection"] = "unix socket"
    finally:
        if broker is not None:
            broker.stop()
        postgres.destroy()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
