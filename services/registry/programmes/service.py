from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.ministries.models import Ministry
from services.registry.programmes.models import Programme
from shared.errors import Forbidden, Invalid


def check_owner(programme: Programme, *, ministry_code: str, loc: list[str | int]) -> Programme:
    if programme.ministry_code != ministry_code:
        raise Forbidden(f"programme {programme.code} belongs to {programme.ministry_code}, not {ministry_code}",
                        loc=loc, error_type="programme.not_yours", input=programme.code)
    return programme


async def programme_of(session: AsyncSession, *, code: str, ministry_code: str,
                       loc: list[str | int]) -> Programme:
    """The programme, if it exists and belongs to `ministry_code`: a ministry enrols people in
    its own programmes only."""
    programme = await session.get(Programme, code)
    if programme is None:
        raise Invalid("no programme with this code", loc=loc, error_type="programme.unknown", input=code)
    return check_owner(programme, ministry_code=ministry_code, loc=loc)


async def programme_for_record(session: AsyncSession, *, code: str, ministry_code: str,
                               loc: list[str | int]) -> tuple[Programme, bool]:
    """Like `programme_of`, except that a programme code the registry has not seen yet is
    registered as the submitting ministry's (named by its code until someone names it).

    Ministries run far more programmes than the registry is seeded with, and their systems send
    records before anyone registers the programme here; refusing those records would lose them.
    Returns the programme and whether it was registered now."""
    programme = await session.get(Programme, code)
    registered = False
    if programme is None:
        if await session.get(Ministry, ministry_code) is None:
            raise Invalid("no ministry or division with this code", loc=[*loc[:-1], "ministry_code"],
                          error_type="ministry.unknown", input=ministry_code)
        inserted = await session.execute(
            pg_insert(Programme).values(code=code, name_bn=code, name_en=code, ministry_code=ministry_code)
            .on_conflict_do_nothing(index_elements=[Programme.code]).returning(Programme.code))
        registered = inserted.scalar_one_or_none() is not None
        programme = (await session.scalars(select(Programme).where(Programme.code == code)
                                           .execution_options(populate_existing=True))).one()
    return check_owner(programme, ministry_code=ministry_code, loc=loc), registered
