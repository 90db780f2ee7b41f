"""Reading an uploaded file a chunk at a time: Parquet, CSV, JSON Lines or XLSX.

Every reader yields Polars frames of exactly `chunk_rows` rows (the last one shorter), every
column as text, and can start after the first `skip` rows, so a resumed job reads on from its
last committed chunk without holding more than about one chunk in memory.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("parquet", "csv", "jsonl", "xlsx")
SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "jsonl", ".xlsx": "xlsx"}
# Ground truth of the benchmark files: never read, never stored.
IGNORED_COLUMNS = frozenset({"person_id", "household_id"})


class UnreadableFile(ValueError):
    """The file is not of its format, or has no header."""


def format_of(filename: str, declared: str | None) -> str:
    if declared:
        declared = declared.lower().removeprefix(".")
        declared = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}.get(declared, declared)
        if declared not in FORMATS:
            raise UnreadableFile(f"format {declared!r} is not one of {', '.join(FORMATS)}")
        return declared
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnreadableFile(f"cannot tell the format of {filename!r}: name it .parquet, .csv, .jsonl or .xlsx, "
                             "or pass format")
    return SUFFIXES[suffix]


def _column_name(name: str) -> str:
    return name.lstrip("\ufeff").strip().lower()  # a byte-order mark is not part of the first name


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    keep = [c for c in frame.columns if _column_name(c) not in IGNORED_COLUMNS]
    return frame.select(pl.col(c).cast(pl.String).alias(_column_name(c)) for c in keep)


def _exact_chunks(frames: Iterator[pl.DataFrame], chunk_rows: int, skip: int) -> Iterator[pl.DataFrame]:
    pending: list[pl.DataFrame] = []
    pending_rows = 0
    for frame in frames:
        if skip:
            if frame.height <= skip:
                skip -= frame.height
                continue
            frame, skip = frame.slice(skip), 0
        pending.append(frame)
        pending_rows += frame.height
        while pending_rows >= chunk_rows:
            merged = pl.concat(pending, how="diagonal_relaxed") if len(pending) > 1 else pending[0]
            yield merged.slice(0, chunk_rows)
            rest = merged.slice(chunk_rows)
            pending, pending_rows = ([rest] if rest.height else []), rest.height
    if pending_rows:
        yield pl.concat(pending, how="diagonal_relaxed") if len(pending) > 1 else pending[0]


def _parquet(path: Path, batch: int) -> Iterator[pl.DataFrame]:
    parquet = pq.ParquetFile(path)
    columns = [c for c in parquet.schema_arrow.names if c.lower() not in IGNORED_COLUMNS]
    for record_batch in parquet.iter_batches(batch_size=batch, columns=columns):
        yield _as_text(pl.from_arrow(record_batch))  # type: ignore[arg-type]


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise UnreadableFile("the CSV file has no header row")
    return header


def _csv(path: Path, batch: int) -> Iterator[pl.DataFrame]:
    header = _csv_header(path)
    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=8 << 20, encoding="utf-8"),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True))
    for record_batch in reader:
        yield _as_text(pl.from_arrow(record_batch))  # type: ignore[arg-type]


def _jsonl(path: Path, batch: int) -> Iterator[pl.DataFrame]:
    with path.open("rb") as handle:
        lines = (line for line in handle if line.strip())
        while block := list(itertools.islice(lines, batch)):
            try:
                frame = pl.read_ndjson(io.BytesIO(b"".join(block)), infer_schema_length=None)
            except Exception as error:
                raise UnreadableFile(f"not JSON Lines: {str(error)[:200]}") from None
            yield _as_text(frame)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx(path: Path, batch: int) -> Iterator[pl.DataFrame]:
    from openpyxl import load_workbook  # only XLSX imports need it

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise UnreadableFile("the first sheet has no header row")
        names = [str(h) if h is not None else f"column_{i}" for i, h in enumerate(header)]
        while block := list(itertools.islice(rows, batch)):
            data = [[_cell(v) for v in row] + [None] * (len(names) - len(row)) for row in block]
            frame = pl.DataFrame(data, schema={n: pl.String for n in names}, orient="row")
            yield _as_text(frame)
    finally:
        workbook.close()


READERS = {"parquet": _parquet, "csv": _csv, "jsonl": _jsonl, "xlsx": _xlsx}


def read_chunks(path: Path, fmt: str, *, chunk_rows: int, skip: int = 0) -> Iterator[pl.DataFrame]:
    """The file's rows as text frames of `chunk_rows` rows, from row `skip` (0-based) on."""
    try:
        yield from _exact_chunks(READERS[fmt](path, min(chunk_rows, 65_536)), chunk_rows, skip)
    except (pa.ArrowInvalid, OSError) as error:
        raise UnreadableFile(f"cannot read the file as {fmt}: {str(error)[:300]}") from None


def count_rows(path: Path, fmt: str) -> int | None:
    """How many data rows the file has (for progress and the ETA), read cheaply."""
    if fmt == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if fmt == "jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if fmt == "csv":
        _csv_header(path)
        return pl.scan_csv(path, infer_schema=False, quote_char='"').select(pl.len()).collect().item()
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            sheet = workbook.worksheets[0]
            return max((sheet.max_row or 1) - 1, 0)
        finally:
            workbook.close()
    return None
