"""Bangla text normalisation: each pitfall built with explicit escapes, so the test shows the bytes."""

import pytest

from shared.normalize import normalize_bangla_text, strip_invisible

ZWJ, ZWNJ = "\u200d", "\u200c"

# Canonical nukta letters: the NFC form, base + U+09BC (see docs/normalisation.md).
RRA = "\u09a1\u09bc"  # ড়
RHA = "\u09a2\u09bc"  # ঢ়
YYA = "\u09af\u09bc"  # য়


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # precomposed code points (composition exclusions) → base + nukta
        ("\u09dc", RRA),
        ("\u09dd", RHA),
        ("\u09df", YYA),
        # already decomposed: unchanged
        (RRA, RRA),
        (YYA, YYA),
        # in words: বাড়ি, আষাঢ়, নয়ন, ময়মনসিংহ
        ("\u09ac\u09be\u09dc\u09bf", "\u09ac\u09be" + RRA + "\u09bf"),
        ("\u0986\u09b7\u09be\u09dd", "\u0986\u09b7\u09be" + RHA),
        ("\u09a8\u09df\u09a8", "\u09a8" + YYA + "\u09a8"),
        ("\u09ae\u09df\u09ae\u09a8\u09b8\u09bf\u0982\u09b9",
         "\u09ae" + YYA + "\u09ae\u09a8\u09b8\u09bf\u0982\u09b9"),
    ],
    ids=["rra", "rha", "yya", "rra-decomposed", "yya-decomposed", "bari", "asharh", "nayan", "mymensingh"],
)
def test_nukta_letters_reach_the_nfc_decomposed_form(raw: str, expected: str) -> None:
    assert normalize_bangla_text(raw) == expected


def test_precomposed_and_decomposed_words_become_equal() -> None:
    # "মোছাঃ নয়নতারা" typed on two keyboards
    assert normalize_bangla_text("\u09a8\u09df\u09a8\u09a4\u09be\u09b0\u09be") == normalize_bangla_text(
        "\u09a8\u09af\u09bc\u09a8\u09a4\u09be\u09b0\u09be"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u09b8\u09a4\u09cd\u200d", "\u09b8\u09ce"),  # সৎ
        ("\u09b9\u09a0\u09be\u09a4\u09cd\u200d", "\u09b9\u09a0\u09be\u09ce"),  # হঠাৎ
        # মোসাম্মৎ with a legacy khanda-ta, followed by a space and a name
        ("\u09ae\u09cb\u09b8\u09be\u09ae\u09cd\u09ae\u09a4\u09cd\u200d \u09b0\u09b9\u09bf\u09ae\u09be",
         "\u09ae\u09cb\u09b8\u09be\u09ae\u09cd\u09ae\u09ce \u09b0\u09b9\u09bf\u09ae\u09be"),
        ("\u09b8\u09ce", "\u09b8\u09ce"),  # already U+09CE
    ],
    ids=["sat", "hathat", "mosammat", "already-khanda-ta"],
)
def test_legacy_khanda_ta_becomes_u09ce(raw: str, expected: str) -> None:
    assert normalize_bangla_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ক্‌ষ (ZWNJ forces a visible hasanta) → ক্ষ: same spelling
        ("\u0995\u09cd\u200c\u09b7", "\u0995\u09cd\u09b7"),
        # র‍্যাব (ZWJ for ya-phala after ra) → র্যাব
        ("\u09b0\u200d\u09cd\u09af\u09be\u09ac", "\u09b0\u09cd\u09af\u09be\u09ac"),
        # stray joiners between letters of রহিম
        ("\u09b0\u200c\u09b9\u09bf\u200d\u09ae", "\u09b0\u09b9\u09bf\u09ae"),
        # ত + ্ + ZWNJ is NOT khanda-ta: joiner removed, ত্ stays
        ("\u09a4\u09cd\u200c", "\u09a4\u09cd"),
    ],
    ids=["zwnj-conjunct", "zwj-rafala", "stray-joiners", "ta-hasanta-zwnj"],
)
def test_zero_width_joiners_are_removed(raw: str, expected: str) -> None:
    assert normalize_bangla_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u09ae\u09c7\u09be", "\u09ae\u09cb"),  # ম + ে + া → মো
        ("\u0997\u09c7\u09d7\u09b0", "\u0997\u09cc\u09b0"),  # গ + ে + ৗ → গৌর
        # a ZWJ between the two halves: removing it must still let them compose
        ("\u09ae\u09c7\u200d\u09be", "\u09ae\u09cb"),
    ],
    ids=["o-kar", "au-kar", "o-kar-split-by-zwj"],
)
def test_two_part_vowel_signs_are_composed(raw: str, expected: str) -> None:
    assert normalize_bangla_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u09ae\u09cb:", "\u09ae\u09cb\u0983"),  # মো: → মোঃ
        ("\u09ae\u09cb: \u0986\u09b2\u09c0", "\u09ae\u09cb\u0983 \u0986\u09b2\u09c0"),  # মো: আলী
        ("\u09ae\u09cb\uff1a", "\u09ae\u09cb\u0983"),  # fullwidth colon
        ("\u09ae\u09cb\u0903", "\u09ae\u09cb\u0983"),  # Devanagari visarga
        ("\u09ae\u09cb\u099b\u09be:", "\u09ae\u09cb\u099b\u09be\u0983"),  # মোছা: → মোছাঃ
        ("Md:", "Md:"),  # Latin: not a visarga
        ("\u09e7\u09e8:\u09e9\u09e6", "\u09e7\u09e8:\u09e9\u09e6"),  # ১২:৩০ a time, digits are not letters
        ("\u09ae\u09cb :", "\u09ae\u09cb :"),  # separated by a space: a label colon, kept
    ],
    ids=["mo", "mo-ali", "fullwidth", "devanagari", "mochha", "latin", "time", "spaced"],
)
def test_colon_after_bangla_letter_becomes_visarga(raw: str, expected: str) -> None:
    assert normalize_bangla_text(raw) == expected


def test_colon_to_visarga_can_be_disabled_for_labelled_text() -> None:
    text = "\u09a0\u09bf\u0995\u09be\u09a8\u09be: \u09a2\u09be\u0995\u09be"  # ঠিকানা: ঢাকা
    assert normalize_bangla_text(text, colon_to_visarga=False) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  \u09b0\u09b9\u09bf\u09ae  ", "\u09b0\u09b9\u09bf\u09ae"),
        ("\u0986\u09ac\u09cd\u09a6\u09c1\u09b0\u00a0\u09b0\u09b9\u09bf\u09ae",
         "\u0986\u09ac\u09cd\u09a6\u09c1\u09b0 \u09b0\u09b9\u09bf\u09ae"),
        ("Abdur \t\n Rahim", "Abdur Rahim"),
        ("\u3000Abdur\u2003Rahim\u3000", "Abdur Rahim"),
        ("", ""),
        (" \t ", ""),
    ],
    ids=["strip", "nbsp", "tabs-newlines", "ideographic-em-space", "empty", "blank"],
)
def test_whitespace_is_collapsed_and_stripped(raw: str, expected: str) -> None:
    assert normalize_bangla_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\ufeff\u09b0\u09b9\u09bf\u09ae", "\u09b0\u09b9\u09bf\u09ae"),  # BOM from a CSV export
        ("Abdur\u200bRahim", "AbdurRahim"),  # zero-width space
        ("Ra\u00adhim", "Rahim"),  # soft hyphen
        ("\u200eRahim\u200f", "Rahim"),  # LRM / RLM
        ("Ra\x00him\x07", "Rahim"),  # control characters
        ("Abdur\tRahim", "Abdur\tRahim"),  # whitespace is not invisible: left for collapsing
        ("\u09a4\u09cd\u200d", "\u09a4\u09cd"),  # joiners removed by default
    ],
    ids=["bom", "zwsp", "soft-hyphen", "bidi-marks", "controls", "tab-kept", "joiners"],
)
def test_strip_invisible(raw: str, expected: str) -> None:
    assert strip_invisible(raw) == expected


def test_strip_invisible_can_keep_joiners() -> None:
    assert strip_invisible("\ufeff\u09a4\u09cd\u200d\u200b", keep_joiners=True) == "\u09a4\u09cd\u200d"


def test_invisible_characters_do_not_block_khanda_ta_or_visarga() -> None:
    # zero-width space between ত্ and ZWJ, and between মো and the colon
    assert normalize_bangla_text("\u09b8\u09a4\u09cd\u200b\u200d") == "\u09b8\u09ce"
    assert normalize_bangla_text("\u09ae\u09cb\u200b:") == "\u09ae\u09cb\u0983"
