"""Unsupervised estimation of the Fellegi-Sunter parameters, and household-aware scoring.

* u (the probability of each level among non-matching pairs) is measured on random record pairs:
  two random records of a register are almost never the same person, so their level frequencies
  are the non-match distribution, without any label;
* m (the level probabilities among matching pairs) is measured on *anchor* pairs that a field
  independent of the one being estimated declares the same person: pairs with the same NID core
  give m for every other field, pairs with the same name skeleton and exact birth date give m for
  the NID.  Free EM on blocked pairs was tried and converges to "same household" instead of "same
  person" (households agree on address, phone and parents), so m is not left to EM;
* the match prior lambda (the share of all N(N-1)/2 pairs that are matches, the prior that goes
  with random-pair u) is fitted by EM over the blocked pairs with m and u fixed.

Scoring is household-aware: parents' names, spouse, phone and geography are evidence of the
*household* until the person's own first name agrees, so their summed weight is capped at
``context_cap`` unless the own-name level reaches ``own_name_level_for_context`` and the birth
dates are not years apart (a father and son can share a name and a household).  Without the cap
two siblings (same father, mother, phone, union) outscore a name and birth-date disagreement.

The result, ``ModelParams``, is plain data saved as JSON and reused by the real-time API.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from .comparisons import NULL, Comparison

_FLOOR = 1e-6  # keeps log-weights finite for levels never seen in one of the two classes


@dataclass
class ModelParams:
    """Estimated parameters: per field, m and u for each level; the prior match probability."""

    fields: list[str]
    level_labels: list[list[str]]
    m: list[list[float]]
    u: list[list[float]]
    prior: float
    threshold: float = 0.9  # match probability above which a pair is linked
    own_fields: list[str] = field(default_factory=lambda: ["name", "gender", "dob", "nid", "brn"])
    context_cap: float = 8.0  # max total weight of household-level fields (bits)
    own_name_level_for_context: int = 3  # own-name level from which context weight is uncapped...
    tf_adjust_name: bool = True  # adjust the exact-name weight by how common the name is
    tf_min: float = -6.0
    tf_max: float = 2.0
    dob_level_for_context: int = 0  # ...unless the birth dates are further apart than a year
    notes: dict[str, float] = field(default_factory=dict)

    def weights(self) -> list[np.ndarray]:
        """log2(m/u) per level of each field: the match weight a level adds to a pair's score."""
        return [np.log2(np.maximum(m, _FLOOR) / np.maximum(u, _FLOOR))
                for m, u in zip(self.m, self.u, strict=True)]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> ModelParams:
        return cls(**json.loads(text))


def level_frequencies(gamma: np.ndarray, n_levels: list[int], counts: np.ndarray | None = None) -> list[np.ndarray]:
    """Per field, the share of each level among pairs where the field is not null (Laplace-smoothed)."""
    counts = np.ones(len(gamma)) if counts is None else counts
    out = []
    for col, k in enumerate(n_levels):
        g = gamma[:, col]
        seen = g != NULL
        freq = np.bincount(g[seen].astype(np.int64), weights=counts[seen], minlength=k)[:k] + 0.5
        out.append(freq / freq.sum())
    return out


MIN_ANCHOR_OBSERVATIONS = 200  # fewer anchor pairs with a field present: its m is not measured


def _anchor_m(gamma: np.ndarray, fields: list[str], n_levels: list[int],
              fallback_m: list[np.ndarray] | None = None) -> tuple[list[np.ndarray], list[str]]:
    """m per field from pairs that an *independent* field declares the same person.

    Same NID core or same BRN: m of every field except the identifiers.  Same name skeleton, exact
    birth date and a parent's name: m of the NID and the BRN (children have a BRN and no NID, so
    NID anchors say little about BRNs).  Each anchor leaves the estimated field free, so its levels
    are not biased by the anchor.  A field seen in fewer than ``MIN_ANCHOR_OBSERVATIONS`` anchor
    pairs (a register without NIDs, a column that is absent) takes its m from ``fallback_m``.
    Returns the m list and the names of the fields that fell back.
    """
    def column(name: str) -> np.ndarray | None:
        return gamma[:, fields.index(name)] if name in fields else None

    def is_top(name: str) -> np.ndarray:
        col = column(name)
        return np.zeros(len(gamma), bool) if col is None else col == n_levels[fields.index(name)] - 1

    same_identifier = is_top("nid") | is_top("brn")
    # A common name born on the same day is not rare among millions, so this anchor also wants a
    # parent's name to agree (all of them independent of the identifiers estimated from it).
    parent_agrees = np.zeros(len(gamma), dtype=bool)
    for parent in ("father", "mother"):
        col = column(parent)
        if col is not None:
            parent_agrees |= col >= n_levels[fields.index(parent)] - 2
    name_dob_parent = is_top("name") & is_top("dob") & parent_agrees

    by_identifier = level_frequencies(gamma, n_levels, same_identifier.astype(np.float64))
    by_name_and_dob = level_frequencies(gamma, n_levels, name_dob_parent.astype(np.float64))
    m, fell_back = [], []
    for col, name in enumerate(fields):
        anchors = name_dob_parent if name in ("nid", "brn") else same_identifier
        observed = int((anchors & (gamma[:, col] != NULL)).sum())
        if observed < MIN_ANCHOR_OBSERVATIONS and fallback_m is not None:
            m.append(np.asarray(fallback_m[col], dtype=np.float64))
            fell_back.append(name)
        else:
            m.append(by_name_and_dob[col] if name in ("nid", "brn") else by_identifier[col])
    return m, fell_back


def estimate(gamma_blocked: np.ndarray, gamma_random: np.ndarray, comparisons: list[Comparison],
             n_records: int, name_frequency: np.ndarray | None = None,
             fallback: ModelParams | None = None, max_iter: int = 100, tol: float = 1e-9) -> ModelParams:
    """Fit u on random pairs, m on anchor pairs and the match prior by EM over the blocked pairs.

    ``fallback`` (e.g. the bundled parameters) supplies m for fields the register has too few
    anchor pairs for; it is only used when its fields and levels are the same as ``comparisons``.
    """
    fields = [c.field for c in comparisons]
    n_levels = [c.n_levels for c in comparisons]
    u = level_frequencies(gamma_random, n_levels)
    compatible = fallback is not None and fallback.fields == fields and [
        len(x) for x in fallback.m] == n_levels
    m, fell_back = _anchor_m(gamma_blocked, fields, n_levels, fallback.m if compatible else None)
    params = ModelParams(
        fields=fields,
        level_labels=[list(c.level_labels) for c in comparisons],
        m=[list(map(float, x)) for x in m],
        u=[list(map(float, x)) for x in u],
        prior=1e-5,
    )
    total_weight = pair_scores(gamma_blocked, params, name_frequency)
    all_pairs = n_records * (n_records - 1) / 2
    # EM for lambda: expected matches among the blocked pairs (pairs outside the blocks have a
    # negligible posterior) over all pairs.
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported in notes)
        expected = float(match_probability(total_weight, params.prior).sum())
        new_prior = max(expected, 1.0) / all_pairs
        converged = abs(new_prior - params.prior) < tol * params.prior
        params.prior = new_prior
        if converged:
            break
    params.notes = {"prior_em_iterations": float(iterations), "expected_matching_pairs": expected,
                    **{f"m_from_fallback:{name}": 1.0 for name in fell_back}}
    return params


def term_frequency_adjustment(gamma: np.ndarray, params: ModelParams,
                              name_frequency: np.ndarray | None) -> np.ndarray:
    """Extra weight for an exact own-name match: log2(u_exact / frequency of that name), clipped.

    The exact level's u is the average chance that two random records share *a* name; a specific
    common name is shared more often (less evidence), a rare one less often (more evidence).  The
    bonus is capped low because a rare skeleton is often just a typo shared by nobody else.
    """
    out = np.zeros(len(gamma), dtype=np.float32)
    if name_frequency is None or not params.tf_adjust_name:
        return out
    col = params.fields.index("name")
    top = len(params.level_labels[col]) - 1
    exact = (gamma[:, col] == top) & np.isfinite(name_frequency)
    u_exact = max(params.u[col][top], _FLOOR)
    adjust = np.log2(u_exact / np.maximum(name_frequency[exact], _FLOOR))
    out[exact] = np.clip(adjust, params.tf_min, params.tf_max)
    return out


def pair_scores(gamma: np.ndarray, params: ModelParams, name_frequency: np.ndarray | None = None) -> np.ndarray:
    """Total match weight per pair: own-identity fields plus the capped household context.

    ``name_frequency`` (per pair, from ``RecordKeys.name_term_frequency``) switches on the
    term-frequency adjustment of the exact-name weight.
    """
    weights = match_weights(gamma, params)
    own = np.array([f in params.own_fields for f in params.fields])
    own_total = weights[:, own].sum(axis=1)
    context_total = weights[:, ~own].sum(axis=1)
    name_level = gamma[:, params.fields.index("name")]
    dob_level = gamma[:, params.fields.index("dob")]
    same_person_named = (name_level >= params.own_name_level_for_context) & (
        (dob_level == NULL) | (dob_level >= params.dob_level_for_context))
    cap = np.where(same_person_named, np.inf, params.context_cap)
    tf = term_frequency_adjustment(gamma, params, name_frequency)
    return own_total + tf + np.minimum(context_total, cap)


def match_weights(gamma: np.ndarray, params: ModelParams) -> np.ndarray:
    """Per pair and field, the match weight (log2 Bayes factor) of its level; 0 for null levels."""
    out = np.zeros(gamma.shape, dtype=np.float32)
    for col, w in enumerate(params.weights()):
        g = gamma[:, col]
        seen = g != NULL
        out[seen, col] = w[g[seen].astype(np.int64)]
    return out


def match_probability(total_weight: np.ndarray, prior: float) -> np.ndarray:
    """Posterior match probability from the summed field weights and the prior."""
    logit2 = np.log2(prior / (1 - prior)) + total_weight
    return 1.0 / (1.0 + np.exp2(-np.clip(logit2, -60, 60)))
