from fastapi import APIRouter
from sqlalchemy import select

from services.registry.ministries.models import Ministry
from services.registry.ministries.schemas import MinistryRead
from shared.db import DbSession
from shared.errors import NotFound

router = APIRouter(prefix="/ministries", tags=["reference data"])


@router.get("", response_model=list[MinistryRead], summary="Ministries and divisions")
async def list_ministries(session: DbSession) -> list[Ministry]:
    return list((await session.scalars(select(Ministry).order_by(Ministry.code))).all())


@router.get("/{code}", response_model=MinistryRead, summary="One ministry or division")
async def read_ministry(code: str, session: DbSession) -> Ministry:
    found = await session.get(Ministry, code.upper())
    if found is None:
        raise NotFound("no ministry or division with this code", loc=["path", "code"], input=code)
    return found
