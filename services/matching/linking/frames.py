"""Pure conversions between registry records, the engine's key tables and explanations."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from services.matching.engine.blocking import BlockingRule, _family, default_rules
from services.matching.engine.comparisons import NULL, Comparison
from services.matching.engine.estimate import ModelParams
from services.matching.engine.normalize import normalize_table

# Registry attribute → the engine's input column (the benchmark files' column names).
ATTRIBUTE_COLUMNS = {
    "name_bn": "name_bn", "name_en": "name_en", "father_bn": "father_bn", "father_en": "father_en",
    "mother_bn": "mother_bn", "mother_en": "mother_en", "spouse_bn": "spouse_bn", "spouse_en": "spouse_en",
    "gender": "gender", "date_of_birth": "dob", "dob": "dob", "birth_year": "birth_year", "nid": "nid",
    "brn": "brn", "phone": "phone", "division_code": "division_code", "district_code": "district_code",
    "upazila_code": "upazila_code", "union_code": "union_code", "ward": "ward",
}
INPUT_COLUMNS = sorted(set(ATTRIBUTE_COLUMNS.values()))
KEY_SCHEMA = normalize_table(pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in INPUT_COLUMNS})).schema


def records_frame(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """The engine's input table for records given as registry attributes (missing → null)."""
    columns: dict[str, list[str | None]] = {c: [] for c in INPUT_COLUMNS}
    for record in records:
        row: dict[str, str | None] = dict.fromkeys(INPUT_COLUMNS)
        for attribute, column in ATTRIBUTE_COLUMNS.items():
            value = record.get(attribute)
            if value not in (None, "") and row[column] is None:
                row[column] = str(value)
        for column in INPUT_COLUMNS:
            columns[column].append(row[column])
    return pl.DataFrame({c: pl.Series(v, dtype=pl.String) for c, v in columns.items()})


def keys_to_json(keys: pl.DataFrame) -> list[dict[str, Any]]:
    return keys.to_dicts()


def keys_from_json(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=KEY_SCHEMA, orient="row") if rows else pl.DataFrame(schema=KEY_SCHEMA)


@dataclass(frozen=True)
class BlockKeyRows:
    """Blocking keys of a key table, as parallel arrays (row index, rule index, key)."""

    row: np.ndarray
    rule: np.ndarray
    key: list[str]


def block_keys(keys: pl.DataFrame, rules: Sequence[BlockingRule] | None = None) -> BlockKeyRows:
    rules = list(rules or default_rules())
    frame = keys.with_row_index("row").select(
        "row", *[rule.key.alias(f"k{i}") for i, rule in enumerate(rules)])
    long = frame.unpivot(index="row", variable_name="rule", value_name="key").drop_nulls("key")
    long = long.with_columns(pl.col("rule").str.slice(1).cast(pl.Int16))
    return BlockKeyRows(row=long["row"].to_numpy().astype(np.int64), rule=long["rule"].to_numpy(),
                        key=long["key"].to_list())


def family_block_keys(keys: pl.DataFrame, rules: Sequence[BlockingRule] | None = None) -> pl.DataFrame:
    """Distinct ``row, family, key`` of a key table: the Bangla and Latin variant of a rule share one
    key space (``family``), as in the batch's ``candidate_pairs``."""
    rules = list(rules or default_rules())
    family_of = rule_families(rules)
    blocks = block_keys(keys, rules)
    return pl.DataFrame({"row": blocks.row, "family": family_of[blocks.rule.astype(np.int64)],
                         "key": pl.Series(blocks.key, dtype=pl.String)},
                        schema={"row": pl.Int64, "family": pl.Int16, "key": pl.String}).unique(maintain_order=True)


def rule_families(rules: Sequence[BlockingRule]) -> np.ndarray:
    """Family index of each rule (rules differing only by script share one)."""
    names: dict[str, int] = {}
    return np.array([names.setdefault(_family(rule), len(names)) for rule in rules], dtype=np.int16)


def family_caps(rules: Sequence[BlockingRule]) -> np.ndarray:
    """Largest block kept per family (the smallest cap of its rules, as the batch does)."""
    family_of = rule_families(rules)
    caps = np.full(int(family_of.max()) + 1, np.iinfo(np.int32).max, dtype=np.int32)
    for rule, family in zip(rules, family_of.tolist(), strict=True):
        caps[family] = min(caps[family], rule.max_block_size)
    return caps


def own_name_skeletons(keys: pl.DataFrame) -> list[set[str]]:
    """Per record, its distinct own-name skeletons (Bangla and Latin)."""
    return [{s for s in pair if s} for pair in zip(keys["name_bn"].to_list(), keys["name_en"].to_list(), strict=True)]


@dataclass(frozen=True)
class FieldExplanation:
    field: str
    level: str
    weight: float


def explain(gamma_row: np.ndarray, weights_row: np.ndarray, comparisons: Sequence[Comparison],
            params: ModelParams) -> list[FieldExplanation]:
    """What agreed and how much it weighed, per field (fields with no value on a side are skipped)."""
    out = []
    for col, comparison in enumerate(comparisons):
        level = int(gamma_row[col])
        if level == NULL:
            continue
        labels = params.level_labels[col] if col < len(params.level_labels) else comparison.level_labels
        weight = float(weights_row[col])
        out.append(FieldExplanation(field=comparison.field, level=labels[level],
                                    weight=round(weight, 3) if math.isfinite(weight) else 0.0))
    return out
