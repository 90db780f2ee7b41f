from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.registry.programmes.models import Programme
from services.registry.programmes.schemas import ProgrammeRead
from shared.db import DbSession

router = APIRouter(prefix="/programmes", tags=["reference data"])


@router.get("", response_model=list[ProgrammeRead], summary="Programmes, optionally of one ministry")
async def list_programmes(session: DbSession,
                          ministry: Annotated[str | None, Query(description="Owning ministry")] = None,
                          ) -> list[Programme]:
    query = select(Programme).order_by(Programme.code)
    if ministry:
        query = query.where(Programme.ministry_code == ministry.upper())
    return list((await session.scalars(query)).all())
