"""Stable person ids when a batch re-match replaces the clustering (pure Polars, no database)."""

from __future__ import annotations

import uuid

import numpy as np
import polars as pl

from services.matching.jobs.rematch import assign_person_ids, best_probability, decision_pairs


def _current(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"record_id": pl.String, "person_id": pl.String, "created": pl.Float64},
                        orient="row")


def _ids(links: pl.DataFrame) -> dict[str, str]:
    return dict(zip(links["record_id"], links["person_id"], strict=True))


RECORDS = pl.Series(["r1", "r2", "r3", "r4", "r5"])
CURRENT = _current([("r1", "P", 1.0), ("r2", "P", 1.0), ("r3", "P", 1.0), ("r4", "Q", 2.0), ("r5", "R", 3.0)])


def test_a_rerun_that_changes_nothing_keeps_every_id() -> None:
    links = assign_person_ids(RECORDS, np.array([0, 0, 0, 3, 4]), CURRENT)
    assert _ids(links) == {"r1": "P", "r2": "P", "r3": "P", "r4": "Q", "r5": "R"}
    assert not links["new_person"].any()


def test_a_split_keeps_the_id_on_the_larger_part_and_the_smaller_part_gets_a_new_one() -> None:
    links = _ids(assign_person_ids(RECORDS, np.array([0, 0, 2, 3, 4]), CURRENT))
    assert links["r1"] == links["r2"] == "P"
    assert links["r3"] not in {"P", "Q", "R"}
    uuid.UUID(links["r3"])  # a real UUID
    assert links["r4"] == "Q" and links["r5"] == "R"


def test_a_merge_takes_the_id_of_the_person_it_overlaps_most_and_ties_go_to_the_oldest() -> None:
    links = _ids(assign_person_ids(RECORDS, np.array([0, 0, 0, 0, 4]), CURRENT))
    assert {links[r] for r in ("r1", "r2", "r3", "r4")} == {"P"}
    tie = _ids(assign_person_ids(pl.Series(["r4", "r5"]), np.array([0, 0]),
                                 _current([("r4", "Q", 2.0), ("r5", "R", 3.0)])))
    assert tie == {"r4": "Q", "r5": "Q"}  # Q is older


def test_a_cluster_that_loses_its_first_choice_takes_its_next_person_and_new_records_join() -> None:
    # P is split 2/1; the one-record part also holds R's record: it keeps R rather than a new id
    records = pl.Series(["r1", "r2", "r3", "r5", "new"])
    links = _ids(assign_person_ids(records, np.array([0, 0, 2, 2, 2]), CURRENT))
    assert links["r1"] == links["r2"] == "P"
    assert links["r3"] == links["r5"] == links["new"] == "R"


def test_helpers() -> None:
    pairs = decision_pairs(pl.Series(["a", "b", "c"]), pl.DataFrame(
        {"record_a": ["a", "b", "x"], "record_b": ["c", "c", "a"], "status": ["rejected", "accepted", "rejected"]}),
        "rejected")
    assert pairs.tolist() == [[0, 2]]
    best = best_probability(3, np.array([[0, 1], [1, 2]]), np.array([0.95, 0.5]), 0.9)
    assert best[0] == best[1] == 0.95 and np.isnan(best[2])
