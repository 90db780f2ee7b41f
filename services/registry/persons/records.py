"""Pure conversions between stored persons and their API and event forms."""

from __future__ import annotations

from typing import Any

from services.registry.enrolments.models import Enrolment
from services.registry.persons.models import Identifier, Person
from services.registry.persons.schemas import PersonRead
from shared.normalize import DateOfBirth, normalize_brn, normalize_nid, normalize_phone


def dob_text(person: Person) -> str | None:
    if person.date_of_birth is not None:
        return person.date_of_birth.isoformat()
    return f"{person.birth_year:04d}" if person.birth_year is not None else None


def dob_columns(text: str | None) -> dict[str, Any]:
    """Columns for a date of birth already normalised by the schema ("1956-03-12" or "1956")."""
    if text is None:
        return {"date_of_birth": None, "birth_year": None, "dob_precision": None}
    if len(text) == 4:
        parsed = DateOfBirth(year=int(text), month=None, day=None, precision="year")
    else:
        year, month, day = (int(p) for p in text.split("-"))
        parsed = DateOfBirth(year=year, month=month, day=day, precision="day")
    return {"date_of_birth": parsed.exact_date, "birth_year": parsed.year, "dob_precision": parsed.precision}


def make_identifier(kind: str, raw: str) -> Identifier:
    """An identifier row from a value the schema has already validated."""
    if kind == "nid":
        nid = normalize_nid(raw)
        return Identifier(kind=kind, raw=raw, normalized=nid.normalized, comparable=nid.comparable)
    normalized = normalize_brn(raw) if kind == "brn" else normalize_phone(raw)
    return Identifier(kind=kind, raw=raw, normalized=normalized, comparable=normalized)


def identifier_value(person: Person, kind: str) -> str | None:
    return next((i.normalized for i in person.identifiers if i.kind == kind), None)


def person_read(person: Person) -> PersonRead:
    return PersonRead.model_validate({
        **{c: getattr(person, c) for c in PersonRead.model_fields if hasattr(Person, c)
           and c not in ("date_of_birth", "identifiers", "address")},
        "date_of_birth": dob_text(person),
        "nid": identifier_value(person, "nid"), "brn": identifier_value(person, "brn"),
        "phone": identifier_value(person, "phone"),
        "identifiers": person.identifiers, "address": person.address,
    })


def record_version(person: Person, enrolment: Enrolment) -> int:
    # A record is a person in a programme; either may change. Both versions only grow, so their
    # sum does too, and the matching service (which drops versions it has seen) keeps up.
    return person.version + enrolment.version - 1


def beneficiary_record(person: Person, enrolment: Enrolment) -> dict[str, Any]:
    """The flat record the matching service receives: one enrolment of one person."""
    address = person.address
    return {
        "id": str(enrolment.id), "person_id": str(person.id), "ministry_code": enrolment.ministry_code,
        "programme_code": enrolment.programme_code, "source_record_id": enrolment.source_record_id,
        "version": record_version(person, enrolment), "enrolment_status": enrolment.status,
        "person_status": person.status,
        "name_bn": person.name_bn, "name_en": person.name_en,
        "father_name_bn": person.father_name_bn, "father_name_en": person.father_name_en,
        "mother_name_bn": person.mother_name_bn, "mother_name_en": person.mother_name_en,
        "spouse_name_bn": person.spouse_name_bn, "spouse_name_en": person.spouse_name_en,
        "gender": person.gender, "date_of_birth": dob_text(person), "birth_year": person.birth_year,
        "nid": identifier_value(person, "nid"),
        "nid_comparable": next((i.comparable for i in person.identifiers if i.kind == "nid"), None),
        "brn": identifier_value(person, "brn"), "phone": identifier_value(person, "phone"),
        "household_id": str(person.household_id) if person.household_id else None,
        "division_code": address.division_code if address else None,
        "district_code": address.district_code if address else None,
        "upazila_code": address.upazila_code if address else None,
        "union_code": address.union_code if address else None,
        "ward": address.ward if address else None,
        "created_at": enrolment.created_at.isoformat() if enrolment.created_at else None,
        "updated_at": enrolment.updated_at.isoformat() if enrolment.updated_at else None,
    }
