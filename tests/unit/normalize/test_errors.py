"""NormalizationError carries what an API needs for a FastAPI-shaped 422 item."""

import json

import pytest

from shared.normalize import NormalizationError, normalize_nid, normalize_phone


def test_is_a_value_error_with_all_attributes() -> None:
    with pytest.raises(ValueError) as exc:  # callers catching ValueError still catch it
        normalize_phone("02-9123456", field="phone")
    error = exc.value
    assert isinstance(error, NormalizationError)
    assert (error.field, error.value, error.code) == ("phone", "02-9123456", "phone.not_mobile")
    assert error.reason in str(error)


def test_to_detail_is_the_fastapi_422_item() -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_nid("12345", field="nid")
    detail = exc.value.to_detail("body", "members", 0)
    assert detail == {
        "loc": ["body", "members", 0, "nid"],
        "msg": exc.value.reason,
        "type": "nid.length",
        "input": "12345",
    }


def test_to_detail_of_a_non_json_value_is_serialisable() -> None:
    error = NormalizationError(field="nid", value=b"\xff", reason="bad", code="nid.type")
    assert json.loads(json.dumps(error.to_detail()))["input"] == repr(b"\xff")
