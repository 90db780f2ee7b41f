"""Probabilistic record linkage of beneficiary records (Fellegi-Sunter, Bangla/Latin aware).

Public entry points:

* ``pipeline.dedupe(table)``: cluster a register table into persons (batch);
* ``pipeline.score_pairs(table, pairs, params)``: score given record pairs with a per-field
  explanation (the path for matching one incoming record against candidates);
* ``estimate.ModelParams``: the estimated parameters, saved and loaded as JSON;
* ``normalize.name_skeleton`` and the ``clean_*`` functions: the comparison keys of one value.

See docs/matching.md for the method and its measured accuracy.
"""
