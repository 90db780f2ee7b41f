"""`registry import` on a CSV file with the benchmark's columns."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devstack.stack import Stack
from services.registry.cli import app
from services.registry.imports.reader import READ_COLUMNS
from tests.integration.registry.factories import unique_nid13, unique_phone


def write_bench_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*READ_COLUMNS, "person_id"])
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def a_bench_row(unique_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {"unique_id": unique_id, "programme": "EGPP", "ministry": "MoDMR",
                              "name_bn": "জামাল উদ্দিন", "gender": "M", "birth_year": 1969, "nid": unique_nid13(),
                              "phone": unique_phone(), "union_code": 1927, "ward": 2, "person_id": 1}
    row.update(overrides)
    return row


def test_registry_import_reports_a_summary_and_writes_the_rejects(infra: Stack, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tag = uuid.uuid4().hex[:8]
    source = tmp_path / "modmr.csv"
    write_bench_csv(source, [a_bench_row(f"{tag}-1"), a_bench_row(f"{tag}-2", dob="31/02/1969"),
                             a_bench_row(f"{tag}-3", ministry="MoFood", programme="FFP")])
    rejects = tmp_path / "rejects.jsonl"
    monkeypatch.setenv("DATABASE_URL", infra.database_url)
    result = CliRunner().invoke(app, ["import", str(source), "--ministry", "modmr", "--rejects", str(rejects),
                                      "--workers", "0"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["rows"], summary["created"], summary["rejected"]) == (3, 1, 2)
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(line["source_record_id"], line["errors"][0]["type"]) for line in lines] == [
        (f"{tag}-2", "dob.invalid_date"), (f"{tag}-3", "ministry.not_caller")]
