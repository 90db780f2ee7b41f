"""A large batch's candidate lookup made before its locks and completed under them with the
records stored since (``fetch_early_candidates`` / ``complete_early_candidates``), against the real
PostgreSQL: the same candidates as a whole lookup made under the locks, and a record re-stored in
between is not compared through its old keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import polars as pl
import pytest
from sqlalchemy import text

from devstack.stack import Stack
from services.matching.linking import service
from services.matching.linking.service import (
    LOCK_ALL_FROM,
    Candidates,
    PreparedBatch,
    candidate_pairs_of,
    complete_early_candidates,
    fetch_candidates,
    fetch_early_candidates,
    link_prepared,
    link_records,
    prepare_batch,
    read_context,
    snapshot_bounds,
)
from shared.db import Database
from tests.integration.matching.scratch import as_new_records, migrated_matching_database
from tests.integration.matching.test_incremental_linking import _person_of, person_record
from tests.paths import BENCH_DIR

pytestmark = pytest.mark.integration

GROUND_TRUTH = ("person_id", "household_id")


@pytest.fixture
async def own_database(infra: Stack) -> AsyncIterator[Database]:
    async with migrated_matching_database(infra, "matching_early") as database:
        yield database


def _dense_records(n: int) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """n bench records of the unions holding the most records (dense blocks: shared names, birth
    dates and places, the same people in several programmes), shuffled; no ground truth."""
    frame = pl.read_parquet(BENCH_DIR / "bd_100000_s42.parquet").drop(*GROUND_TRUTH)
    unions = frame.group_by("union_code").len().sort("len", "union_code", descending=True)["union_code"]
    dense = frame.filter(pl.col("union_code").is_in(unions.head(200).implode())).sample(n, seed=7, shuffle=True)
    return as_new_records(dense)


def _pairs(batch: PreparedBatch, candidates: Candidates) -> set[tuple[str, str]]:
    """The record pairs a batch would score, by record id."""
    ids = batch.ids + candidates.ids
    return {(ids[a], ids[b]) for a, b in candidate_pairs_of(batch, candidates).tolist()}


@pytest.mark.parametrize(("re_stored", "limit"), [(0, None), (150, None), (0, 100)],
                         ids=["new records meanwhile", "and re-stored ones", "more than the limit"])
async def test_an_early_lookup_completed_under_the_locks_finds_what_a_whole_lookup_finds(
        own_database: Database, monkeypatch: pytest.MonkeyPatch, re_stored: int, limit: int | None) -> None:
    records = _dense_records(3 * LOCK_ALL_FROM + 600)
    cut = LOCK_ALL_FROM + 600
    register, meanwhile, arriving = records[:cut], records[cut:cut + LOCK_ALL_FROM], records[cut + LOCK_ALL_FROM:]
    # re-stored meanwhile: a register record becomes a copy of another one (it leaves its blocks,
    # some of them full, and joins others)
    corrected = [(register[i][0], register[-1 - i][1]) for i in range(re_stored)]
    async with own_database.sessionmaker() as session, session.begin():
        await link_records(session, register)
    batch = prepare_batch(arriving)
    async with own_database.sessionmaker() as session, session.begin():
        early = await fetch_early_candidates(session, batch)
        # another transaction stores records while this one has not taken its locks yet
        async with own_database.sessionmaker() as other, other.begin():
            await link_records(other, meanwhile + corrected)
        context = await read_context(session, batch.ids)
        whole_lookups = []
        monkeypatch.setattr(service, "fetch_candidates", lambda *a, **k: whole_lookups.append(1) or fetch_candidates(
            *a, **k))
        if limit is not None:  # so many records stored since that everything is looked up again
            monkeypatch.setattr(service, "STORED_SINCE_LIMIT", limit)
        completed = await complete_early_candidates(session, batch, early, exclude=list(context.old_lines),
                                                    with_counts=True)
        monkeypatch.undo()
        whole = await fetch_candidates(session, batch, exclude=list(context.old_lines), with_counts=True)

    # completed from what was stored since, not looked up again whole (unless there is too much of it)
    assert len(whole_lookups) == (limit is not None)
    pairs = _pairs(batch, completed)
    assert pairs == _pairs(batch, whole)
    stored_since = {str(record_id) for record_id, _ in meanwhile + corrected}
    assert len({b for _, b in pairs} & stored_since) > 10  # the records stored meanwhile are compared
    assert len({b for _, b in pairs} - stored_since - set(batch.ids)) > 10  # and those stored before
    if re_stored:
        # some pairs of the early lookup are gone with the re-stored records' old keys
        early_pairs = _pairs(batch, Candidates(early.hits, early.lines))
        assert early_pairs - pairs
    # every name the whole lookup counted, counted the same (the register as it is under the locks)
    assert whole.name_counts and set(whole.name_counts) <= set(completed.name_counts)
    assert all(completed.name_counts[name] == count for name, count in whole.name_counts.items())


async def test_a_record_re_stored_between_the_early_lookup_and_the_locks_is_not_compared_through_its_old_keys(
        own_database: Database) -> None:
    first = person_record()
    moved_id = uuid.uuid4()
    async with own_database.sessionmaker() as session, session.begin():
        await link_records(session, [(moved_id, first)])
    arriving_id = uuid.uuid4()
    batch = prepare_batch([(arriving_id, {**first, "nid": None, "phone": None})])
    async with own_database.sessionmaker() as session, session.begin():
        early = await fetch_early_candidates(session, batch)
        assert str(moved_id) in early.lines  # the same person, found by the early lookup
        # the ministry corrects that record meanwhile: it is somebody else
        async with own_database.sessionmaker() as other, other.begin():
            await link_records(other, [(moved_id, person_record(
                name_bn="রাশেদা বেগম", father_bn="আবুল কাশেম", mother_bn="হাজেরা খাতুন", gender="F",
                date_of_birth="1988-07-01", district_code="47", upazila_code="4712", union_code="471244"))])
        context = await read_context(session, batch.ids)
        await link_prepared(session, batch, context, early=early)
    assert await _person_of(own_database, arriving_id) is not None
    assert await _person_of(own_database, arriving_id) != await _person_of(own_database, moved_id)


async def test_a_record_stored_between_the_early_lookup_and_the_locks_is_linked_to(own_database: Database) -> None:
    someone = person_record()
    arriving_id, stored_id = uuid.uuid4(), uuid.uuid4()
    batch = prepare_batch([(arriving_id, {**someone, "phone": None})])
    async with own_database.sessionmaker() as session, session.begin():
        early = await fetch_early_candidates(session, batch)
        assert early.lines == ""
        async with own_database.sessionmaker() as other, other.begin():
            await link_records(other, [(stored_id, someone)])
        context = await read_context(session, batch.ids)
        await link_prepared(session, batch, context, early=early)
    assert await _person_of(own_database, arriving_id) == await _person_of(own_database, stored_id) is not None


async def test_a_full_block_that_a_re_stored_record_leaves_is_looked_up_again(own_database: Database) -> None:
    # ten namesakes of one upazila fill their name + upazila block (its cap is 10): the early lookup
    # sees it full and ships none of them; one of them is corrected meanwhile (another name), and
    # the block, nine records and the new one, is a key again
    fathers = ["করিম উদ্দিন", "রহিম বক্স", "জব্বার আলী", "কাদের মিয়া", "সোবহান শেখ", "হাশেম মোল্লা",
               "নুরুল ইসলাম", "আজিজুর রহমান", "মতিউর রহমান", "শামসুল হক", "আবুল হোসেন"]
    namesakes = [(uuid.uuid4(), person_record(name_bn="মোঃ আব্দুল জলিল", father_bn=father, mother_bn=None,
                                              date_of_birth=f"{1950 + i}-0{1 + i % 9}-1{i % 9}"))
                 for i, father in enumerate(fathers)]
    async with own_database.sessionmaker() as session, session.begin():
        await link_records(session, namesakes[:10])
    batch = prepare_batch([namesakes[10]])
    async with own_database.sessionmaker() as session, session.begin():
        early = await fetch_early_candidates(session, batch)
        assert early.lines == ""  # the block is full: its members are not shipped
        async with own_database.sessionmaker() as other, other.begin():
            moved_id, moved = namesakes[0]
            await link_records(other, [(moved_id, {**moved, "name_bn": "মোঃ আব্দুল মালেক"})])
        context = await read_context(session, batch.ids)
        completed = await complete_early_candidates(session, batch, early, exclude=list(context.old_lines),
                                                    with_counts=True)
        whole = await fetch_candidates(session, batch, exclude=list(context.old_lines), with_counts=True)
    pairs = _pairs(batch, completed)
    assert pairs == _pairs(batch, whole)
    assert {b for _, b in pairs} == {str(record_id) for record_id, _ in namesakes[1:10]}


async def test_the_records_stored_since_are_found_through_the_index_on_a_large_register(
        own_database: Database) -> None:
    # every row stored by one transaction (a bulk load; later, many): the planner must still see
    # that next to no row is past a snapshot's xmax. Asked through functions of the snapshot, it
    # guessed a third of the table and read all of it (~100 ms a batch on 1M records).
    async with own_database.sessionmaker() as session, session.begin():
        await session.execute(text("INSERT INTO matching.record_keys (record_id, keys) "
                                   "SELECT gen_random_uuid(), '' FROM generate_series(1, 50000)"))
    async with own_database.sessionmaker() as session:
        await session.execute(text("ANALYZE matching.record_keys"))
        xmax, xip = snapshot_bounds(await session.scalar(text("SELECT pg_current_snapshot()::text")))
        plan = "\n".join(await session.scalars(text("EXPLAIN " + service._STORED_SINCE_SQL.text),
                                               {"xmax": xmax, "xip": xip, "limit": 50_000}))
    assert "ix_record_keys_stored_by" in plan and "Seq Scan" not in plan, plan
