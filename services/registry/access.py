"""Who is calling: the ministry (and its roles) on whose behalf a request is made.

Until the gateway verifies tokens, the caller comes from the `X-Ministry-Code` and `X-Roles`
headers, and only while `settings.trust_ministry_header` is on (production refuses to start
with it on). The rule the services enforce with it: a ministry reads and changes the personal
data of its own programmes' beneficiaries only; every member may see which programmes and
ministries a person is enrolled in (the coordinated view), without personal fields.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.errors import Unauthenticated
from services.registry.ministries.models import Ministry
from shared.db import DbSession
from shared.errors import Forbidden
from shared.settings import Settings

MINISTRY_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
AUDITOR = "auditor"
# Ministry codes found in the database, and when: every request names one, and they are
# reference data (seeded by migration), so a known code is not looked up again for a minute.
# An unknown code is always looked up (a ministry added now is accepted at once).
KNOWN_MINISTRY_TTL_S = 60.0
_known_ministries: dict[str, float] = {}


async def _ministry_exists(session: AsyncSession, code: str) -> bool:
    now = time.monotonic()
    if now - _known_ministries.get(code, -KNOWN_MINISTRY_TTL_S) < KNOWN_MINISTRY_TTL_S:
        return True
    found = await session.scalar(select(Ministry.code).where(Ministry.code == code))
    if found:
        _known_ministries[code] = now
    return bool(found)


@dataclass(frozen=True)
class Caller:
    ministry_code: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_auditor(self) -> bool:
        return AUDITOR in self.roles


def parse_roles(header: str | None) -> frozenset[str]:
    return frozenset(r.strip().lower() for r in (header or "").split(",") if r.strip())


async def _caller_from_headers(session: DbSession, settings: Settings, x_ministry_code: str | None,
                               x_roles: str | None) -> Caller | None:
    if not x_ministry_code:
        return None
    if not settings.trust_ministry_header:
        # Headers prove nothing without the gateway's verification: refuse rather than trust.
        raise Unauthenticated("this deployment does not accept X-Ministry-Code; authenticate through the gateway",
                              loc=["header", "x-ministry-code"])
    code = x_ministry_code.strip().upper()
    known = MINISTRY_CODE.match(code) and await _ministry_exists(session, code)
    if not known:
        raise Forbidden("unknown ministry or division", loc=["header", "x-ministry-code"],
                        error_type="ministry.unknown", input=x_ministry_code)
    return Caller(ministry_code=code, roles=parse_roles(x_roles))


MinistryHeader = Annotated[str | None, Header(description="Calling ministry, e.g. MOSW")]
RolesHeader = Annotated[str | None, Header(description="Comma-separated roles, e.g. auditor")]


async def current_ministry(session: DbSession, settings: Settings, x_ministry_code: MinistryHeader = None,
                           x_roles: RolesHeader = None) -> Caller:
    caller = await _caller_from_headers(session, settings, x_ministry_code, x_roles)
    if caller is None:
        raise Unauthenticated("name the calling ministry in the X-Ministry-Code header",
                              loc=["header", "x-ministry-code"])
    return caller


async def optional_ministry(session: DbSession, settings: Settings,
                            x_ministry_code: MinistryHeader = None, x_roles: RolesHeader = None) -> Caller | None:
    return await _caller_from_headers(session, settings, x_ministry_code, x_roles)


async def current_auditor(caller: Annotated[Caller, Depends(current_ministry)]) -> Caller:
    if not caller.is_auditor:
        raise Forbidden("the audit log is for the auditor role", loc=["header", "x-roles"], error_type="role.required")
    return caller


CurrentMinistry = Annotated[Caller, Depends(current_ministry)]
OptionalMinistry = Annotated[Caller | None, Depends(optional_ministry)]
CurrentAuditor = Annotated[Caller, Depends(current_auditor)]
