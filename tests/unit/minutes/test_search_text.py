"""The search form must be the same for every way of typing the same Bangla word."""

import unicodedata

import pytest

from services.minutes.search.text import search_document, searchable

ZWNJ, ZWJ = "\u200c", "\u200d"


@pytest.mark.parametrize(("typed", "clean"), [
    ("প্র\u09dfোজনী\u09df", "প্রয়োজনীয়"),  # precomposed য় (a composition exclusion)
    ("খস\u09dcা", "খসড়া"),  # precomposed ড়
    ("মত্" + ZWJ + "স্য", "মৎস্য"),  # legacy khanda-ta
    ("ক্" + ZWNJ + "ষুদ্র", "ক্ষুদ্র"),  # ZWNJ showing the hasanta
    ("র" + ZWJ + "্য", "র্য"),
    ("অত:পর", "অতঃপর"),  # ASCII colon for visarga
    ("মো：", "মোঃ"),  # fullwidth colon
    ("কে" + "\u09be", "কো"),  # ো typed as ে + া
    ("  মুদ্রণ\u00a0\tকার্য ", "মুদ্রণ কার্য"),
    ("Proof-Reading", "proof-reading"),
])
def test_a_word_typed_with_pitfalls_has_the_search_form_of_the_clean_word(typed: str, clean: str) -> None:
    assert searchable(typed) == searchable(clean)
    assert unicodedata.is_normalized("NFC", searchable(typed))
    assert ZWJ not in searchable(typed) and ZWNJ not in searchable(typed)


def test_a_time_keeps_its_colon() -> None:
    assert searchable("বেলা ৩:০০ ঘটিকা") == "বেলা ৩:০০ ঘটিকা"


def test_the_search_document_keeps_each_part_and_skips_missing_ones() -> None:
    assert search_document("ক", None, "Printing", "") == "ক\nprinting"
