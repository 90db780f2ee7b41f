"""Property tests: invariants that must hold for any input, not just the listed cases."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.normalize import (
    PHONE_PATTERN,
    NormalizationError,
    name_match_key,
    normalize_bangla_text,
    normalize_gender,
    normalize_nid,
    normalize_phone,
    parse_date_of_birth,
)
from shared.text.digits import to_bangla_digits

TODAY = date(2026, 11, 25)
FAST = settings(max_examples=150, deadline=None)

# Text biased towards the characters the normaliser treats specially: the Bengali block
# (letters, vowel signs, nukta, hasanta, precomposed nukta letters, khanda-ta), joiners,
# invisible characters, colons, Devanagari visarga and odd whitespace, plus some Latin.
_SPECIAL = (
    "\u09a4\u09cd\u200d\u200c\u09bc\u09dc\u09dd\u09df\u09c7\u09be\u09d7\u09ce"
    ":\uff1a\u0903\u200b\ufeff\u00ad \u00a0\t\n"
)
bangla_ish = st.text(
    alphabet=st.one_of(
        st.sampled_from(_SPECIAL),
        st.characters(min_codepoint=0x0980, max_codepoint=0x09FF),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    ),
    max_size=40,
)


@FAST
@given(bangla_ish)
def test_normalize_bangla_text_is_idempotent(text: str) -> None:
    once = normalize_bangla_text(text)
    assert normalize_bangla_text(once) == once


@FAST
@given(bangla_ish)
def test_normalize_bangla_text_leaves_no_joiner_nor_precomposed_nukta(text: str) -> None:
    out = normalize_bangla_text(text)
    assert not set(out) & set("\u200c\u200d\u200b\ufeff\u09dc\u09dd\u09df")
    assert out == out.strip()
    assert "  " not in out


# Names built from real tokens, with honorifics and encoding noise sprinkled in: the key must
# be the plain tokens, whatever the noise.
NAME_TOKENS = [
    "আব্দুর", "রহিম", "রহিমা", "খাতুন", "অমল", "চন্দ্র", "দাস", "ন\u09af\u09bcন", "Abdur", "Rahim", "Khatun",
]
HONORIFIC_FORMS = [
    "মোঃ", "মো:", "মো.", "মোহাম্মদ", "মোছাঃ", "মোসাম্মৎ", "শ্রী", "মৃত",
    "Md.", "MD", "Mohammad", "Mst.", "Late", "Sri",
]
NOISE = ["", "\u200b", "\u200c", "\ufeff"]


@FAST
@given(
    tokens=st.lists(st.sampled_from(NAME_TOKENS), min_size=1, max_size=4),
    honorifics=st.lists(st.sampled_from(HONORIFIC_FORMS), max_size=2),
    gap=st.sampled_from([" ", "  ", "\u00a0", " \t"]),
    noise=st.sampled_from(NOISE),
    precomposed=st.booleans(),
)
def test_name_key_ignores_honorifics_and_encoding(
    tokens: list[str], honorifics: list[str], gap: str, noise: str, precomposed: bool
) -> None:
    raw = gap.join([*honorifics, *tokens]) + noise
    if precomposed:
        raw = raw.replace("\u09af\u09bc", "\u09df")
    expected = " ".join(t.casefold() for t in tokens)
    assert name_match_key(raw) == expected
    assert name_match_key(expected) == expected


national_mobile = st.builds(
    lambda op, rest: f"1{op}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


@FAST
@given(
    national=national_mobile,
    prefix=st.sampled_from(["", "0", "+880", "880", "00880", "+88 0", "+880 (0)"]),
    sep=st.sampled_from(["", " ", "-", ".", "\u00a0"]),
    bangla=st.booleans(),
)
def test_phone_any_valid_format_gives_e164(national: str, prefix: str, sep: str, bangla: bool) -> None:
    raw = prefix + national[:4] + sep + national[4:]
    if bangla:
        raw = to_bangla_digits(raw)
    out = normalize_phone(raw)
    assert out == "+880" + national
    assert PHONE_PATTERN.match(out)


@FAST
@given(st.text(alphabet="0123456789০১২৩৪৫৬৭৮৯+-(). ", max_size=20))
def test_phone_output_always_matches_pattern_or_raises(raw: str) -> None:
    try:
        out = normalize_phone(raw)
    except NormalizationError as exc:
        assert exc.code.startswith("phone.")
    else:
        assert PHONE_PATTERN.match(out)


@FAST
@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=10, max_size=10),
        st.text(alphabet="0123456789", min_size=13, max_size=13),
        st.builds(lambda y, r: f"{y}{r}", st.integers(1880, 2040), st.text(alphabet="0123456789", min_size=13,
                                                                           max_size=13)),
        st.text(alphabet="0123456789", max_size=20),
    )
)
def test_nid_with_bangla_digits_normalises_like_ascii(digits: str) -> None:
    def outcome(raw: str) -> tuple[str, str]:
        try:
            nid = normalize_nid(raw, today=TODAY)
        except NormalizationError as exc:
            return ("error", exc.code)
        return (nid.normalized, nid.comparable)

    assert outcome(to_bangla_digits(digits)) == outcome(digits)


@FAST
@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_date_formats_agree(day: date) -> None:
    forms = [
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        day.strftime("%d.%m.%Y"),
        f"{day.day} {day.strftime('%B')} {day.year}",
        to_bangla_digits(day.strftime("%d-%m-%Y")),
    ]
    assert {parse_date_of_birth(f, today=TODAY).exact_date for f in forms} == {day}


@FAST
@given(st.sampled_from(["M", "f", "Female", "পুরুষ", "মহিলা", "হিজড়া", "third gender", "Hijra"]))
def test_normalize_gender_is_idempotent(raw: str) -> None:
    once = normalize_gender(raw)
    assert normalize_gender(once) == once
