"""Candidate pair generation: the union of several blocking rules.

Every rule maps a record to zero or more string keys; two records become a candidate pair when they
share a key under at least one rule.  No single rule has to catch every true pair (a typo in the
NID, a moved household, a Latin-only vs Bangla-only name): each covers what the others miss.

Keys that are shared by too many records (a default phone typed by a whole union office, a very
common first name in one birth year) are dropped: they would cost quadratic work and are not
evidence of identity anyway; the other rules still see those records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class BlockingRule:
    """A named key expression over the normalised key table (null key = record not blocked)."""

    name: str
    key: pl.Expr
    max_block_size: int = 200


def _first_token(col: str) -> pl.Expr:
    return pl.col(col).str.split(" ").list.first()


def default_rules() -> list[BlockingRule]:
    """The blocking rules of the batch dedupe, most specific first.

    Identifiers (NID serial, smart NID, BRN, phone) catch pairs whatever the names look like; the name
    rules catch records without a shared identifier (typo in the NID, changed phone, a 10-digit NID
    on one side and a 17-digit one on the other).  Name keys use the script-agnostic skeleton.
    """
    def text(col: str) -> pl.Expr:
        return pl.col(col).cast(pl.String)

    def joined(*parts: pl.Expr) -> pl.Expr:
        return pl.concat_str(list(parts), separator="|")  # null if any part is null

    rules = [
        # The NID's last 7 digits (the serial part; the head encodes the place of registration and
        # is shared by a whole union): the same NID, and one with a digit error in its head. A key on
        # the whole NID gave no pair that this one does not.
        BlockingRule("nid13_tail", pl.col("nid13").str.slice(-7)),
        BlockingRule("nid10", pl.col("nid10")),
        BlockingRule("brn", pl.col("brn")),
        BlockingRule("phone", pl.col("phone"), max_block_size=30),
        # full birth date in the same upazila: catches heavy name noise and Bangla/Latin mismatches
        BlockingRule("dob+upazila", joined(text("birth_year"), text("dob_month"), text("dob_day"),
                                           text("upazila_code"))),
    ]
    for script in ("bn", "en"):
        first = _first_token(f"name_{script}")
        father_first = _first_token(f"father_{script}")
        rules += [
            # moved people and missing birth dates: whole name in the upazila. Blocks over 10 records
            # are common full names, not evidence: on 1M records a cap of 200 gave 1.5M more candidate
            # pairs than 10 for 0.07% of the true pairs.
            BlockingRule(f"name_{script}+upazila", joined(pl.col(f"name_{script}"), text("upazila_code")),
                         max_block_size=10),
            # a cap of 10 instead of 200: 130,000 fewer candidate pairs on 1M records, the same links
            BlockingRule(f"first_{script}+father+district",
                         joined(first, father_first, text("district_code")), max_block_size=10),
            # moved and birth year off by one: the whole name with the whole father's name
            BlockingRule(f"name_{script}+father", joined(pl.col(f"name_{script}"), pl.col(f"father_{script}"))),
            # moved district: first name with the full birth date
            BlockingRule(f"first_{script}+dob",
                         joined(first, text("birth_year"), text("dob_month"), text("dob_day"))),
        ]
    return rules


def _family(rule: BlockingRule) -> str:
    """Rules that differ only by script (``first_bn+dob`` / ``first_en+dob``) share one key space."""
    return rule.name.replace("_bn", "").replace("_en", "")


# The number a family's keys are stored under (matching.block_keys.rule). A family keeps its number
# for good and a retired family's number is not reused. Retired in migration 0008: 0, the whole NID
# (its pairs are all the NID serial's), and 6, first name + birth year + district (on 1M records it
# gave 1.6M candidate pairs that no other rule gave and 119 true links among them, 0.06% of the true
# pairs).
FAMILY_NUMBERS: dict[str, int] = {
    "nid13_tail": 1, "nid10": 2, "brn": 3, "phone": 4, "dob+upazila": 5,
    "name+upazila": 7, "first+father+district": 8, "name+father": 9, "first+dob": 10,
}


def candidate_pairs(keys: pl.DataFrame, rules: list[BlockingRule] | None = None) -> np.ndarray:
    """Distinct candidate pairs ``(i, j)`` with ``i < j`` (row positions in ``keys``), shape (n, 2).

    Keys of the Bangla and Latin variants of one rule share a namespace, so a Bangla-only record and a
    Latin-only record with the same skeleton meet.  Keys are hashed to 64-bit integers before the
    self-join: joining integers is several times cheaper than joining strings, and a hash collision
    only adds a candidate pair that the comparisons then reject.
    """
    rules = rules or default_rules()
    families: dict[str, list[BlockingRule]] = {}
    for rule in rules:
        families.setdefault(_family(rule), []).append(rule)

    row = pl.int_range(pl.len(), dtype=pl.Int32).alias("row")
    pair_codes = []
    for family_rules in families.values():
        cap = min(r.max_block_size for r in family_rules)
        members = (
            pl.concat([keys.lazy().select(row, pl.when(rule.key.is_not_null()).then(rule.key.hash(seed=7))
                                          .alias("key")).drop_nulls("key") for rule in family_rules])
            .unique(["row", "key"])
            .filter(pl.len().over("key").is_between(2, cap))
        )
        pair_codes.append(
            members.join(members, on="key", suffix="_r")
            .filter(pl.col("row") < pl.col("row_r"))
            .select(pair=pl.col("row").cast(pl.Int64) * (1 << 32) + pl.col("row_r").cast(pl.Int64))
            .unique()
        )
    pairs = pl.concat(pair_codes).unique().sort("pair").collect()["pair"].to_numpy()
    return np.stack([(pairs >> 32).astype(np.int32), (pairs & 0xFFFFFFFF).astype(np.int32)], axis=1)
