"""The interpreter settings of a service with CPU-bound threads beside its event loop."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import REPO_ROOT

_PROBE = """
import gc, json, sys
from shared.runtime import GC_THRESHOLDS, SWITCH_INTERVAL_S, tune_for_batch_work
before = {"switch": sys.getswitchinterval(), "thresholds": list(gc.get_threshold())}
tune_for_batch_work()
frozen = gc.get_freeze_count()
garbage = [[object()] for _ in range(50_000)]
tune_for_batch_work()  # a second start in the same process
print(json.dumps({"before": before, "switch": sys.getswitchinterval(), "thresholds": list(gc.get_threshold()),
                  "frozen": frozen, "frozen_again": gc.get_freeze_count(), "want_switch": SWITCH_INTERVAL_S,
                  "want_thresholds": list(GC_THRESHOLDS)}))
"""


def test_the_loop_gets_the_gil_sooner_and_the_collector_runs_less_once_per_process() -> None:
    # a process of its own: the settings are the interpreter's, not the test run's to change
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    seen = json.loads(out.stdout)
    assert seen["before"]["switch"] == 0.005 and seen["before"]["thresholds"][0] == 700
    assert seen["switch"] == seen["want_switch"] < seen["before"]["switch"]
    assert seen["thresholds"] == seen["want_thresholds"]
    assert seen["frozen"] > 1_000  # what the process had loaded is out of the collector's walks
    assert seen["frozen_again"] == seen["frozen"]  # the second call froze nothing more
