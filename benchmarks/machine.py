"""A few fixed measurements of the machine a benchmark ran on, printed with its figures.

Two machines of one kind can differ a lot: on 2026-12-02 the same commit's 1M dedupe took 37-43 s
where it had taken 15-16 s a week before, with the same output. Without a reading of the machine
beside the figures, a slower machine looks like a slower program. These readings are small and fixed
(about two seconds in all), so that figures from two runs can be set side by side:

* ``python_loop_ns``: one iteration of a function-local ``total += i`` loop (the interpreter);
* ``page_fault_us``: first touch of one 4 KiB page of fresh anonymous memory (what every large
  allocation pays: NumPy and Polars buffers, PostgreSQL backends touching shared buffers);
* ``pipe_round_trip_us``: one byte to another process and back (a context switch each way: what
  every database round trip and every proxied request pays);
* ``polars_group_by_ms``: a fixed group-by over 2M rows (memory bandwidth, threads).

``python -m benchmarks.machine`` prints them alone.
"""

from __future__ import annotations

import json
import mmap
import os
import time

import numpy as np
import polars as pl

PAGE = 4096


def python_loop_ns(iterations: int = 2_000_000) -> float:
    def loop() -> int:
        total = 0
        for i in range(iterations):
            total += i
        return total

    start = time.perf_counter()
    loop()
    return (time.perf_counter() - start) / iterations * 1e9


def page_fault_us(size: int = 128 << 20) -> float:
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        pages = np.frombuffer(memory, dtype=np.uint8)
        start = time.perf_counter()
        pages[::PAGE] = 1  # one write a page: one fault a page
        elapsed = time.perf_counter() - start
        del pages
    finally:
        memory.close()
    return elapsed / (size // PAGE) * 1e6


def pipe_round_trip_us(round_trips: int = 5_000) -> float:
    to_child_r, to_child_w = os.pipe()
    to_parent_r, to_parent_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child echoes each byte back, then leaves without Python's clean-up
        try:
            for _ in range(round_trips):
                os.write(to_parent_w, os.read(to_child_r, 1))
        finally:
            os._exit(0)
    try:
        start = time.perf_counter()
        for _ in range(round_trips):
            os.write(to_child_w, b"x")
            os.read(to_parent_r, 1)
        elapsed = time.perf_counter() - start
    finally:
        os.waitpid(pid, 0)
        for fd in (to_child_r, to_child_w, to_parent_r, to_parent_w):
            os.close(fd)
    return elapsed / round_trips * 1e6


def polars_group_by_ms(rows: int = 2_000_000) -> float:
    keys = np.random.default_rng(42).integers(0, rows // 4, rows)
    frame = pl.DataFrame({"key": keys, "value": np.arange(rows)})
    start = time.perf_counter()
    frame.group_by("key").agg(pl.col("value").sum(), pl.len())
    return (time.perf_counter() - start) * 1000


def machine_readings() -> dict[str, float | int | list[float] | None]:
    """The readings above (best of three each, so that a moment's interruption does not count), the
    core count and the load average when they were taken."""
    return {
        "cores": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python_loop_ns": round(min(python_loop_ns() for _ in range(3)), 1),
        "page_fault_us": round(min(page_fault_us() for _ in range(3)), 2),
        "pipe_round_trip_us": round(min(pipe_round_trip_us() for _ in range(3)), 1),
        "polars_group_by_ms": round(min(polars_group_by_ms() for _ in range(3)), 1),
    }


if __name__ == "__main__":
    print(json.dumps(machine_readings()))
