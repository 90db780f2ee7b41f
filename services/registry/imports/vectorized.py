"""The shared normalisers (`shared.normalize`) as Polars expressions, for a whole column at once.

Each function mirrors its scalar twin rule for rule, in the same order, so that the first rule a
value breaks gives the same error code, and a valid value the same normalised form
(tests/unit/registry/test_vectorized.py checks them against each other on many inputs). Only the
code comes from here: the human reason of the (rare) failing values is asked of the scalar
normaliser itself, so the two can never word it differently.

Character classes (Python's `\\s`, the invisible characters `strip_invisible` removes) are built
from Python's own `unicodedata` and `str.isspace`, not from the regex engine's Unicode tables,
so that both sides agree on every code point.

Dates have a vectorised path for the forms machines export (`YYYY-MM-DD`, `YYYY`, ASCII digits)
and give every other form to `parse_date_of_birth`, one call per distinct value.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date

import polars as pl

from shared.normalize import NormalizationError, normalize_brn, normalize_nid, normalize_phone, parse_date_of_birth
from shared.normalize._common import MIN_BIRTH_YEAR
from shared.normalize.identifiers import _SEQUENTIAL
from shared.normalize.text import _EXTRA_INVISIBLE
from shared.text.digits import BANGLA_DIGITS

__all__ = ["brn_columns", "digits_only", "dob_columns", "nid_columns", "phone_columns", "python_strip",
           "scalar_reasons"]


def _char_class(chars: Iterable[str]) -> str:
    """A regex character class (Rust syntax) for exactly these characters."""
    points = sorted(ord(c) for c in chars)
    ranges: list[tuple[int, int]] = []
    for point in points:
        if ranges and point == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[{body}]"


@functools.cache
def _classes() -> dict[str, str]:
    spaces, invisible = [], []
    for point in range(sys.maxunicode + 1):
        ch = chr(point)
        category = unicodedata.category(ch)
        if ch.isspace():
            spaces.append(ch)
        if category == "Cf" or ch in _EXTRA_INVISIBLE or (category == "Cc" and not ch.isspace()):
            invisible.append(ch)
    space = _char_class(spaces)[1:-1]
    dashes = r"\-\x{2010}-\x{2015}\x{2212}"
    return {"invisible": _char_class(invisible), "space": f"[{space}]",
            "spaces_chars": "".join(spaces),
            "id_separators": f"[{space}{dashes}]+", "phone_separators": f"[{space}{dashes}.()]+"}


def python_strip(expr: pl.Expr) -> pl.Expr:
    """`str.strip()` of Python (its whitespace, not the regex engine's)."""
    return expr.str.strip_chars(_classes()["spaces_chars"])


def digits_only(expr: pl.Expr, *, phone: bool = False) -> pl.Expr:
    """`shared.normalize._common.digits_only`: invisible characters and separators removed,
    Bangla digits made ASCII."""
    classes = _classes()
    separators = classes["phone_separators"] if phone else classes["id_separators"]
    return (expr.str.replace_all(classes["invisible"], "")
            .str.replace_many(list(BANGLA_DIGITS), list("0123456789"))
            .str.replace_all(separators, ""))


def _ascii_digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(r"^[0-9]+$")


def _repeated(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars(expr.str.slice(0, 1)) == ""


def _sequential(expr: pl.Expr) -> pl.Expr:
    return (pl.lit(_SEQUENTIAL).str.contains(expr, literal=True)
            | pl.lit(_SEQUENTIAL[::-1]).str.contains(expr, literal=True))


def _year_out_of_range(digits: pl.Expr, today: date) -> pl.Expr:
    year = digits.str.slice(0, 4).cast(pl.Int32, strict=False)
    return ~year.is_between(MIN_BIRTH_YEAR, today.year)


def _first(raw: pl.Expr, rules: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """The code of the first rule that holds (None: valid, or no value)."""
    chain = pl.when(raw.is_null()).then(pl.lit(None, dtype=pl.String))
    for condition, code in rules:
        chain = chain.when(condition).then(pl.lit(code))
    return chain.otherwise(pl.lit(None, dtype=pl.String))


def nid_columns(frame: pl.DataFrame, column: str, *, today: date, prefix: str = "nid") -> pl.DataFrame:
    """`normalize_nid` of `column`: adds `{prefix}_norm`, `{prefix}_comp` (null on error) and
    `{prefix}_code` (the error code; null when valid or absent). Intermediate values are
    materialised column by column, so no expression is evaluated twice."""
    raw = pl.col(column)
    frame = frame.with_columns(digits_only(raw).alias("__d"))
    digits = pl.col("__d")
    frame = frame.with_columns(digits.str.len_chars().alias("__n"))
    length = pl.col("__n")
    frame = frame.with_columns(pl.when(length == 17).then(digits.str.slice(4)).otherwise(digits).alias("__c"))
    comparable = pl.col("__c")
    frame = frame.with_columns(_first(raw, [
        (digits == "", "nid.empty"),
        (~_ascii_digits(digits), "nid.not_digits"),
        (~length.is_in([10, 13, 17]), "nid.length"),
        (_repeated(digits), "nid.repeated_digit"),
        (_sequential(digits), "nid.sequential"),
        (_repeated(comparable), "nid.repeated_digit"),
        (_sequential(comparable), "nid.sequential"),
        ((length == 17) & _year_out_of_range(digits, today), "nid.birth_year"),
    ]).alias(f"{prefix}_code"))
    valid = raw.is_not_null() & pl.col(f"{prefix}_code").is_null()
    return frame.with_columns(pl.when(valid).then(digits).alias(f"{prefix}_norm"),
                              pl.when(valid).then(comparable).alias(f"{prefix}_comp")).drop("__d", "__n", "__c")


def brn_columns(frame: pl.DataFrame, column: str, *, today: date, prefix: str = "brn") -> pl.DataFrame:
    """`normalize_brn` of `column`: adds `{prefix}_norm` and `{prefix}_code`."""
    raw = pl.col(column)
    frame = frame.with_columns(digits_only(raw).alias("__d"))
    digits = pl.col("__d")
    frame = frame.with_columns(digits.str.slice(4).alias("__t"))
    tail = pl.col("__t")
    frame = frame.with_columns(_first(raw, [
        (digits == "", "brn.empty"),
        (~_ascii_digits(digits), "brn.not_digits"),
        (digits.str.len_chars() != 17, "brn.length"),
        (_repeated(digits), "brn.repeated_digit"),
        (_sequential(digits), "brn.sequential"),
        (_repeated(tail), "brn.repeated_digit"),
        (_sequential(tail), "brn.sequential"),
        (_year_out_of_range(digits, today), "brn.birth_year"),
    ]).alias(f"{prefix}_code"))
    valid = raw.is_not_null() & pl.col(f"{prefix}_code").is_null()
    return frame.with_columns(pl.when(valid).then(digits).alias(f"{prefix}_norm")).drop("__d", "__t")


def phone_columns(frame: pl.DataFrame, column: str, *, prefix: str = "phone") -> pl.DataFrame:
    """`normalize_phone` of `column`: adds `{prefix}_norm` (E.164) and `{prefix}_code`."""
    raw = pl.col(column)
    frame = frame.with_columns(digits_only(raw, phone=True).alias("__compact"))
    compact = pl.col("__compact")
    frame = frame.with_columns(compact.str.starts_with("+").alias("__plus"))
    frame = frame.with_columns(pl.when("__plus").then(compact.str.slice(1)).otherwise(compact).alias("__d1"))
    frame = frame.with_columns(pl.col("__d1").str.starts_with("00").alias("__00"))
    frame = frame.with_columns(pl.when("__00").then(pl.col("__d1").str.slice(2)).otherwise(pl.col("__d1"))
                               .alias("__d2"))
    digits = pl.col("__d2")
    frame = frame.with_columns((pl.col("__plus") | pl.col("__00") | digits.str.starts_with("880"))
                               .alias("__country"))
    frame = frame.with_columns(pl.when("__country").then(digits.str.slice(3)).otherwise(digits).alias("__d3"))
    frame = frame.with_columns(pl.when(pl.col("__d3").str.starts_with("0")).then(pl.col("__d3").str.slice(1))
                               .otherwise(pl.col("__d3")).alias("__national"))
    national = pl.col("__national")
    frame = frame.with_columns(_first(raw, [
        (compact == "", "phone.empty"),
        (~_ascii_digits(pl.col("__d1")), "phone.not_digits"),
        (pl.col("__country") & ~digits.str.starts_with("880"), "phone.country_code"),
        (~national.str.starts_with("1"), "phone.not_mobile"),
        (national.str.len_chars() != 10, "phone.length"),
        (~national.str.slice(1, 1).is_in(list("3456789")), "phone.operator"),
    ]).alias(f"{prefix}_code"))
    valid = raw.is_not_null() & pl.col(f"{prefix}_code").is_null()
    return frame.with_columns(pl.when(valid).then(pl.lit("+880") + national).alias(f"{prefix}_norm")).drop(
        "__compact", "__plus", "__d1", "__00", "__d2", "__country", "__d3", "__national")


_FAST_DATE = r"^[0-9]{4}(-[0-9]{1,2}-[0-9]{1,2})?$"


def dob_columns(frame: pl.DataFrame, column: str, *, today: date) -> pl.DataFrame:
    """`parse_date_of_birth` of `column`: columns `dob_date` (Date), `dob_year` (Int32),
    `dob_precision` and `dob_code`. Machine forms are parsed vectorised; any other form by the
    scalar parser, once per distinct value."""
    raw = pl.col(column)
    fast = raw.str.contains(_FAST_DATE)
    year = raw.str.slice(0, 4).cast(pl.Int32, strict=False)
    parts = raw.str.split("-")
    month = parts.list.get(1, null_on_oob=True).cast(pl.Int32, strict=False)
    day = parts.list.get(2, null_on_oob=True).cast(pl.Int32, strict=False)
    year_only = raw.str.len_chars() == 4
    exact = pl.format("{}-{}-{}", raw.str.slice(0, 4), month.cast(pl.String).str.zfill(2),
                      day.cast(pl.String).str.zfill(2)).str.to_date("%Y-%m-%d", strict=False)
    code = _first(raw, [
        (year < MIN_BIRTH_YEAR, "dob.too_old"),
        (year_only & (year > today.year), "dob.future"),
        (~year_only & ~month.is_between(1, 12), "dob.invalid_date"),
        (~year_only & exact.is_null(), "dob.invalid_date"),
        (~year_only & ((exact > pl.lit(today)) | (year > today.year)), "dob.future"),
    ])
    out = frame.with_columns(
        pl.when(fast & code.is_null() & ~year_only).then(exact).alias("dob_date"),
        pl.when(fast & code.is_null()).then(year).alias("dob_year"),
        pl.when(fast & code.is_null()).then(pl.when(year_only).then(pl.lit("year")).otherwise(pl.lit("day")))
        .alias("dob_precision"),
        pl.when(fast).then(code).alias("dob_code"),
        (raw.is_not_null() & ~fast).alias("__dob_slow"))
    slow = out.filter(pl.col("__dob_slow"))[column].unique().to_list()
    if slow:
        parsed: dict[str, tuple[date | None, int | None, str | None, str | None]] = {}
        for value in slow:
            try:
                result = parse_date_of_birth(value, today=today)
                parsed[value] = (result.exact_date, result.year, result.precision, None)
            except NormalizationError as error:
                parsed[value] = (None, None, None, error.code)
        lookup = pl.DataFrame({column: list(parsed), "__d": [v[0] for v in parsed.values()],
                               "__y": [v[1] for v in parsed.values()], "__p": [v[2] for v in parsed.values()],
                               "__c": [v[3] for v in parsed.values()]},
                              schema={column: pl.String, "__d": pl.Date, "__y": pl.Int32, "__p": pl.String,
                                      "__c": pl.String})
        out = out.join(lookup, on=column, how="left", maintain_order="left", nulls_equal=False).with_columns(
            pl.when("__dob_slow").then("__d").otherwise("dob_date").alias("dob_date"),
            pl.when("__dob_slow").then("__y").otherwise("dob_year").alias("dob_year"),
            pl.when("__dob_slow").then("__p").otherwise("dob_precision").alias("dob_precision"),
            pl.when("__dob_slow").then("__c").otherwise("dob_code").alias("dob_code"),
        ).drop("__d", "__y", "__p", "__c")
    return out.drop("__dob_slow")


SCALAR: dict[str, Callable[..., object]] = {"nid": normalize_nid, "brn": normalize_brn, "phone": normalize_phone,
                                            "date_of_birth": parse_date_of_birth}


def scalar_reasons(kind: str, values: Iterable[str], *, today: date) -> dict[str, tuple[str, str]]:
    """(code, reason) of each failing value, from the scalar normaliser (the wording's one source)."""
    normalizer = SCALAR[kind]
    reasons: dict[str, tuple[str, str]] = {}
    for value in set(values):
        try:
            if kind == "phone":
                normalizer(value)
            else:
                normalizer(value, today=today)
        except NormalizationError as error:
            reasons[value] = (error.code, error.reason)
    return reasons


ASCII_PRINTABLE = r"^[\x20-\x7e]+$"


def _key_of_tokens(tokens: pl.Expr) -> pl.Expr:
    """`name_match_key`'s last step: the tokens without the honorifics, joined by spaces, or all of
    them when nothing else is left."""
    from shared.normalize.names import HONORIFICS

    kept = tokens.list.eval(pl.element().filter(~pl.element().is_in(sorted(HONORIFICS))))
    return pl.when(kept.list.len() > 0).then(kept.list.join(" ")).otherwise(tokens.list.join(" "))


def ascii_names(values: list[str]) -> pl.DataFrame:
    """`lenient_person_name` and the search key (`persons.service.search_key`) of names in
    printable ASCII, vectorised: columns `value`, `display`, `code` (error), `key`.

    For such text `normalize_bangla_text` only collapses spaces (nothing in it is invisible, to
    compose or after a Bangla letter); a name with digits is kept (lenient) and keyed by its
    lower case; otherwise the key is the lower-cased text with apostrophes dropped, every other
    punctuation mark or symbol a space, and the honorifics left out unless nothing else is left.
    Longer values (over 200 characters) are the caller's to refuse."""
    frame = pl.DataFrame({"value": values}, schema={"value": pl.String})
    display = pl.col("value").str.replace_all(" +", " ").str.strip_chars(" ")
    frame = frame.with_columns(display.alias("display"))
    has_digit = pl.col("display").str.contains("[0-9]")
    lower = pl.col("display").str.to_lowercase()
    frame = frame.with_columns(
        pl.when(pl.col("display") == "").then(pl.lit("name.empty"))
        .when(~has_digit & ~pl.col("display").str.contains("[A-Za-z]")).then(pl.lit("name.no_letters"))
        .alias("code"),
        lower.str.replace_all("['`]", "").str.replace_all("[^a-z0-9 ]", " ").str.split(" ")
        .list.eval(pl.element().filter(pl.element() != "")).alias("__tokens"),
        has_digit.alias("__digit"), lower.alias("__lower"))
    key = pl.when(pl.col("__digit")).then(pl.col("__lower")).otherwise(_key_of_tokens(pl.col("__tokens")))
    return frame.select("value", pl.when(pl.col("code").is_null()).then(pl.col("display")).alias("display"),
                        "code", pl.when(pl.col("code").is_null()).then(key).alias("key"))


# Bangla letters and signs (categories L and M of the Bengali block) but the sandhi mark, the
# one mark NFC would move past the others. Digits, currency signs and numerics are not in it.
_BANGLA_LETTERS_AND_SIGNS = "".join(chr(c) for c in range(0x0980, 0x0A00)
                                    if unicodedata.category(chr(c))[0] in "LM" and c != 0x09FE)
# A name of those, ASCII spaces, ZWNJ, ZWJ and colons, with at least one letter: the form most
# Bangla names arrive in. `bangla_names` gives what the scalar normaliser would for it.
PLAIN_BANGLA_NAME = f"^[ \u200c\u200d:{_BANGLA_LETTERS_AND_SIGNS}]+$"
_BANGLA_LETTER = "[\u0985-\u09b9]"
_LEGACY_KHANDA_TA = "\u09a4\u09cd\u200d"
# What NFC does to such text: nukta letters (composition exclusions) decomposed, e + aa and
# e + au length mark composed. (A nukta after a hasanta, which NFC would swap, is not plain.)
_NFC_BANGLA = {"\u09dc": "\u09a1\u09bc", "\u09dd": "\u09a2\u09bc", "\u09df": "\u09af\u09bc",
               "\u09c7\u09be": "\u09cb", "\u09c7\u09d7": "\u09cc"}


def _without_joiners(value: pl.Expr) -> pl.Expr:
    # legacy khanda-ta (ত + ্ + ZWJ) read first, as `normalize_bangla_text` does
    return (value.str.replace_all(_LEGACY_KHANDA_TA, "\u09ce", literal=True)
            .str.replace_all("\u200c", "", literal=True).str.replace_all("\u200d", "", literal=True))


def is_plain_bangla_name(value: pl.Expr) -> pl.Expr:
    """Whether `bangla_names` handles the value (otherwise the scalar normaliser does): only
    `PLAIN_BANGLA_NAME` characters, a letter, no nukta after a hasanta, and every colon after a
    letter or sign (there it is a visarga; after a space or first it stays a colon)."""
    joined = _without_joiners(value)
    return (value.str.contains(PLAIN_BANGLA_NAME) & value.str.contains(_BANGLA_LETTER)
            & ~joined.str.contains("\u09cd\u09bc", literal=True) & ~joined.str.contains("(^| ):"))


def bangla_names(values: list[str]) -> pl.DataFrame:
    """`lenient_person_name` and the search key (`persons.service.search_key`) of plain Bangla
    names (`is_plain_bangla_name`), vectorised: columns `value`, `display`, `key`.

    `normalize_bangla_text` on such text: legacy khanda-ta read, ZWNJ and ZWJ removed, each colon
    a visarga, NFC (`_NFC_BANGLA`), spaces collapsed. It has a letter and no digit, so it is a
    valid name. Its key: the glued visarga honorifics split off ("মোঃআব্দুর"), the honorifics
    left out unless nothing else is left (casefolding, apostrophes and punctuation do not arise)."""
    from shared.normalize.names import GLUED_PREFIXES

    display = _without_joiners(pl.col("value")).str.replace_all(":", "\u0983", literal=True)
    for text, canonical in _NFC_BANGLA.items():
        display = display.str.replace_all(text, canonical, literal=True)
    display = display.str.replace_all(" +", " ").str.strip_chars(" ")
    glued = "|".join(re.escape(p) for p in GLUED_PREFIXES)  # longest first, as `_split_glued` tries them
    frame = pl.DataFrame({"value": values}, schema={"value": pl.String}).with_columns(display.alias("display"))
    tokens = pl.col("display").str.replace_all(f"(^| )({glued})([^ ])", "${1}${2} ${3}").str.split(" ")
    return frame.select("value", "display", _key_of_tokens(tokens).alias("key"))
