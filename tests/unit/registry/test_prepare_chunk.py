"""A bulk-import chunk's names and addresses come out as the API's scalar rules make them,
whatever the job has cached, and the ids it mints are well-formed UUIDv7."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime

import polars as pl
import pytest

from services.registry.geography.schemas import AddressIn
from services.registry.geography.service import derive_address
from services.registry.imports import prepare
from services.registry.imports.prepare import Context, prepare_chunk
from services.registry.persons.schemas import lenient_person_name
from services.registry.persons.service import search_key
from shared.errors import Invalid
from shared.normalize import NormalizationError

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
# division -> district -> upazila -> union, two branches
UNITS = {"division": {10: None, 20: None}, "district": {11: 10, 12: 10, 21: 20},
         "upazila": {111: 11, 121: 12, 211: 21}, "union": {1111: 111, 1112: 111, 1211: 121, 2111: 211}}
NAMES_FIRST = ["মোঃ আব্দুর রহিম", "মো: আব্দুর রহিম", "মোহাম্মদ  করিম", "মোছাঃ রহিমা খাতুন", "রহিম ২",
               "Md. Abdur Rahim", "MD. ABDUR  RAHIM", "Mohd. Karim", "Mst. Rahima Khatun", "Test Person 12",
               "O'Neil Begum", "!!", "১২৩", "ফাতেমা বেগম\u200c", "নুসরাত জাহান", "সাদিয়া ইসলাম", "Rahima\tKhatun"]
NAMES_LATER = ["মোঃ আব্দুর রহিম", "Md. Abdur Rahim", "শফিকুল  ইসলাম", "Shafiqul Islam", "জান্নাতুল ফেরদৌস", "---",
               "Jannatul Ferdous", "মোছাঃ রহিমা খাতুন", "x" * 201, "ত্‍বকী", "আবদুল্লাহ:"]


def _context() -> Context:
    return Context(job_ministry="MOSW", operator=False, today=date(2026, 12, 2), programmes={"OAA": "MOSW"},
                   ministries=frozenset({"MOSW"}), units=UNITS)


def _chunk(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    columns = sorted({k for row in rows for k in row})
    return pl.DataFrame([{c: row.get(c) for c in columns} for row in rows],
                        schema={c: pl.String for c in columns}, orient="row")


def _name_rows(names: list[str], first_id: int, rng: random.Random) -> list[dict[str, str | None]]:
    return [{"unique_id": f"R{first_id + n}", "programme": "OAA", "name_bn": name,
             "name_en": rng.choice(names), "father_bn": rng.choice([*names, None]),
             "mother_en": rng.choice([*names, None]), "gender": "F"} for n, name in enumerate(names)]


def _expected_name(raw: str | None) -> tuple[str | None, str | None]:
    """(display, error code) as the API's scalar rules give them."""
    if raw is None or not raw.strip():
        return None, None
    raw = raw.strip()
    if len(raw) > 200:
        return None, "string_too_long"
    try:
        return lenient_person_name(raw, field="name"), None
    except NormalizationError as error:
        return None, error.code


def _check_names(rows: list[dict[str, str | None]], prepared: prepare.Prepared) -> None:
    stage = {r["source_record_id"]: r for r in prepared.stage.to_dicts()}
    problems = {(i["source_record_id"], i["field"]): i["code"] for i in prepared.issues.to_dicts()
                if i["severity"] == "error"}
    for row in rows:
        expected = {field: _expected_name(row.get(column)) for field, column in
                    (("name_bn", "name_bn"), ("name_en", "name_en"), ("father_name_bn", "father_bn"),
                     ("mother_name_en", "mother_en"))}
        failing = {field: code for field, (_, code) in expected.items() if code}
        for field, code in failing.items():
            assert problems[(row["unique_id"], field)] == code, (row, field)
        if failing:
            assert row["unique_id"] not in stage
            continue
        stored = stage[row["unique_id"]]
        for field, (display, _) in expected.items():
            assert stored[field] == display, (row, field)
        assert stored["name_bn_key"] == search_key(expected["name_bn"][0])
        assert stored["name_en_key"] == search_key(expected["name_en"][0])


@pytest.mark.parametrize("cache_limit", [prepare.NAME_CACHE_LIMIT, 5])
def test_names_are_normalised_as_the_api_does_whatever_the_job_has_cached(
        cache_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prepare, "NAME_CACHE_LIMIT", cache_limit)
    rng = random.Random(4)
    context = _context()
    first = _name_rows(NAMES_FIRST, 1, rng)
    later = _name_rows(NAMES_LATER + NAMES_FIRST[:5], 1000, rng)
    _check_names(first, prepare_chunk(_chunk(first), first_row=0, context=context, now=NOW))
    _check_names(later, prepare_chunk(_chunk(later), first_row=len(first), context=context, now=NOW))
    if cache_limit > 100:  # the second chunk found the first one's names in the job's tables
        assert set(NAMES_FIRST) <= set(context.names["value"].to_list())
        assert context.keys["display"].is_unique().all()


def _address_cases() -> list[dict[str, int | None]]:
    codes = {"division_code": [None, 10, 20, 99], "district_code": [None, 11, 12, 21, 98],
             "upazila_code": [None, 111, 121, 211, 997], "union_code": [None, 1111, 1211, 2111, 9999]}
    return [dict(zip(codes, combination, strict=True)) for combination in itertools.product(*codes.values())]


def test_addresses_are_derived_and_refused_as_the_api_does() -> None:
    cases = _address_cases()
    rows = [{"unique_id": f"A{n}", "programme": "OAA", "name_bn": "রহিমা খাতুন",
             **{k: None if v is None else str(v) for k, v in case.items()}} for n, case in enumerate(cases)]
    prepared = prepare_chunk(_chunk(rows), first_row=0, context=_context(), now=NOW)
    stage = {r["source_record_id"]: r for r in prepared.stage.to_dicts()}
    issues = {i["source_record_id"]: i for i in prepared.issues.to_dicts()}
    index = {(level, code): parent for level, units in UNITS.items() for code, parent in units.items()}
    refused = 0
    for n, case in enumerate(cases):
        try:
            derived = derive_address(AddressIn(**case), index, loc=["address"])
        except Invalid as error:
            refused += 1
            detail = error.to_detail()
            issue = issues[f"A{n}"]
            assert (issue["field"], issue["code"], issue["reason"], issue["value"]) == (
                detail["loc"][-1], detail["type"], detail["msg"], str(detail["input"])), case
            assert f"A{n}" not in stage
            continue
        stored = stage[f"A{n}"]
        assert {k: stored[k] for k in case} == {k: derived[k] for k in case}, case
    assert 0 < refused < len(cases)
