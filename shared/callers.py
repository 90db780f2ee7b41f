"""The caller's identity as the services read it until the gateway verifies tokens.

The gateway passes the calling office (a ministry or division) in ``X-Ministry-Code`` and its roles
in ``X-Roles`` (comma-separated); the services trust them only while ``trust_ministry_header`` is
on, and production refuses to start with it on. What each service allows a caller is its own
(``registry.access``, ``matching.access``, ``minutes.access``).
"""

from __future__ import annotations

import re

from shared.errors import Unauthenticated
from shared.settings import ServiceSettings

# An office code as the registry seeds them: MOSW, MOWCA, CABINET, LGD_LGED...
OFFICE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")


def parse_roles(header: str | None) -> frozenset[str]:
    """``X-Roles``: a comma-separated list, case-insensitive, blanks ignored."""
    return frozenset(r.strip().lower() for r in (header or "").split(",") if r.strip())


def trusted_header_code(settings: ServiceSettings, x_ministry_code: str | None) -> str | None:
    """The office code ``X-Ministry-Code`` names (stripped, upper case); None without the header.
    401 while the deployment does not trust the header: it proves nothing without the gateway's
    verification, so it is refused rather than believed."""
    if not x_ministry_code:
        return None
    if not settings.trust_ministry_header:
        raise Unauthenticated("this deployment does not accept X-Ministry-Code; authenticate through the gateway",
                              loc=["header", "x-ministry-code"])
    return x_ministry_code.strip().upper()
