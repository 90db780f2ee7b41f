"""`registry import` through the gateway against the running service: upload, progress, report,
`registry job` and `registry export`."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

from typer.testing import CliRunner

from devstack.stack import Stack
from services.registry.cli import app
from tests.integration.registry.factories import unique_nid13, unique_phone


def test_the_cli_imports_a_file_through_the_gateway_and_exports_the_programme(stack: Stack, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    source = tmp_path / "mocom.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unique_id", "programme", "ministry", "name_en", "gender", "dob", "nid", "phone",
                         "union_code"])
        for n in range(30):
            writer.writerow([f"{tag}-{n}", "TCB", "MoCom", "Rahima Khatun", "F", "1971-05-06", unique_nid13(),
                             unique_phone(), "1927" if n != 7 else "999999"])
    url = f"{stack.gateway_url}/registry"
    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(app, ["import", str(source), "--ministry", "MOCOM", "--url", url, "--chunk-rows",
                                      "100", "--errors", str(errors)])
    assert result.exit_code == 0, result.output
    job = json.loads(result.output.strip().splitlines()[-1])
    assert (job["status"], job["rows_done"], job["rows_created"], job["rows_failed"]) == ("succeeded", 30, 29, 1)
    assert [(r["row_number"], r["code"]) for r in csv.DictReader(errors.open())] == [("8", "address.unknown_unit")]

    shown = CliRunner().invoke(app, ["job", job["id"], "--ministry", "MOCOM", "--url", url])
    assert shown.exit_code == 0 and json.loads(shown.output)["rows_total"] == 30

    out = tmp_path / "tcb.csv"
    exported = CliRunner().invoke(app, ["export", "TCB", "--ministry", "MOCOM", "--out", str(out), "--url", url])
    assert exported.exit_code == 0, exported.output
    assert {f"{tag}-{n}" for n in range(30) if n != 7} <= {r["unique_id"] for r in csv.DictReader(out.open())}
