"""Clustering of linked pairs into persons.

Connected components are computed with vectorised min-label propagation plus pointer jumping (a few
passes over the edge arrays, no Python loop per record), which needs no graph library.  Components
that hold contradicting evidence (two genders, two clearly different NIDs or BRNs) are re-built
link by link, strongest first, refusing the links that would join the contradiction.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def connected_components(n: int, edges: np.ndarray) -> np.ndarray:
    """Component label (the smallest member's index) of each of ``n`` nodes for an (k, 2) edge array."""
    labels = np.arange(n, dtype=np.int64)
    if len(edges) == 0:
        return labels
    a, b = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64)
    while True:
        la, lb = labels[a], labels[b]
        low = np.minimum(la, lb)
        before = labels.copy()
        # hook: every endpoint's root takes the smaller label of the edge
        np.minimum.at(labels, la, low)
        np.minimum.at(labels, lb, low)
        # pointer jumping until every node points at its root
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def _digits_apart(a: int, b: int, max_edits: int) -> bool:
    """True when two same-length numbers differ in more than ``max_edits`` digits."""
    edits = 0
    while a or b:
        edits += (a % 10) != (b % 10)
        if edits > max_edits:
            return True
        a //= 10
        b //= 10
    return False


class _Component:
    """What a growing cluster already claims: its identifiers and gender."""

    __slots__ = ("genders", "identifiers")

    def __init__(self, genders: set[int], identifiers: dict[str, set[tuple[int, int]]]) -> None:
        self.genders = genders
        self.identifiers = identifiers

    def conflicts_with(self, other: _Component, max_edits: int) -> bool:
        if len(self.genders | other.genders) > 1:
            return True
        for name, mine in self.identifiers.items():
            theirs = other.identifiers.get(name)
            if not mine or not theirs:
                continue
            for value, length in mine:
                for other_value, other_length in theirs:
                    if length == other_length and value != other_value and _digits_apart(
                            value, other_value, max_edits):
                        return True
        return False

    def absorb(self, other: _Component) -> None:
        self.genders |= other.genders
        for name, values in other.identifiers.items():
            self.identifiers.setdefault(name, set()).update(values)


def constrained_components(n: int, edges: np.ndarray, strength: np.ndarray, gender: np.ndarray,
                           identifiers: dict[str, tuple[np.ndarray, np.ndarray]],
                           max_edits: int = 2) -> np.ndarray:
    """Clusters from linked pairs, strongest first, never joining two clusters that conflict.

    Plain connected components let one weak link chain two people into one cluster; a cluster that
    then holds two genders or two clearly different NIDs/BRNs (more than ``max_edits`` digits apart,
    so typing errors still join) is certainly wrong.  Edges are applied in order of decreasing
    ``strength`` and an edge whose two clusters conflict is dropped.  Only records touched by a
    linked edge enter the Python loop (a small share of a register), the rest stay singletons.

    ``identifiers`` maps a name to (int64 value, digit count) arrays, value -1 for missing; ``gender``
    is 0 for unknown.  Returns the smallest member index of each record's cluster.
    """
    parent = np.arange(n, dtype=np.int64)
    if len(edges) == 0:
        return parent
    order = np.argsort(-strength, kind="stable")
    edges = edges[order]
    touched = np.unique(edges)
    components: dict[int, _Component] = {}
    id_items = [(name, values, lengths) for name, (values, lengths) in identifiers.items()]
    for node in touched.tolist():
        ids = {name: ({(int(values[node]), int(lengths[node]))} if values[node] >= 0 else set())
               for name, values, lengths in id_items}
        components[node] = _Component({int(gender[node])} - {0}, ids)

    root = {node: node for node in touched.tolist()}

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for a, b in edges.tolist():
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if components[ra].conflicts_with(components[rb], max_edits):
            continue
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        root[drop] = keep
        components[keep].absorb(components.pop(drop))
    for node in touched.tolist():
        parent[node] = find(node)
    # roots are the smallest index merged so far, but not necessarily the smallest member
    return connected_components(n, np.stack([np.arange(n), parent], axis=1)[touched])


def cluster_linked_pairs(n: int, edges: np.ndarray, strength: np.ndarray, gender: np.ndarray,
                         identifiers: dict[str, tuple[np.ndarray, np.ndarray]],
                         max_edits: int = 2) -> np.ndarray:
    """Connected components, re-clustered with ``constrained_components`` only where they conflict.

    Nearly every component is clean (one gender, at most one value per identifier), and its
    constrained clustering would be the same as its plain component.  Components are checked with
    vectorised group-bys and only the few holding two genders or two values of an identifier (a
    typo or a wrong merge) go through the strongest-first loop.
    """
    labels = connected_components(n, edges)
    if len(edges) == 0:
        return labels
    members = np.unique(edges)
    # unknown gender is 0 and a missing identifier -1: both are left out of the distinct counts
    frame = {"label": labels[members], "gender": gender[members].astype(np.int64) - 1}
    for name, (values, _) in identifiers.items():
        frame[name] = values[members]
    stats = pl.DataFrame(frame).group_by("label").agg(
        [pl.col(c).filter(pl.col(c) >= 0).n_unique().alias(c) for c in ("gender", *identifiers)]
    )
    suspect = stats.filter(pl.any_horizontal(pl.col(c) > 1 for c in ("gender", *identifiers)))["label"]
    if suspect.len() == 0:
        return labels
    in_suspect = np.isin(labels[edges[:, 0]], suspect.to_numpy())
    refined = constrained_components(n, edges[in_suspect], strength[in_suspect], gender, identifiers,
                                     max_edits)
    touched = np.unique(edges[in_suspect])
    labels[touched] = refined[touched]
    return labels
