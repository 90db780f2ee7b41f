"""Acceptance 4: records linked one event batch at a time end in the same persons as the batch
engine makes of the same records (pairwise F1 of one clustering against the other >= 0.99).

Uses the records of a few districts of the 100k bench file, in a database of their own (the
register's size changes the model, so the other tests' records must not be in it). The ground
truth columns are not read.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

import polars as pl
import pytest
from sqlalchemy import select

from devstack.stack import Stack
from services.matching.jobs.rematch import run_rematch
from services.matching.linking.models import PersonLink
from services.matching.records.service import apply_beneficiary_upserts
from shared.db import Database
from shared.events import EventEnvelope
from tests.integration.matching.scratch import migrated_matching_database
from tests.paths import BENCH_DIR

pytestmark = pytest.mark.integration

BENCH_FILE = BENCH_DIR / "bd_100000_s42.parquet"
DISTRICTS = (1, 20, 35)  # 10,624 records
FIRST_LOAD = 5_000  # records loaded before the first re-match (enough to estimate the model on)
EVENT_BATCH = 500  # records per consumer batch
RECORD_COLUMNS = ["unique_id", "programme", "ministry", "name_bn", "name_en", "father_bn", "father_en", "mother_bn",
                  "mother_en", "spouse_bn", "spouse_en", "gender", "dob", "birth_year", "nid", "brn", "phone",
                  "division_code", "district_code", "upazila_code", "union_code", "ward"]


def pairwise_f1(left: Sequence[object], right: Sequence[object]) -> float:
    """F1 of clustering ``right`` against ``left`` over all record pairs (symmetric)."""
    frame = pl.DataFrame({"a": pl.Series(list(map(str, left))), "b": pl.Series(list(map(str, right)))})

    def pairs(*columns: str) -> int:
        sizes = frame.group_by(*columns).len()["len"].cast(pl.Int64)
        return int((sizes * (sizes - 1) // 2).sum())

    in_a, in_b, both = pairs("a"), pairs("b"), pairs("a", "b")
    return 1.0 if in_a + in_b == 0 else 2 * both / (in_a + in_b)


def test_pairwise_f1() -> None:
    assert pairwise_f1([1, 1, 2, 3], ["x", "x", "y", "z"]) == 1.0
    assert pairwise_f1([1, 1, 1, 2], [1, 1, 2, 2]) == pytest.approx(2 * 1 / (3 + 2))
    assert pairwise_f1([1, 2, 3], [1, 1, 1]) == 0.0
    assert pairwise_f1([1, 2], [3, 4]) == 1.0


@pytest.fixture
async def own_database(infra: Stack) -> AsyncIterator[Database]:
    async with migrated_matching_database(infra, "matching_agree") as database:
        yield database


def _events(rows: list[dict]) -> list[EventEnvelope]:
    events = []
    for row in rows:
        record_id = str(uuid.UUID(int=int(row.pop("unique_id")) + 1))
        attributes = {k: v for k, v in row.items() if v is not None and k not in ("programme", "ministry")}
        events.append(EventEnvelope(type="registry.beneficiary.upserted", producer="registry", key=record_id,
                                    payload={"id": record_id, "ministry_code": row["ministry"],
                                             "programme_code": row["programme"], "version": 1, **attributes}))
    return events


async def _arrive(database: Database, rows: list[dict]) -> None:
    for start in range(0, len(rows), EVENT_BATCH):
        async with database.sessionmaker() as session, session.begin():
            await apply_beneficiary_upserts(session, _events(rows[start:start + EVENT_BATCH]))


async def _links(database: Database) -> dict[uuid.UUID, uuid.UUID]:
    async with database.sessionmaker() as session:
        return dict((await session.execute(select(PersonLink.record_id, PersonLink.person_id))).all())


@pytest.mark.skipif(not BENCH_FILE.exists(), reason="bench file not available")
async def test_incremental_and_batch_linking_agree(own_database: Database) -> None:
    """As a register goes live: a first load arrives and the re-match job runs once (estimating and
    storing the parameters), then the rest arrives as events, linked incrementally with the stored
    parameters. A batch run over all the records then finds (nearly) the same persons."""
    table = pl.read_parquet(BENCH_FILE, columns=RECORD_COLUMNS).filter(pl.col("district_code").is_in(DISTRICTS))
    rows = table.sample(fraction=1.0, shuffle=True, seed=5).to_dicts()  # events arrive in no particular order
    await _arrive(own_database, rows[:FIRST_LOAD])
    first = await run_rematch(own_database)
    assert first.params_id is not None and first.records == FIRST_LOAD
    await _arrive(own_database, rows[FIRST_LOAD:])
    incremental = await _links(own_database)
    assert len(incremental) == len(rows)

    result = await run_rematch(own_database)
    batch = await _links(own_database)
    ids = sorted(incremental)
    f1 = pairwise_f1([incremental[i] for i in ids], [batch[i] for i in ids])
    persons_incremental, persons_batch = len(set(incremental.values())), len(set(batch.values()))
    print(f"records={len(ids)} persons incremental={persons_incremental} batch={persons_batch} f1={f1:.4f} "
          f"changed={result.records_changed}")
    assert f1 >= 0.99, (f1, persons_incremental, persons_batch, result)
    assert abs(persons_incremental - persons_batch) <= 0.01 * persons_batch
    # the batch moved only the records it disagreed on: every other record kept its person id
    assert result.records_changed == sum(incremental[i] != batch[i] for i in ids) < 0.02 * len(ids)
