"""One chunk of a ministry file checked and normalised, column by column (no database).

In: the file's rows as text (the benchmark's columns, or the API's field names). Out: the rows
to stage (normalised, one per (programme, source record id)) and the per-row report: an
`error` rejects the row, a `warning` tells what was not taken as sent. The rules, per field:

* rejected: no `unique_id` (source record id) or one longer than 100 characters; no or a
  malformed programme code; a programme of another ministry; a `ministry` column other than
  the uploading ministry's (unless the uploader is an operator); no name at all; a name,
  father's, mother's or spouse's name with no letters; an unknown gender; an unknown or
  inconsistent geography code or ward;
* stored with a warning: an NID, BRN or phone that cannot be normalised is kept raw (its
  normalised forms empty, so it never matches anything); a date of birth that cannot be read is
  left out (the `birth_year` column is used if it is valid); an earlier row with the same source
  record id as a later one in the same chunk is superseded by it.

Names go through the scalar normaliser once per distinct value (a cache shared by the job's
chunks); identifiers and dates through `vectorized`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from services.registry.imports import rows as record_rows
from services.registry.imports import vectorized as vec
from services.registry.persons.schemas import lenient_person_name
from services.registry.persons.service import search_key
from shared.normalize import NormalizationError, normalize_gender

NAME_COLUMNS = {"name_bn": "name_bn", "name_en": "name_en", "father_name_bn": "father_name_bn",
                "father_name_en": "father_name_en", "mother_name_bn": "mother_name_bn",
                "mother_name_en": "mother_name_en", "spouse_name_bn": "spouse_name_bn",
                "spouse_name_en": "spouse_name_en"}
ALIASES = {"unique_id": "source_record_id", "programme": "programme_code", "ministry": "ministry_code",
           "father_bn": "father_name_bn", "father_en": "father_name_en", "mother_bn": "mother_name_bn",
           "mother_en": "mother_name_en", "spouse_bn": "spouse_name_bn", "spouse_en": "spouse_name_en",
           "dob": "date_of_birth"}
GEO = ("division_code", "district_code", "upazila_code", "union_code")
INPUT_COLUMNS = ("source_record_id", "programme_code", "ministry_code", *NAME_COLUMNS, "gender", "date_of_birth",
                 "birth_year", "nid", "brn", "phone", *GEO, "ward")
STAGE_COLUMNS = ("row_number", "source_record_id", "programme_code", "ministry_code", *NAME_COLUMNS,
                 "name_bn_key", "name_en_key", "gender", "date_of_birth", "birth_year", "dob_precision",
                 "nid_raw", "nid_norm", "nid_comp", "brn_raw", "brn_norm", "phone_raw", "phone_norm",
                 *GEO, "ward", "person_id", "enrolment_id", "address_id")
ISSUE_SCHEMA = {"row_number": pl.Int64, "severity": pl.String, "field": pl.String, "value": pl.String,
                "code": pl.String, "reason": pl.String, "source_record_id": pl.String}
CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,31}$"
NAME_CACHE_LIMIT = 600_000
# value as sent -> display (normalised) or the error's code and reason
NAME_TABLE_SCHEMA = {"value": pl.String, "display": pl.String, "code": pl.String, "reason": pl.String}
KEY_TABLE_SCHEMA = {"display": pl.String, "key": pl.String}  # display -> search key


@dataclass
class Context:
    """What checking a chunk needs to know, loaded once per job (and kept up to date)."""

    job_ministry: str
    operator: bool
    today: date
    programmes: dict[str, str]  # code -> owning ministry
    ministries: frozenset[str]
    units: dict[str, dict[int, int | None]]  # level -> code -> code of the unit above
    # Names normalised so far by the job, as tables joined to each chunk: a chunk's names are
    # mostly known ones (the same given names, fathers' and mothers' names...), and a join finds
    # them without a Python dictionary lookup per value.
    names: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=NAME_TABLE_SCHEMA))
    keys: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=KEY_TABLE_SCHEMA))
    genders: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


@dataclass
class Prepared:
    rows: int
    stage: pl.DataFrame  # STAGE_COLUMNS, valid rows only
    issues: pl.DataFrame  # ISSUE_SCHEMA
    failed: int
    warned: int
    now: datetime  # the chunk's timestamp: created_at / updated_at of what it writes


def canonical_columns(chunk: pl.DataFrame) -> pl.DataFrame:
    renamed = chunk.rename({c: ALIASES[c] for c in chunk.columns if c in ALIASES and ALIASES[c] not in chunk.columns})
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in INPUT_COLUMNS if c not in renamed.columns]
    return renamed.with_columns(missing).select(INPUT_COLUMNS)


def _blank_is_absent(column: str) -> pl.Expr:
    # PersonFields: a value that is only whitespace is absent; the rest is stripped.
    raw = pl.col(column)
    return pl.when(vec.python_strip(raw) == "").then(None).otherwise(raw.str.strip_chars()).alias(column)


def new_programmes(chunk: pl.DataFrame, context: Context) -> dict[str, str]:
    """Programme codes in the chunk that the registry does not know yet, with the ministry that
    would own them (the uploader's, or for an operator the row's `ministry`)."""
    frame = canonical_columns(chunk).select(
        pl.col("programme_code").str.strip_chars().str.to_uppercase(),
        pl.col("ministry_code").str.strip_chars().str.to_uppercase()).unique()
    found: dict[str, str] = {}
    for code, ministry in frame.iter_rows():
        if not code or code in context.programmes or code in found or not pl.Series([code]).str.contains(
                CODE_PATTERN).item():
            continue
        owner = ministry if context.operator else context.job_ministry
        if owner and owner in context.ministries and (context.operator or not ministry or ministry == owner):
            found[code] = owner
    return found


NAME_REASONS = {"name.empty": "the name is empty", "name.no_letters": "the name contains no letters"}


def _known_names(values: pl.Series, context: Context) -> pl.DataFrame:
    """`NAME_TABLE_SCHEMA` rows of `values` (distinct, no nulls), normalising the ones the job has
    not seen: printable ASCII and plain Bangla vectorised (`vectorized.ascii_names`,
    `vectorized.bangla_names`), the rest by the scalar normaliser. The new ones join the job's
    table (and the vectorised search keys its keys)."""
    if context.names.height + values.len() > NAME_CACHE_LIMIT:
        context.names = pl.DataFrame(schema=NAME_TABLE_SCHEMA)
        context.keys = pl.DataFrame(schema=KEY_TABLE_SCHEMA)
    looked_up = values.to_frame("value").join(context.names.with_columns(pl.lit(True).alias("__known")),
                                              on="value", how="left")
    known = looked_up.filter(pl.col("__known").is_not_null()).drop("__known")
    fresh = looked_up.filter(pl.col("__known").is_null())["value"]
    if fresh.is_empty():
        return known
    too_long = fresh.str.len_chars() > 200
    is_ascii = fresh.str.contains(vec.ASCII_PRINTABLE) & ~too_long
    is_plain_bangla = pl.select(vec.is_plain_bangla_name(pl.lit(fresh))).to_series() & ~too_long
    ascii_names = vec.ascii_names(fresh.filter(is_ascii).to_list())
    bangla_names = vec.bangla_names(fresh.filter(is_plain_bangla).to_list())
    rest: list[tuple[str, str | None, str | None, str | None]] = []
    for value in fresh.filter(too_long).to_list():
        rest.append((value, None, "string_too_long", "String should have at most 200 characters"))
    for value in fresh.filter(~is_ascii & ~is_plain_bangla & ~too_long).to_list():
        try:
            rest.append((value, lenient_person_name(value, field="name"), None, None))
        except NormalizationError as error:
            rest.append((value, None, error.code, error.reason))
    new = pl.concat([
        ascii_names.select("value", "display", "code",
                           pl.col("code").replace_strict(NAME_REASONS, default=None, return_dtype=pl.String)
                           .alias("reason")),
        bangla_names.select("value", "display", pl.lit(None, dtype=pl.String).alias("code"),
                            pl.lit(None, dtype=pl.String).alias("reason")),
        pl.DataFrame(rest, schema=NAME_TABLE_SCHEMA, orient="row")])
    context.names = pl.concat([context.names, new])
    vectorised_keys = pl.concat([ascii_names.filter(pl.col("display").is_not_null()).select("display", "key"),
                                 bangla_names.select("display", "key")])
    context.keys = pl.concat([context.keys, vectorised_keys.join(context.keys, on="display", how="anti")
                              .unique("display", keep="first", maintain_order=True)])
    return pl.concat([known, new])


def _search_keys(displays: pl.Series, context: Context) -> pl.DataFrame:
    """`KEY_TABLE_SCHEMA` rows of `displays` (distinct, no nulls), the new ones computed and kept."""
    asked = displays.to_frame("display")
    fresh = asked.join(context.keys, on="display", how="anti")["display"].to_list()
    if fresh:
        context.keys = pl.concat([context.keys, pl.DataFrame(
            {"display": fresh, "key": [search_key(d) for d in fresh]}, schema=KEY_TABLE_SCHEMA)])
    return asked.join(context.keys, on="display", how="inner")


def _distinct(frame: pl.DataFrame, columns: Iterable[str]) -> pl.Series:
    return pl.concat([frame[c] for c in columns]).drop_nulls().unique()


def _lookup(column: str, mapping: dict[str, Any], values: list[str], index: int, dtype: Any) -> pl.Expr:
    return pl.col(column).replace_strict(values, [mapping[v][index] for v in values], default=None,
                                         return_dtype=dtype)


def _issue(frame: pl.DataFrame, condition: pl.Expr, *, severity: str, field_name: str, value: pl.Expr,
           code: pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    return frame.filter(condition).select(
        pl.col("row_number"), pl.lit(severity).alias("severity"), pl.lit(field_name).alias("field"),
        value.cast(pl.String).alias("value"), code.alias("code"), reason.alias("reason"),
        pl.col("source_record_id"))


def prepare_chunk(chunk: pl.DataFrame, *, first_row: int, context: Context, now: datetime | None = None) -> Prepared:
    """Check and normalise one chunk; `first_row` is how many rows of the file come before it
    (row numbers are 1-based: row 1 is the first record, the header not counted). Its events
    are built apart (`rows.chunk_events`), while the chunk is written."""
    frame = canonical_columns(chunk).with_columns(_blank_is_absent(c) for c in INPUT_COLUMNS)
    frame = frame.with_columns(pl.int_range(first_row + 1, first_row + 1 + frame.height, dtype=pl.Int64)
                               .alias("row_number"),
                               pl.col("programme_code").str.to_uppercase(),
                               pl.col("ministry_code").str.to_uppercase())
    issues: list[pl.DataFrame] = []

    def error(condition: pl.Expr, field_name: str, code: str | pl.Expr, reason: str | pl.Expr,
              value: pl.Expr | None = None, severity: str = "error") -> None:
        code_expr = pl.lit(code) if isinstance(code, str) else code
        reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
        value_expr = value if value is not None else (pl.col(field_name) if field_name in frame.columns
                                                      else pl.lit(None, dtype=pl.String))
        found = _issue(frame, condition, severity=severity, field_name=field_name, value=value_expr,
                       code=code_expr, reason=reason_expr)
        if found.height:
            issues.append(found)

    # -- the record's key, programme and ministry ------------------------------------------------
    source = pl.col("source_record_id")
    error(source.is_null(), "source_record_id", "source_record_id.missing",
          "the row has no source record id (unique_id)")
    error(source.str.len_chars() > 100, "source_record_id", "string_too_long",
          "String should have at most 100 characters")
    programme = pl.col("programme_code")
    error(programme.is_null(), "programme_code", "programme.missing", "the row names no programme")
    error(programme.is_not_null() & ~programme.str.contains(CODE_PATTERN), "programme_code",
          "string_pattern_mismatch", f"String should match pattern '{CODE_PATTERN}'")
    owner = programme.replace_strict(context.programmes, default=None, return_dtype=pl.String)
    row_ministry = pl.col("ministry_code")
    if context.operator:
        effective = pl.coalesce(row_ministry, owner)
    else:
        effective = pl.lit(context.job_ministry)
        error(row_ministry.is_not_null() & (row_ministry != context.job_ministry), "ministry_code",
              "ministry.not_caller", f"this import is {context.job_ministry}'s; the row is another ministry's")
    frame = frame.with_columns(effective.alias("ministry_code"), owner.alias("__owner"))
    error(programme.str.contains(CODE_PATTERN) & pl.col("__owner").is_null(), "programme_code", "programme.unknown",
          pl.format("no programme {} and the ministry {} cannot register it", programme,
                    pl.col("ministry_code").fill_null("(none)")))
    error(pl.col("__owner").is_not_null() & (pl.col("__owner") != pl.col("ministry_code")), "programme_code",
          "programme.not_yours", pl.format("programme {} belongs to {}, not {}", programme, pl.col("__owner"),
                                           pl.col("ministry_code")))

    # -- names: the scalar normaliser, once per distinct value -------------------------------------
    names = _known_names(_distinct(frame, NAME_COLUMNS), context)
    for column in NAME_COLUMNS:
        frame = frame.join(names.rename({"value": column, "display": f"__{column}", "code": f"__{column}_code",
                                         "reason": f"__{column}_reason"}),
                           on=column, how="left", maintain_order="left")
    for column in NAME_COLUMNS:
        error(pl.col(f"__{column}_code").is_not_null(), column, pl.col(f"__{column}_code"),
              pl.col(f"__{column}_reason"))
    error(pl.col("__name_bn").is_null() & pl.col("__name_en").is_null()
          & pl.col("__name_bn_code").is_null() & pl.col("__name_en_code").is_null(), "name_bn", "name.missing",
          "give name_bn or name_en (or both)")
    keys = _search_keys(_distinct(frame, ("__name_bn", "__name_en")), context)
    for column in ("name_bn", "name_en"):
        frame = frame.join(keys.rename({"display": f"__{column}", "key": f"{column}_key"}),
                           on=f"__{column}", how="left", maintain_order="left")

    # -- gender ---------------------------------------------------------------------------------------
    for value in frame["gender"].unique().drop_nulls().to_list():
        if value not in context.genders:
            try:
                context.genders[value] = (normalize_gender(value), None)
            except NormalizationError as failure:
                context.genders[value] = (None, f"{failure.code}|{failure.reason}")
    genders = frame["gender"].unique().drop_nulls().to_list()
    frame = frame.with_columns(
        _lookup("gender", context.genders, genders, 0, pl.String).alias("__gender"),
        _lookup("gender", context.genders, genders, 1, pl.String).alias("__gender_error"))
    error(pl.col("__gender_error").is_not_null(), "gender", pl.col("__gender_error").str.split("|").list.first(),
          pl.col("__gender_error").str.split("|").list.last())

    # -- identifiers: kept raw; a value that cannot be normalised is a warning ----------------------
    frame = vec.nid_columns(frame, "nid", today=context.today)
    frame = vec.brn_columns(frame, "brn", today=context.today)
    frame = vec.phone_columns(frame, "phone")
    frame = frame.rename({"nid_code": "__nid_code", "brn_code": "__brn_code", "phone_code": "__phone_code"})
    for kind in ("nid", "brn", "phone"):
        failing = frame.filter(pl.col(f"__{kind}_code").is_not_null())[kind].to_list()
        if failing:
            reasons = vec.scalar_reasons(kind, failing, today=context.today)
            values = list(reasons)
            error(pl.col(f"__{kind}_code").is_not_null(), kind, pl.col(f"__{kind}_code"),
                  pl.concat_str(pl.lit("kept as sent, not normalised: "), pl.col(kind).replace_strict(
                      values, [reasons[v][1] for v in values], default="", return_dtype=pl.String)),
                  severity="warning")

    # -- date of birth, or the birth year -------------------------------------------------------------
    frame = vec.dob_columns(frame, "date_of_birth", today=context.today)
    frame = frame.rename({"dob_date": "__dob", "dob_year": "__dob_year", "dob_precision": "__dob_precision",
                          "dob_code": "__dob_code"})
    frame = vec.dob_columns(frame, "birth_year", today=context.today)
    failing = frame.filter(pl.col("__dob_code").is_not_null())["date_of_birth"].to_list()
    if failing:
        reasons = vec.scalar_reasons("date_of_birth", failing, today=context.today)
        values = list(reasons)
        error(pl.col("__dob_code").is_not_null(), "date_of_birth", pl.col("__dob_code"),
              pl.concat_str(pl.lit("left out: "), pl.col("date_of_birth").replace_strict(
                  values, [reasons[v][1] for v in values], default="", return_dtype=pl.String)),
              severity="warning")
    use_year = pl.col("__dob_year").is_null() & pl.col("dob_year").is_not_null()
    error(pl.col("__dob_year").is_null() & pl.col("dob_code").is_not_null(), "birth_year", pl.col("dob_code"),
          pl.lit("left out: not a plausible birth year"), severity="warning")
    frame = frame.with_columns(
        pl.when(use_year).then(None).otherwise(pl.col("__dob")).alias("date_of_birth_value"),
        pl.when(use_year).then(pl.col("dob_year")).otherwise(pl.col("__dob_year")).alias("birth_year_value"),
        pl.when(use_year).then(pl.col("dob_precision")).otherwise(pl.col("__dob_precision")).alias("dob_precision"))

    # -- address: codes as integers, every level above the lowest derived and checked ---------------
    for column in (*GEO, "ward"):
        as_int = pl.col(column).cast(pl.Int64, strict=False)
        error(pl.col(column).is_not_null() & as_int.is_null(), column, "int_parsing",
              "Input should be a valid integer")
        error(as_int.is_not_null() & (as_int < 1), column, "greater_than_equal", "Input should be greater than or "
              "equal to 1")
        frame = frame.with_columns(as_int.alias(f"__{column}"))
    error(pl.col("__ward") > 99, "ward", "less_than_equal", "Input should be less than or equal to 99")
    frame = _derive_address(frame, context)
    parts = pl.col("__address_error").str.split("|")
    for name in frame["__address_error"].drop_nulls().str.split("|").list.get(1).unique().to_list():
        error(parts.list.get(1) == name, name, parts.list.get(0), parts.list.get(3), value=parts.list.get(2))

    # -- the report and the rows to stage ---------------------------------------------------------------
    report = pl.concat(issues, how="vertical_relaxed") if issues else pl.DataFrame(schema=ISSUE_SCHEMA)
    report = report.cast(ISSUE_SCHEMA)  # type: ignore[arg-type]
    rejected = report.filter(pl.col("severity") == "error")["row_number"].unique()
    valid = frame.filter(~pl.col("row_number").is_in(rejected.implode()))
    # One row per record: a later row with the same key replaces an earlier one of the chunk.
    valid = valid.with_columns(pl.col("row_number").max().over("programme_code", "source_record_id")
                               .alias("__winner"))
    superseded = _issue(valid, pl.col("row_number") != pl.col("__winner"), severity="warning",
                        field_name="source_record_id", value=pl.col("source_record_id"),
                        code=pl.lit("duplicate.superseded"),
                        reason=pl.format("the same source record id comes again at row {}, which is stored",
                                         pl.col("__winner")))
    if superseded.height:
        report = pl.concat([report, superseded.cast(ISSUE_SCHEMA)])  # type: ignore[arg-type]
        valid = valid.filter(pl.col("row_number") == pl.col("__winner"))
    stage = valid.select(
        "row_number", "source_record_id", "programme_code", "ministry_code",
        *(pl.col(f"__{c}").alias(c) for c in NAME_COLUMNS), "name_bn_key", "name_en_key",
        pl.col("__gender").alias("gender"), pl.col("date_of_birth_value").alias("date_of_birth"),
        pl.col("birth_year_value").alias("birth_year"), "dob_precision",
        pl.col("nid").alias("nid_raw"), "nid_norm", "nid_comp", pl.col("brn").alias("brn_raw"), "brn_norm",
        pl.col("phone").alias("phone_raw"), "phone_norm",
        *(pl.col(f"__{c}").alias(c) for c in GEO), pl.col("__ward").alias("ward"))
    now = now or datetime.now(UTC)
    stage = record_rows.with_ids(stage, now=now)
    report = report.sort("row_number", maintain_order=True)
    warned = report.filter(pl.col("severity") == "warning")["row_number"].n_unique()
    return Prepared(rows=frame.height, stage=stage, issues=report, failed=rejected.len(), warned=warned, now=now)


LEVELS = ("division", "district", "upazila", "union")


def _derive_address(frame: pl.DataFrame, context: Context) -> pl.DataFrame:
    """`geography.service.derive_address`, vectorised: the first failing rule of a row wins.

    From the lowest level sent up: a code must exist; the level above is derived from it, and
    a code sent for that level must agree. Each level's step is materialised (`with_columns`)
    before the next: as one expression the nested conditions grew with every level, and
    planning it cost more than running it."""
    sent = {level: f"__sent_{level}" for level in LEVELS}
    frame = frame.with_columns(*(pl.col(f"__{level}_code").alias(sent[level]) for level in LEVELS),
                               pl.lit(None, dtype=pl.String).alias("__blamed"),
                               pl.lit(None, dtype=pl.Int64).alias("__blamed_value"),
                               pl.lit(None, dtype=pl.String).alias("__address_error"))  # "code|field|value|reason"
    first_error, blamed, blamed_value = pl.col("__address_error"), pl.col("__blamed"), pl.col("__blamed_value")
    for index in range(len(LEVELS) - 1, -1, -1):
        level = LEVELS[index]
        code = pl.col(f"__{level}_code")  # as sent, or derived from the level below
        units = context.units.get(level, {})
        known = code.is_in(list(units)) if units else pl.lit(False)
        unknown = pl.format("address.unknown_unit|{}|{}|there is no {} with code {}", pl.lit(f"{level}_code"),
                            code, pl.lit(level), code)
        frame = frame.with_columns(
            pl.when(first_error.is_null() & code.is_not_null() & ~known).then(unknown).otherwise(first_error)
            .alias("__address_error"),
            pl.when(blamed.is_null() & code.is_not_null()).then(code).otherwise(blamed_value).alias("__blamed_value"),
            pl.when(blamed.is_null() & code.is_not_null()).then(pl.lit(f"{level}_code")).otherwise(blamed)
            .alias("__blamed"))
        if index == 0:
            continue
        parent_level = LEVELS[index - 1]
        parent = code.replace_strict(units, default=None, return_dtype=pl.Int64) if units else pl.lit(None,
                                                                                                     dtype=pl.Int64)
        sent_parent = pl.col(sent[parent_level])
        inconsistent = pl.format("address.inconsistent|{}|{}|{} {} lies in {} {}, not {} {}", blamed, blamed_value,
                                 blamed.str.replace("_code", ""), blamed_value, pl.lit(parent_level), parent,
                                 pl.lit(parent_level), sent_parent)
        frame = frame.with_columns(
            pl.when(first_error.is_null() & code.is_not_null() & known & sent_parent.is_not_null()
                    & (sent_parent != parent)).then(inconsistent).otherwise(first_error).alias("__address_error"),
            pl.when(code.is_not_null()).then(parent).otherwise(pl.col(f"__{parent_level}_code"))
            .alias(f"__{parent_level}_code"))
    return frame.drop(*sent.values(), "__blamed", "__blamed_value")
