"""Use cases for beneficiary records. Each commits its change and its event together."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.beneficiaries.models import Beneficiary
from services.registry.beneficiaries.schemas import BeneficiaryCreate, BeneficiaryRead
from services.registry.database import outbox
from shared.errors import NotFound
from shared.events import EventEnvelope
from shared.outbox import add_events

BENEFICIARY_UPSERTED = "registry.beneficiary.upserted"


async def upsert_beneficiary(session: AsyncSession, *, record: BeneficiaryCreate) -> tuple[BeneficiaryRead, bool]:
    """Create the record, or update it when the ministry sends the same source record again.

    Returns the stored record and whether it was created.
    """
    values = record.model_dump()
    insert_new = pg_insert(Beneficiary).values(id=uuid.uuid4(), **values)
    changed = {k: insert_new.excluded[k] for k in values if k not in ("ministry_code", "source_record_id")}
    statement = insert_new.on_conflict_do_update(
        constraint="uq_beneficiaries_source",
        set_={**changed, "version": Beneficiary.version + 1, "updated_at": func.now()},
    ).returning(Beneficiary, (Beneficiary.version == 1).label("created"))
    row = (await session.execute(statement)).one()
    stored = BeneficiaryRead.model_validate(row[0])
    await add_events(session, outbox, [EventEnvelope(
        type=BENEFICIARY_UPSERTED, producer="registry", key=str(stored.id),
        payload=stored.model_dump(mode="json"))])
    await session.commit()
    return stored, bool(row.created)


async def get_beneficiary(session: AsyncSession, *, beneficiary_id: uuid.UUID) -> BeneficiaryRead:
    found = await session.get(Beneficiary, beneficiary_id)
    if found is None:
        raise NotFound("no beneficiary with this id", loc=["path", "beneficiary_id"], input=str(beneficiary_id))
    return BeneficiaryRead.model_validate(found)


async def count_beneficiaries(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Beneficiary)) or 0)
