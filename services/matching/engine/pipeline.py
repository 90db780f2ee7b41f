"""Batch deduplication: normalise -> block -> compare -> estimate -> score -> cluster."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from .blocking import candidate_pairs
from .cluster import cluster_linked_pairs
from .comparisons import Comparison, RecordKeys, build_record_keys, comparison_vectors, default_comparisons
from .estimate import ModelParams, estimate, match_probability, match_weights, pair_scores
from .normalize import normalize_table

log = logging.getLogger(__name__)

# Below this many records the register is too small to estimate u and the prior from its own
# random pairs; the bundled parameters (estimated, without labels, on a 100k-record register) are
# used instead.  The prior is rescaled to the table size because it is a share of all pairs.
MIN_RECORDS_FOR_ESTIMATION = 5_000
DEFAULT_PARAMS_PATH = Path(__file__).with_name("default_params.json")


def default_params(n_records: int | None = None, reference_records: int = 100_000) -> ModelParams:
    """The bundled model parameters, with the prior rescaled to a register of ``n_records``.

    The expected number of duplicate pairs grows like the number of records, all pairs like its
    square, so the per-pair prior scales as 1/n.
    """
    params = ModelParams.from_json(DEFAULT_PARAMS_PATH.read_text())
    if n_records and n_records > 1:
        params.prior = min(0.5, params.prior * (reference_records - 1) / (n_records - 1))
    return params


@dataclass
class DedupeResult:
    """Cluster id per input row plus what is needed to explain and audit the decision."""

    cluster_id: np.ndarray
    params: ModelParams
    pairs: np.ndarray
    probability: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


def random_pairs(n: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` random distinct-record pairs, for estimating u."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=count)
    b = rng.integers(0, n, size=count)
    keep = a != b
    return np.stack([a[keep], b[keep]], axis=1).astype(np.int32)


def dedupe(table: pl.DataFrame, params: ModelParams | None = None,
           comparisons: list[Comparison] | None = None, *, must_link: np.ndarray | None = None,
           cannot_link: np.ndarray | None = None) -> DedupeResult:
    """Cluster the rows of a raw register table into persons.

    ``params`` can be given (e.g. loaded from JSON) to skip estimation; otherwise they are estimated
    from the table itself.  Returns one cluster id per row (the position of the cluster's first row).

    ``must_link`` / ``cannot_link`` are (k, 2) row-index pairs a reviewer accepted / rejected: an
    accepted pair is always joined, the two records of a rejected pair never end in one cluster.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    keys_table = normalize_table(table)
    keys = build_record_keys(keys_table)
    timings["normalize"] = time.perf_counter() - t0

    t = time.perf_counter()
    pairs = candidate_pairs(keys_table)
    timings["blocking"] = time.perf_counter() - t

    comparisons = comparisons or default_comparisons()
    t = time.perf_counter()
    gamma = comparison_vectors(keys, pairs, comparisons)
    timings["compare"] = time.perf_counter() - t

    t = time.perf_counter()
    # Name frequencies of a small table say nothing about how common a name is in the population.
    large_enough = keys.size >= MIN_RECORDS_FOR_ESTIMATION
    name_frequency = keys.name_term_frequency(pairs[:, 0], pairs[:, 1]) if large_enough else None
    if params is None and not large_enough:
        params = default_params(keys.size)
    if params is None:
        sample = random_pairs(keys.size, min(500_000, max(10_000, keys.size)))
        gamma_random = comparison_vectors(keys, sample, comparisons)
        params = estimate(gamma, gamma_random, comparisons, n_records=keys.size,
                          name_frequency=name_frequency, fallback=default_params())
    timings["estimate"] = time.perf_counter() - t

    t = time.perf_counter()
    score = pair_scores(gamma, params, name_frequency)
    probability = match_probability(score, params.prior)
    linked = probability >= params.threshold
    labels = cluster_linked_pairs(keys.size, pairs[linked], score[linked], keys.gender,
                                  {name: keys.ids[name] for name in ("nid13", "nid10", "brn")},
                                  must_link=must_link, cannot_link=cannot_link)
    timings["cluster"] = time.perf_counter() - t
    log.info("dedupe: %d records, %d candidate pairs, %d linked", keys.size, len(pairs), int(linked.sum()))
    return DedupeResult(cluster_id=labels, params=params, pairs=pairs, probability=probability,
                        timings=timings)


def record_keys(table: pl.DataFrame) -> RecordKeys:
    """Comparison arrays of a table (used to score new records against candidates)."""
    return build_record_keys(normalize_table(table))


def score_pairs(table: pl.DataFrame, pairs: np.ndarray, params: ModelParams,
                comparisons: list[Comparison] | None = None) -> pl.DataFrame:
    """Match probability of given record pairs of ``table``, with a per-field explanation.

    This is the real-time path: put the incoming record and its candidates (found with the same
    blocking keys) in one table and pass pairs ``(0, k)``.  It runs the same normalisation,
    comparison levels and weights as the batch.  The term-frequency adjustment is left out here
    because name frequencies belong to the whole register, not to a handful of candidates.

    Columns: ``left``, ``right``, ``probability``, ``total_weight`` and, per field,
    ``<field>_level`` (the level label, null when either side lacks the field) and
    ``<field>_weight`` (its match weight in bits).
    """
    comparisons = comparisons or default_comparisons()
    keys = record_keys(table)
    pairs = np.asarray(pairs, dtype=np.int32).reshape(-1, 2)
    gamma = comparison_vectors(keys, pairs, comparisons)
    total = pair_scores(gamma, params)
    weights = match_weights(gamma, params)
    columns: dict[str, object] = {
        "left": pairs[:, 0],
        "right": pairs[:, 1],
        "probability": match_probability(total, params.prior),
        "total_weight": total,
    }
    for col, comparison in enumerate(comparisons):
        labels = np.array([*comparison.level_labels, None], dtype=object)
        columns[f"{comparison.field}_level"] = labels[gamma[:, col]].tolist()  # -1 -> None
        columns[f"{comparison.field}_weight"] = weights[:, col]
    return pl.DataFrame(columns)
