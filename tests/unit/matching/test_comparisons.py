"""Comparison levels: properties that must hold for real-looking Bangla/Latin record pairs."""

from __future__ import annotations

import numpy as np

from services.matching.engine.comparisons import (
    NULL,
    brn_levels,
    build_record_keys,
    default_comparisons,
    dob_levels,
    gender_levels,
    geo_levels,
    name_levels,
    nid_levels,
    phone_levels,
)
from services.matching.engine.normalize import normalize_table

from .conftest import make_table

NAME_TOP = 4
PARENT_TOP = 3


def _levels(fn, rows: list[dict], **kwargs) -> int:
    """Level of the pair (row 0, row 1) under comparison function ``fn``."""
    keys = build_record_keys(normalize_table(make_table(rows)))
    return int(fn(keys, np.array([0]), np.array([1]), **kwargs)[0])


def _name(a: dict, b: dict, field: str = "name", own: bool = True) -> int:
    top = NAME_TOP if own else PARENT_TOP
    keys = build_record_keys(normalize_table(make_table([a, b])))
    return int(name_levels(keys, field, np.array([0]), np.array([1]), own_name=own, top_level=top)[0])


def test_bangla_only_and_latin_only_record_of_one_person_get_the_top_name_level() -> None:
    assert _name({"name_bn": "মোঃ নজরুল তালুকদার"}, {"name_en": "MD NAZRUL TALUKDAR"}) == NAME_TOP


def test_best_script_combination_wins() -> None:
    # left has both scripts; the right's Bangla matches the left's Bangla even though the Latin has a typo
    a = {"name_bn": "ডলি খাতুন", "name_en": "DOLI KHSTUN"}
    b = {"name_bn": "ডলি খাতুন"}
    assert _name(a, b) == NAME_TOP


def test_dropped_surname_is_high_but_not_exact() -> None:
    level = _name({"name_en": "Shamal Kumar"}, {"name_en": "Shamal Kumar Ghosh"})
    assert level == NAME_TOP - 1


def test_siblings_with_shared_surname_get_a_low_name_level() -> None:
    # one letter apart: below every "same first name" level (the household cap then applies)
    level = _name({"name_en": "Rafiqul Islam"}, {"name_bn": "শফিকুল ইসলাম"})
    assert level < NAME_TOP - 1
    assert _name({"name_en": "Rina Akter"}, {"name_en": "Halima Begum"}) == 0


def test_missing_name_is_null_level() -> None:
    assert _name({"name_en": "Rina"}, {"name_en": None}) == NULL


def test_parent_names_across_scripts_and_honorifics() -> None:
    a = {"father_bn": "মোঃ আলমগীর হক"}
    b = {"father_en": "Alamgir Haque"}
    assert _name(a, b, field="father", own=False) == PARENT_TOP
    c = {"father_en": "Mohammad Abul Kashem"}
    d = {"father_en": "Abul Kashem Mia"}
    assert 1 <= _name(c, d, field="father", own=False) < PARENT_TOP
    assert _name({"father_en": "Abul"}, {"father_en": "Jamal Uddin"}, field="father", own=False) == 0


def test_gender_levels() -> None:
    assert _levels(gender_levels, [{"gender": "M"}, {"gender": "M"}]) == 1
    assert _levels(gender_levels, [{"gender": "M"}, {"gender": "F"}]) == 0
    assert _levels(gender_levels, [{"gender": "M"}, {}]) == NULL


def test_dob_levels_are_ordered_by_specificity() -> None:
    def level(a: dict, b: dict) -> int:
        return _levels(dob_levels, [a, b])

    exact = level({"dob": "1992-05-01"}, {"dob": "1992-05-01"})
    swapped = level({"dob": "1992-05-01"}, {"dob": "1992-01-05"})
    year_only = level({"dob": "1992-05-01"}, {"birth_year": 1992})
    off_by_one = level({"dob": "1992-05-01"}, {"dob": "1993-05-01"})
    near = level({"dob": "1992-05-01"}, {"dob": "1993-08-17"})
    few_years = level({"dob": "1992-05-01"}, {"dob": "1989-05-01"})
    different = level({"dob": "1992-05-01"}, {"dob": "1970-05-01"})
    assert exact > swapped > year_only > off_by_one > near > few_years > different >= 0
    assert level({"dob": "1992-05-01"}, {}) == NULL


def test_nid_13_vs_17_digits_and_digit_errors() -> None:
    core = "6034821469489"
    assert _levels(nid_levels, [{"nid": core}, {"nid": "1978" + core}]) == 3
    one_error = core[:5] + ("0" if core[5] != "0" else "1") + core[6:]
    assert _levels(nid_levels, [{"nid": core}, {"nid": one_error}]) == 2
    two_errors = "99" + core[2:]
    assert _levels(nid_levels, [{"nid": core}, {"nid": two_errors}]) == 1
    assert _levels(nid_levels, [{"nid": core}, {"nid": core[:-1]}]) == 2  # dropped digit
    assert _levels(nid_levels, [{"nid": core}, {"nid": "1202030423987"}]) == 0
    # a smart-card NID cannot be compared with a 13-digit one: no information, not a disagreement
    assert _levels(nid_levels, [{"nid": core}, {"nid": "4730964969"}]) == NULL
    assert _levels(nid_levels, [{"nid": "৪৭৩০৯৬৪৯৬৯"}, {"nid": "4730964969"}]) == 3


def test_brn_levels() -> None:
    brn = "20184409661771824"
    assert _levels(brn_levels, [{"brn": brn}, {"brn": "২০১৮৪৪০৯৬৬১৭৭১৮২৪"}]) == 3
    assert _levels(brn_levels, [{"brn": brn}, {"brn": "20171111111111111"}]) == 0
    assert _levels(brn_levels, [{"brn": brn}, {}]) == NULL


def test_phone_levels_across_forms() -> None:
    assert _levels(phone_levels, [{"phone": "+8801734311063"}, {"phone": "01734-311063"}]) == 1
    assert _levels(phone_levels, [{"phone": "+8801734311063"}, {"phone": "01834311063"}]) == 0
    assert _levels(phone_levels, [{"phone": "+8801734311063"}, {}]) == NULL


def test_geo_levels_use_the_finest_shared_level() -> None:
    home = {"division_code": 1, "district_code": 6, "upazila_code": 56, "union_code": 521}
    assert _levels(geo_levels, [home, dict(home)]) == 4
    assert _levels(geo_levels, [home, {**home, "union_code": None}]) == 3  # missing union is not a move
    assert _levels(geo_levels, [home, {**home, "union_code": 522}]) == 3
    assert _levels(geo_levels, [home, {**home, "upazila_code": 57, "union_code": 530}]) == 2
    assert _levels(geo_levels, [home, {"division_code": 3, "district_code": 27, "upazila_code": 212}]) == 0


def test_comparison_levels_have_labels_for_every_level() -> None:
    for comparison in default_comparisons():
        assert comparison.n_levels == len(comparison.level_labels) >= 2


def _both_paths(keys):
    """Record keys of ``keys`` interned by the small-table path and by the Polars path."""
    from services.matching.engine import comparisons

    small = comparisons._small_record_keys(keys)
    large_from = comparisons.SMALL_KEYS
    try:
        comparisons.SMALL_KEYS = 0
        large = comparisons.build_record_keys(keys)
    finally:
        comparisons.SMALL_KEYS = large_from
    return small, large


def _assert_same_record_keys(small, large) -> None:
    assert small.vocab.tolist() == large.vocab.tolist()
    assert small.vocab_first.tolist() == large.vocab_first.tolist()
    for field in large.name_ids:
        assert small.name_ids[field].shape == large.name_ids[field].shape
        assert (small.name_ids[field] == large.name_ids[field]).all()
    for name in large.ids:
        assert (small.ids[name][0] == large.ids[name][0]).all() and (small.ids[name][1] == large.ids[name][1]).all()
    for array in ("gender", "birth_year", "dob_month", "dob_day", "geo"):
        assert getattr(small, array).dtype == getattr(large, array).dtype, array
        assert (getattr(small, array) == getattr(large, array)).all(), array
    assert np.array_equal(small.name_frequency, large.name_frequency, equal_nan=True)


def test_small_tables_are_interned_as_the_large_ones() -> None:
    import polars as pl

    keys = normalize_table(pl.DataFrame({
        "name_bn": ["মোঃ আলমগীর হক", None, "রহিমা আক্তার", "রহিমা আক্তার"],
        "name_en": ["MD. Alamgir Haque", "Rahima Aktar", None, "Sumi"],
        "father_en": ["Abdul Haque", None, "Abdul Haque", None],
        "gender": ["M", "f", None, "মহিলা"], "dob": ["1978-03-04", None, "১৯৮০", "1990-13-45"],
        "birth_year": [None, "1961", None, None], "district_code": ["26", None, "26", "x"],
        "nid": ["19786034821469489", "4730964969", None, "123456789012345678901"],
        "brn": ["20184409661771824", None, None, None], "phone": ["01734311063", None, "+8801734311063", None]}))
    _assert_same_record_keys(*_both_paths(keys))


def test_small_table_path_agrees_with_polars_on_bench_records() -> None:
    import polars as pl
    import pytest

    from tests.paths import BENCH_DIR

    path = BENCH_DIR / "bd_100000_s42.parquet"
    if not path.exists():
        pytest.skip("bench file not available")
    table = pl.read_parquet(path).drop("person_id", "household_id").slice(20_000, 400)
    keys = normalize_table(table)
    small, large = _both_paths(keys)
    _assert_same_record_keys(small, large)
    # and the name levels of every pair, through NumPy's unique and through Polars' hash join
    from services.matching.engine import comparisons

    rng = np.random.default_rng(7)
    left, right = rng.integers(0, keys.height, 3_000), rng.integers(0, keys.height, 3_000)
    for field, own, top in (("name", True, NAME_TOP), ("father", False, PARENT_TOP)):
        by_sort = name_levels(small, field, left, right, own_name=own, top_level=top)
        threshold = comparisons.SMALL_PAIRS
        try:
            comparisons.SMALL_PAIRS = 0
            by_join = name_levels(small, field, left, right, own_name=own, top_level=top)
        finally:
            comparisons.SMALL_PAIRS = threshold
        assert (by_sort == by_join).all()
        assert (by_sort >= 1).sum() > 10  # the sample holds similar names, not only missing ones
