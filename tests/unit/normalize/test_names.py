"""Person names: display form, comparison key, script detection."""

import pytest

from shared.normalize import NormalizationError, detect_script, name_match_key, normalize_person_name

# ---------------------------------------------------------------- display form


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  মোঃ   আব্দুর রহিম ", "মোঃ আব্দুর রহিম"),
        ("মো: আব্দুর রহিম", "মোঃ আব্দুর রহিম"),  # colon typed for visarga
        ("Md.  Abdur\u00a0Rahim", "Md. Abdur Rahim"),  # honorific and case kept
        ("MD. ABDUR RAHIM", "MD. ABDUR RAHIM"),
        ("শ্রী অমল চন্দ্র দাস", "শ্রী অমল চন্দ্র দাস"),
        # মোছাঃ নয়নতারা বেগম with a precomposed য় (U+09DF) → decomposed য + ়
        ("মোছাঃ ন\u09dfনতারা বেগম", "মোছাঃ ন\u09af\u09bcনতারা বেগম"),
        ("\ufeffAnthony D'Costa\u200b", "Anthony D'Costa"),
    ],
)
def test_normalize_person_name_display_form(raw: str, expected: str) -> None:
    assert normalize_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "name.empty"),
        (" \u200b\u00a0", "name.empty"),
        ("Rahim 2", "name.digits"),
        ("রহিম ১", "name.digits"),
        ("2694807123456", "name.digits"),  # an NID pasted in the name column
        ("...", "name.no_letters"),
        (None, "name.type"),
    ],
)
def test_normalize_person_name_rejects(raw: object, code: str) -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_person_name(raw)  # type: ignore[arg-type]
    assert exc.value.code == code
    assert exc.value.field == "name"
    assert exc.value.value == raw


def test_name_errors_carry_the_callers_field() -> None:
    with pytest.raises(NormalizationError) as exc:
        name_match_key("  ", field="father_name")
    assert (exc.value.field, exc.value.code) == ("father_name", "name.empty")


# ---------------------------------------------------------------- comparison key

# Each group: every spelling of one person's name as it appears across ministries, and the
# key the rules in docs/normalisation.md give (honorifics dropped, Latin lower-cased,
# punctuation removed).
KEY_GROUPS = {
    "আব্দুর রহিম": [
        "মোঃ আব্দুর রহিম",
        "মো: আব্দুর রহিম",
        "মো. আব্দুর রহিম",
        "মোঃআব্দুর রহিম",  # honorific glued to the name
        "মোহাম্মদ আব্দুর রহিম",
        "মুহাম্মদ আব্দুর রহিম",
        "মোহাম্মাদ আব্দুর রহিম",
        "জনাব মোঃ আব্দুর রহিম",
        "আব্দুর রহিম",
    ],
    "abdur rahim": [
        "Md. Abdur Rahim",
        "MD. ABDUR RAHIM",
        "Md Abdur Rahim",
        "Md.Abdur Rahim",
        "Mohd. Abdur Rahim",
        "Mohammad Abdur Rahim",
        "Muhammad Abdur Rahim",
        "Mohammed Abdur Rahim",
        "Abdur-Rahim",
        " abdur  rahim ",
    ],
    "রহিমা খাতুন": [
        "মোছাঃ রহিমা খাতুন",
        "মোসাঃ রহিমা খাতুন",
        "মোছা: রহিমা খাতুন",
        "মোসাম্মৎ রহিমা খাতুন",
        "মোসাম্ম\u09a4\u09cd\u200d রহিমা খাতুন",  # legacy khanda-ta: ত + ্ + ZWJ
        "মোছাম্মৎ রহিমা খাতুন",
    ],
    "rahima khatun": [
        "Mst. Rahima Khatun", "Most. Rahima Khatun", "Mosammat Rahima Khatun", "MST RAHIMA KHATUN",
    ],
    "অমল চন্দ্র দাস": ["শ্রী অমল চন্দ্র দাস", "অমল চন্দ্র দাস"],
    "amal chandra das": ["Sri Amal Chandra Das", "Shri Amal Chandra Das", "Sree Amal Chandra Das"],
    "গীতা রাণী দাস": ["শ্রীমতি গীতা রাণী দাস", "শ্রীমতী গীতা রাণী দাস"],
    "gita rani das": ["Srimati Gita Rani Das", "Smt. Gita Rani Das"],
    # "late" before a deceased parent's name
    "আব্দুল করিম": ["মৃত আব্দুল করিম", "মরহুম আব্দুল করিম", "মোঃ আব্দুল করিম (মৃত)"],
    "abdul karim": ["Late Abdul Karim", "Late Md. Abdul Karim", "Abdul Karim (Late)", "Marhum Abdul Karim"],
    # স্বর্গীয় with precomposed and decomposed য়
    "হরিপদ সাহা": ["স্বর্গী\u09df হরিপদ সাহা", "স্বর্গী\u09af\u09bc হরিপদ সাহা"],
    # Md / Mohammad in the middle of a name is the same honorific
    "abu saleh": ["Abu Md. Saleh", "Abu Mohammad Saleh"],
    "sheikh ali": ["Sheikh Mohammad Ali", "Sheikh Md. Ali"],
    # Begum is a name part, not an honorific
    "রহিমা বেগম": ["মোসাঃ রহিমা বেগম"],
    "begum rokeya": ["Begum Rokeya"],
    # apostrophes join, dots separate
    "anthony dcosta": ["Anthony D'Costa", "Anthony D\u2019Costa"],
    "a k m fazlul haque": ["A.K.M. Fazlul Haque", "Dr. A. K. M. Fazlul Haque"],
    # nukta: নয়ন typed two ways
    "ন\u09af\u09bcন মি\u09af\u09bcা": ["ন\u09dfন মি\u09dfা", "ন\u09af\u09bcন মি\u09af\u09bcা"],
    # a name that is only an honorific word keeps it rather than becoming empty
    "mohammad": ["Mohammad"],
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(raw, key) for key, forms in KEY_GROUPS.items() for raw in forms],
)
def test_name_match_key(raw: str, expected: str) -> None:
    assert name_match_key(raw) == expected


def test_name_match_key_keeps_different_names_apart() -> None:
    assert name_match_key("Rahima Begum") != name_match_key("Rahima Khatun")
    assert name_match_key("মোছাঃ রহিমা বেগম") != name_match_key("মোছাঃ রহিমা খাতুন")
    # visarga inside a word is spelling, not a glued honorific
    assert name_match_key("দুঃখী মিয়া") == normalize_person_name("দুঃখী মিয়া")


# ---------------------------------------------------------------- script


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("মোঃ আব্দুর রহিম", "bn"),
        ("রহিম ১২", "bn"),  # digits do not count
        ("\u09bf", "bn"),  # a lone vowel sign is still Bangla
        ("Md. Abdur Rahim", "latin"),
        ("Rahim 12", "latin"),
        ("José", "latin"),
        ("Md. আব্দুর রহিম", "mixed"),
        ("محمد", "mixed"),  # another script
        ("", "empty"),
        (" .,-", "empty"),
        ("১২৩", "empty"),
        ("123", "empty"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script
