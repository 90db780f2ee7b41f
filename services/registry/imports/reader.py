"""Ministry files as records for `POST /beneficiaries`-shaped import (pure, no I/O but reading).

Columns are those of the benchmark files (docs: shared/bench/README.md): `unique_id`,
`programme`, `ministry`, `name_bn`, `name_en`, `father_bn` ..., `gender`, `dob`, `birth_year`,
`nid`, `brn`, `phone`, `division_code` ... `ward`. Ground-truth columns (`person_id`,
`household_id`) are never read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

NAME_COLUMNS = {"name_bn": "name_bn", "name_en": "name_en", "father_bn": "father_name_bn",
                "father_en": "father_name_en", "mother_bn": "mother_name_bn", "mother_en": "mother_name_en",
                "spouse_bn": "spouse_name_bn", "spouse_en": "spouse_name_en"}
GEO_COLUMNS = ("division_code", "district_code", "upazila_code", "union_code", "ward")
READ_COLUMNS = ("unique_id", "programme", "ministry", *NAME_COLUMNS, "gender", "dob", "birth_year", "nid", "brn",
                "phone", *GEO_COLUMNS)


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One file row as a BeneficiaryCreate body (values still raw: validation comes next)."""
    dob = row.get("dob") or None
    birth_year = _int(row.get("birth_year"))
    address = {column: _int(row.get(column)) for column in GEO_COLUMNS}
    return {
        "ministry_code": row.get("ministry"), "programme_code": row.get("programme"),
        "source_record_id": str(row["unique_id"]) if row.get("unique_id") is not None else None,
        **{field: row.get(column) or None for column, field in NAME_COLUMNS.items()},
        "gender": row.get("gender") or None,
        "date_of_birth": dob or (str(birth_year) if birth_year else None),
        "nid": row.get("nid") or None, "brn": row.get("brn") or None, "phone": row.get("phone") or None,
        "address": address if any(v is not None for v in address.values()) else None,
    }


def read_records(path: Path, *, batch_rows: int = 10_000) -> Iterator[dict[str, Any]]:
    """The records of a .parquet or .csv file, streamed (a 1M-row file is not held twice)."""
    if path.suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        columns = [c for c in READ_COLUMNS if c in parquet.schema_arrow.names]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            yield from (record_from_row(row) for row in batch.to_pylist())
    elif path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield from (record_from_row(row) for row in csv.DictReader(handle))
    else:
        raise ValueError(f"{path.name}: expected a .parquet or .csv file")
