"""``matching`` command line: batch deduplication of register extracts.

    matching dedupe INPUT.parquet --out CLUSTERS.parquet [--params-out MODEL.json]

Reads the record columns it knows, under the benchmark files' names or the registry's
(``father_name_bn``, ``date_of_birth``; ground-truth columns of the benchmark files are dropped on
reading), clusters the records into persons and writes ``unique_id, cluster_id``. What it compared
on and a short timing breakdown go to stderr; an unreadable input, or a ``unique_id`` missing or
given twice, is an error (exit status 2).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer

from services.matching.engine.columns import ATTRIBUTE_COLUMNS, with_input_columns
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


def _fail(message: str) -> NoReturn:
    _log(f"matching dedupe: {message}")
    raise typer.Exit(code=2)


def _read_records(path: Path) -> pl.DataFrame:
    """The records of a Parquet file without its ground-truth columns, with a ``unique_id`` (the row
    number when it has none); an unreadable file or an id that is missing or given twice is an error."""
    try:
        columns = [c for c in pq.read_schema(path).names if c not in GROUND_TRUTH_COLUMNS]
        table = pl.read_parquet(path, columns=columns)
    except (OSError, pa.ArrowException, pl.exceptions.PolarsError) as exc:
        _fail(f"cannot read {path} as Parquet: {exc}")
    if "unique_id" not in table.columns:
        return table.with_row_index("unique_id")
    missing = table["unique_id"].null_count()
    if missing:
        _fail(f"{path.name}: {missing} records have no unique_id")
    repeated = table.height - table["unique_id"].n_unique()
    if repeated:
        examples = table["unique_id"].filter(table["unique_id"].is_duplicated()).unique().head(3).to_list()
        # a cluster is named by a record's id: two records under one id would make it ambiguous
        _fail(f"{path.name}: unique_id is not unique ({repeated} repeats, e.g. {examples})")
    return table


def _read_params(path: Path) -> ModelParams:
    try:
        return ModelParams.from_json(path.read_text())
    except (OSError, ValueError, TypeError, KeyError) as exc:
        _fail(f"cannot read model parameters from {path}: {exc}")


@app.command()
def dedupe(
    input_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Input records (.parquet)"),
    out: Path = typer.Option(..., "--out", help="Output parquet: unique_id, cluster_id"),
    params_in: Path | None = typer.Option(None, "--params", help="Use saved model parameters (JSON)"),
    params_out: Path | None = typer.Option(None, "--params-out", help="Save estimated parameters (JSON)"),
) -> None:
    """Cluster the records of INPUT into persons."""
    t0 = time.perf_counter()
    table = _read_records(input_path)
    table, columns = with_input_columns(table)
    used = [c for c in columns if table[c].null_count() < table.height]
    read_s = time.perf_counter() - t0
    if not used:
        _log(f"matching dedupe: warning: {input_path.name} has none of the columns the engine compares "
             f"({', '.join(sorted(ATTRIBUTE_COLUMNS))}): every record is its own person")

    params = _read_params(params_in) if params_in else None
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
         f"{len(result.pairs)} candidate pairs; compared on: {', '.join(used) or 'nothing'}")
    _log(f"timing: read={read_s:.1f}s {steps} write={write_s:.1f}s total={time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    app()
