"""Who is calling: the ministry (and its roles) on whose behalf a request is made.

Until the gateway verifies tokens, the caller comes from the `X-Ministry-Code` and `X-Roles`
headers, and only while `settings.trust_ministry_header` is on (production refuses to start
with it on). The rule the services enforce with it: a ministry reads and changes the personal
data of its own programmes' beneficiaries only; every member may see which programmes and
ministries a person is enrolled in (the coordinated view), without personal fields.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request

from shared.callers import OFFICE_CODE, parse_roles, trusted_header_code
from shared.db import Database
from shared.errors import Forbidden, Unauthenticated
from shared.settings import ServiceSettings, Settings

AUDITOR = "auditor"
# Ministry codes found in the database, and when: every request names one, and they are
# reference data (seeded by migration), so a known code is not looked up again for a minute.
# An unknown code is always looked up (a ministry added now is accepted at once). The lookup
# uses the plain pool, not a session: a request whose caller is cached then needs no session,
# which keeps `GET /persons/{id}` at one statement.
KNOWN_MINISTRY_TTL_S = 60.0
_known_ministries: dict[str, float] = {}


async def _ministry_exists(database: Database, code: str) -> bool:
    now = time.monotonic()
    if now - _known_ministries.get(code, -KNOWN_MINISTRY_TTL_S) < KNOWN_MINISTRY_TTL_S:
        return True
    async with database.connection() as connection:
        found = await connection.fetchval("SELECT code FROM registry.ministries WHERE code = $1", code)
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


async def caller_from_headers(database: Database, settings: ServiceSettings, x_ministry_code: str | None,
                              x_roles: str | None) -> Caller | None:
    """The caller the headers name; None without `X-Ministry-Code`. Raises 401 while the
    headers are not trusted, 403 `ministry.unknown` for a code the registry does not know."""
    code = trusted_header_code(settings, x_ministry_code)
    if code is None:
        return None
    known = OFFICE_CODE.match(code) and await _ministry_exists(database, code)
    if not known:
        raise Forbidden("unknown ministry or division", loc=["header", "x-ministry-code"],
                        error_type="ministry.unknown", input=x_ministry_code)
    return Caller(ministry_code=code, roles=parse_roles(x_roles))


MinistryHeader = Annotated[str | None, Header(description="Calling ministry, e.g. MOSW")]
RolesHeader = Annotated[str | None, Header(description="Comma-separated roles, e.g. auditor")]


async def current_ministry(request: Request, settings: Settings, x_ministry_code: MinistryHeader = None,
                           x_roles: RolesHeader = None) -> Caller:
    caller = await caller_from_headers(request.app.state.db, settings, x_ministry_code, x_roles)
    if caller is None:
        raise Unauthenticated("name the calling ministry in the X-Ministry-Code header",
                              loc=["header", "x-ministry-code"])
    return caller


async def optional_ministry(request: Request, settings: Settings,
                            x_ministry_code: MinistryHeader = None, x_roles: RolesHeader = None) -> Caller | None:
    return await caller_from_headers(request.app.state.db, settings, x_ministry_code, x_roles)


async def current_auditor(caller: Annotated[Caller, Depends(current_ministry)]) -> Caller:
    if not caller.is_auditor:
        raise Forbidden("the audit log is for the auditor role", loc=["header", "x-roles"], error_type="role.required")
    return caller


CurrentMinistry = Annotated[Caller, Depends(current_ministry)]
OptionalMinistry = Annotated[Caller | None, Depends(optional_ministry)]
CurrentAuditor = Annotated[Caller, Depends(current_auditor)]
