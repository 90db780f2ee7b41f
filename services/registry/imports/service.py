"""Bulk import of ministry records: the same rules as `POST /beneficiaries`, in batches.

Each record is validated with the API's own schema, its programme and address are checked
against reference data held in memory, and a batch of new records is written with multi-row
inserts: persons, identifiers, addresses, enrolments, their outbox events and audit entries,
all in one transaction per batch. A record whose (programme, source_record_id) is already known
(from an earlier import, or earlier in the same file) takes the one-at-a-time upsert path, so a
file can be imported again. An invalid record is rejected with the 422 items the API would
answer; the rest of the file goes on.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import events
from services.registry.access import Caller
from services.registry.audit import service as audit
from services.registry.audit.models import AuditEntry
from services.registry.beneficiaries import service as beneficiaries
from services.registry.beneficiaries.schemas import BeneficiaryCreate
from services.registry.database import outbox
from services.registry.enrolments.models import Enrolment
from services.registry.enrolments.schemas import EnrolmentRead
from services.registry.geography.models import Address
from services.registry.geography.service import UnitIndex, derive_address, load_unit_index
from services.registry.ids import new_id, utcnow
from services.registry.persons.models import Identifier, Person
from services.registry.persons.records import beneficiary_record, person_read
from services.registry.persons.service import set_fields
from services.registry.programmes.models import Programme
from services.registry.programmes.service import check_owner, programme_for_record
from shared.db import Database
from shared.errors import DomainError
from shared.outbox import outbox_rows

IMPORT_ROLE = "import"
RECORD_FIELDS = beneficiaries.RECORD_FIELDS - {"address"}


@dataclass
class Rejection:
    row: int
    source_record_id: str | None
    errors: list[dict[str, Any]]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Accepted:
    row: int
    record: BeneficiaryCreate
    address: dict[str, Any] | None


@dataclass(frozen=True)
class ReferenceData:
    programmes: dict[str, str]  # programme code -> owning ministry
    units: UnitIndex


def check_record(row: int, raw: dict[str, Any], reference: ReferenceData,
                 only_ministry: str | None) -> Accepted | Rejection:
    """One record checked as the API checks it (pure, given the reference data)."""
    source_record_id = raw.get("source_record_id")
    try:
        record = BeneficiaryCreate.model_validate(raw)
    except ValidationError as error:
        return Rejection(row, source_record_id, [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"], "input": e.get("input")}
            for e in error.errors(include_url=False, include_context=False)])
    try:
        if only_ministry is not None and record.ministry_code != only_ministry:
            raise DomainError(f"this import is for {only_ministry}", loc=["body", "ministry_code"],
                              error_type="ministry.not_caller", input=record.ministry_code)
        # A programme not seen yet is registered when the batch is written (programme_for_record).
        owner = reference.programmes.get(record.programme_code, record.ministry_code)
        if owner != record.ministry_code:
            raise DomainError(f"programme {record.programme_code} belongs to {owner}, not {record.ministry_code}",
                              loc=["body", "programme_code"], error_type="programme.not_yours",
                              input=record.programme_code)
        address = (derive_address(record.address, reference.units, loc=["body", "address"])
                   if record.address is not None else None)
    except DomainError as error:
        return Rejection(row, source_record_id, [error.to_detail()])
    return Accepted(row, record, address)


def _batches(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    numbered = enumerate(records)
    while batch := list(itertools.islice(numbered, size)):
        yield batch


async def load_reference_data(session: AsyncSession) -> ReferenceData:
    rows = (await session.execute(select(Programme.code, Programme.ministry_code))).all()
    programmes = {code: ministry for code, ministry in rows}
    return ReferenceData(programmes=programmes, units=await load_unit_index(session))


@dataclass
class Bundle:
    """The rows one new record becomes, built away from the database (picklable)."""

    key: tuple[str, str]
    accepted: Accepted
    address: dict[str, Any] | None
    person: dict[str, Any]
    identifiers: list[dict[str, Any]]
    enrolment: dict[str, Any]
    outbox: list[dict[str, Any]]
    audit: list[dict[str, Any]]


@dataclass
class PreparedBatch:
    rows: int
    rejections: list[Rejection]
    bundles: list[Bundle]


def prepare_batch(batch: list[tuple[int, dict[str, Any]]], reference: ReferenceData,
                  only_ministry: str | None) -> PreparedBatch:
    """Check every record of a batch and build the rows of the accepted ones (pure CPU work,
    which is most of an import: it runs in worker processes when there are any)."""
    now = utcnow()
    rejections, bundles = [], []
    for row, raw in batch:
        checked = check_record(row, raw, reference, only_ministry)
        if isinstance(checked, Rejection):
            rejections.append(checked)
        else:
            bundles.append(_bundle(checked, now))
    return PreparedBatch(rows=len(batch), rejections=rejections, bundles=bundles)


def _bundle(item: Accepted, now: datetime) -> Bundle:
    record = item.record
    person = Person(id=new_id(), registered_by=record.ministry_code, status="active", version=1,
                    created_at=now, updated_at=now, identifiers=[])
    set_fields(person, record.model_dump(include=RECORD_FIELDS))
    address = None
    if item.address is not None:
        person.address = Address(id=new_id(), **item.address)
        person.address_id = person.address.id
        address = _columns(person.address)
    enrolment = Enrolment(id=new_id(), person_id=person.id, programme_code=record.programme_code,
                          ministry_code=record.ministry_code, source_record_id=record.source_record_id,
                          status="active", start_date=record.start_date, version=1, created_at=now, updated_at=now)
    # The same events, in the same order, as POST /beneficiaries creating the record.
    staged = [
        events.registry_event(events.PERSON_UPSERTED, key=person.id,
                              payload=person_read(person).model_dump(mode="json")),
        events.registry_event(events.BENEFICIARY_UPSERTED, key=enrolment.id,
                              payload=beneficiary_record(person, enrolment)),
        events.registry_event(events.ENROLMENT_UPSERTED, key=enrolment.id,
                              payload=EnrolmentRead.model_validate(enrolment).model_dump(mode="json")),
    ]
    actor = {"actor_ministry": record.ministry_code, "actor_roles": [IMPORT_ROLE], "action": audit.CREATE,
             "request_id": None, "detail": {"via": "import"}}
    return Bundle(
        key=(record.programme_code, record.source_record_id), accepted=item, address=address,
        person=_columns(person),
        identifiers=[{"person_id": person.id, "kind": i.kind, "raw": i.raw, "normalized": i.normalized,
                      "comparable": i.comparable} for i in person.identifiers],
        enrolment=_columns(enrolment), outbox=outbox_rows(staged),
        audit=[{**actor, "entity_type": "person", "entity_id": str(person.id)},
               {**actor, "entity_type": "enrolment", "entity_id": str(enrolment.id)}])


# Worker processes get the reference data once, not with every batch.
_worker_reference: tuple[ReferenceData, str | None] | None = None


def _init_worker(reference: ReferenceData, only_ministry: str | None) -> None:
    global _worker_reference
    _worker_reference = (reference, only_ministry)


def _prepare_in_worker(batch: list[tuple[int, dict[str, Any]]]) -> PreparedBatch:
    assert _worker_reference is not None, "worker not initialised"
    return prepare_batch(batch, *_worker_reference)


async def import_records(database: Database, *, records: Iterable[dict[str, Any]], only_ministry: str | None = None,
                         batch_size: int = 5_000, workers: int = 0,
                         on_rejection: Callable[[Rejection], None] | None = None,
                         keep_rejections: int = 1_000) -> ImportReport:
    """Import ministry records (BeneficiaryCreate-shaped dicts, e.g. from `reader.read_records`).

    Each record acts as its own ministry, as the header-less `POST /beneficiaries` does: this
    is run by an operator, not a ministry; `only_ministry` restricts the file to one ministry.
    With `workers`, batches are checked and built in that many processes while this one writes."""
    started = time.perf_counter()
    report = ImportReport()
    async with database.sessionmaker() as session:
        reference = await load_reference_data(session)

    async def write(prepared: PreparedBatch) -> None:
        report.rows += prepared.rows
        created, updated, refused = await _write_batch(database, prepared.bundles, reference.programmes)
        for rejection in sorted([*prepared.rejections, *refused], key=lambda r: r.row):
            report.rejected += 1
            if len(report.rejections) < keep_rejections:
                report.rejections.append(rejection)
            if on_rejection is not None:
                on_rejection(rejection)
        report.created += created
        report.updated += updated

    if workers <= 0:
        for batch in _batches(records, batch_size):
            await write(prepare_batch(batch, reference, only_ministry))
    else:
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(reference, only_ministry)) as pool:
            in_flight: deque[asyncio.Future[PreparedBatch]] = deque()
            for batch in _batches(records, batch_size):
                in_flight.append(loop.run_in_executor(pool, _prepare_in_worker, batch))
                if len(in_flight) > workers:  # bounded: the file is streamed, not held
                    await write(await in_flight.popleft())
            while in_flight:
                await write(await in_flight.popleft())
    report.seconds = time.perf_counter() - started
    return report


async def _write_batch(database: Database, bundles: list[Bundle],
                       programmes: dict[str, str]) -> tuple[int, int, list[Rejection]]:
    """Insert the new records in one transaction; upsert the known ones one by one. Returns
    how many were created and updated, and the records refused here (programme ownership)."""
    async with database.sessionmaker() as session:
        bundles, refused = await _ensure_programmes(session, bundles, programmes)
        fresh, known = await _split_known(session, bundles)
        tables = ((Address.__table__, [b.address for b in fresh if b.address is not None]),
                  (Person.__table__, [b.person for b in fresh]),
                  (Identifier.__table__, [i for b in fresh for i in b.identifiers]),
                  (Enrolment.__table__, [b.enrolment for b in fresh]),
                  (outbox, [r for b in fresh for r in b.outbox]),
                  (AuditEntry.__table__, [a for b in fresh for a in b.audit]))
        for table, rows in tables:
            if rows:
                await session.execute(insert(table), rows)
        await session.commit()
        created, updated = len(fresh), 0
        for bundle in known:
            record = bundle.accepted.record
            caller = Caller(ministry_code=record.ministry_code, roles=frozenset({IMPORT_ROLE}))
            _, was_created = await beneficiaries.upsert_beneficiary(session, caller=caller, record=record)
            created += was_created
            updated += not was_created
    return created, updated, refused


async def _ensure_programmes(session: AsyncSession, bundles: list[Bundle],
                             programmes: dict[str, str]) -> tuple[list[Bundle], list[Rejection]]:
    """Register the programmes first seen in this batch (as POST /beneficiaries does) and refuse
    records of a programme another ministry owns. `programmes` is kept up to date."""
    kept, refused = [], []
    for bundle in bundles:
        record = bundle.accepted.record
        try:
            owner = programmes.get(record.programme_code)
            if owner is None:
                programme, registered = await programme_for_record(
                    session, code=record.programme_code, ministry_code=record.ministry_code,
                    loc=["body", "programme_code"])
                programmes[programme.code] = programme.ministry_code
                if registered:
                    await audit.record(session, caller=Caller(ministry_code=record.ministry_code,
                                                              roles=frozenset({IMPORT_ROLE})),
                                       action=audit.CREATE, entity_type="programme", entity_ids=[programme.code],
                                       detail={"via": "import"})
            else:
                check_owner(Programme(code=record.programme_code, ministry_code=owner),
                            ministry_code=record.ministry_code, loc=["body", "programme_code"])
        except DomainError as error:
            refused.append(Rejection(bundle.accepted.row, record.source_record_id, [error.to_detail()]))
        else:
            kept.append(bundle)
    return kept, refused


async def _split_known(session: AsyncSession, bundles: list[Bundle]) -> tuple[list[Bundle], list[Bundle]]:
    """New records, and those whose source record id is already stored or repeats in the batch."""
    keys = {b.key for b in bundles}
    stored: set[tuple[str, str]] = set()
    if keys:
        rows = (await session.execute(
            select(Enrolment.programme_code, Enrolment.source_record_id)
            .where(tuple_(Enrolment.programme_code, Enrolment.source_record_id).in_(list(keys))))).all()
        stored = {(programme, source) for programme, source in rows}
    fresh, known, seen = [], [], set()
    for bundle in bundles:
        (known if bundle.key in stored or bundle.key in seen else fresh).append(bundle)
        seen.add(bundle.key)
    return fresh, known


def _columns(entity: Any) -> dict[str, Any]:
    return {column.key: getattr(entity, column.key) for column in entity.__table__.columns}
