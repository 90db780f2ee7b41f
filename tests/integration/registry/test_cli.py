"""`registry import --direct` and `registry export --direct` on a CSV file with the benchmark's columns."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devstack.stack import Stack
from services.registry.cli import app
from tests.integration.registry.factories import unique_nid13, unique_phone

COLUMNS = ("unique_id", "programme", "ministry", "name_bn", "name_en", "gender", "dob", "birth_year", "nid", "phone",
           "union_code", "ward", "person_id")


def write_bench_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def a_bench_row(unique_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {"unique_id": unique_id, "programme": "EGPP", "ministry": "MoDMR",
                              "name_bn": "জামাল উদ্দিন", "gender": "M", "birth_year": 1969, "nid": unique_nid13(),
                              "phone": unique_phone(), "union_code": 1927, "ward": 2, "person_id": 1}
    row.update(overrides)
    return row


async def test_registry_import_direct_reports_a_summary_and_writes_the_report(infra: Stack, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The command runs in a thread of its own, as in its own process: the session's event loop
    # (the tests' registry, with its outbox relay) keeps running meanwhile.
    tag = uuid.uuid4().hex[:8]
    source = tmp_path / "modmr.csv"
    write_bench_csv(source, [a_bench_row(f"{tag}-1"), a_bench_row(f"{tag}-2", gender="unknown"),
                             a_bench_row(f"{tag}-3", ministry="MoFood", programme="FFP"),
                             a_bench_row(f"{tag}-4", dob="31/02/1969")])
    report = tmp_path / "errors.csv"
    monkeypatch.setenv("DATABASE_URL", infra.database_url)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["import", str(source), "--ministry", "modmr",
                                                               "--direct", "--errors", str(report)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["status"], summary["rows_done"], summary["rows_created"], summary["rows_failed"],
            summary["rows_warned"]) == ("succeeded", 4, 2, 2, 1)
    lines = list(csv.DictReader(report.open()))
    assert [(line["row_number"], line["severity"], line["code"]) for line in lines] == [
        ("2", "error", "gender.unknown"), ("3", "error", "ministry.not_caller"),
        ("3", "error", "programme.not_yours"), ("4", "warning", "dob.invalid_date")]

    out = tmp_path / "egpp.csv"
    exported = await asyncio.to_thread(CliRunner().invoke, app, ["export", "EGPP", "--ministry", "MODMR",
                                                                 "--out", str(out), "--direct"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open()))
    assert {f"{tag}-1", f"{tag}-4"} <= {r["unique_id"] for r in rows}
    refused = await asyncio.to_thread(CliRunner().invoke, app, ["export", "EGPP", "--ministry", "MOSW",
                                                                "--out", str(out), "--direct"])
    assert refused.exit_code != 0
