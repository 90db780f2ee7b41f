from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.registry.enrolments.models import Enrolment
from services.registry.persons.models import Person
from services.registry.persons.records import (
    beneficiary_record,
    dob_columns,
    make_identifier,
    person_read,
    record_version,
)
from shared.callers import parse_roles

BANGLA_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def a_person(**fields: object) -> Person:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    values: dict[str, object] = {"id": uuid.uuid4(), "name_bn": "রহিমা খাতুন", "name_en": None, "registered_by": "MOSW",
                                 "status": "active", "version": 1, "created_at": now, "updated_at": now,
                                 "identifiers": [], "address": None}
    values.update(fields)
    return Person(**values)


def an_enrolment(person: Person, **fields: object) -> Enrolment:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    values: dict[str, object] = {"id": uuid.uuid4(), "person_id": person.id, "programme_code": "OAA",
                                 "ministry_code": "MOSW", "source_record_id": "OAA-1", "status": "active",
                                 "version": 1, "created_at": now, "updated_at": now}
    values.update(fields)
    return Enrolment(**values)


def test_a_date_of_birth_is_stored_as_a_date_or_as_a_year() -> None:
    assert dob_columns("1956-03-12") == {"date_of_birth": date(1956, 3, 12), "birth_year": 1956,
                                         "dob_precision": "day"}
    assert dob_columns("1956") == {"date_of_birth": None, "birth_year": 1956, "dob_precision": "year"}
    assert dob_columns(None)["birth_year"] is None


@given(st.integers(min_value=1930, max_value=2005), st.from_regex(r"[2-9][0-9]{12}", fullmatch=True),
       st.booleans(), st.sampled_from(["", " ", "-"]))
def test_a_17_digit_nid_compares_equal_to_its_13_digit_form(year: int, nid13: str, bangla: bool, sep: str) -> None:
    long_form = f"{year}{sep}{nid13[:5]}{sep}{nid13[5:]}"
    if bangla:
        long_form = long_form.translate(BANGLA_DIGITS)
    long_id, short_id = make_identifier("nid", long_form), make_identifier("nid", nid13)
    assert long_id.comparable == short_id.comparable == nid13
    assert long_id.raw == long_form and long_id.normalized == f"{year}{nid13}"


def test_phones_in_any_form_compare_equal() -> None:
    forms = ["01711-234567", "+8801711234567", "8801711234567", "০১৭১১২৩৪৫৬৭", "1711234567"]
    assert {make_identifier("phone", f).comparable for f in forms} == {"+8801711234567"}


def test_the_record_version_grows_when_either_the_person_or_the_enrolment_changes() -> None:
    person = a_person()
    enrolment = an_enrolment(person)
    assert record_version(person, enrolment) == 1
    person.version = 2
    assert record_version(person, enrolment) == 2
    enrolment.version = 2
    assert record_version(person, enrolment) == 3


def test_the_flat_record_has_what_matching_reads() -> None:
    person = a_person(identifiers=[make_identifier("nid", "19561956123456789")], birth_year=1956, dob_precision="year")
    record = beneficiary_record(person, an_enrolment(person))
    assert {"id", "ministry_code", "programme_code", "version"} <= set(record)
    assert record["nid"] == "19561956123456789" and record["nid_comparable"] == "1956123456789"
    assert record["date_of_birth"] == "1956" and record["name_bn"] == "রহিমা খাতুন"
    read = person_read(person)
    assert read.nid == "19561956123456789" and read.identifiers[0].raw == "19561956123456789"


def test_roles_are_a_case_insensitive_comma_list() -> None:
    assert parse_roles(" Auditor, clerk ,,") == frozenset({"auditor", "clerk"})
    assert parse_roles(None) == frozenset()
