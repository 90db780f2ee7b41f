"""The machine readings printed beside the benchmarks' figures."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks import machine


def test_each_reading_is_a_positive_time_per_unit() -> None:
    assert 1 < machine.python_loop_ns(200_000) < 10_000
    assert 0 < machine.page_fault_us(8 << 20) < 1_000
    assert 0 < machine.pipe_round_trip_us(500) < 100_000
    assert 0 < machine.polars_group_by_ms(100_000) < 60_000


def test_the_module_prints_one_json_line_with_every_reading() -> None:
    printed = subprocess.run([sys.executable, "-m", "benchmarks.machine"], capture_output=True, text=True,
                             check=True, timeout=120).stdout.strip().splitlines()
    assert len(printed) == 1
    readings = json.loads(printed[0])
    assert set(readings) == {"cores", "loadavg", "python_loop_ns", "page_fault_us", "pipe_round_trip_us",
                             "polars_group_by_ms"}
    assert readings["cores"] >= 1 and len(readings["loadavg"]) == 3
