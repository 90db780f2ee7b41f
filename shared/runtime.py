"""Interpreter settings for a service whose event loop shares the process with CPU-bound threads."""

from __future__ import annotations

import gc
import sys

# CPython hands the GIL to a waiting thread only after the holder has run this long (default 5 ms).
# The event loop waits for it at every database answer while normalisation or scoring threads hold
# it: at 5 ms a consumer batch spent tens of milliseconds of its transaction waiting for the loop.
SWITCH_INTERVAL_S = 0.00025
# A young-generation collection every 700 allocations (the default) ran ~3,000 times per 100,000
# events, and full collections walked everything the process had loaded at start. At 20,000 a
# collection still found most of a consumer batch's objects alive (events, rows, candidates) and
# walked them again in the middle generation: 0.38 s over a lab run of 50,000 events; at 100,000
# more of them are freed before a collection comes, 0.10 s. Unreachable cycles wait longer, which
# costs next to nothing: the services' objects are freed by reference counting, not by the
# collector.
GC_THRESHOLDS = (100_000, 20, 20)
_tuned = False


def tune_for_batch_work() -> None:
    """Shorter GIL hand-offs; fewer, cheaper garbage collections (call once started: what is loaded
    by then is kept out of the collector's walks). Once per process: a test run that starts the
    service many times freezes only what the first start had loaded."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
