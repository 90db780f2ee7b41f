"""The engine's input columns and the other names a record's fields arrive under.

The engine reads the benchmark files' column names (``father_bn``, ``dob``); the registry publishes
its records under its own (``father_name_bn``, ``date_of_birth``; ``registry.persons.records``),
and a ministry's extract may use either. Every path into the engine (the registry's events, the
real-time match request, the re-match job, the ``matching dedupe`` command) maps names through
``ATTRIBUTE_COLUMNS``, so a field is never dropped for being named the registry's way.
"""

from __future__ import annotations

import polars as pl

# A record's field name -> the engine's input column.
ATTRIBUTE_COLUMNS = {
    "name_bn": "name_bn", "name_en": "name_en", "father_bn": "father_bn", "father_en": "father_en",
    "mother_bn": "mother_bn", "mother_en": "mother_en", "spouse_bn": "spouse_bn", "spouse_en": "spouse_en",
    # the registry's names for them (its records and events)
    "father_name_bn": "father_bn", "father_name_en": "father_en", "mother_name_bn": "mother_bn",
    "mother_name_en": "mother_en", "spouse_name_bn": "spouse_bn", "spouse_name_en": "spouse_en",
    "gender": "gender", "date_of_birth": "dob", "dob": "dob", "birth_year": "birth_year", "nid": "nid",
    "brn": "brn", "phone": "phone", "division_code": "division_code", "district_code": "district_code",
    "upazila_code": "upazila_code", "union_code": "union_code", "ward": "ward",
}
INPUT_COLUMNS = sorted(set(ATTRIBUTE_COLUMNS.values()))


def with_input_columns(table: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """``table`` with each field the engine reads under the engine's column name, and the input
    columns it has. A column there under two names is their first non-empty value (in
    ``ATTRIBUTE_COLUMNS`` order, as ``linking.frames.records_frame`` reads a record)."""
    sources: dict[str, list[str]] = {}
    for name, column in ATTRIBUTE_COLUMNS.items():
        if name in table.columns:
            sources.setdefault(column, []).append(name)
    others = [c for c in table.columns if c not in ATTRIBUTE_COLUMNS]
    inputs = []
    for column, names in sources.items():
        if len(names) == 1:
            inputs.append(pl.col(names[0]).alias(column))
        else:
            text = [pl.col(n).cast(pl.String) for n in names]  # a date under one name, text under another
            inputs.append(pl.coalesce([pl.when(t != "").then(t) for t in text]).alias(column))
    read = table.select(*others, *inputs)
    return read, [c for c in INPUT_COLUMNS if c in sources]
