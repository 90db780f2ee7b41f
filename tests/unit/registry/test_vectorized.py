"""The vectorised normalisers of the bulk import agree with the scalar ones, value for value."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from services.registry.imports import vectorized as v
from shared.normalize import NormalizationError, normalize_brn, normalize_nid, normalize_phone, parse_date_of_birth
from tests.paths import BENCH_DIR

TODAY = date(2026, 11, 25)
BENCH = BENCH_DIR / "bd_100000_s42.parquet"
NOISE = [" ", "-", "\u2013", "\u00a0", "\u200b", "\u200c", "\ufeff", ".", "(", ")", "+", "/", "a", "\x1c", "\t",
         "\u0966", "\u09e7", "\u09ea", "০", "\u2212", ":", "x"]


def _noisy(rng: random.Random, base: str) -> str:
    chars = list(base)
    for _ in range(rng.randint(0, 3)):
        chars.insert(rng.randint(0, len(chars)), rng.choice(NOISE))
    if rng.random() < 0.2:
        chars = [c.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")) for c in chars]
    return "".join(chars)


def _identifier_inputs(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    values = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.3:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 10, 11, 13, 17, 18])))
        elif kind < 0.4:
            digits = str(rng.randint(1850, 2030)) + "".join(rng.choice("0123456789") for _ in range(13))
        elif kind < 0.6:
            digits = rng.choice(["", "+", "00", "880", "+880", "0"]) + rng.choice(["1", "0", "2"]) + rng.choice(
                "0123456789") + "".join(rng.choice("0123456789") for _ in range(rng.choice([7, 8, 9])))
        elif kind < 0.7:
            digits = rng.choice(["0000000000000", "1234567890", "9876543210", "11111111111111111",
                                 "19801234567890123", "+44 7911 123456", "(017) 1234-5678", "01711-111111/01811"])
        else:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
        values.append(_noisy(rng, digits))
    return values


def _scalar(fn, value: str) -> tuple[object, str | None]:
    try:
        return fn(value), None
    except NormalizationError as error:
        return None, error.code


def _stripped(values: list[str]) -> list[str | None]:
    # What reaches the normaliser: blank is absent, the rest stripped (as pydantic does).
    return [value.strip() or None for value in values]


@pytest.fixture(scope="module")
def inputs() -> list[str | None]:
    values = _identifier_inputs(7, 20_000)
    try:
        bench = pl.read_parquet(BENCH, columns=["nid", "brn", "phone"])
        values += [x for c in ("nid", "brn", "phone") for x in bench[c].drop_nulls().head(5_000).to_list()]
    except FileNotFoundError:
        pass
    return [x for x in _stripped(values) if x is not None]


def test_nid_agrees(inputs: list[str]) -> None:
    out = v.nid_columns(pl.DataFrame({"x": inputs}), "x", today=TODAY).select(
        pl.col("nid_norm").alias("n"), pl.col("nid_comp").alias("c"), pl.col("nid_code").alias("e"))
    mismatches = []
    for value, n, c, e in zip(inputs, out["n"], out["c"], out["e"], strict=True):
        nid, error = _scalar(lambda s: normalize_nid(s, today=TODAY), value)
        expected = (nid.normalized, nid.comparable, None) if nid else (None, None, error)
        if (n, c, e) != expected:
            mismatches.append((value, (n, c, e), expected))
    assert not mismatches, mismatches[:10]
    assert {code for code in out["e"] if code} >= {"nid.length", "nid.not_digits", "nid.birth_year",
                                                   "nid.repeated_digit", "nid.sequential"}


def test_brn_agrees(inputs: list[str]) -> None:
    out = v.brn_columns(pl.DataFrame({"x": inputs}), "x", today=TODAY).select(
        pl.col("brn_norm").alias("n"), pl.col("brn_code").alias("e"))
    mismatches = [(value, (n, e), _scalar(lambda s: normalize_brn(s, today=TODAY), value))
                  for value, n, e in zip(inputs, out["n"], out["e"], strict=True)
                  if (n, e) != _scalar(lambda s: normalize_brn(s, today=TODAY), value)]
    assert not mismatches, mismatches[:10]


def test_phone_agrees(inputs: list[str]) -> None:
    out = v.phone_columns(pl.DataFrame({"x": inputs}), "x").select(
        pl.col("phone_norm").alias("n"), pl.col("phone_code").alias("e"))
    mismatches = [(value, (n, e), _scalar(normalize_phone, value))
                  for value, n, e in zip(inputs, out["n"], out["e"], strict=True)
                  if (n, e) != _scalar(normalize_phone, value)]
    assert not mismatches, mismatches[:10]
    assert {code for code in out["e"] if code} >= {"phone.country_code", "phone.not_mobile", "phone.length",
                                                   "phone.operator", "phone.not_digits"}


def test_dates_agree() -> None:
    rng = random.Random(3)
    values = []
    for _ in range(20_000):
        y, m, d = rng.randint(1880, 2030), rng.randint(0, 14), rng.randint(0, 33)
        values.append(rng.choice([f"{y}-{m:02d}-{d:02d}", f"{y}-{m}-{d}", f"{y}", f"{d:02d}/{m:02d}/{y}",
                                  f"{d} March {y}", f"{y}-{m:02d}", f"{d}/{m}/{y % 100:02d}", f"{y}/{m}/{d}",
                                  "2026-11-25", "2026-11-26", "2027", "১৯৮৫-০৩-১২", "abc"]))
    frame = v.dob_columns(pl.DataFrame({"x": values}), "x", today=TODAY)
    mismatches = []
    for value, exact, year, precision, code in frame.select("x", "dob_date", "dob_year", "dob_precision",
                                                            "dob_code").iter_rows():
        parsed, error = _scalar(lambda s: parse_date_of_birth(s, today=TODAY), value)
        expected = (parsed.exact_date, parsed.year, parsed.precision, None) if parsed else (None, None, None, error)
        if (exact, year, precision, code) != expected:
            mismatches.append((value, (exact, year, precision, code), expected))
    assert not mismatches, mismatches[:10]


def test_separators_and_invisible_characters_follow_python() -> None:
    frame = pl.DataFrame({"x": ["01711\u00a0234-567", "0171\u200b1234567", "\u09e6\u09e7\u09ed\u09e7\u09e7234567",
                                "01711\x1c234567"]})
    out = v.phone_columns(frame, "x")["phone_norm"].to_list()
    assert out == [normalize_phone(x) for x in frame["x"]]


def test_ascii_names_agree_with_the_scalar_normalisers() -> None:
    from services.registry.persons.schemas import lenient_person_name
    from services.registry.persons.service import search_key

    rng = random.Random(11)
    words = ["Md.", "MD", "Mohammad", "Abdur", "Rahim", "Mst", "Khatun", "D'Costa", "Sree", "Late", "Dr.", "O`Neil",
             "Rahima-Begum", "(Rana)", "Mr", "12", "A.K.M.", "Hossain,", "x", "...", "--", "#1", "Haji", "  "]
    values = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 5))).strip() or "Md" for _ in range(5_000)]
    try:
        bench = pl.read_parquet(BENCH, columns=["name_en", "father_en", "mother_en", "spouse_en"])
        values += [x for c in bench.columns for x in bench[c].drop_nulls().head(3_000).to_list()]
    except FileNotFoundError:
        pass
    values = [v.strip() for v in values if v.strip()]
    out = v.ascii_names(values)
    mismatches = []
    for value, display, code, key in out.iter_rows():
        try:
            expected = (lenient_person_name(value, field="name"), None)
        except NormalizationError as error:
            expected = (None, error.code)
        expected_key = search_key(expected[0]) if expected[0] is not None else None
        if (display, code, key) != (*expected, expected_key):
            mismatches.append((value, (display, code, key), (*expected, expected_key)))
    assert not mismatches, mismatches[:10]


BANGLA_NOISE = ["\u200c", ":", " ", "  ", "\u09c7\u09be", "\u09c7\u09d7", "\u09df", "\u09dc", "\u09dd", "মোঃ", "মো:",
                "মোছাঃ", "\u09c7", "\u09be", "\u09d7", "\u200d", "\u09bc", "\u09cd", "১", "ঃ", "\u0981", "\u00a0",
                "\u09cd\u09bc", "ত্\u200d", "-", "শ্রী", "মৃত", "\u0903"]


def test_plain_bangla_names_agree_with_the_scalar_normalisers() -> None:
    from services.registry.persons.schemas import lenient_person_name
    from services.registry.persons.service import search_key

    rng = random.Random(12)
    words = ["মোঃ", "মো:", "মোহাম্মদ", "আব্দুর", "রহিম", "মোছাঃ", "রহিমা", "খাতুন", "শ্রী", "অমল", "চন্দ্র", "দাস",
             "মোঃআব্দুর", "মোছাঃরহিমা", "জান্নাতুল", "ফেরদৌস", "ভূঁইয়া", "মিয়া", "সৌমিক", "কৃষ্ণ", "লক্ষ্মী",
             "জনাব", "মরহুম", "দুঃখী", "উৎপল"]
    values = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(3_000)]
    try:
        bench = pl.read_parquet(BENCH, columns=["name_bn", "father_bn", "mother_bn", "spouse_bn"])
        values += [x for c in bench.columns for x in bench[c].drop_nulls().head(3_000).to_list()]
    except FileNotFoundError:
        pass
    noisy = []
    for value in values[:6_000]:
        chars = list(value)
        for _ in range(rng.randint(1, 3)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(BANGLA_NOISE))
        noisy.append("".join(chars))
    edges = [":রহিম", "রহিম :", "রহিম::", "মোঃ", "ে", "প্রিয\u09bc", "উত্\u200dপল", "মো\u200d:"]
    candidates = pl.Series(list(dict.fromkeys(values + noisy + edges)))
    plain = candidates.filter(pl.select(v.is_plain_bangla_name(pl.lit(candidates))).to_series())
    assert 0.3 * candidates.len() < plain.len() < candidates.len()  # both paths are exercised
    mismatches = []
    for value, display, key in v.bangla_names(plain.to_list()).iter_rows():
        expected = lenient_person_name(value, field="name")  # a plain name is a valid one
        if (display, key) != (expected, search_key(expected)):
            mismatches.append((value, (display, key), (expected, search_key(expected))))
    assert not mismatches, mismatches[:10]
    for refused in ("১২৩", "রহিম ২", "\u09be", ":রহিম", "রহিম\u00a0খাতুন", "ক্\u09bcষ", "বিশ্\u200c\u09bcবাস"):
        assert not pl.select(v.is_plain_bangla_name(pl.lit(refused))).item(), refused
