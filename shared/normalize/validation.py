"""Turns the normalisers' `NormalizationError` into pydantic errors, for the services' request
schemas (the registry's records, the matching service's queries).

Raised inside a field validator, a `PydanticCustomError` becomes one item of FastAPI's 422
with `loc` = where the field sits (["body", "nid"], ["body", "address", "ward"]), `msg` = the
normaliser's reason, `type` = its machine code (`nid.length`) and `input` = the raw value;
every invalid field of a request is reported at once, not only the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from shared.normalize.dates import parse_date_of_birth
from shared.normalize.errors import NormalizationError
from shared.normalize.gender import normalize_gender
from shared.normalize.identifiers import normalize_brn, normalize_nid
from shared.normalize.phone import normalize_phone

T = TypeVar("T")


def check(normalizer: Callable[..., T], value: Any, *, field: str) -> T:
    """``normalizer(value, field=field)``, its ``NormalizationError`` raised as a pydantic error."""
    try:
        return normalizer(value, field=field)
    except NormalizationError as error:
        raise PydanticCustomError(error.code, error.reason) from None


def _kept_if_valid(normalizer: Callable[..., Any]) -> Callable[[Any, ValidationInfo], Any]:
    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            check(normalizer, value, field=info.field_name or "value")
        return value
    return validate


def _gender(value: str | None, info: ValidationInfo) -> str | None:
    return None if value is None else check(normalize_gender, value, field=info.field_name or "gender")


def _date_of_birth(value: str | None, info: ValidationInfo) -> str | None:
    if value is None:
        return None
    return check(parse_date_of_birth, value, field=info.field_name or "date_of_birth").isoformat()


# Request fields checked by the normalisers. Identifiers are kept as sent (their normal forms are the
# service's business: the registry stores both, the matching engine normalises them itself); gender
# becomes male / female / third_gender; a birth date "1956-03-12", or "1956" for a bare year.
CheckedNid = Annotated[str | None, AfterValidator(_kept_if_valid(normalize_nid))]
CheckedBrn = Annotated[str | None, AfterValidator(_kept_if_valid(normalize_brn))]
CheckedPhone = Annotated[str | None, AfterValidator(_kept_if_valid(normalize_phone))]
CheckedGender = Annotated[str | None, AfterValidator(_gender)]
CheckedDateOfBirth = Annotated[str | None, AfterValidator(_date_of_birth)]
