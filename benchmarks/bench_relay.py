"""How fast the outbox relay publishes through the real broker (kafka-python, acks=all, lz4).

    make bench-relay            # EVENTS=200000 make bench-relay for a longer run

Starts its own PostgreSQL and Tansu (or uses DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS), stages
EVENTS events of a realistic size in an outbox with one set-based INSERT, then drains it with
`OutboxRelay` and prints one JSON line; then the same events staged as batch rows of 2,000
(as a bulk import writes them, `shared.outbox.pack_events`), and a second line.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time
import uuid

from sqlalchemy import text

from devstack.postgres import EmbeddedPostgres
from devstack.procs import free_port
from devstack.stack import Stack, StackOptions
from shared.db import Database, service_metadata
from shared.events import EventEnvelope
from shared.outbox import BATCH_TOPIC, OutboxRelay, define_outbox_table, pack_events
from shared.settings import ServiceSettings

EVENTS_PER_BATCH = 2_000
SAMPLE_PAYLOAD = {
    "ministry_code": "MOSW", "programme_code": "OAA", "source_record_id": "OAA-2024-000187",
    "name_bn": "মোঃ আব্দুর রহিম", "name_en": "Md. Abdur Rahim", "father_bn": "মৃত করিম উদ্দিন",
    "mother_bn": "মোছাঃ জমিলা খাতুন", "nid": "1956123456789", "phone": "+8801711234567",
    "date_of_birth": "1956-03-12", "division_code": "30", "district_code": "26", "upazila_code": "2616",
    "union_code": "261647", "ward": "4", "version": 1,
}


async def run_benchmark(settings: ServiceSettings, events: int, *, batched: bool = False) -> dict[str, object]:
    schema = f"bench_{uuid.uuid4().hex[:6]}"
    metadata = service_metadata(schema)
    outbox = define_outbox_table(metadata, batches=batched)
    database = Database(settings)
    topic = f"bench.relay_{uuid.uuid4().hex[:6]}.published"
    template = EventEnvelope(type=topic, producer="bench", key="k", payload=SAMPLE_PAYLOAD).to_bytes()
    async with database.engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await connection.run_sync(metadata.create_all)
        if batched:
            rows = []
            for start in range(0, events, EVENTS_PER_BATCH):
                count = min(EVENTS_PER_BATCH, events - start)
                lines = b"\n".join(b"%s\t%d\t%s" % (topic.encode(), start + n, template) for n in range(count))
                rows.append({"event_id": uuid.uuid4(), "topic": BATCH_TOPIC, "key": "bench",
                             "body": pack_events(lines), "events": count})
            await connection.execute(outbox.insert(), rows)
        else:
            # Set-based staging: one INSERT ... SELECT.
            await connection.execute(text(
                f'INSERT INTO "{schema}".outbox (event_id, topic, key, body) '
                "SELECT gen_random_uuid(), :topic, g::text, :body FROM generate_series(1, :n) AS g"),
                {"topic": topic, "body": template, "n": events})
    relay = OutboxRelay(settings=settings, database=database, outbox=outbox, topics=[topic])
    await relay.relay_once()  # warm-up: topic creation and producer connection
    started = time.perf_counter()
    while await relay.relay_once():
        pass
    elapsed = time.perf_counter() - started
    published = relay.published_total
    relay._close_producer()
    async with database.engine.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await database.dispose()
    return {"benchmark": "outbox_relay", "rows": "batches of 2000" if batched else "one per event",
            "events": published, "event_bytes": len(template),
            "batch_size": settings.outbox_batch_size, "partitions": settings.kafka_topic_partitions,
            "wall_s": round(elapsed, 2), "events_per_s": round(published / elapsed),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "cores": os.cpu_count()}


def main() -> None:
    events = int(os.environ.get("EVENTS", "100000"))
    options = StackOptions.from_environment("bench")
    options.postgres_port, options.broker_port, options.fast_unsafe_postgres = free_port(), free_port(), True
    if not options.database_url:
        EmbeddedPostgres("pg-bench", options.postgres_port).destroy()
    stack = Stack(options)
    try:
        stack.start_infrastructure()
        settings = ServiceSettings(database_url=stack.database_url, kafka_bootstrap_servers=stack.kafka_bootstrap,
                                   service_name="bench", log_json=False,
                                   outbox_batch_size=int(os.environ.get("OUTBOX_BATCH_SIZE", "5000")))
        print(json.dumps(asyncio.run(run_benchmark(settings, events))), flush=True)
        print(json.dumps(asyncio.run(run_benchmark(settings, events, batched=True))))
    finally:
        stack.stop()
        if stack.broker:
            stack.broker.stop()
        if stack.postgres:
            stack.postgres.destroy()


if __name__ == "__main__":
    main()
