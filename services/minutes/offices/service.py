"""Reading the offices, and checking that codes a request names are known offices."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.minutes.offices.errors import OfficeNotFound, UnknownOffice
from services.minutes.offices.models import Office
from services.minutes.offices.schemas import OfficePage, OfficeRead


async def list_offices(session: AsyncSession) -> OfficePage:
    offices = (await session.scalars(select(Office).order_by(Office.code))).all()
    return OfficePage(items=[OfficeRead.model_validate(o) for o in offices], total=len(offices))


async def get_office(session: AsyncSession, *, code: str) -> OfficeRead:
    office = await session.get(Office, code)
    if office is None:
        raise OfficeNotFound("no office with this code", loc=["path", "code"], input=code)
    return OfficeRead.model_validate(office)


async def require_known_offices(session: AsyncSession, *, references: Iterable[tuple[list[str | int], str]]) -> None:
    """Raise `UnknownOffice` at the first unknown office code; `references` are (loc, code) pairs."""
    references = list(references)
    codes = {code for _, code in references}
    if not codes:
        return
    known = set((await session.scalars(select(Office.code).where(Office.code.in_(codes)))).all())
    for loc, code in references:
        if code not in known:
            raise UnknownOffice("unknown office code", loc=loc, input=code)
