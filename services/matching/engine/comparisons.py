"""Per-field comparison levels, vectorised over arrays of record pairs.

Each ``Comparison`` turns a pair of records into one small integer *level* per field (like Splink's
comparison_level_library): ``-1`` means "no information" (a value is missing on either side) and
contributes weight 0; higher levels are closer agreement.  The Fellegi-Sunter model (estimate.py)
attaches one match weight ``log2(m/u)`` to every level, so an explanation of a match score is just the
list of (field, level label, weight).

The functions take a ``RecordKeys`` (column arrays of the normalised keys) and two index arrays
``left``/``right`` of equal length; a single incoming record scored against k candidates is the same
call with k pairs, so the batch and the real-time API share this code path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from .normalize import GEO_LEVELS, NAME_FIELDS

NULL = -1  # level of a pair where either side has no value
_WORKERS = 2  # rapidfuzz threads: the target machines have 2 cores


@dataclass
class RecordKeys:
    """Column arrays of normalised keys, indexed by record position.

    Name skeletons are interned in one vocabulary shared by every name field and both scripts
    (``name_ids[field]`` is an (n, 2) int32 array of [bn, en] ids, -1 = missing): equality is then an
    integer comparison and fuzzy scores are computed once per distinct pair of strings.
    """

    vocab: np.ndarray  # object array of skeleton strings
    vocab_first: np.ndarray  # object array: first token of each vocab entry
    name_ids: dict[str, np.ndarray]
    gender: np.ndarray  # int8: 0 unknown, 1 M, 2 F
    birth_year: np.ndarray  # int32, 0 unknown
    dob_month: np.ndarray  # int8, 0 unknown
    dob_day: np.ndarray  # int8, 0 unknown
    ids: dict[str, tuple[np.ndarray, np.ndarray]]  # nid13/nid10/brn/phone: (int64 value, int8 digit count)
    geo: np.ndarray  # (n, 5) int32 division..ward, -1 unknown
    name_frequency: np.ndarray | None = None  # float32: share of records carrying this own name

    def name_term_frequency(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """For pairs with the same name, how common that name is (the larger of the two records').

        "Hasina" born 2015 in one upazila is weak evidence, "Hoimonti" strong: the frequency lets
        the exact-name weight be adjusted per value, like Splink's term-frequency adjustment.
        """
        if self.name_frequency is None:
            return np.full(len(left), np.nan, dtype=np.float32)
        return np.maximum(self.name_frequency[left], self.name_frequency[right])

    @property
    def size(self) -> int:
        return len(self.gender)


SMALL_KEYS = 512  # below this many rows, interning in Python beats Polars' per-call overhead
SMALL_PAIRS = 50_000  # below this many name pairs, NumPy's sort-based unique beats a Polars hash join


def _small_ids(values: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(int64 value, digit count) of identifier keys, -1 / 0 when missing (cleaned keys are digits)."""
    return (np.array([int(v) if v and v.isascii() and v.isdigit() and len(v) <= 18 else -1 for v in values],
                     dtype=np.int64),
            np.array([len(v) if v else 0 for v in values], dtype=np.int8))


def build_record_keys(keys: pl.DataFrame) -> RecordKeys:
    """Intern the key table produced by ``normalize.normalize_table`` into comparison arrays."""
    if keys.height <= SMALL_KEYS:
        return _small_record_keys(keys)
    name_cols = [f"{f}_{s}" for f in NAME_FIELDS for s in ("bn", "en")]
    vocab_series = pl.concat([keys[c] for c in name_cols]).drop_nulls().unique().sort()
    vocab_ids = pl.Series(np.arange(len(vocab_series), dtype=np.int32))
    name_ids = {}
    for field in NAME_FIELDS:
        cols = [keys[f"{field}_{s}"].replace_strict(vocab_series, vocab_ids, default=-1, return_dtype=pl.Int32)
                .to_numpy() for s in ("bn", "en")]
        name_ids[field] = np.stack(cols, axis=1).reshape(-1, 2)
    # Identifiers are all-digit strings of at most 18 digits: as (int64 value, digit count) they take
    # 9 bytes a record instead of a Python string, and equality is an integer comparison.
    ids = {
        c: (keys[c].cast(pl.Int64, strict=False).fill_null(-1).to_numpy(),
            keys[c].str.len_chars().fill_null(0).cast(pl.Int8).to_numpy())
        for c in ("nid13", "nid10", "brn", "phone")
    }
    return RecordKeys(
        vocab=vocab_series.to_numpy().astype(object),
        vocab_first=vocab_series.str.split(" ").list.first().to_numpy().astype(object),
        name_ids=name_ids,
        gender=keys["gender"].replace_strict({"M": 1, "F": 2}, default=0, return_dtype=pl.Int8).to_numpy(),
        birth_year=keys["birth_year"].fill_null(0).to_numpy().astype(np.int32),
        dob_month=keys["dob_month"].fill_null(0).to_numpy().astype(np.int8),
        dob_day=keys["dob_day"].fill_null(0).to_numpy().astype(np.int8),
        ids=ids,
        geo=np.stack([keys[c].fill_null(-1).to_numpy().astype(np.int32) for c in GEO_LEVELS], axis=1),
        name_frequency=_own_name_frequency(name_ids["name"], len(vocab_series)),
    )


def _small_record_keys(keys: pl.DataFrame) -> RecordKeys:
    """``build_record_keys`` for a few rows (the real-time path: one record and its candidates): the
    table read out once, then plain Python, since each Polars call costs more than the work."""
    columns = keys.to_dict(as_series=False)
    name_cols = [f"{f}_{s}" for f in NAME_FIELDS for s in ("bn", "en")]
    vocab = sorted({v for c in name_cols for v in columns[c] if v is not None})
    lookup = {v: i for i, v in enumerate(vocab)}
    name_ids = {
        field: np.array([[-1 if bn is None else lookup[bn], -1 if en is None else lookup[en]]
                         for bn, en in zip(columns[f"{field}_bn"], columns[f"{field}_en"], strict=True)],
                        dtype=np.int32).reshape(-1, 2)
        for field in NAME_FIELDS
    }
    gender_codes = {"M": 1, "F": 2}

    def filled(column: str, missing: int, dtype: type[np.generic]) -> np.ndarray:
        return np.array([missing if v is None else v for v in columns[column]], dtype=dtype)

    return RecordKeys(
        vocab=np.array(vocab, dtype=object),
        vocab_first=np.array([v.split(" ")[0] for v in vocab], dtype=object),
        name_ids=name_ids,
        gender=np.array([gender_codes.get(g, 0) for g in columns["gender"]], dtype=np.int8),
        birth_year=filled("birth_year", 0, np.int32),
        dob_month=filled("dob_month", 0, np.int8),
        dob_day=filled("dob_day", 0, np.int8),
        ids={c: _small_ids(columns[c]) for c in ("nid13", "nid10", "brn", "phone")},
        geo=np.stack([filled(level, -1, np.int32) for level in GEO_LEVELS], axis=1).reshape(-1, len(GEO_LEVELS)),
        name_frequency=_own_name_frequency(name_ids["name"], len(vocab)),
    )


def _own_name_frequency(own: np.ndarray, vocab_size: int) -> np.ndarray:
    """Share of the records carrying each record's own-name skeleton (``own``: its [bn, en] ids).

    A record counts once per distinct skeleton; per record the most common of its Bangla/Latin
    skeletons is taken, the conservative choice; NaN where it has no own name."""
    both = np.concatenate([own[:, 0], np.where(own[:, 1] != own[:, 0], own[:, 1], -1)])
    counts = np.bincount(both[both >= 0], minlength=max(vocab_size, 1)).astype(np.float32)
    per_script = np.where(own >= 0, counts[np.maximum(own, 0)], 0.0)
    name_frequency = (per_script.max(axis=1) / max(len(own), 1)).astype(np.float32)
    name_frequency[name_frequency == 0] = np.nan
    return name_frequency


# --- name similarity on distinct vocabulary pairs --------------------------------------------------


@dataclass
class NamePairScores:
    """Fuzzy scores of distinct (vocab id, vocab id) pairs, computed once and reused by all fields."""

    first_equal: np.ndarray  # bool
    first_edits: np.ndarray  # int: Levenshtein distance of the first tokens (capped at 3)
    subset: np.ndarray  # bool: one token set contains the other (a dropped name token)
    jaro_winkler: np.ndarray  # float: whole skeleton


def score_vocab_pairs(keys: RecordKeys, a: np.ndarray, b: np.ndarray) -> NamePairScores:
    """Fuzzy name scores for aligned vocab-id arrays ``a`` and ``b`` (no missing ids)."""
    va, vb = keys.vocab[a], keys.vocab[b]
    fa, fb = keys.vocab_first[a], keys.vocab_first[b]
    workers = _WORKERS if len(a) >= 2_000 else 1  # threads cost more than a few hundred pairs
    first_edits = cpdist(fa, fb, scorer=Levenshtein.distance, score_cutoff=3, workers=workers)
    subset = cpdist(va, vb, scorer=fuzz.token_set_ratio, workers=workers) >= 100.0
    jw = cpdist(va, vb, scorer=JaroWinkler.normalized_similarity, workers=workers)
    return NamePairScores(first_equal=fa == fb, first_edits=np.asarray(first_edits), subset=subset,
                          jaro_winkler=np.asarray(jw))


def _name_levels_from_scores(s: NamePairScores, own_name: bool) -> np.ndarray:
    """Level of each distinct non-identical pair of name skeletons (exact matches are handled earlier).

    For a person's own name the first (given) token carries the identity: siblings share surnames,
    so "same first token" is the level above "close spelling".  For a parent's or spouse's name a
    close spelling of the whole name is enough.
    """
    level = np.zeros(len(s.first_equal), dtype=np.int8)
    close_spelling = s.jaro_winkler >= 0.9
    if own_name:
        level[(s.first_edits <= 1) | (s.jaro_winkler >= 0.85)] = 1
        level[s.first_equal | s.subset | ((s.first_edits <= 1) & close_spelling)] = 2
        level[s.first_equal & (s.subset | close_spelling)] = 3
    else:
        level[s.jaro_winkler >= 0.85] = 1
        level[s.first_equal | s.subset | (s.jaro_winkler >= 0.94)] = 2
    return level


def name_levels(keys: RecordKeys, field: str, left: np.ndarray, right: np.ndarray,
                own_name: bool, top_level: int) -> np.ndarray:
    """Best level over the (up to 4) script combinations: bn-bn, en-en, bn-en, en-bn.

    Taking the best combination is what makes the comparison script-agnostic: a Bangla-only record
    and a Latin-only record are compared through their common skeleton.
    """
    ids = keys.name_ids[field]
    a = np.concatenate([ids[left, 0], ids[left, 1], ids[left, 0], ids[left, 1]])
    b = np.concatenate([ids[right, 0], ids[right, 1], ids[right, 1], ids[right, 0]])
    valid = (a >= 0) & (b >= 0)
    combo_level = np.full(len(a), NULL, dtype=np.int8)
    exact = valid & (a == b)
    combo_level[exact] = top_level
    fuzzy = np.flatnonzero(valid & ~exact)
    if len(fuzzy):
        # distinct unordered vocab pairs: the same two spellings recur across many record pairs
        lo = np.minimum(a[fuzzy], b[fuzzy]).astype(np.int64)
        hi = np.maximum(a[fuzzy], b[fuzzy]).astype(np.int64)
        code = lo * (1 << 31) + hi
        if len(code) < SMALL_PAIRS:
            uniq, inverse = np.unique(code, return_inverse=True)
        else:  # a hash table beats sorting millions of codes
            uniq = pl.Series(code).unique().to_numpy()
        levels = _name_levels_from_scores(
            score_vocab_pairs(keys, (uniq >> 31).astype(np.int64), (uniq & ((1 << 31) - 1)).astype(np.int64)),
            own_name,
        )
        if len(code) < SMALL_PAIRS:
            combo_level[fuzzy] = levels[inverse]
        else:
            lookup = pl.DataFrame({"code": uniq, "level": levels})
            combo_level[fuzzy] = (
                pl.DataFrame({"code": code}).join(lookup, on="code", how="left", maintain_order="left")["level"]
                .to_numpy()
            )
    return combo_level.reshape(4, -1).max(axis=0)


# --- other fields ----------------------------------------------------------------------------------


def gender_levels(keys: RecordKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 same gender, 0 different (strong evidence of a sibling or spouse), -1 unknown."""
    g1, g2 = keys.gender[left], keys.gender[right]
    out = (g1 == g2).astype(np.int8)
    out[(g1 == 0) | (g2 == 0)] = NULL
    return out


def dob_levels(keys: RecordKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Birth date agreement, most to least specific.

    6 exact date; 5 day and month swapped (same year); 4 same year where one side only has the year;
    3 same day and month with the year off by one; 2 year within one (other dates); 1 years 2 to 5
    apart (registers do get a birth year quite wrong); 0 more than 5 years apart (another
    generation or another person); -1 when either side has no year at all.
    """
    y1, y2 = keys.birth_year[left], keys.birth_year[right]
    m1, m2 = keys.dob_month[left], keys.dob_month[right]
    d1, d2 = keys.dob_day[left], keys.dob_day[right]
    full = (m1 > 0) & (m2 > 0) & (d1 > 0) & (d2 > 0)
    year_gap = np.abs(y1 - y2)
    out = np.zeros(len(left), dtype=np.int8)
    out[year_gap <= 5] = 1
    out[year_gap <= 1] = 2
    out[full & (year_gap == 1) & (m1 == m2) & (d1 == d2)] = 3
    out[~full & (year_gap == 0)] = 4
    out[full & (year_gap == 0) & (m1 == d2) & (d1 == m2) & (m1 != d1)] = 5
    out[full & (year_gap == 0) & (m1 == m2) & (d1 == d2)] = 6
    out[(y1 == 0) | (y2 == 0)] = NULL
    return out


def _digit_mismatches(a: np.ndarray, b: np.ndarray, n_digits: int) -> np.ndarray:
    """Number of differing decimal digits of two aligned int64 arrays (same digit count)."""
    diff = np.zeros(len(a), dtype=np.int8)
    a, b = a.copy(), b.copy()
    for _ in range(n_digits):
        diff += (a % 10) != (b % 10)
        a //= 10
        b //= 10
    return diff


def _identifier_levels(ident: tuple[np.ndarray, np.ndarray], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """3 identical, 2 one edit (typo, dropped digit), 1 two edits, 0 different, -1 missing.

    Same-length numbers are compared digit by digit (a substitution is the usual typing error);
    numbers one or two digits shorter (a dropped digit) go through Levenshtein, on that small subset.
    """
    values, lengths = ident
    a, b = values[left], values[right]
    la, lb = lengths[left], lengths[right]
    out = np.full(len(a), NULL, dtype=np.int8)
    valid = (a >= 0) & (b >= 0)
    same = valid & (a == b) & (la == lb)
    out[valid] = 0
    out[same] = 3
    to_check = np.flatnonzero(valid & ~same & (la == lb))
    if len(to_check):
        edits = _digit_mismatches(a[to_check], b[to_check], int(max(la.max(), lb.max())))
        out[to_check] = np.select([edits == 1, edits == 2], [2, 1], 0)
    shifted = np.flatnonzero(valid & (la != lb) & (np.abs(la.astype(np.int16) - lb) <= 2))
    if len(shifted):
        sa = [str(v).zfill(n) for v, n in zip(a[shifted].tolist(), la[shifted].tolist(), strict=True)]
        sb = [str(v).zfill(n) for v, n in zip(b[shifted].tolist(), lb[shifted].tolist(), strict=True)]
        edits = np.asarray(cpdist(sa, sb, scorer=Levenshtein.distance, score_cutoff=3, workers=_WORKERS))
        out[shifted] = np.select([edits == 1, edits == 2], [2, 1], 0)
    return out


def nid_levels(keys: RecordKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """NID agreement on the 13-digit core (17-digit NIDs reduced) or on the 10-digit smart NID.

    The two number spaces cannot be compared with each other, so a 10-digit NID against a 13-digit
    one is "no information", not a disagreement.
    """
    long_level = _identifier_levels(keys.ids["nid13"], left, right)
    smart_level = _identifier_levels(keys.ids["nid10"], left, right)
    return np.maximum(long_level, smart_level)


def brn_levels(keys: RecordKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Birth registration number: same levels as the NID."""
    return _identifier_levels(keys.ids["brn"], left, right)


def phone_levels(keys: RecordKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 same mobile number (10 significant digits), 0 different, -1 missing.

    Household members share phones, so EM gives this a modest weight; it mostly helps blocking.
    """
    values = keys.ids["phone"][0]
    a, b = values[left], values[right]
    out = (a == b).astype(np.int8)
    out[(a < 0) | (b < 0)] = NULL
    return out


def geo_levels(keys: RecordKeys, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Finest shared administrative level: 4 union, 3 upazila, 2 district, 1 division, 0 none.

    Records often lack the union code, so agreement is judged at the finest level both sides have:
    a missing union with the same upazila is upazila agreement, not a disagreement.
    """
    g1, g2 = keys.geo[left, :4], keys.geo[right, :4]
    both = (g1 >= 0) & (g2 >= 0)
    same = both & (g1 == g2)
    out = np.zeros(len(left), dtype=np.int8)
    for level in range(4):  # division..union: each finer agreement overrides
        out[same[:, level]] = level + 1
    out[~both[:, 0]] = NULL
    return out


# --- the comparison set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One field's comparison: level labels (index = level) and the vectorised level function."""

    field: str
    level_labels: tuple[str, ...]
    levels: Callable[[RecordKeys, np.ndarray, np.ndarray], np.ndarray]

    @property
    def n_levels(self) -> int:
        return len(self.level_labels)


def _names(field: str, own: bool) -> Comparison:
    if own:
        labels = ("different", "first name one edit apart or JW>=0.85",
                  "same first name, dropped token, or first name one edit and JW>=0.9",
                  "same first name, other tokens a subset or JW>=0.9", "exact skeleton")
    else:
        labels = ("different", "similar (JW>=0.85)", "same first token, subset or JW>=0.94", "exact skeleton")
    top = len(labels) - 1
    return Comparison(field, labels,
                      lambda k, left, right: name_levels(k, field, left, right, own, top))


def default_comparisons() -> list[Comparison]:
    """The comparisons of the model, in a fixed order (the columns of the gamma matrix)."""
    return [
        _names("name", own=True),
        _names("father", own=False),
        _names("mother", own=False),
        _names("spouse", own=False),
        Comparison("gender", ("different", "same"), gender_levels),
        Comparison("dob", ("over 5 years apart", "2-5 years apart", "year within one",
                           "day-month same, year off by one", "same year, one side year only",
                           "day-month swapped", "exact"), dob_levels),
        Comparison("nid", ("different", "two edits", "one edit", "exact"), nid_levels),
        Comparison("brn", ("different", "two edits", "one edit", "exact"), brn_levels),
        Comparison("phone", ("different", "same"), phone_levels),
        Comparison("geo", ("different division", "division", "district", "upazila", "union"), geo_levels),
    ]


def comparison_vectors(keys: RecordKeys, pairs: np.ndarray,
                       comparisons: list[Comparison] | None = None) -> np.ndarray:
    """The gamma matrix: one int8 level per pair (row) and comparison (column)."""
    comparisons = comparisons or default_comparisons()
    left, right = pairs[:, 0], pairs[:, 1]
    return np.stack([c.levels(keys, left, right) for c in comparisons], axis=1)
