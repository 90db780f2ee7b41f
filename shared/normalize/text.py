"""Bangla text normalisation: one byte sequence for what a reader sees as the same text.

The same Bangla word reaches the registry in several encodings (different keyboards, Bijoy
converters, copy-paste from PDFs and web pages). They render identically, so a person cannot
see the difference, but they compare unequal, so a name search or a duplicate check misses.
``normalize_bangla_text`` maps every such variant to one canonical form; see
docs/normalisation.md for the rules and why each canonical form was chosen.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_bangla_text", "strip_invisible"]

ZWNJ = "\u200c"
ZWJ = "\u200d"
HASANTA = "\u09cd"  # ্ virama
KHANDA_TA = "\u09ce"  # ৎ
VISARGA = "\u0983"  # ঃ
_TA = "\u09a4"  # ত

# Invisible characters that are not Unicode "format" (Cf) but still invisible and
# meaningless in identity data: the combining grapheme joiner and variation selectors.
_EXTRA_INVISIBLE = frozenset("\u034f" + "".join(chr(c) for c in range(0xFE00, 0xFE10)))

# Legacy khanda-ta: Unicode 4.0 had no ৎ code point for a while and told people to write
# ত + ্ + ZWJ; old data and some keyboards still produce it. Unicode 4.1 added U+09CE.
_LEGACY_KHANDA_TA = _TA + HASANTA + ZWJ

# Characters typed in place of the visarga ঃ: ASCII colon (easy to reach on any keyboard),
# fullwidth colon, and the Devanagari visarga (identical glyph, from Hindi keyboards).
_VISARGA_LOOKALIKES = ":\uff1a\u0903"


def _is_bangla_letter_or_sign(ch: str) -> bool:
    # Bengali block letters and vowel signs/marks; digits, currency and numerics excluded
    # so "১২:৩০" (a time) keeps its colon.
    return "\u0980" <= ch <= "\u09ff" and unicodedata.category(ch)[0] in "LM"


def strip_invisible(s: str, *, keep_joiners: bool = False) -> str:
    """Remove characters that render as nothing.

    Removes Unicode format characters (category Cf: zero-width space, BOM, soft hyphen,
    word joiner, left-to-right/right-to-left marks and embeddings, ZWJ, ZWNJ), the combining
    grapheme joiner, variation selectors and control characters other than whitespace
    (whitespace is left for the caller to collapse).

    ``keep_joiners=True`` keeps ZWJ and ZWNJ, for a caller that still needs them to read the
    legacy khanda-ta (ত + ্ + ZWJ) before discarding them.
    """
    out = []
    for ch in s:
        if keep_joiners and ch in (ZWJ, ZWNJ):
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "Cf" or ch in _EXTRA_INVISIBLE:
            continue
        if category == "Cc" and not ch.isspace():
            continue
        out.append(ch)
    return "".join(out)


def _colon_to_visarga(s: str) -> str:
    # Only directly after a Bangla letter or sign: "মো:" is মোঃ, but "Md:" and "১২:৩০"
    # keep their colon.
    chars = list(s)
    for i in range(1, len(chars)):
        if chars[i] in _VISARGA_LOOKALIKES and _is_bangla_letter_or_sign(chars[i - 1]):
            chars[i] = VISARGA
    return "".join(chars)


_WHITESPACE = re.compile(r"\s+")


def normalize_bangla_text(s: str, *, colon_to_visarga: bool = True) -> str:
    """Canonical form of a piece of Bangla (or mixed Bangla/Latin) text.

    Steps, in an order that makes the function idempotent:

    1. Remove invisible characters except ZWJ/ZWNJ (they are needed by step 3).
    2. Unicode NFC. This composes two-part vowel signs typed in pieces (ে + া → ো,
       ে + ৗ → ৌ) and puts nukta letters in their canonical form.
    3. Legacy khanda-ta ত + ্ + ZWJ → ৎ (U+09CE).
    4. Remove every remaining ZWJ and ZWNJ. In Bangla they only choose between a conjunct
       glyph and a visible hasanta (ক্ষ vs ক্‌ষ, র‍্য vs র্য); the spelling is the same, and
       an invisible difference must not make two records of one name differ.
    5. ``:`` (also fullwidth ``：`` and Devanagari ``ঃ`` U+0903) directly after a Bangla
       letter or sign → visarga ঃ (মো: → মোঃ). Pass ``colon_to_visarga=False`` for free text
       with labels such as "ঠিকানা: ঢাকা".
    6. NFC again (step 4 can bring ে and া next to each other), then every run of Unicode
       whitespace (including no-break space) becomes one ASCII space, and the ends are stripped.

    Canonical nukta form: U+09DC ড়, U+09DD ঢ়, U+09DF য় are Unicode *composition
    exclusions*, so NFC turns them into base + nukta (ড + ়, ঢ + ়, য + ়), and nothing turns
    them back. We keep that NFC output (the decomposed pair) as canonical, because it is
    what every other NFC implementation (PostgreSQL ``normalize()``, browsers, ICU) produces:
    a value normalised here stays equal after any other component re-normalises it.
    """
    s = strip_invisible(s, keep_joiners=True)
    s = unicodedata.normalize("NFC", s)
    s = s.replace(_LEGACY_KHANDA_TA, KHANDA_TA)
    s = s.replace(ZWJ, "").replace(ZWNJ, "")
    if colon_to_visarga:
        s = _colon_to_visarga(s)
    s = unicodedata.normalize("NFC", s)
    return _WHITESPACE.sub(" ", s).strip()
