"""Who is calling: the office (ministry or division) and its roles.

Until the security issue lands, the gateway passes the caller's office in `X-Ministry-Code` and
its roles in `X-Roles` (comma-separated). A deployment that does not trust those headers
(`trust_ministry_header = false`) gets 401 for every call that needs a caller, rather than an
anonymous caller that could see everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from shared.callers import OFFICE_CODE, parse_roles
from shared.errors import Forbidden, Unauthenticated
from shared.settings import Settings

COMMITTEE_SECRETARY = "committee_secretary"


@dataclass(frozen=True, slots=True)
class Caller:
    office_code: str
    roles: frozenset[str]

    @property
    def is_secretary(self) -> bool:
        return COMMITTEE_SECRETARY in self.roles

    def require_secretary(self, action: str) -> None:
        if not self.is_secretary:
            raise Forbidden(f"only a committee secretary can {action}", loc=["header", "X-Roles"],
                            error_type="forbidden")


def current_office(
    settings: Settings,
    x_ministry_code: Annotated[str | None, Header(description="Calling office code, e.g. CABINET")] = None,
    x_roles: Annotated[str | None, Header(description="Comma-separated roles, e.g. committee_secretary")] = None,
) -> Caller:
    if not settings.trust_ministry_header:
        raise Unauthenticated("caller identity is not available: header identity is turned off",
                              loc=["header", "X-Ministry-Code"])
    code = (x_ministry_code or "").strip().upper()
    if not code:
        raise Unauthenticated("the X-Ministry-Code header is required", loc=["header", "X-Ministry-Code"])
    if not OFFICE_CODE.match(code):
        raise Unauthenticated("X-Ministry-Code is not an office code", loc=["header", "X-Ministry-Code"],
                              input=x_ministry_code)
    return Caller(office_code=code, roles=parse_roles(x_roles))


CurrentOffice = Annotated[Caller, Depends(current_office)]
