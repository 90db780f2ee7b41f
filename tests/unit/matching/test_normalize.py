"""Normalisation keys: the same person's name in Bangla and Latin, with the usual noise, gets one key."""

import pytest

from services.matching.engine.normalize import (
    bangla_to_latin,
    clean_brn,
    clean_gender,
    clean_nid,
    clean_phone,
    name_skeleton,
    parse_dob,
    token_skeleton,
)


@pytest.mark.parametrize(
    ("bangla", "latin"),
    [
        ("রহিমা আক্তার", "Rahima Aktar"),
        ("মোঃ আলমগীর হক", "MD. Alamgir Haque"),
        ("মোহাম্মদ নজরুল তালুকদার", "Md Nazrul Talukdar"),
        ("মোছাম্মৎ নাজমা বিবি", "Mosammat Nazma Bibi"),
        ("জাহানারা নেছা", "Jahanara Nesa"),
        ("কামাল সরকার", "Kamal Sircar"),
        ("আয়েশা বেগম", "Ayesha Begum"),
        ("শেফালী বিশ্বাস", "Shefali Biswas"),
        ("হাবিবুর মিয়া", "Habibur Miah"),
        ("মোঃ জাহিদ মোল্লা", "Mohammed Jahid Mollah"),
        ("হাসান চৌধুরী", "Hassan Chowdhury"),
        ("আঞ্জুমান খাতুন", "Anjuman Khatun"),
    ],
)
def test_bangla_and_latin_spelling_of_one_name_share_the_skeleton(bangla: str, latin: str) -> None:
    assert name_skeleton(bangla) == name_skeleton(latin)


@pytest.mark.parametrize(
    "variants",
    [
        ("মোঃ রফিকুল ইসলাম", "মো: রফিকুল ইসলাম", "মোহাম্মদ রফিকুল ইসলাম", "মুহাম্মদ রফিকুল ইসলাম",
         "Md. Rafiqul Islam", "MD Rafikul Islam", "Mohd. Rafiqul Islam", "Muhammad Rafiqul Islam"),
        ("মোসাঃ পারভীন সুলতানা", "মোছাঃ পারভীন সুলতানা", "মোসাম্মৎ পারভীন সুলতানা", "Mst. Parvin Sultana",
         "Most. Parveen Sultana", "Mossammat Parvin Sultana", "পারভীন সুলতানা"),
    ],
)
def test_honorific_variants_are_removed(variants: tuple[str, ...]) -> None:
    assert len({name_skeleton(v) for v in variants}) == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("শিরিন", "শিরীন"),  # ি / ী
        ("সুলতানা", "শুলতানা"),  # স / শ
        ("শাহনাজ", "ষাহনাজ"),  # শ / ষ
        ("হাসিনা", "হাসিণা"),  # ন / ণ
        ("জরিনা", "যরিনা"),  # জ / য
    ],
)
def test_bangla_letter_confusions_share_the_skeleton(a: str, b: str) -> None:
    assert name_skeleton(a) == name_skeleton(b)


def test_unicode_noise_is_ignored() -> None:
    clean = "আয়েশা"  # precomposed য়
    assert name_skeleton("আয\u09bcেশা") == name_skeleton(clean)  # decomposed nukta
    assert name_skeleton("রহি\u200cমা") == name_skeleton("রহিমা")  # stray ZWNJ
    assert name_skeleton("রহি\u200dমা") == name_skeleton("রহিমা")  # stray ZWJ
    assert name_skeleton("মোসাম্মত্\u200d নাজমা") == name_skeleton("মোসাম্মৎ নাজমা")  # legacy khanda-ta
    assert name_skeleton("মো: করিম") == name_skeleton("মোঃ করিম")  # ':' typed for visarga


def test_different_names_keep_different_skeletons() -> None:
    assert name_skeleton("Rina Akter") != name_skeleton("Mina Akter")
    assert name_skeleton("রফিকুল ইসলাম") != name_skeleton("শফিকুল ইসলাম")
    assert name_skeleton("Ali") != name_skeleton("Lia")  # initial vowel kept as a marker


def test_empty_and_missing_names() -> None:
    assert name_skeleton(None) is None
    assert name_skeleton("  ") is None
    assert token_skeleton("...") == ""


def test_transliteration_writes_inherent_vowel_except_at_word_end() -> None:
    assert bangla_to_latin("কবির") == "kabir"
    assert bangla_to_latin("রহিমা").startswith("rah")


def test_nid_13_and_17_digit_forms_share_the_core() -> None:
    core13 = "6034821469489"
    assert clean_nid(core13) == (core13, None)
    assert clean_nid("1978" + core13) == (core13, None)
    assert clean_nid("১৯৭৮৬০৩৪৮২১৪৬৯৪৮৯") == (core13, None)  # Bangla digits
    assert clean_nid("1978 6034 8214 69489") == (core13, None)  # spaces
    assert clean_nid("4730964969") == (None, "4730964969")  # smart-card NID is its own space
    assert clean_nid("") == (None, None)
    assert clean_nid("12345") == (None, None)


def test_brn_cleaning() -> None:
    assert clean_brn("২০১৮৪৪০৯৬৬১৭৭১৮২৪") == "20184409661771824"
    assert clean_brn("123") is None


@pytest.mark.parametrize("raw", ["+8801734311063", "8801734311063", "01734311063", "01734-311063",
                                 "+880 1734 3110 63", "০১৭৩৪৩১১০৬৩"])
def test_phone_forms_reduce_to_ten_digits(raw: str) -> None:
    assert clean_phone(raw) == "1734311063"


def test_phone_garbage_is_missing() -> None:
    assert clean_phone("12345") is None
    assert clean_phone(None) is None


def test_parse_dob() -> None:
    assert parse_dob("1973-01-11") == (1973, 1, 11)
    assert parse_dob("1973") == (1973, None, None)
    assert parse_dob("১৯৭৩-০১-১১") == (1973, 1, 11)
    assert parse_dob("") == (None, None, None)


def test_clean_gender() -> None:
    assert clean_gender("M") == "M"
    assert clean_gender("female") == "F"
    assert clean_gender("মহিলা") == "F"
    assert clean_gender("?") is None


def test_batch_keys_agree_with_the_scalar_cleaners() -> None:
    """The vectorised identifier and date rules are twins of the scalar ones used for one record."""
    import polars as pl

    from services.matching.engine.normalize import normalize_table

    nids = ["6034821469489", "19786034821469489", "১৯৭৮৬০৩৪৮২১৪৬৯৪৮৯", "1978 6034 8214 69489", "4730964969",
            "603482146948", "1234", "", None, "0615621483753", "2001123456789012"]
    phones = ["+8801734311063", "8801734311063", "01734-311063", "+880 1734 3110 63", "০১৭৩৪৩১১০৬৩", "12345",
              "", None, "01734311063", "01600000000", "0173431106"]
    brns = ["20184409661771824", "২০১৮৪৪০৯৬৬১৭৭১৮২৪", "2018 4409 6617 7182 4", "123", "", None,
            "2018440966177182", "20184409661771824", "1", "2", "3"]
    dobs = ["1973-01-11", "1973", "১৯৭৩-০১-১১", "", None, "2001-9-5", "x", "1999-12-31", "1950-01-01",
            "2020-02-29", "1985-03-12"]
    names = ["মোঃ আলমগীর হক", "MD. Alamgir Haque", None, "", "রহিমা\u200cআক্তার", "Md.", "মো:", "Sumi",
             "আয\u09bcেশা", "মোসাম্মত্\u200d নাজমা", "Shamal Kumar"]
    table = pl.DataFrame({"nid": nids, "phone": phones, "brn": brns, "dob": dobs, "name_en": names})
    keys = normalize_table(table)
    assert keys["nid13"].to_list() == [clean_nid(v)[0] for v in nids]
    assert keys["nid10"].to_list() == [clean_nid(v)[1] for v in nids]
    assert keys["phone"].to_list() == [clean_phone(v) for v in phones]
    assert keys["brn"].to_list() == [clean_brn(v) for v in brns]
    assert keys["birth_year"].to_list() == [parse_dob(v)[0] for v in dobs]
    assert keys["dob_month"].to_list() == [parse_dob(v)[1] for v in dobs]
    assert keys["name_en"].to_list() == [name_skeleton(v.strip() if v else None) or None for v in names]


def test_the_small_table_path_gives_the_same_keys_as_the_vectorised_one() -> None:
    """Real-time linking normalises one record at a time with the scalar cleaners."""
    import polars as pl
    import pytest

    from services.matching.engine.normalize import normalize_table
    from tests.paths import BENCH_DIR

    path = BENCH_DIR / "bd_100000_s42.parquet"
    if not path.exists():
        pytest.skip("bench file not available")
    table = pl.read_parquet(path).drop("person_id", "household_id").slice(5_000, 3_000)
    # as registry attributes arrive: text, with the odd blank and Bangla digits
    as_text = table.select(pl.all().cast(pl.String)).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit(" ")).otherwise(pl.col("nid")).alias("nid"),
        pl.when(pl.int_range(pl.len()) % 5 == 0).then(pl.lit("১৯৮০")).otherwise(pl.col("birth_year"))
        .alias("birth_year"))
    for frame in (table, as_text):
        vectorised = normalize_table(frame, small=False)
        scalar = normalize_table(frame, small=True)
        assert scalar.schema == vectorised.schema
        assert scalar.equals(vectorised)


def test_name_columns_mapped_stacked_or_one_at_a_time_give_the_same_skeletons(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A consumer batch maps its name columns in one stacked call, a register one column at a time."""
    import polars as pl

    from services.matching.engine import normalize

    table = pl.DataFrame({"name_bn": ["মোছাঃ রহিমা খাতুন", None, "আব্দুর রহিম", "ফাতেমা বেগম"],
                          "name_en": ["Mst. Rahima Khatun", "Abdur Rahim", None, ""],
                          "father_bn": ["আব্দুর রহিম", "করিম", None, None],
                          "father_en": [None, "Karim", "Md. Karim", "Karim Uddin"],
                          "spouse_en": ["Abdur Rahim", None, None, "Rahima Khatun"]})
    stacked = normalize.normalize_table(table, small=False)
    monkeypatch.setattr(normalize, "STACKED_NAMES_UP_TO", 0)
    one_at_a_time = normalize.normalize_table(table, small=False)
    assert stacked.equals(one_at_a_time)
    assert stacked["father_bn"][0] == stacked["name_en"][1] == stacked["spouse_en"][0]  # one skeleton, any column
