"""Checking addresses against the administrative units, and reading those units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.geography.models import LEVELS, Address, GeoUnit
from services.registry.geography.schemas import AddressIn
from shared.errors import Invalid

_FIELDS = {level: f"{level}_code" for level in LEVELS}


UnitIndex = Mapping[tuple[str, int], int | None]
"""(level, code) -> the code of the unit above (None for a division): every unit known."""


def derive_address(address: AddressIn, units: UnitIndex, *, loc: list[str | int]) -> dict[str, Any]:
    """The address with every level above the lowest given one filled in (pure).

    422 on a code that does not exist or does not lie in the unit given above it. An error names
    a field the client sent: the lower of the two that disagree."""
    values = address.model_dump()
    blamed: str | None = None  # the lowest field sent, from which the levels above are derived
    for index in range(len(LEVELS) - 1, -1, -1):
        level, field = LEVELS[index], _FIELDS[LEVELS[index]]
        code = values[field]
        if code is None:
            continue
        if (level, code) not in units:
            raise Invalid(f"there is no {level} with code {code}", loc=[*loc, field],
                          error_type="address.unknown_unit", input=code)
        blamed = blamed or field
        if index == 0:
            continue
        parent_level = LEVELS[index - 1]
        parent_field = _FIELDS[parent_level]
        parent_code = units[(level, code)]
        sent_parent = getattr(address, parent_field)
        if sent_parent is not None and sent_parent != parent_code:
            raise Invalid(f"{blamed.removesuffix('_code')} {getattr(address, blamed)} lies in {parent_level} "
                          f"{parent_code}, not {parent_level} {sent_parent}", loc=[*loc, blamed],
                          error_type="address.inconsistent", input=getattr(address, blamed))
        values[parent_field] = parent_code
    return values


async def resolve_address(session: AsyncSession, address: AddressIn, *, loc: list[str | int]) -> dict[str, Any]:
    """`derive_address` with the units it needs read from the database: each code sent and
    the chain of units above it."""
    units: dict[tuple[str, int], int | None] = {}
    for index, level in enumerate(LEVELS):
        code = getattr(address, _FIELDS[level])
        while code is not None and (level, code) not in units:
            unit = await session.get(GeoUnit, (level, code))
            if unit is None:
                break
            units[(level, code)] = unit.parent_code
            if index == 0:
                break
            index, level, code = index - 1, LEVELS[index - 1], unit.parent_code
    return derive_address(address, units, loc=loc)


async def load_unit_index(session: AsyncSession) -> dict[tuple[str, int], int | None]:
    """Every unit (about 5,100 rows), for checking many addresses without a query each."""
    rows = (await session.execute(select(GeoUnit.level, GeoUnit.code, GeoUnit.parent_code))).all()
    return {(level, code): parent for level, code, parent in rows}


async def store_address(session: AsyncSession, address: AddressIn | None, *, current: Address | None,
                        loc: list[str | int]) -> Address | None:
    if address is None:
        return current
    values = await resolve_address(session, address, loc=loc)
    if current is None:
        current = Address()
        session.add(current)
    for key, value in values.items():
        setattr(current, key, value)
    return current


async def list_units(session: AsyncSession, *, level: str, parent_code: int | None) -> list[GeoUnit]:
    query = select(GeoUnit).where(GeoUnit.level == level).order_by(GeoUnit.code)
    if parent_code is not None:
        query = query.where(GeoUnit.parent_code == parent_code)
    return list((await session.scalars(query)).all())
