"""The real-time match request: what a ministry system sends is checked as the registry checks it,
so a malformed identifier is a 422 naming the field, not an answer of "no candidates"."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.matching.linking.schemas import MatchRequest


def _errors(body: dict[str, Any]) -> dict[str, str]:
    """``{field: error type}`` of a request that must be refused."""
    with pytest.raises(ValidationError) as refused:
        MatchRequest.model_validate(body)
    return {".".join(map(str, e["loc"])): e["type"] for e in refused.value.errors()}


@pytest.mark.parametrize(("field", "value", "code"), [
    ("nid", "12ab", "nid.not_digits"),
    ("nid", "1234", "nid.length"),
    ("nid", "১৯৫৬ ১২৩৪ ৫৬৭৮", "nid.length"),  # 12 Bangla digits
    ("nid", "0000000000000", "nid.repeated_digit"),
    ("nid", "1234567890", "nid.sequential"),
    ("nid", "18001234567891234", "nid.birth_year"),
    ("brn", "abc", "brn.not_digits"),
    ("brn", "2001123456789", "brn.length"),
    ("phone", "12", "phone.length"),
    ("phone", "02-9551234", "phone.not_mobile"),
    ("phone", "+44 7700 900123", "phone.country_code"),
    ("phone", "01711-111111/01811-222222", "phone.not_digits"),
    ("gender", "xyz", "gender.unknown"),
    ("date_of_birth", "31/02/1956", "dob.invalid_date"),
    ("date_of_birth", "12/03/56", "dob.two_digit_year"),
    ("date_of_birth", "1850", "dob.too_old"),
])
def test_an_invalid_value_is_refused_with_its_field_and_code(field: str, value: str, code: str) -> None:
    assert _errors({"name_bn": "মোঃ আব্দুর রহিম", field: value}) == {field: code}


def test_every_invalid_field_is_reported_at_once() -> None:
    errors = _errors({"name_en": "Abdur Rahim", "nid": "12", "phone": "12", "district_code": "Dhaka"})
    assert errors == {"nid": "nid.length", "phone": "phone.length", "district_code": "int_parsing"}


def test_an_unknown_field_is_refused_not_dropped() -> None:
    # "fathers_name" is no field: without the 422 the father's name would silently not count
    assert _errors({"name_en": "Abdur Rahim", "fathers_name": "Karim Uddin"}) == {"fathers_name": "extra_forbidden"}


@pytest.mark.parametrize("value", ["19561956123456789", "1956 1234 56789", "১৯৫৬১২৩৪৫৬৭৮৯", "5512345678"])
def test_valid_identifiers_are_kept_as_given(value: str) -> None:
    # the engine normalises them itself (13 vs 17 digits, Bangla digits): the request keeps the raw form
    assert MatchRequest.model_validate({"nid": value}).nid == value


@pytest.mark.parametrize(("given", "read"), [
    ("1956-03-12", "1956-03-12"),
    ("12/03/1956", "1956-03-12"),
    ("12.03.1956", "1956-03-12"),
    ("১২ মার্চ ১৯৫৬", "1956-03-12"),
    ("March 12, 1956", "1956-03-12"),
    ("1956", "1956"),
])
def test_a_birth_date_in_any_form_the_registry_takes_is_read_as_the_engine_reads_it(given: str, read: str) -> None:
    assert MatchRequest.model_validate({"name_en": "Abdur Rahim", "date_of_birth": given}).date_of_birth == read


@pytest.mark.parametrize(("given", "read"), [("F", "female"), ("মহিলা", "female"), ("পুরুষ", "male"),
                                             ("M.", "male"), ("হিজড়া", "third_gender")])
def test_gender_forms(given: str, read: str) -> None:
    assert MatchRequest.model_validate({"name_en": "Rahima Khatun", "gender": given}).gender == read


def test_the_registrys_field_names_for_relatives_are_accepted() -> None:
    request = MatchRequest.model_validate({"name_bn": "রহিমা খাতুন", "father_name_bn": "করিম উদ্দিন",
                                           "mother_name_en": "Jamila Khatun", "spouse_name_bn": "আব্দুল হক"})
    assert (request.father_bn, request.mother_en, request.spouse_bn) == ("করিম উদ্দিন", "Jamila Khatun", "আব্দুল হক")
    assert request.model_dump()["father_bn"] == "করিম উদ্দিন"


def test_geography_codes_in_bangla_digits_or_as_text() -> None:
    request = MatchRequest.model_validate({"name_en": "Abdur Rahim", "district_code": "২৬", "upazila_code": "2616",
                                           "union_code": 261647, "ward": " 4 "})
    assert (request.district_code, request.upazila_code, request.union_code, request.ward) == (26, 2616, 261647, 4)
    assert _errors({"name_en": "Abdur Rahim", "ward": "120"}) == {"ward": "less_than_equal"}


def test_blank_fields_are_absent_and_a_request_of_blanks_is_refused() -> None:
    request = MatchRequest.model_validate({"name_en": "Abdur Rahim", "nid": "  ", "phone": "", "gender": " "})
    assert (request.nid, request.phone, request.gender) == (None, None, None)
    assert _errors({"name_bn": " ", "nid": ""}) == {"": "value_error"}
