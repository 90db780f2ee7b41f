"""Parameter estimation, household-aware scoring and clustering on small hand-made inputs."""

from __future__ import annotations

import numpy as np

from services.matching.engine.cluster import cluster_linked_pairs, connected_components, sorted_unique
from services.matching.engine.comparisons import NULL, default_comparisons
from services.matching.engine.estimate import (
    ModelParams,
    estimate,
    level_frequencies,
    match_probability,
    pair_scores,
    term_frequency_adjustment,
)
from services.matching.engine.pipeline import default_params

FIELDS = [c.field for c in default_comparisons()]
TOP = {c.field: c.n_levels - 1 for c in default_comparisons()}


def _gamma(**levels: int) -> np.ndarray:
    """One comparison vector; fields not given are missing (NULL)."""
    row = np.full((1, len(FIELDS)), NULL, dtype=np.int8)
    for field, level in levels.items():
        row[0, FIELDS.index(field)] = level
    return row


def test_level_frequencies_ignore_missing_and_are_smoothed() -> None:
    gamma = np.array([[0], [1], [1], [NULL]], dtype=np.int8)
    (freq,) = level_frequencies(gamma, [3])
    assert np.isclose(freq.sum(), 1.0)
    assert freq[1] > freq[0] > freq[2] > 0  # level 2 never seen: small but not zero


def test_siblings_sharing_the_whole_household_score_below_zero() -> None:
    params = default_params(1_000_000)
    household = {"father": TOP["father"], "mother": TOP["mother"], "phone": 1, "geo": TOP["geo"], "gender": 1}
    siblings = _gamma(name=0, dob=1, **household)
    same_person = _gamma(name=TOP["name"], dob=TOP["dob"], **household)
    assert pair_scores(siblings, params)[0] < 0
    assert match_probability(pair_scores(siblings, params), params.prior)[0] < 0.01
    assert match_probability(pair_scores(same_person, params), params.prior)[0] > 0.99


def test_household_fields_are_capped_only_until_the_own_name_agrees() -> None:
    params = default_params(1_000_000)
    household = {"father": TOP["father"], "mother": TOP["mother"], "phone": 1, "geo": TOP["geo"]}
    weak_name = pair_scores(_gamma(name=1, **household), params)[0] - pair_scores(_gamma(name=1), params)[0]
    strong_name = (pair_scores(_gamma(name=TOP["name"], **household), params)[0]
                   - pair_scores(_gamma(name=TOP["name"]), params)[0])
    assert np.isclose(weak_name, params.context_cap)
    assert strong_name > params.context_cap


def test_common_name_weighs_less_than_a_rare_one() -> None:
    params = default_params()
    gamma = np.repeat(_gamma(name=TOP["name"]), 2, axis=0)
    adjust = term_frequency_adjustment(gamma, params, np.array([0.01, 1e-6], dtype=np.float32))
    assert adjust[0] < 0 < adjust[1]
    assert params.tf_min <= adjust.min() and adjust.max() <= params.tf_max


def test_estimate_falls_back_for_fields_without_anchor_pairs() -> None:
    rng = np.random.default_rng(0)
    comparisons = default_comparisons()
    n_levels = [c.n_levels for c in comparisons]
    gamma = np.stack([rng.integers(0, k, 5_000) for k in n_levels], axis=1).astype(np.int8)
    for identifier in ("nid", "brn"):  # a register without identifiers: no anchor pairs at all
        gamma[:, FIELDS.index(identifier)] = NULL
    fallback = default_params()
    params = estimate(gamma, gamma, comparisons, n_records=10_000, fallback=fallback)
    assert params.m[FIELDS.index("name")] == fallback.m[FIELDS.index("name")]
    assert "m_from_fallback:name" in params.notes
    assert 0 < params.prior < 1
    assert ModelParams.from_json(params.to_json()) == params


def test_connected_components() -> None:
    edges = np.array([[0, 1], [1, 2], [4, 5], [6, 5]])
    labels = connected_components(8, edges)
    assert labels.tolist() == [0, 0, 0, 3, 4, 4, 4, 7]


def test_conflicting_identifiers_are_not_chained_into_one_cluster() -> None:
    # 0 and 2 hold clearly different NIDs; 1 (no NID) links weakly to both: one link must go
    nid = np.array([6034821469489, -1, 1202030423987, 6034821469488])
    digits = np.array([13, 0, 13, 13], dtype=np.int8)
    gender = np.array([2, 2, 2, 2], dtype=np.int8)
    edges = np.array([[0, 1], [1, 2], [0, 3]])
    strength = np.array([20.0, 15.0, 25.0])
    labels = cluster_linked_pairs(4, edges, strength, gender, {"nid13": (nid, digits)})
    assert labels[0] == labels[1] == labels[3]  # 3 is 0's NID with a one-digit typo: same person
    assert labels[2] != labels[0]


def test_two_genders_are_not_chained_into_one_cluster() -> None:
    gender = np.array([1, 0, 2], dtype=np.int8)
    none = (np.full(3, -1), np.zeros(3, dtype=np.int8))
    labels = cluster_linked_pairs(3, np.array([[0, 1], [1, 2]]), np.array([10.0, 30.0]), gender,
                                  {"nid13": none})
    assert labels[1] == labels[2] != labels[0]  # the stronger link wins


def _no_ids(n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {"nid13": (np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int8))}


def test_a_rejected_pair_is_never_in_one_cluster_even_through_a_chain() -> None:
    # 0-1-2-3 chained by links; a reviewer said 0 and 3 are different people
    edges = np.array([[0, 1], [1, 2], [2, 3]])
    strength = np.array([30.0, 5.0, 20.0])
    gender = np.zeros(5, dtype=np.int8)
    plain = cluster_linked_pairs(5, edges, strength, gender, _no_ids(5))
    assert len(set(plain[:4].tolist())) == 1
    labels = cluster_linked_pairs(5, edges, strength, gender, _no_ids(5), cannot_link=np.array([[3, 0]]))
    assert labels[0] != labels[3]
    assert labels[0] == labels[1] and labels[2] == labels[3]  # the weakest link (1-2) is the one refused
    # the rejected pair's own link is dropped as well
    direct = cluster_linked_pairs(2, np.array([[0, 1]]), np.array([50.0]), np.zeros(2, dtype=np.int8),
                                  _no_ids(2), cannot_link=np.array([[0, 1]]))
    assert direct[0] != direct[1]


def test_an_accepted_pair_is_joined_even_against_the_gender_check_but_not_against_a_rejection() -> None:
    gender = np.array([1, 2, 1], dtype=np.int8)  # a typo in the gender of record 1
    empty = np.zeros((0, 2), dtype=np.int64)
    labels = cluster_linked_pairs(3, empty, np.zeros(0), gender, _no_ids(3), must_link=np.array([[0, 1]]))
    assert labels[0] == labels[1] != labels[2]
    labels = cluster_linked_pairs(3, empty, np.zeros(0), gender, _no_ids(3),
                                  must_link=np.array([[0, 1], [1, 2]]), cannot_link=np.array([[0, 2]]))
    assert labels[0] != labels[2]


def test_sorted_unique_is_numpys_unique() -> None:
    rng = np.random.default_rng(7)
    edges = rng.integers(0, 500, size=(2_000, 2))
    codes = rng.integers(0, 1 << 40, size=5_000, dtype=np.int64)
    for values in (edges, codes, np.concatenate([codes, codes[:100]]), np.array([3]), np.zeros(0, np.int64),
                   np.array([[5, 5], [5, 5]])):
        np.testing.assert_array_equal(sorted_unique(values), np.unique(values))
