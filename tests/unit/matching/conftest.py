"""Helpers to build small register tables for the matching tests."""

from __future__ import annotations

import polars as pl

COLUMNS = ["unique_id", "programme", "name_bn", "name_en", "father_bn", "father_en", "mother_bn",
           "mother_en", "spouse_bn", "spouse_en", "gender", "dob", "birth_year", "nid", "brn", "phone",
           "division_code", "district_code", "upazila_code", "union_code", "ward"]


def make_table(rows: list[dict]) -> pl.DataFrame:
    """A register table with every bench column; fields not given are null."""
    data = {c: [r.get(c) for r in rows] for c in COLUMNS}
    data["unique_id"] = list(range(len(rows)))
    schema = {c: pl.String for c in COLUMNS}
    for c in ("unique_id", "birth_year", "division_code", "district_code", "upazila_code", "union_code",
              "ward"):
        schema[c] = pl.Int64
    return pl.DataFrame(data, schema=schema)
