"""Several replicas linking at once (one consumer group): records of one person arriving in two
transactions at the same moment still end as one person, and a re-match running beside them
neither deadlocks with them nor loses their links."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from services.matching.linking import service as linking
from shared.db import Database
from tests.integration.matching.test_incremental_linking import _person_of, database, person_record

pytestmark = pytest.mark.integration
__all__ = ["database"]


async def _link_slowly(database: Database, records: list[tuple[uuid.UUID, dict[str, Any]]],
                       started: asyncio.Barrier) -> None:
    """One replica's consumer batch; both transactions have begun before either links."""
    async with database.sessionmaker() as session, session.begin():
        await session.execute(text("SELECT 1"))
        await started.wait()
        await linking.link_records(session, records)


async def _race(database: Database, *batches: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    started = asyncio.Barrier(len(batches))
    await asyncio.gather(*(_link_slowly(database, batch, started) for batch in batches))


async def test_two_replicas_linking_one_persons_records_at_once_make_one_person(database: Database) -> None:
    for _ in range(3):
        base = person_record(name_bn="মোছাঃ পারভীন সুলতানা", gender="F", date_of_birth="1969-10-30",
                             father_bn="মৃত আজিজুল হক")
        first, second = uuid.uuid4(), uuid.uuid4()
        latin = {**base, "name_bn": None, "name_en": "Mst. Parvin Sultana", "father_bn": None,
                 "father_en": "Late Azizul Haque"}
        await _race(database, [(first, base)], [(second, latin)])
        person = await _person_of(database, first)
        assert person is not None and await _person_of(database, second) == person


async def test_replicas_merging_overlapping_persons_leave_every_record_linked(database: Database) -> None:
    base = person_record(name_bn="আনোয়ারা খাতুন", gender="F", date_of_birth="1958-01-09")
    by_nid = {**base, "phone": None}
    by_phone = {**base, "nid": None, "name_bn": None, "name_en": "Anowara Khatun", "father_bn": None,
                "mother_bn": None, "date_of_birth": None, "upazila_code": "1111", "union_code": None}
    ids = [uuid.uuid4() for _ in range(4)]
    await _race(database, [(ids[0], by_nid)], [(ids[1], by_phone)])
    # two bridges at once, each joining the same two persons
    await _race(database, [(ids[2], base)], [(ids[3], base)])
    persons = {await _person_of(database, i) for i in ids}
    assert None not in persons
    assert await _person_of(database, ids[2]) == await _person_of(database, ids[3]) == \
        await _person_of(database, ids[0])
