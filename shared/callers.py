"""The caller's identity as the services read it until the gateway verifies tokens.

The gateway passes the calling office (a ministry or division) in ``X-Ministry-Code`` and its roles
in ``X-Roles`` (comma-separated); the services trust them only while ``trust_ministry_header`` is
on, and production refuses to start with it on. What each service allows a caller is its own
(``registry.access``, ``matching.access``, ``minutes.access``).
"""

from __future__ import annotations

import re

# An office code as the registry seeds them: MOSW, MOWCA, CABINET, LGD_LGED...
OFFICE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")


def parse_roles(header: str | None) -> frozenset[str]:
    """``X-Roles``: a comma-separated list, case-insensitive, blanks ignored."""
    return frozenset(r.strip().lower() for r in (header or "").split(",") if r.strip())
