"""Gender, as the three values the registry stores: male, female, third_gender.

Bangladesh has recognised hijra as a third gender since 2013, and NID and social-protection
forms offer it, so it is a first-class value, not "other". Inputs come from English and Bangla
forms, ministry code lists and free text.
"""

from __future__ import annotations

import re
from typing import Literal

from shared.normalize.errors import NormalizationError, require_str
from shared.normalize.text import normalize_bangla_text

__all__ = ["Gender", "normalize_gender"]

Gender = Literal["male", "female", "third_gender"]

_SYNONYMS: dict[Gender, list[str]] = {
    "male": ["m", "male", "man", "boy", "পুরুষ", "পুং", "ছেলে", "পুরুষ লিঙ্গ"],
    "female": ["f", "female", "woman", "girl", "মহিলা", "নারী", "স্ত্রী", "মেয়ে", "স্ত্রী লিঙ্গ"],
    "third_gender": [
        "third gender", "third_gender", "thirdgender", "tg", "hijra", "hijrah", "hijda", "hijra/third gender",
        "tritiyo lingo", "tritio lingo", "trittiyo lingo", "tritiyo linga",
        "হিজড়া", "হিজরা", "তৃতীয় লিঙ্গ", "তৃতীয়লিঙ্গ",
    ],
}
# Not accepted, deliberately: numeric codes (1/2/3 mean different things in different ministry
# code lists), "other"/"x"/"unknown" (not third gender; the registry has no value for them), and
# "transgender" (not the same category as hijra in Bangladeshi law; mapping it is a policy
# decision, not a normalisation).

_PUNCT = re.compile(r"[\s._\-/()]+")


def _key(text: str) -> str:
    # Case, dots ("M."), dashes and spacing vary between forms; they never change the meaning.
    return _PUNCT.sub(" ", normalize_bangla_text(text).casefold()).strip()


_LOOKUP: dict[str, Gender] = {}
for _gender, _words in _SYNONYMS.items():
    for _word in _words:
        _LOOKUP[_key(_word)] = _gender
        _LOOKUP[_key(_word).replace(" ", "")] = _gender


def normalize_gender(raw: str, *, field: str = "gender") -> Gender:
    """``"male"``, ``"female"`` or ``"third_gender"`` from an English, Bangla or abbreviated form.

    Case, spacing, dots and dashes are ignored ("M.", "Third-Gender", "তৃতীয় লিঙ্গ").
    Error codes: ``gender.type``, ``gender.empty``, ``gender.unknown``.
    """
    require_str(raw, field=field, kind="gender")
    key = _key(raw)
    if not key:
        raise NormalizationError(field=field, value=raw, code="gender.empty", reason="the gender is empty")
    gender = _LOOKUP.get(key) or _LOOKUP.get(key.replace(" ", ""))
    if gender is None:
        raise NormalizationError(field=field, value=raw, code="gender.unknown",
                                 reason="expected male, female or third gender (পুরুষ, মহিলা, হিজড়া)")
    return gender
