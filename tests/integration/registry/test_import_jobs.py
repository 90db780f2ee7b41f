"""Bulk import jobs through the HTTP API, against the real PostgreSQL: the bench file, bad rows,
re-uploads, every format, and a job interrupted mid-way."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.stack import Stack
from services.registry.access import Caller
from services.registry.imports import jobs
from services.registry.imports.jobs import ImportRunner, batch_key
from services.registry.imports.models import ImportJob
from shared.db import Database
from shared.outbox import expand_rows
from tests.conftest import settings_for
from tests.integration.registry.factories import headers, unique_nid13, unique_phone
from tests.paths import BENCH_DIR

BENCH_100K = BENCH_DIR / "bd_100000_s42.parquet"
BENCH_PROGRAMMES = ["OAA", "WIDOW", "DIS", "EGPP", "FFP", "MCBP", "VWB", "STIP", "TCB"]


async def upload(client: httpx.AsyncClient, content: bytes, filename: str, ministry: str, *roles: str,
                 **form: Any) -> dict[str, Any]:
    response = await client.post("/imports", headers=headers(ministry, *roles),
                                 files={"file": (filename, content)}, data={k: str(v) for k, v in form.items()})
    assert response.status_code == 202, response.text
    return response.json()


async def wait_done(client: httpx.AsyncClient, job_id: str, ministry: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = (await client.get(f"/imports/{job_id}", headers=headers(ministry))).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def errors_csv(client: httpx.AsyncClient, job_id: str, ministry: str) -> list[dict[str, str]]:
    response = await client.get(f"/imports/{job_id}/errors.csv", headers=headers(ministry))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


async def counts(engine: AsyncEngine, tag: str | None = None) -> dict[str, int]:
    async with engine.connect() as connection:
        row = (await connection.execute(text(
            "SELECT (SELECT count(*) FROM registry.persons) AS persons, "
            "(SELECT count(*) FROM registry.enrolments) AS enrolments, "
            "(SELECT count(*) FROM registry.identifiers) AS identifiers, "
            "(SELECT coalesce(sum(events), 0) FROM registry.outbox "
            " WHERE topic NOT LIKE 'registry.import.%') AS events"))).one()
    return dict(row._mapping)


def bench_rows(tag: str, n: int, *, ministry: str = "MoSW") -> pl.DataFrame:
    """n rows of the 100k file of one ministry, with source record ids of their own."""
    frame = pl.read_parquet(BENCH_100K).filter(pl.col("ministry") == ministry).head(n)
    return frame.with_columns((pl.lit(f"{tag}-") + pl.col("unique_id").cast(pl.String)).alias("unique_id"))


@pytest.mark.slow
async def test_the_100k_bench_file_is_stored_whole_and_a_second_upload_changes_nothing(
        registry: httpx.AsyncClient, engine: AsyncEngine) -> None:
    content = BENCH_100K.read_bytes()
    before = await counts(engine)
    job = await upload(registry, content, BENCH_100K.name, "CD", "operator", chunk_rows=25_000)
    assert job["status"] == "queued" and job["errors_url"] == f"imports/{job['id']}/errors.csv"
    done = await wait_done(registry, job["id"], "CD", timeout_s=240)
    assert done["status"] == "succeeded", done
    assert (done["rows_total"], done["rows_done"], done["rows_failed"], done["rows_created"]) == (
        100_000, 100_000, 0, 100_000)
    assert done["chunks_done"] == 4 and done["rows_per_s"] > 0 and done["eta_s"] == 0
    after = await counts(engine)
    assert after["persons"] - before["persons"] == 100_000
    assert after["enrolments"] - before["enrolments"] == 100_000
    # person.upserted, beneficiary.upserted and enrolment.upserted for every record
    assert after["events"] - before["events"] == 300_000

    # The file's invalid optional identifiers are stored raw, with a warning each.
    report = await errors_csv(registry, job["id"], "CD")
    assert report and {r["severity"] for r in report} == {"warning"}
    assert len({r["row_number"] for r in report}) == done["rows_warned"]
    bad_nid = next(r for r in report if r["code"] == "nid.birth_year")
    async with engine.connect() as connection:
        stored = (await connection.execute(text(
            "SELECT i.raw, i.normalized FROM registry.enrolments e JOIN registry.identifiers i "
            "ON i.person_id = e.person_id AND i.kind = 'nid' WHERE e.source_record_id = :sid"),
            {"sid": bad_nid["source_record_id"]})).one()
    assert stored.raw == bad_nid["value"] and stored.normalized is None

    again = await wait_done(registry, (await upload(registry, content, BENCH_100K.name, "CD", "operator",
                                                    chunk_rows=25_000))["id"], "CD", timeout_s=240)
    assert (again["status"], again["rows_unchanged"], again["rows_created"], again["rows_updated"]) == (
        "succeeded", 100_000, 0, 0)
    assert await counts(engine) == after


async def test_a_file_with_5_percent_bad_rows_stores_every_good_row_and_reports_each_bad_one(
        registry: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path) -> None:
    tag = f"BAD{uuid.uuid4().hex[:6]}"
    frame = bench_rows(tag, 2_000)
    rng = random.Random(5)
    bad_rows = sorted(rng.sample(range(2_000), 100))
    breakages = [("gender", "X", "gender.unknown"), ("programme", "FFP", "programme.not_yours"),
                 ("union_code", "99999", "address.unknown_unit"), ("ward", "500", "less_than_equal"),
                 ("ministry", "MoFood", "ministry.not_caller"), ("unique_id", "", "source_record_id.missing"),
                 ("programme", "", "programme.missing"), ("father_bn", "...", "name.no_letters")]
    rows = frame.with_columns(pl.all().cast(pl.String)).to_dicts()
    expected: dict[int, tuple[str, str]] = {}
    for n, index in enumerate(bad_rows):
        field, value, code = breakages[n % len(breakages)]
        rows[index][field] = value
        if field == "unique_id":
            rows[index]["name_bn"] = rows[index]["name_en"] = None
            code = "source_record_id.missing"
        expected[index + 1] = (field, code)
    path = tmp_path / "mosw.csv"
    pl.DataFrame(rows, schema={c: pl.String for c in rows[0]}).write_csv(path)
    before = await counts(engine)

    job = await wait_done(registry, (await upload(registry, path.read_bytes(), "mosw.csv", "MOSW",
                                                  chunk_rows=700))["id"], "MOSW")
    assert (job["status"], job["rows_done"], job["rows_failed"], job["rows_created"]) == (
        "succeeded", 2_000, 100, 1_900)
    assert (await counts(engine))["enrolments"] - before["enrolments"] == 1_900
    errors = [r for r in await errors_csv(registry, job["id"], "MOSW") if r["severity"] == "error"]
    by_row: dict[int, set[str]] = {}
    for line in errors:
        by_row.setdefault(int(line["row_number"]), set()).add(line["code"])
        assert line["reason"]
    assert set(by_row) == set(expected)
    for row_number, (_, code) in expected.items():
        assert code in by_row[row_number], (row_number, code, by_row[row_number])

    # The job is the uploading ministry's.
    assert (await registry.get(f"/imports/{job['id']}", headers=headers("MOFOOD"))).status_code == 403
    assert job["id"] in {j["id"] for j in (await registry.get("/imports", headers=headers("MOSW"))).json()["items"]}
    assert (await registry.get(f"/imports/{job['id']}", headers=headers("MOFOOD"))).json()["detail"][0]["type"] == \
        "import.not_yours"


def _small_records(tag: str) -> list[dict[str, Any]]:
    return [{"unique_id": f"{tag}-{n}", "programme": "EGPP", "ministry": "MoDMR", "name_bn": "জামাল উদ্দিন",
             "name_en": "Jamal Uddin", "gender": "M", "dob": "1969-04-0" + str(n + 1), "nid": unique_nid13(),
             "phone": unique_phone(), "union_code": 1927, "ward": 2} for n in range(5)]


def _csv_bytes(records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


def _xlsx_bytes(records: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(records[0]))
    for record in records:
        sheet.append(list(record.values()))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _jsonl_bytes(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


@pytest.mark.parametrize(("suffix", "encode"), [("csv", _csv_bytes), ("xlsx", _xlsx_bytes), ("jsonl", _jsonl_bytes)])
async def test_csv_xlsx_and_json_lines_files_import(registry: httpx.AsyncClient, engine: AsyncEngine, suffix: str,
                                                    encode: Any) -> None:
    tag = f"{suffix.upper()}{uuid.uuid4().hex[:6]}"
    records = _small_records(tag)
    job = await wait_done(registry, (await upload(registry, encode(records), f"modmr.{suffix}", "MODMR"))["id"],
                          "MODMR")
    assert (job["status"], job["format"], job["rows_done"], job["rows_created"], job["rows_failed"]) == (
        "succeeded", suffix, 5, 5, 0), job
    async with engine.connect() as connection:
        person_id = await connection.scalar(text(
            "SELECT person_id FROM registry.enrolments WHERE source_record_id = :sid"), {"sid": f"{tag}-2"})
    person = (await registry.get(f"/persons/{person_id}", headers=headers("MODMR"))).json()
    assert person["date_of_birth"] == "1969-04-03" and person["gender"] == "male"
    assert person["address"]["district_code"] == 27 and person["phone"] == "+880" + records[2]["phone"][1:]
    assert person["nid"] == records[2]["nid"]


async def test_a_programme_exported_and_imported_again_is_unchanged(registry: httpx.AsyncClient) -> None:
    tag = f"EXP{uuid.uuid4().hex[:6]}"
    code = "X" + uuid.uuid4().hex[:8].upper()
    records = [{**r, "programme": code} for r in _small_records(tag)]
    job = await wait_done(registry, (await upload(registry, _csv_bytes(records), "new.csv", "MODMR"))["id"], "MODMR")
    assert job["rows_created"] == 5  # the new programme was registered as the uploader's
    owners = {p["code"]: p["ministry_code"] for p in (await registry.get("/programmes")).json()}
    assert owners[code] == "MODMR"
    exported = await registry.get(f"/programmes/{code}/records.csv", headers=headers("MODMR"))
    assert exported.status_code == 200 and exported.text.count("\n") == 6
    assert (await registry.get(f"/programmes/{code}/records.csv", headers=headers("MOSW"))).status_code == 403
    again = await wait_done(registry, (await upload(registry, exported.content, "export.csv", "MODMR"))["id"],
                            "MODMR")
    assert (again["rows_unchanged"], again["rows_created"], again["rows_updated"]) == (5, 0, 0)
    changed = [{**r, "phone": unique_phone()} if r["unique_id"].endswith("-0") else r for r in records]
    third = await wait_done(registry, (await upload(registry, _csv_bytes(changed), "new.csv", "MODMR"))["id"],
                            "MODMR")
    assert (third["rows_unchanged"], third["rows_updated"]) == (4, 1)


async def leased_job(database: Database, engine: AsyncEngine, runner: ImportRunner, frame: pl.DataFrame,
                     ministry: str, *, chunk_rows: int) -> ImportJob:
    """A job of `frame` as a Parquet upload, already running and leased by `runner` (for an hour)."""
    path = jobs.import_dir() / f"{uuid.uuid4()}.parquet"
    frame.write_parquet(path)
    job = await jobs.create_job(database, caller=Caller(ministry), filename=f"{ministry.lower()}.parquet",
                                fmt="parquet", path=path, sha256="-", size_bytes=path.stat().st_size,
                                chunk_rows=chunk_rows, request_id=None)
    async with engine.begin() as connection:
        await connection.execute(text(
            "UPDATE registry.import_jobs SET status = 'running', lease_owner = :owner, "
            "lease_until = now() + interval '1 hour' WHERE id = :id"), {"owner": runner.owner, "id": job.id})
    return job


async def test_an_interrupted_job_resumes_after_its_last_chunk_without_duplicates(
        infra: Stack, registry: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path) -> None:
    tag = f"INT{uuid.uuid4().hex[:6]}"
    frame = bench_rows(tag, 1_000, ministry="MoCom")
    database = Database(settings_for(infra))
    try:
        crashed = ImportRunner(database, settings_for(infra))  # leases the job, then "crashes"
        job = await leased_job(database, engine, crashed, frame, "MOCOM", chunk_rows=300)
        await crashed.process(job.id, max_chunks=1)

        async def stored() -> int:
            async with engine.connect() as connection:
                return await connection.scalar(text(
                    "SELECT count(*) FROM registry.enrolments WHERE source_record_id LIKE :tag"), {"tag": f"{tag}-%"})

        half = (await registry.get(f"/imports/{job.id}", headers=headers("MOCOM"))).json()
        assert (half["status"], half["rows_done"], half["chunks_done"]) == ("running", 300, 1)
        assert await stored() == 300

        # The process is gone: its lease runs out, and a registry process claims the job again.
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE registry.import_jobs SET lease_until = now() WHERE id = :id"),
                                     {"id": job.id})
        resumed = ImportRunner(database, settings_for(infra))
        claimed = await resumed.claim()
        if claimed == job.id:
            await resumed.process(job.id)
        done = await wait_done(registry, str(job.id), "MOCOM")
        assert (done["status"], done["rows_done"], done["rows_created"], done["chunks_done"]) == (
            "succeeded", 1_000, 1_000, 4)
        assert await stored() == 1_000
        async with engine.connect() as connection:
            enrolments = set((await connection.scalars(text(
                "SELECT id::text FROM registry.enrolments WHERE source_record_id LIKE :tag"),
                {"tag": f"{tag}-%"})).all())
            rows = (await connection.execute(text(
                "SELECT topic, key, body, events FROM registry.outbox WHERE key = :batch ORDER BY id"),
                {"batch": batch_key(job.id)})).all()
        events = [key for topic, key, _ in expand_rows(rows) if topic == "registry.beneficiary.upserted"]
        assert len(events) == len(set(events)) == 1_000 and set(events) == enrolments
    finally:
        await database.dispose()


async def test_a_chunk_whose_statements_end_first_still_commits_after_the_one_before(
        infra: Stack, registry: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path) -> None:
    # Two chunks are written at once. The first one's programme is locked by another transaction,
    # so the second finishes its statements first: it must wait, then commit after the first.
    tag = f"ORD{uuid.uuid4().hex[:6]}"
    frame = bench_rows(tag, 600, ministry="MoSW").with_columns(
        pl.when(pl.int_range(pl.len()) < 300).then(pl.lit("OAA")).otherwise(pl.lit("WIDOW")).alias("programme"))
    database = Database(settings_for(infra))
    try:
        runner = ImportRunner(database, settings_for(infra))
        job = await leased_job(database, engine, runner, frame, "MOSW", chunk_rows=300)
        async with engine.connect() as blocker:
            await blocker.execute(text("SELECT code FROM registry.programmes WHERE code = 'OAA' FOR UPDATE"))
            processing = asyncio.create_task(runner.process(job.id))
            await asyncio.sleep(3)  # the second chunk is written meanwhile, up to its commit
            assert not processing.done()
            await blocker.rollback()
        await asyncio.wait_for(processing, 60)
        done = (await registry.get(f"/imports/{job.id}", headers=headers("MOSW"))).json()
        assert (done["status"], done["rows_done"], done["rows_created"], done["chunks_done"]) == (
            "succeeded", 600, 600, 2)
    finally:
        await database.dispose()


async def test_a_relay_that_keeps_its_lock_delays_the_import_but_does_not_stall_it(
        infra: Stack, registry: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    # A relay whose page's transaction stays open (its broker does not answer) holds the outbox
    # lock the import would take shared: the import waits for it a while, then goes on without it.
    monkeypatch.setattr(jobs, "RELAY_LOCK_WAIT_S", 1.0)
    tag = f"RLY{uuid.uuid4().hex[:6]}"
    frame = bench_rows(tag, 300, ministry="MoSW")
    database = Database(settings_for(infra))
    try:
        runner = ImportRunner(database, settings_for(infra))
        job = await leased_job(database, engine, runner, frame, "MOSW", chunk_rows=300)
        async with engine.connect() as relay:
            await relay.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": jobs.RELAY_LOCK})
            started = time.monotonic()
            await asyncio.wait_for(runner.process(job.id), 60)
            waited = time.monotonic() - started
            still_held = await relay.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"))
            await relay.rollback()
        assert waited >= 1.0 and still_held == 1
        done = (await registry.get(f"/imports/{job.id}", headers=headers("MOSW"))).json()
        assert (done["status"], done["rows_done"], done["rows_created"]) == ("succeeded", 300, 300)
    finally:
        await database.dispose()


def _comparable(payload: dict[str, Any]) -> dict[str, Any]:
    """Timestamps compared as instants (the SQL and Polars spell UTC '+00:00' or 'Z')."""
    from datetime import datetime

    out = {}
    for key, value in payload.items():
        if key in ("created_at", "updated_at", "deactivated_at") and isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        out[key] = value
    return out


async def test_an_imported_records_events_carry_the_apis_payloads(registry: httpx.AsyncClient,
                                                                   engine: AsyncEngine) -> None:
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from services.registry.enrolments.models import Enrolment
    from services.registry.enrolments.schemas import EnrolmentRead
    from services.registry.persons.models import Person
    from services.registry.persons.records import beneficiary_record, person_read

    tag = f"EVT{uuid.uuid4().hex[:6]}"
    record = {"unique_id": f"{tag}-1", "programme": "OAA", "ministry": "MoSW", "name_bn": "মোঃ আব্দুর রহিম",
              "name_en": "Md. Abdur Rahim", "father_bn": "মৃত করিম", "gender": "M", "dob": "1950-03-12",
              "nid": "19501234567890123", "brn": None, "phone": "02-9515530", "union_code": 1927, "ward": 4}

    async def payloads(key: str) -> dict[str, dict[str, Any]]:
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT topic, key, body, events FROM registry.outbox WHERE key = :key OR key = :batch ORDER BY id"),
                {"key": key, "batch": batch_key(uuid.UUID(job["id"]))})).all()
        return {topic: json.loads(body)["payload"] for topic, event_key, body in expand_rows(rows) if event_key == key}

    async def stored() -> tuple[Person, Enrolment]:
        async with async_sessionmaker(engine)() as session:
            enrolment = (await session.scalars(select(Enrolment).where(
                Enrolment.source_record_id == f"{tag}-1"))).one()
            person = (await session.scalars(select(Person).where(Person.id == enrolment.person_id))).unique().one()
            return person, enrolment

    job = await wait_done(registry, (await upload(registry, _jsonl_bytes([record]), "one.jsonl", "MOSW"))["id"], "MOSW")
    assert (job["rows_created"], job["rows_warned"]) == (1, 1)  # the landline is kept raw
    person, enrolment = await stored()
    by_person, by_enrolment = await payloads(str(person.id)), await payloads(str(enrolment.id))
    assert _comparable(by_person["registry.person.upserted"]) == _comparable(
        person_read(person).model_dump(mode="json"))
    assert _comparable(by_enrolment["registry.beneficiary.upserted"]) == _comparable(
        beneficiary_record(person, enrolment))
    assert _comparable(by_enrolment["registry.enrolment.upserted"]) == _comparable(
        EnrolmentRead.model_validate(enrolment).model_dump(mode="json"))
    phone = next(i for i in by_person["registry.person.upserted"]["identifiers"] if i["kind"] == "phone")
    assert phone == {"kind": "phone", "raw": "02-9515530", "normalized": None, "comparable": None}

    # A changed record: its events are built in SQL from what is stored, with the same payloads.
    job = await wait_done(registry, (await upload(registry, _jsonl_bytes([{**record, "phone": "01711234567"}]),
                                                  "one.jsonl", "MOSW"))["id"], "MOSW")
    assert job["rows_updated"] == 1
    person, enrolment = await stored()
    assert person.version == 2
    async with engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT topic, body FROM registry.outbox WHERE key IN (:p, :e) ORDER BY id DESC LIMIT 2"),
            {"p": str(person.id), "e": str(enrolment.id)})).all()
    latest = {row.topic: json.loads(bytes(row.body))["payload"] for row in rows}
    assert _comparable(latest["registry.person.upserted"]) == _comparable(person_read(person).model_dump(mode="json"))
    assert _comparable(latest["registry.beneficiary.upserted"]) == _comparable(beneficiary_record(person, enrolment))
