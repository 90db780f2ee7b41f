"""Turns the normalisers' `NormalizationError` into pydantic errors, for the services' request
schemas (the registry's records, the matching service's queries).

Raised inside a field validator, a `PydanticCustomError` becomes one item of FastAPI's 422
with `loc` = where the field sits (["body", "nid"], ["body", "address", "ward"]), `msg` = the
normaliser's reason, `type` = its machine code (`nid.length`) and `input` = the raw value;
every invalid field of a request is reported at once, not only the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic_core import PydanticCustomError

from shared.normalize.errors import NormalizationError

T = TypeVar("T")


def check(normalizer: Callable[..., T], value: Any, *, field: str) -> T:
    """``normalizer(value, field=field)``, its ``NormalizationError`` raised as a pydantic error."""
    try:
        return normalizer(value, field=field)
    except NormalizationError as error:
        raise PydanticCustomError(error.code, error.reason) from None
