"""Person names: a display form, a comparison key, and the script a name is written in.

Two forms on purpose. The display form is what the person or the ministry wrote, cleaned only
of encoding noise, because a name printed on a benefit card must look like the NID card.
The comparison key drops what varies between records of the same person (honorifics, their
spellings and abbreviations, case, punctuation), so "মোঃ আব্দুর রহিম" on the NID and
"মোহাম্মদ আব্দুর রহিম" on a school certificate produce the same key. Spelling variants of
the name itself (আব্দুর / আবদুর, Rahim / Raheem) are left to the matching service: they are
similarity, not normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from shared.normalize.errors import NormalizationError, require_str
from shared.normalize.text import VISARGA, normalize_bangla_text

__all__ = ["Script", "detect_script", "name_match_key", "normalize_person_name"]

Script = Literal["bn", "latin", "mixed", "empty"]

# Tokens dropped from the comparison key wherever they appear. Each is written the way
# people type it; the sets are passed through the same normalisation and casefolding as the
# names, so a spelling with য় or ৎ here matches every encoding of it in the data.
#
# Muslim male prefix: "মোঃ"/"Md." is the abbreviation of "মোহাম্মদ"/"Mohammad", and records
# of one man include it, abbreviate it or omit it inconsistently (NID "মোঃ", school
# certificate "Mohammad", bank "Abdur Rahim"). Canonicalising to one token would still make
# "Md. Abdur Rahim" differ from "Abdur Rahim", so all of them are removed.
_MUSLIM_MALE = {
    "মোঃ", "মো", "মোহাম্মদ", "মোহাম্মাদ", "মুহাম্মদ", "মুহাম্মাদ", "মোহম্মদ", "মুহম্মদ",
    "md", "mohd", "mohammad", "mohammed", "muhammad", "muhammed", "mohamad", "mohamed",
    "mohammod", "muhammod",
}
# Muslim female prefix (মোসাম্মৎ and its abbreviations): same reasoning.
_MUSLIM_FEMALE = {
    "মোসাম্মৎ", "মোছাম্মৎ", "মোসাম্মাৎ", "মোছাম্মাৎ", "মোসাম্মত", "মোছাম্মত", "মোসাঃ", "মোছাঃ",
    "মোসা", "মোছা", "মোস্ট",
    "mst", "most", "mosammat", "mossammat", "musammat", "mosammet", "mosst",
}
# Hindu honorifics (শ্রী for men, শ্রীমতি/শ্রীমতী for women): a title, not part of the name,
# and omitted in many records.
_HINDU = {
    "শ্রী", "শ্রীমতি", "শ্রীমতী", "sri", "sree", "shri", "shree", "srimati", "shrimati",
    "sreemoti", "srimoti", "smt",
}
# Other titles that are never part of a registered name.
_TITLES = {
    "জনাব", "জনাবা", "ডাঃ", "ডা", "আলহাজ্ব", "আলহাজ", "হাজী",
    "mr", "mrs", "miss", "ms", "dr", "alhaj", "alhajj", "haji", "hazi",
}
# "Late" and its Bangla forms, written before a deceased parent's name on forms ("পিতা: মৃত
# আব্দুল করিম"). Whether the parent is alive is not part of the name.
_LATE = {
    "late", "marhum", "marhuma", "মৃত", "মৃতঃ", "মরহুম", "মরহুমা", "প্রয়াত", "স্বর্গীয়", "স্বর্গীয়া",
    "স্বঃ",
}
# Deliberately NOT dropped: বেগম/Begum, খাতুন/Khatun, আক্তার/Akter, বিবি/Bibi, চন্দ্র/Chandra,
# কুমার/Kumar, রাণী/Rani, শেখ/Sheikh, সৈয়দ/Syed, চৌধুরী/Chowdhury. In Bangladeshi names they
# are name parts in surname or middle position ("রহিমা বেগম", "অমল চন্দ্র দাস"), and
# "রহিমা বেগম" and "রহিমা খাতুন" are different registered names.


def _prepare_token(token: str) -> str:
    return normalize_bangla_text(token).casefold()


HONORIFICS: frozenset[str] = frozenset(
    _prepare_token(t) for t in _MUSLIM_MALE | _MUSLIM_FEMALE | _HINDU | _TITLES | _LATE
)

# Visarga abbreviations that people glue to the next word ("মোঃআব্দুর"). Only these are
# split off: a visarga inside a word is spelling (দুঃখ, অতঃপর).
GLUED_PREFIXES = tuple(
    sorted((h for h in HONORIFICS if h.endswith(VISARGA)), key=len, reverse=True)
)

# Apostrophes join ("D'Costa" → "dcosta"); every other punctuation or symbol separates
# ("Md.Abdur" → "md abdur", "Abdur-Rahim" → "abdur rahim").
_APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc"


def normalize_person_name(s: str, *, field: str = "name") -> str:
    """Display-clean form of a person name; honorifics and case are kept.

    Applies :func:`normalize_bangla_text` (invisible characters, NFC, nukta, khanda-ta,
    ``:`` → ঃ, whitespace). Raises :class:`NormalizationError` with ``name.type``,
    ``name.empty`` (nothing left), ``name.digits`` (Bangla or ASCII digits: a name with a
    digit is a data-entry error, often an ID pasted into the wrong column) or
    ``name.no_letters`` (punctuation only).
    """
    require_str(s, field=field, kind="name")
    name = normalize_bangla_text(s)
    if not name:
        raise NormalizationError(field=field, value=s, code="name.empty", reason="the name is empty")
    if any(unicodedata.category(ch) == "Nd" for ch in name):
        raise NormalizationError(field=field, value=s, code="name.digits",
                                 reason="a name cannot contain digits")
    if not any(unicodedata.category(ch)[0] == "L" for ch in name):
        raise NormalizationError(field=field, value=s, code="name.no_letters",
                                 reason="the name contains no letters")
    return name


def _split_glued(token: str) -> list[str]:
    for prefix in GLUED_PREFIXES:
        if token.startswith(prefix) and len(token) > len(prefix):
            return [prefix, token[len(prefix):]]
    return [token]


def name_match_key(s: str, *, field: str = "name") -> str:
    """Comparison key of a person name: equal keys mean "same name as written".

    From the display form: casefold (Latin lower case), apostrophes removed, every other
    punctuation mark or symbol becomes a space, glued visarga honorifics split off
    ("মোঃআব্দুর"), then every honorific token in :data:`HONORIFICS` is dropped wherever it
    stands. If that would leave nothing (the whole name is "Mohammad"), the tokens are kept,
    so a one-word name still has a key. Tokens are joined by single spaces.

    Raises the same errors as :func:`normalize_person_name`.
    """
    name = normalize_person_name(s, field=field).casefold()
    chars = []
    for ch in name:
        if ch in _APOSTROPHES:
            continue
        chars.append(" " if unicodedata.category(ch)[0] in "PS" else ch)
    tokens = [part for token in "".join(chars).split() for part in _split_glued(token)]
    kept = [t for t in tokens if t not in HONORIFICS]
    return " ".join(kept or tokens)


_LATIN = re.compile(r"LATIN ")


def detect_script(s: str) -> Script:
    """Which script a text is written in: ``"bn"``, ``"latin"``, ``"mixed"`` or ``"empty"``.

    Only letters decide (Bengali-block letters and vowel signs count as Bangla); digits of
    either script, punctuation and whitespace are ignored, so "মোঃ রহিম ১২" is ``"bn"`` and
    "123" is ``"empty"``. A letter of any other script makes the result ``"mixed"``: the
    answer means "not purely one of the two scripts the registry handles".
    """
    seen: set[str] = set()
    for ch in s:
        category = unicodedata.category(ch)
        if "\u0980" <= ch <= "\u09ff" and category[0] in "LM":
            seen.add("bn")
        elif category[0] == "L":
            seen.add("latin" if _LATIN.match(unicodedata.name(ch, "")) else "other")
    if not seen:
        return "empty"
    if len(seen) > 1 or "other" in seen:
        return "mixed"
    return "bn" if "bn" in seen else "latin"
