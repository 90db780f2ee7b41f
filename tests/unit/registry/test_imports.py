"""Import checks are the API's checks, applied without a database."""

from __future__ import annotations

import pytest

from services.registry.geography.schemas import AddressIn
from services.registry.geography.service import derive_address
from services.registry.imports.reader import record_from_row
from services.registry.imports.service import Accepted, ReferenceData, Rejection, check_record
from shared.errors import Invalid

# division 3 > district 27 > upazila 212 > union 1927, and a second division.
UNITS = {("division", 3): None, ("district", 27): 3, ("upazila", 212): 27, ("union", 1927): 212,
         ("division", 1): None}
REFERENCE = ReferenceData(programmes={"OAA": "MOSW", "FFP": "MOFOOD"}, units=UNITS)


def a_bench_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "unique_id": 7, "person_id": 99, "household_id": 98, "programme": "OAA", "ministry": "MoSW",
        "name_bn": "শিল্পী নেসা", "name_en": None, "father_bn": "মো: সিদ্দিকুর তালুকদার", "father_en": None,
        "mother_bn": None, "mother_en": None, "spouse_bn": None, "spouse_en": None, "gender": "F", "dob": None,
        "birth_year": 1940, "nid": "7931572791", "brn": None, "phone": "০১৭২১১০৩৯২৪", "division_code": 3,
        "district_code": 27, "upazila_code": 212, "union_code": 1927, "ward": 7}
    row.update(overrides)
    return row


def test_a_bench_row_becomes_a_beneficiary_record_without_ground_truth() -> None:
    record = record_from_row(a_bench_row())
    assert record["source_record_id"] == "7" and record["ministry_code"] == "MoSW"
    assert record["father_name_bn"] == "মো: সিদ্দিকুর তালুকদার" and record["date_of_birth"] == "1940"
    assert record["address"] == {"division_code": 3, "district_code": 27, "upazila_code": 212, "union_code": 1927,
                                 "ward": 7}
    assert "person_id" not in str(record) and "household_id" not in record
    assert record_from_row(a_bench_row(dob="1980-02-27"))["date_of_birth"] == "1980-02-27"
    blank = record_from_row(a_bench_row(division_code="", district_code="", upazila_code="", union_code="", ward=""))
    assert blank["address"] is None


def test_a_valid_row_is_accepted_normalised() -> None:
    checked = check_record(0, record_from_row(a_bench_row()), REFERENCE, None)
    assert isinstance(checked, Accepted)
    assert checked.record.ministry_code == "MOSW" and checked.record.gender == "female"
    assert checked.address == {"division_code": 3, "district_code": 27, "upazila_code": 212, "union_code": 1927,
                               "ward": 7, "line": None}


@pytest.mark.parametrize(("overrides", "loc", "code"), [
    ({"nid": "91770120101087884"}, ["body", "nid"], "nid.birth_year"),
    ({"phone": "+8101621665691"}, ["body", "phone"], "phone.country_code"),
    ({"programme": "FFP"}, ["body", "programme_code"], "programme.not_yours"),
    ({"union_code": 1, "upazila_code": None}, ["body", "address", "union_code"], "address.unknown_unit"),
    ({"division_code": 1}, ["body", "address", "union_code"], "address.inconsistent"),
    ({"name_bn": None, "name_en": None}, ["body"], "value_error"),
])
def test_an_invalid_row_is_rejected_with_the_apis_422_items(overrides: dict, loc: list, code: str) -> None:
    checked = check_record(5, record_from_row(a_bench_row(**overrides)), REFERENCE, None)
    assert isinstance(checked, Rejection) and checked.row == 5 and checked.source_record_id == "7"
    assert [(e["loc"], e["type"]) for e in checked.errors] == [(loc, code)]


def test_a_new_programme_is_left_to_be_registered_when_written() -> None:
    assert isinstance(check_record(0, record_from_row(a_bench_row(programme="NEWPROG")), REFERENCE, None), Accepted)


def test_an_import_for_one_ministry_rejects_the_others() -> None:
    checked = check_record(0, record_from_row(a_bench_row()), REFERENCE, "MOFOOD")
    assert isinstance(checked, Rejection) and checked.errors[0]["type"] == "ministry.not_caller"


def test_an_address_is_completed_upwards_from_its_lowest_level() -> None:
    assert derive_address(AddressIn(union_code=1927), UNITS, loc=["a"])["division_code"] == 3
    with pytest.raises(Invalid) as raised:
        derive_address(AddressIn(union_code=1927, district_code=28), UNITS, loc=["a"])
    assert raised.value.loc == ["a", "union_code"] and "district 27, not district 28" in raised.value.msg
