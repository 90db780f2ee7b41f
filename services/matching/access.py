"""Who may read a record's personal data in the matching service.

The matching service keeps a copy of every registry record (its attributes: names, NID, phone...),
so it applies the registry's rule (docs/registry.md, "Who may read what") to that copy: a ministry
reads the personal data of its own records; the matching reviewers and auditors (roles ``reviewer``,
``auditor``: they decide on pairs across ministries) read every record's. Everyone sees the
coordinated view: which record, of which ministry and programme, linked to which person.

The caller comes from ``X-Ministry-Code`` and ``X-Roles`` while ``trust_ministry_header`` is on, as in
the other services, until the gateway verifies tokens; without the header a request gets the
coordinated view only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from shared.callers import OFFICE_CODE, parse_roles, trusted_header_code
from shared.errors import Unauthenticated
from shared.settings import Settings

READS_EVERY_RECORD = frozenset({"reviewer", "auditor"})


@dataclass(frozen=True, slots=True)
class Caller:
    ministry_code: str
    roles: frozenset[str]

    def may_read_personal_data(self, record_ministry: str) -> bool:
        return self.ministry_code == record_ministry or bool(self.roles & READS_EVERY_RECORD)


def optional_caller(
    settings: Settings,
    x_ministry_code: Annotated[str | None, Header(description="Calling ministry, e.g. MOSW")] = None,
    x_roles: Annotated[str | None, Header(description="Comma-separated roles, e.g. reviewer")] = None,
) -> Caller | None:
    """The caller the headers name; None without ``X-Ministry-Code``. 401 while the headers are not
    trusted (they prove nothing then) or when the code is not a ministry code."""
    code = trusted_header_code(settings, x_ministry_code)
    if code is None:
        return None
    if not OFFICE_CODE.match(code):
        raise Unauthenticated("X-Ministry-Code is not a ministry code", loc=["header", "X-Ministry-Code"],
                              input=x_ministry_code)
    return Caller(ministry_code=code, roles=parse_roles(x_roles))


OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]
