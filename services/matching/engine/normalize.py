"""Cleaning of raw beneficiary fields into comparison keys.

Two layers:

* scalar functions (``name_skeleton``, ``clean_nid``, ``clean_phone`` ...) that take one raw value and
  return its key.  They are the single source of truth: the real-time ``POST /match`` path calls them
  for one record, and the batch path applies them to the *distinct* values of a column (a name
  vocabulary is ~100x smaller than the record count), so both paths produce identical keys;
* ``normalize_table`` which builds the whole key table for a batch with Polars.

The name key is a *script-agnostic consonant skeleton*.  Bangla script is transliterated letter by
letter into Latin, and both Latin spellings and transliterations are then folded by the same rules:
vowels are dropped (the Bangla inherent vowel is not written, so vowels cannot be compared across
scripts, and ি/ী, u/o, e/a variants vanish with them), aspirates lose their ``h`` (kh/k, dh/d),
sibilants merge (স/শ/ষ, s/sh/ch), ন/ণ merge, জ/য/z merge, and doubled letters collapse.  An initial
vowel is kept as a single marker so that "Ali" and "Lia" stay apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

import polars as pl

from shared.text.digits import BANGLA_DIGITS, to_ascii_digits

# --- Bangla -> Latin -------------------------------------------------------------------------------

_VIRAMA = "\u09cd"
_NUKTA = "\u09bc"
_ZW = {"\u200c", "\u200d", "\ufeff", "\u200b"}

# Independent vowels and vowel signs.  Only their presence matters downstream (vowels are dropped
# except at the start of a token), so the exact Latin value is a readable approximation.
_VOWELS = {
    "অ": "a", "আ": "a", "ই": "i", "ঈ": "i", "উ": "u", "ঊ": "u", "ঋ": "ri", "এ": "e", "ঐ": "oi",
    "ও": "o", "ঔ": "ou",
}
_VOWEL_SIGNS = {
    "া": "a", "ি": "i", "ী": "i", "ু": "u", "ূ": "u", "ৃ": "ri", "ে": "e", "ৈ": "oi", "ো": "o",
    "ৌ": "ou", "ৗ": "ou",
}
_CONSONANTS = {
    "ক": "k", "খ": "kh", "গ": "g", "ঘ": "gh", "ঙ": "ng", "চ": "ch", "ছ": "chh", "জ": "j", "ঝ": "jh",
    "ঞ": "n", "ট": "t", "ঠ": "th", "ড": "d", "ঢ": "dh", "ণ": "n", "ত": "t", "থ": "th", "দ": "d",
    "ধ": "dh", "ন": "n", "প": "p", "ফ": "f", "ব": "b", "ভ": "bh", "ম": "m", "য": "j", "র": "r",
    "ল": "l", "শ": "sh", "ষ": "sh", "স": "s", "হ": "h", "ৎ": "t", "ং": "ng",
    "ড়": "r", "ঢ়": "r", "য়": "y",
}
# Letters written with a nukta: the data has them both precomposed and decomposed (NFC even
# decomposes U+09DC..U+09DF), so the decomposed pair is looked up explicitly.
_NUKTA_FORMS = {"ড": "r", "ঢ": "r", "য": "y", "জ": "y"}
# After a virama these letters are "phala" signs: ্য doubles the consonant and ্ব is mostly silent
# (বিশ্বাস = Biswas), so they become vowel-like letters that the skeleton drops.
_PHALA = {"য": "y", "ব": "w"}


def bangla_to_latin(text: str) -> str:
    """Transliterate Bangla script to lower-case Latin, letter by letter (other characters kept).

    Handles the Unicode noise of real registers: decomposed nukta, legacy khanda-ta (ত + ্ + ZWJ),
    stray ZWNJ/ZWJ, an ASCII ':' typed for visarga, ো/ৌ typed as two signs.  A consonant without a
    vowel sign or virama carries the inherent vowel, written "a": it keeps রহিমা ("rahima") from
    fusing into the aspirate "rh", and the skeleton drops vowels anyway.
    """
    text = text.replace("ত্\u200d", "ৎ")  # legacy khanda-ta, before ZWJ is stripped
    chars = [c for c in unicodedata.normalize("NFC", text) if c not in _ZW]
    out: list[str] = []
    i, n = 0, len(chars)
    while i < n:
        c = chars[i]
        nxt = chars[i + 1] if i + 1 < n else ""
        prev = chars[i - 1] if i > 0 else ""
        if c == _VIRAMA:
            if nxt in _PHALA:
                out.append(_PHALA[nxt])  # য-ফলা / ব-ফলা: vowel-like, dropped by the skeleton
                i += 2
            else:
                i += 1
            continue
        if c == "ে" and nxt in ("া", "ৗ"):
            out.append("o" if nxt == "া" else "ou")
            i += 2
            continue
        step = 1
        if c in _CONSONANTS:
            if nxt == _NUKTA:
                # ড়/ঢ়/য় typed decomposed; জ় only occurs as a confusion of য়
                latin = _NUKTA_FORMS.get(c, _CONSONANTS[c])
                step = 2
            elif c == "য" and (prev in _VOWEL_SIGNS or prev in _VOWELS):
                latin = "y"  # য় with its nukta lost (আযেশা = Ayesha)
            elif c == "ঞ" and nxt != _VIRAMA:
                latin = "y"  # মিঞা = Mia; but ঞ্জ (Anjuman) is a real n
            else:
                latin = _CONSONANTS[c]
            out.append(latin)
            after = chars[i + step] if i + step < n else ""
            word_end = not after or after in " ঃ:."
            if c not in ("ৎ", "ং") and not word_end and after not in _VOWEL_SIGNS and after != _VIRAMA:
                out.append("a")  # inherent vowel; silent at the end of a word (কবির = Kabir)
        elif c in _VOWELS:
            out.append(_VOWELS[c])
        elif c in _VOWEL_SIGNS:
            out.append(_VOWEL_SIGNS[c])
        elif c == "ঁ":
            out.append("n")  # candrabindu is written as n in Latin (বাঁধন = Bandhon)
        elif c in ("ঃ", ":", _NUKTA, "."):
            pass  # visarga (also typed ':') only ends honorifics like মোঃ
        else:
            out.append(c.lower())
        i += step
    return "".join(out)


# --- Latin skeleton --------------------------------------------------------------------------------

# Order matters: longer clusters first, aspirates lose their h, then single-letter merges.
_LATIN_FOLDS: list[tuple[str, str]] = [
    ("chh", "s"), ("ch", "s"), ("sh", "s"), ("kh", "k"), ("gh", "g"), ("th", "t"), ("dh", "d"),
    ("ph", "f"), ("bh", "b"), ("jh", "j"), ("ck", "k"),
    ("z", "j"), ("q", "k"), ("v", "b"), ("x", "ks"),
]
# A Latin 'c' left after the folds is k before a/o/u or at the end (Sircar = সরকার), else s.
_HARD_C = re.compile(r"c(?=[aouk]|$)")
_VOWEL_LETTERS = set("aeiouyw")
_NON_LETTER = re.compile(r"[^a-z]+")

# Skeletons of honorific prefixes (Md., Mohd., Mohammad, মোঃ, Mst., Most., Mosammat, মোছাঃ ...).  They
# say nothing about identity and are written inconsistently, so a leading one is dropped when more
# tokens follow.  Matching on skeletons covers every spelling variant at once.
_HONORIFIC_SKELETONS = frozenset({"m", "md", "mhd", "mhmd", "mmd", "mst", "msmt", "ms", "msm", "mss"})


@lru_cache(maxsize=200_000)
def token_skeleton(token: str) -> str:
    """Fold one Latin (or transliterated) name token to its consonant skeleton.

    >>> token_skeleton("Akhter") == token_skeleton("aktar")
    True
    """
    t = _NON_LETTER.sub("", token.lower())
    if not t:
        return ""
    for src, dst in _LATIN_FOLDS:
        t = t.replace(src, dst)
    t = _HARD_C.sub("k", t).replace("c", "s")
    if len(t) > 2 and t.endswith("h"):
        t = t[:-1]  # Mollah / মোল্লা, Miah / মিয়া
    lead = "a" if t[0] in _VOWEL_LETTERS else ""
    consonants = [c for c in t if c not in _VOWEL_LETTERS]
    out: list[str] = []
    for c in consonants:
        if out and c == out[-1]:
            continue  # doubled letters: Mossammat / Mosammat, Hassan / Hasan
        out.append(c)
    return lead + "".join(out)


def _is_bangla(text: str) -> bool:
    return any("\u0980" <= c <= "\u09ff" for c in text)


_WORD_SPLIT = re.compile(r"[\s.,:;/\-_()]+")


@lru_cache(maxsize=300_000)
def word_skeleton(word: str) -> str:
    """Skeleton of one raw word in either script ("" for punctuation or an empty word).

    Cached per word: a register has tens of thousands of distinct words but millions of names.
    """
    latin = bangla_to_latin(word) if _is_bangla(word) else unicodedata.normalize("NFKD", word).lower()
    return token_skeleton(latin)


def name_skeleton(raw: str | None) -> str | None:
    """Script-agnostic key of a full name: skeleton tokens joined by spaces, honorifics removed.

    Returns None for an empty name.  "মোঃ আলমগীর হক" and "MD. Alamgir Haque" get the same key.
    """
    if raw is None:
        return None
    tokens = [t for t in map(word_skeleton, _WORD_SPLIT.split(raw)) if t]
    # Honorifics are leading; strip up to two ("Md. Mohammad Ali" happens).
    for _ in range(2):
        if len(tokens) > 1 and tokens[0] in _HONORIFIC_SKELETONS:
            tokens = tokens[1:]
    return " ".join(tokens) if tokens else None


# --- identifiers -----------------------------------------------------------------------------------

_DIGITS_ONLY = re.compile(r"\D+")


def digits(raw: str | None) -> str:
    """ASCII digits of a raw identifier (Bangla digits converted, spaces/dashes dropped)."""
    if not raw:
        return ""
    return _DIGITS_ONLY.sub("", to_ascii_digits(raw))


def clean_nid(raw: str | None) -> tuple[str | None, str | None]:
    """Split a raw NID into (long_core, smart_nid).

    The 17-digit NID is the birth year followed by the 13-digit form, so both reduce to the same
    13-digit core; the 10-digit smart-card NID is a different number space and is kept apart.
    Lengths one off (a dropped or doubled digit) are kept so that the edit-distance comparison can
    still recognise them.
    """
    d = digits(raw)
    n = len(d)
    if n in (16, 17, 18) and d[:2] in ("19", "20"):
        return d[4:], None
    if n in (12, 13, 14):
        return d, None
    if n in (9, 10, 11):
        return None, d
    return None, None


def clean_brn(raw: str | None) -> str | None:
    """Birth registration number: 17 digits (birth year + 13); keep near-lengths for fuzzy compare."""
    d = digits(raw)
    return d if 15 <= len(d) <= 18 else None


def clean_phone(raw: str | None) -> str | None:
    """Bangladeshi mobile number as its 10 significant digits ('1XXXXXXXXX').

    +880 1XXX..., 880 1XXX... and 01XXX... all reduce to the same key.
    """
    d = digits(raw)
    if len(d) >= 10 and d[-10] == "1":
        return d[-10:]
    return None


def parse_dob(raw: str | None) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of a YYYY-MM-DD string; (year, None, None) for a bare year."""
    if not raw:
        return None, None, None
    d = to_ascii_digits(raw).strip()
    m = re.match(r"^(\d{4})(?:-(\d{1,2})-(\d{1,2}))?", d)
    if not m:
        return None, None, None
    year = int(m.group(1))
    if m.group(2) is None:
        return year, None, None
    return year, int(m.group(2)), int(m.group(3))


def clean_gender(raw: str | None) -> str | None:
    """'M' / 'F' from the usual codes (M, F, male, female, পুরুষ, মহিলা); anything else is unknown."""
    if not raw:
        return None
    g = raw.strip().lower()
    if g in ("m", "male", "পুরুষ", "পু"):
        return "M"
    if g in ("f", "female", "মহিলা", "নারী", "ম"):
        return "F"
    return None


# --- batch key table -------------------------------------------------------------------------------

NAME_FIELDS = ("name", "father", "mother", "spouse")
GEO_LEVELS = ("division_code", "district_code", "upazila_code", "union_code", "ward")


def _map_unique(col: pl.Series, fn, dtype: pl.DataType) -> pl.Series:
    """Apply a scalar cleaning function once per distinct value and broadcast the result back.

    Registers repeat the same names many times, so this keeps the batch path exactly as correct
    as the scalar one at a fraction of the Python calls.
    """
    uniq = col.drop_nulls().unique()
    mapped = pl.Series([fn(v) for v in uniq.to_list()], dtype=dtype)
    return col.replace_strict(uniq, mapped, default=None, return_dtype=dtype)


def _string_col(df: pl.DataFrame, name: str) -> pl.Series:
    """The column as stripped strings, empty strings as null; an absent column is all null."""
    if name not in df.columns:
        return pl.Series(name, [None] * df.height, dtype=pl.String)
    s = df[name].cast(pl.String).str.strip_chars()
    return pl.select(pl.when(s != "").then(s)).to_series().alias(name)


def _int_col(df: pl.DataFrame, name: str) -> pl.Series:
    if name not in df.columns:
        return pl.Series(name, [None] * df.height, dtype=pl.Int32)
    return df[name].cast(pl.Int32, strict=False)


# Vectorised twins of the scalar identifier cleaners above (same rules; the unit tests check that
# both agree), because identifiers are nearly all distinct and a Python call per value would cost
# seconds per million records.

def _digits_expr(col: str) -> pl.Expr:
    return (pl.col(col).str.replace_many(list(BANGLA_DIGITS), list("0123456789"))
            .str.replace_all(r"\D", ""))


def _nid_exprs(col: str) -> tuple[pl.Expr, pl.Expr]:
    d = _digits_expr(col)
    n = d.str.len_chars()
    with_year = n.is_between(16, 18) & d.str.slice(0, 2).is_in(["19", "20"])
    long_core = pl.when(with_year).then(d.str.slice(4)).when(n.is_between(12, 14)).then(d)
    smart = pl.when(n.is_between(9, 11)).then(d)
    return long_core, smart


def _brn_expr(col: str) -> pl.Expr:
    d = _digits_expr(col)
    return pl.when(d.str.len_chars().is_between(15, 18)).then(d)


def _phone_expr(col: str) -> pl.Expr:
    d = _digits_expr(col)
    last10 = d.str.slice(-10)
    return pl.when((d.str.len_chars() >= 10) & last10.str.starts_with("1")).then(last10)


def _dob_exprs(col: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    d = pl.col(col).str.replace_many(list(BANGLA_DIGITS), list("0123456789"))
    parts = d.str.extract_groups(r"^(\d{4})(?:-(\d{1,2})-(\d{1,2}))?")
    return (parts.struct.field("1").cast(pl.Int32, strict=False),
            parts.struct.field("2").cast(pl.Int32, strict=False),
            parts.struct.field("3").cast(pl.Int32, strict=False))


# Below this many rows the scalar cleaners are cheaper than building Polars expressions (the
# real-time path: one record, or a few, at a time); both give the same keys (unit-tested).
SMALL_TABLE = 64
_INTEGER = re.compile(r"^[+-]?[0-9]+$")  # ASCII only, as a Polars cast


def _key_schema() -> dict[str, pl.DataType]:
    names = {f"{f}_{s}": pl.String for f in NAME_FIELDS for s in ("bn", "en")}
    return {**names, "gender": pl.String, "dob_month": pl.Int32, "dob_day": pl.Int32, "birth_year": pl.Int32,
            "nid13": pl.String, "nid10": pl.String, "brn": pl.String, "phone": pl.String,
            **{level: pl.Int32 for level in GEO_LEVELS}}


def _scalar_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _scalar_int(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -2**31 <= value < 2**31 else None
    text = str(value)
    number = int(text) if _INTEGER.match(text) else None
    return number if number is not None and -2**31 <= number < 2**31 else None


def _normalize_small(df: pl.DataFrame) -> pl.DataFrame:
    """``normalize_table`` for a few rows with the scalar cleaners (same keys, no Polars overhead)."""
    return normalize_rows(df.to_dicts())


def normalize_rows(rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """``normalize_table`` of rows given as mappings of the input columns (a missing column is null),
    with the scalar cleaners: the real-time path, a record or a few at a time."""
    name_cols = [f"{f}_{s}" for f in NAME_FIELDS for s in ("bn", "en")]
    out: dict[str, list] = {c: [] for c in _key_schema()}
    for row in rows:
        for col in name_cols:
            value = _scalar_text(row.get(col))
            out[col].append(name_skeleton(value) if value is not None else None)
        out["gender"].append(clean_gender(_scalar_text(row.get("gender"))))
        year, month, day = parse_dob(_scalar_text(row.get("dob")))
        out["dob_month"].append(month)
        out["dob_day"].append(day)
        out["birth_year"].append(year if year is not None else _scalar_int(row.get("birth_year")))
        long_core, smart = clean_nid(_scalar_text(row.get("nid")))
        out["nid13"].append(long_core)
        out["nid10"].append(smart)
        out["brn"].append(clean_brn(_scalar_text(row.get("brn"))))
        out["phone"].append(clean_phone(_scalar_text(row.get("phone"))))
        for level in GEO_LEVELS:
            out[level].append(_scalar_int(row.get(level)))
    return pl.DataFrame(out, schema=_key_schema())


# Skeletons of names seen in earlier vocabularies of up to SKELETON_CACHE_VOCAB names (a consumer's
# batches: names recur from batch to batch, ~2/3 of a 5,000-record batch's 12,000 after the first
# twenty batches of the bench stream); a batch run's one large vocabulary is not cached.
SKELETON_CACHE_VOCAB = 50_000
SKELETON_CACHE_SIZE = 500_000
_skeleton_cache: dict[str, str | None] = {}


def name_skeletons(names: list[str]) -> list[str | None]:
    """``name_skeleton`` of each name, remembered across calls for vocabularies of a consumer batch's
    size (the cache is emptied when full: bounded memory, no bookkeeping per hit)."""
    if len(names) > SKELETON_CACHE_VOCAB:
        return [name_skeleton(name) for name in names]
    cache = _skeleton_cache
    if len(cache) > SKELETON_CACHE_SIZE:
        cache.clear()
    skeletons = []
    for name in names:
        skeleton = cache.get(name, _MISSING)
        if skeleton is _MISSING:
            skeleton = cache[name] = name_skeleton(name)
        skeletons.append(skeleton)
    return skeletons


_MISSING = object()


# Up to this many rows the name columns are mapped to skeletons in one stacked call (normalize_table).
STACKED_NAMES_UP_TO = 100_000


def normalize_table(df: pl.DataFrame, small: bool | None = None) -> pl.DataFrame:
    """Comparison keys for every record of a raw register table (one output row per input row).

    Columns: ``<field>_bn`` / ``<field>_en`` name skeletons for name/father/mother/spouse, ``gender``,
    ``dob_month/day`` and ``birth_year`` (from dob, else the birth_year column), ``nid13``,
    ``nid10``, ``brn``, ``phone`` and the geography codes.  Missing input columns give null keys.
    """
    if small if small is not None else df.height <= SMALL_TABLE:
        return _normalize_small(df)
    name_cols = [f"{f}_{s}" for f in NAME_FIELDS for s in ("bn", "en")]
    raw = pl.DataFrame([_string_col(df, c) for c in [*name_cols, "gender", "dob", "nid", "brn", "phone"]])

    # One vocabulary for all name columns: fathers' names recur as own names of other records.
    stacked = pl.concat([raw[c] for c in name_cols])
    vocab = stacked.drop_nulls().unique()
    skeletons = pl.Series(name_skeletons(vocab.to_list()), dtype=pl.String)
    if raw.height <= STACKED_NAMES_UP_TO:
        # a consumer batch: the columns mapped stacked, in one call (a call per column built the
        # mapping eight times: 32 -> 14 ms for 5,000 records)
        mapped = stacked.replace_strict(vocab, skeletons, default=None, return_dtype=pl.String)
        names = {c: mapped.slice(i * raw.height, raw.height).alias(c) for i, c in enumerate(name_cols)}
    else:  # a register: one column at a time (the stacked copy of 1M records' names: +260 MB peak)
        del stacked
        names = {c: raw[c].replace_strict(vocab, skeletons, default=None, return_dtype=pl.String) for c in name_cols}

    nid_long, nid_smart = _nid_exprs("nid")
    dob_year, dob_month, dob_day = _dob_exprs("dob")
    keys = raw.select(
        gender=_map_unique(raw["gender"], clean_gender, pl.String),
        dob_month=dob_month,
        dob_day=dob_day,
        birth_year=dob_year.fill_null(_int_col(df, "birth_year")),
        nid13=nid_long,
        nid10=nid_smart,
        brn=_brn_expr("brn"),
        phone=_phone_expr("phone"),
    )
    geo = {level: _int_col(df, level) for level in GEO_LEVELS}
    return pl.DataFrame({**names, **keys.to_dict(), **geo})
