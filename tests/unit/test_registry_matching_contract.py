"""The registry's beneficiary record (its `registry.beneficiary.upserted` payload) against what the
matching service reads from it: every personal field the registry publishes reaches the engine.

The two services agree on the record only through this payload; the matching service once read the
relatives' names under the benchmark files' names (`father_bn`) while the registry publishes
`father_name_bn`, so no father's, mother's or spouse's name from the registry was ever compared."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.matching.engine.columns import ATTRIBUTE_COLUMNS
from services.matching.linking.frames import input_rows, records_frame
from services.matching.linking.service import prepare_batch
from services.registry.enrolments.models import Enrolment
from services.registry.geography.models import Address
from services.registry.persons.models import Person
from services.registry.persons.records import beneficiary_record, make_identifier

# What the payload carries besides the person's own fields: identity, versions and statuses (the
# matching service keeps them with the record), the registry's own person and household ids (its
# decisions, which matching must not take as evidence) and the NID's comparable form (the engine
# derives it from the NID).
NOT_EVIDENCE = {"id", "person_id", "ministry_code", "programme_code", "source_record_id", "version",
                "enrolment_status", "person_status", "household_id", "nid_comparable", "created_at", "updated_at"}


def _registry_record() -> dict[str, object]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    person = Person(
        id=uuid.uuid4(), registered_by="MOSW", status="active", version=1, created_at=now, updated_at=now,
        name_bn="মোছাঃ রহিমা খাতুন", name_en="Mst. Rahima Khatun", father_name_bn="মৃত আব্দুল করিম",
        father_name_en="Late Abdul Karim", mother_name_bn="জমিলা বেগম", mother_name_en="Jamila Begum",
        spouse_name_bn="আব্দুল হক", spouse_name_en="Abdul Haque", gender="female",
        date_of_birth=date(1962, 7, 1), birth_year=1962, dob_precision="day", household_id=uuid.uuid4(),
        identifiers=[make_identifier("nid", "19626912345678901"), make_identifier("brn", "19625812047736120"),
                     make_identifier("phone", "01819-556677")],
        address=Address(division_code=30, district_code=26, upazila_code=2616, union_code=261647, ward=4))
    enrolment = Enrolment(id=uuid.uuid4(), person_id=person.id, programme_code="WA", ministry_code="MOWCA",
                          source_record_id="WA-7", status="active", version=1, created_at=now, updated_at=now)
    return beneficiary_record(person, enrolment)


def test_every_personal_field_the_registry_publishes_is_read_by_the_engine() -> None:
    record = _registry_record()
    unread = set(record) - set(ATTRIBUTE_COLUMNS) - NOT_EVIDENCE
    assert not unread, f"the registry publishes {sorted(unread)}: read them in matching, or list them as no evidence"
    [row] = input_rows([record])
    assert all(value is not None for value in row.values()), {k for k, v in row.items() if v is None}
    assert records_frame([record]).row(0, named=True) == row


def test_every_value_the_registry_publishes_becomes_a_comparison_key() -> None:
    # the values too, in the forms the registry writes them ("female", "+8801819556677", "1962-07-01")
    record = _registry_record()
    keys = prepare_batch([(record["id"], record)]).keys.row(0, named=True)
    empty = {column for column, value in keys.items() if value is None}
    assert empty == {"nid10"}  # the 10-digit smart-card NID: this person has a 17-digit one
    assert (keys["gender"], keys["birth_year"], keys["dob_month"], keys["dob_day"]) == ("F", 1962, 7, 1)
    # the same person under the benchmark files' names gives the same keys
    renamed = {("dob" if a == "date_of_birth" else a.replace("_name_", "_")): v for a, v in record.items()}
    assert prepare_batch([(record["id"], renamed)]).keys.row(0, named=True) == keys
