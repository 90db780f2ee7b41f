"""Gender: English, Bangla, abbreviated and transliterated forms."""

import pytest

from shared.normalize import NormalizationError, normalize_gender


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M", "male"),
        ("m.", "male"),
        ("Male", "male"),
        (" MALE ", "male"),
        ("পুরুষ", "male"),
        ("ছেলে", "male"),
        ("F", "female"),
        ("Female", "female"),
        ("মহিলা", "female"),
        ("নারী", "female"),
        ("মে\u09af\u09bcে", "female"),  # মেয়ে, decomposed য়
        ("মে\u09dfে", "female"),  # মেয়ে, precomposed য়
        ("হিজ\u09a1\u09bcা", "third_gender"),  # হিজড়া, decomposed ড়
        ("হিজ\u09dcা", "third_gender"),  # হিজড়া, precomposed ড়
        ("Hijra", "third_gender"),
        ("third gender", "third_gender"),
        ("Third-Gender", "third_gender"),
        ("third_gender", "third_gender"),
        ("ThirdGender", "third_gender"),
        ("তৃতীয় লিঙ্গ", "third_gender"),
        ("tritiyo lingo", "third_gender"),
    ],
)
def test_normalize_gender(raw: str, expected: str) -> None:
    assert normalize_gender(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "gender.empty"),
        (" . ", "gender.empty"),
        ("other", "gender.unknown"),
        ("X", "gender.unknown"),
        ("1", "gender.unknown"),  # numeric codes differ between ministries
        ("unknown", "gender.unknown"),
        ("transgender", "gender.unknown"),  # policy decision, not normalisation
        ("malefemale", "gender.unknown"),
        (None, "gender.type"),
    ],
)
def test_normalize_gender_rejects(raw: object, code: str) -> None:
    with pytest.raises(NormalizationError) as exc:
        normalize_gender(raw)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.code, exc.value.value) == ("gender", code, raw)
