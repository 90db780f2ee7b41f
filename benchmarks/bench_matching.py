"""Benchmark of ``matching dedupe`` on a labelled file: accuracy, wall time and peak memory; then
of incremental linking against the linked 1M register (``bench_matching_linking.py``).

    python benchmarks/bench_matching.py [FILE]

``MATCHING_BENCH_LINKING=0`` skips the linking part; ``MATCHING_BENCH_LINKED`` (default 1,000,000)
sets how many records of the 1M file are linked before it (the JSON says what was used), and
``MATCHING_BENCH_SHARED_BUFFERS`` the buffer cache of its PostgreSQL (default: the dev stack's).

FILE defaults to ``bd_1000000_s42.parquet`` in the bench directory, which is ``../shared/bench``
relative to the repository root unless ``SOMONNOY_BENCH_DIR`` says otherwise.  The CLI runs as a
subprocess (so the wall time covers read, dedupe and write, and the peak RSS is the CLI's own);
the clusters are scored with the bench directory's ``score.py``.  Prints one JSON line, with readings
of the machine taken before the work (``machine``: see ``benchmarks/machine.py``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.machine import machine_readings  # noqa: E402

DEFAULT_FILE = "bd_1000000_s42.parquet"


def bench_dir() -> Path:
    return Path(os.environ.get("SOMONNOY_BENCH_DIR", REPO_ROOT.parent / "shared" / "bench"))


def matching_command() -> list[str]:
    """The installed console script if present, else the module run by this interpreter."""
    script = Path(sys.executable).with_name("matching")
    if script.exists():
        return [str(script)]
    found = shutil.which("matching")
    return [found] if found else [sys.executable, "-m", "services.matching.cli"]


def run(input_file: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        clusters = Path(tmp) / "clusters.parquet"
        start = time.perf_counter()
        proc = subprocess.run([*matching_command(), "dedupe", str(input_file), "--out", str(clusters)],
                              capture_output=True, text=True, cwd=REPO_ROOT)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"matching dedupe failed ({proc.returncode}):\n{proc.stderr}")
        # ru_maxrss of terminated children is in KiB on Linux: the largest child so far, i.e. the CLI
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        scored = subprocess.run([sys.executable, str(input_file.parent / "score.py"), str(input_file),
                                 str(clusters), "--json"], capture_output=True, text=True, check=True)
    score = json.loads(scored.stdout)
    return {
        "file": input_file.name,
        "records": score["records"],
        "precision": score["precision"],
        "recall": score["recall"],
        "f1": score["f1"],
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "false_positive_pairs": score["false_positive_pairs"],
        "false_positive_pairs_same_household": score["false_positive_pairs_same_household"],
        "cli_timing": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "",
    }


def run_linking() -> dict:
    """The incremental-linking benchmark as a subprocess (its own PostgreSQL); its JSON line."""
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "bench_matching_linking.py")],
                          capture_output=True, text=True, cwd=REPO_ROOT)
    if proc.returncode != 0:
        return {"linking_error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:500]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    arg = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FILE
    path = Path(arg)
    if not path.is_absolute() and not path.exists():
        path = bench_dir() / arg
    machine = machine_readings()  # before the work, on an idle machine
    result = run(path.resolve())
    if os.environ.get("MATCHING_BENCH_LINKING", "1") != "0":
        result.update(run_linking())
    print(json.dumps({**result, "machine": machine}))


if __name__ == "__main__":
    main()
