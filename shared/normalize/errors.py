"""The one exception every normaliser raises.

A normaliser is called on data that came from a person (a form, a CSV from a ministry, an
API client), so a failure is an expected outcome, not a bug: it carries enough for an API to
answer with the same 422 item shape FastAPI uses, and for a batch import to write a
machine-readable rejection line, without parsing the message.
"""

from __future__ import annotations

from typing import Any


class NormalizationError(ValueError):
    """A value could not be normalised or is invalid.

    Attributes:
        field: the name of the input field, e.g. ``"nid"``, ``"father_nid"``; callers pass
            their own field name to the normaliser so the error points at the right input.
        value: the raw value exactly as received (not the partly normalised one), so the
            person who typed it recognises it.
        reason: a sentence for humans, in English.
        code: a stable, machine-switchable code ``<kind>.<problem>``, e.g. ``nid.length``,
            ``phone.not_mobile``. The kind is the kind of value, not the field: an invalid
            ``father_nid`` is still ``nid.length``.
    """

    def __init__(self, *, field: str, value: Any, reason: str, code: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason
        self.code = code

    def to_detail(self, *loc_prefix: str | int) -> dict[str, Any]:
        """The FastAPI 422 item: ``{"loc": [*loc_prefix, field], "msg", "type", "input"}``.

        ``loc_prefix`` is where the field sits in the request, e.g. ``("body",)`` or
        ``("body", "members", 3)``. A raw value that JSON cannot carry is given as its repr,
        so serialising the error response can never fail.
        """
        value = self.value
        if not isinstance(value, str | int | float | bool | type(None)):
            value = repr(value)
        return {"loc": [*loc_prefix, self.field], "msg": self.reason, "type": self.code, "input": value}

    def __repr__(self) -> str:
        return (f"NormalizationError(field={self.field!r}, code={self.code!r}, "
                f"value={self.value!r}, reason={self.reason!r})")


def require_str(raw: Any, *, field: str, kind: str) -> str:
    """Reject non-strings with ``<kind>.type``.

    Identifiers and phone numbers must arrive as text: a spreadsheet that turned an NID into
    an int or float has already lost leading zeros or digits, and guessing them back is
    worse than asking for the text.
    """
    if not isinstance(raw, str):
        raise NormalizationError(field=field, value=raw, code=f"{kind}.type",
                                 reason=f"expected text, got {type(raw).__name__}")
    return raw
