"""Request validation: the shared normalisers' errors become 422 items naming field, value and
reason (type = the normaliser's code)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.registry.beneficiaries.schemas import BeneficiaryCreate
from services.registry.persons.schemas import PersonCreate, PersonUpdate


def errors_of(model: type, **fields: Any) -> dict[tuple, dict[str, Any]]:
    with pytest.raises(ValidationError) as raised:
        model(**fields)
    return {tuple(e["loc"]): e for e in raised.value.errors()}


@pytest.mark.parametrize(("field", "value", "code"), [
    ("nid", "12345", "nid.length"),
    ("nid", "0000000000000", "nid.repeated_digit"),
    ("nid", "১২৩৪৫৬৭৮৯০", "nid.sequential"),
    ("brn", "1234", "brn.length"),
    ("phone", "02-9515530", "phone.not_mobile"),
    ("phone", "+44 7700 900123", "phone.country_code"),
    ("date_of_birth", "31/02/1990", "dob.invalid_date"),
    ("date_of_birth", "12/03/56", "dob.two_digit_year"),
    ("gender", "other", "gender.unknown"),
    ("name_bn", "রহিম ২", "name.digits"),
    ("father_name_bn", "...", "name.no_letters"),
    ("name_en", "Rahim 2", "name.digits"),
])
def test_an_invalid_field_names_itself_its_value_and_the_reason(field: str, value: str, code: str) -> None:
    error = errors_of(PersonCreate, **{"name_en": "Rahim", field: value})[(field,)]
    assert error["type"] == code and error["input"] == value and error["msg"]


def test_every_invalid_field_is_reported_at_once() -> None:
    errors = errors_of(PersonCreate, name_en="Rahim", nid="1", phone="1", date_of_birth="x")
    assert set(errors) == {("nid",), ("phone",), ("date_of_birth",)}


def test_nested_address_errors_are_located_in_the_address() -> None:
    assert ("address", "ward") in errors_of(PersonCreate, name_en="Rahim", address={"ward": 120})


def test_valid_fields_are_normalised_and_identifiers_kept_raw() -> None:
    person = PersonCreate(name_bn="মোঃ  আব্দুর রহিম", gender="মহিলা", date_of_birth="১২ মার্চ ১৯৫৬",
                          nid="১৯৫৬ ১২৩ ৪৫৬ ৭৮৯", phone="01711-234567", name_en="  ")
    assert person.name_bn == "মোঃ আব্দুর রহিম" and person.gender == "female"
    assert person.date_of_birth == "1956-03-12" and person.nid == "১৯৫৬ ১২৩ ৪৫৬ ৭৮৯"
    assert person.name_en is None  # blank means not given


def test_a_person_needs_a_name_but_an_update_does_not() -> None:
    assert "give name_bn or name_en" in str(errors_of(PersonCreate, nid="1956123456789"))
    assert PersonUpdate(phone="01711234567").model_fields_set == {"phone"}


def test_a_ministry_record_keeps_a_name_with_digits_and_upper_cases_codes() -> None:
    record = BeneficiaryCreate(ministry_code="MoSW", programme_code="oaa", source_record_id="r1",
                               name_bn="পরীক্ষা ব্যক্তি ১২")
    assert (record.ministry_code, record.programme_code, record.name_bn) == ("MOSW", "OAA", "পরীক্ষা ব্যক্তি ১২")
    assert ("name_bn",) in errors_of(PersonCreate, name_bn="পরীক্ষা ব্যক্তি ১২")
    assert errors_of(BeneficiaryCreate, ministry_code="MOSW", programme_code="OAA", source_record_id="r",
                     name_en="A", nid="12345")[("nid",)]["msg"] == "an NID has 10, 13 or 17 digits, this one has 5"
