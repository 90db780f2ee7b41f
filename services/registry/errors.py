"""Errors of the registry beyond the shared ones (same shape, see shared.errors)."""

from shared.errors import DomainError


class Unauthenticated(DomainError):
    status_code = 401
    error_type = "unauthenticated"
