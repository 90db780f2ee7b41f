"""``matching`` command line: batch deduplication of register extracts.

    matching dedupe INPUT.parquet --out CLUSTERS.parquet [--params-out MODEL.json]

Reads the record columns it knows (ground-truth columns of the benchmark files are dropped on
reading), clusters the records into persons and writes ``unique_id, cluster_id``.  A short timing
breakdown goes to stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import typer

from services.matching.engine.estimate import ModelParams
from services.matching.engine.pipeline import dedupe as dedupe_table

app = typer.Typer(help="Cross-programme record linkage (probabilistic, Bangla/Latin aware).",
                  no_args_is_help=True)

# Columns that carry ground truth in labelled benchmark files: never read into the engine.
GROUND_TRUTH_COLUMNS = ("person_id", "household_id")


@app.callback()
def main() -> None:
    """Record linkage tools."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@app.command()
def dedupe(
    input_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Input records (.parquet)"),
    out: Path = typer.Option(..., "--out", help="Output parquet: unique_id, cluster_id"),
    params_in: Path | None = typer.Option(None, "--params", help="Use saved model parameters (JSON)"),
    params_out: Path | None = typer.Option(None, "--params-out", help="Save estimated parameters (JSON)"),
) -> None:
    """Cluster the records of INPUT into persons."""
    t0 = time.perf_counter()
    columns = [c for c in pq.read_schema(input_path).names if c not in GROUND_TRUTH_COLUMNS]
    table = pl.read_parquet(input_path, columns=columns)
    if "unique_id" not in table.columns:
        table = table.with_row_index("unique_id")
    read_s = time.perf_counter() - t0

    params = ModelParams.from_json(params_in.read_text()) if params_in else None
    result = dedupe_table(table, params=params)

    t = time.perf_counter()
    unique_ids = table["unique_id"]
    pl.DataFrame({
        "unique_id": unique_ids,
        "cluster_id": unique_ids.gather(result.cluster_id),  # id of the cluster's first record
    }).write_parquet(out)
    if params_out:
        params_out.write_text(result.params.to_json())
    write_s = time.perf_counter() - t

    steps = " ".join(f"{k}={v:.1f}s" for k, v in result.timings.items())
    n_clusters = len(set(result.cluster_id.tolist()))
    _log(f"matching dedupe: {table.height} records -> {n_clusters} clusters, "
         f"{len(result.pairs)} candidate pairs")
    _log(f"timing: read={read_s:.1f}s {steps} write={write_s:.1f}s total={time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    app()
