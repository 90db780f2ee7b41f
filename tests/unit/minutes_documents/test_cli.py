"""`minutes import` and `minutes render`, through the typer app as a user runs them."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import docx
import pypdfium2
import pytest
from typer.testing import CliRunner

from services.minutes.cli import app
from tests.unit.minutes_documents.seeds import CLUSTER_2019, FOCAL_POINTS_2021, seed_path

runner = CliRunner()


def test_import_prints_the_draft_with_decisions_and_its_source() -> None:
    path = seed_path(FOCAL_POINTS_2021)
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    draft = json.loads(result.stdout)
    assert [d["label"] for d in draft["decisions"]] == ["ক", "খ", "গ"]
    assert draft["held_on"] == "2021-10-24"
    assert draft["source"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert draft["source"]["path"] == str(path.resolve())


def test_import_reports_fields_to_check_on_stderr() -> None:
    result = runner.invoke(app, ["import", str(seed_path(CLUSTER_2019))])
    assert result.exit_code == 0
    draft = json.loads(result.stdout)
    assert {issue["code"] for issue in draft["issues"]} == {"date_pair_mismatch", "issued_before_meeting"}
    assert "issue(s)" in result.stderr


def test_import_refuses_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.7\n\x00\x01\x02binary")
    for path, needle in ((empty, "empty"), (binary, "binary"), (tmp_path / "missing.txt", "no such file")):
        result = runner.invoke(app, ["import", str(path)])
        assert result.exit_code == 2
        assert needle in result.stderr
        assert result.stdout == ""


def test_render_pdf_and_docx_from_an_imported_draft(tmp_path: Path) -> None:
    draft_path = tmp_path / "draft.json"
    result = runner.invoke(app, ["import", str(seed_path(FOCAL_POINTS_2021)), "--out", str(draft_path)])
    assert result.exit_code == 0, result.output

    pdf_path, docx_path = tmp_path / "minutes.pdf", tmp_path / "minutes.docx"
    assert runner.invoke(app, ["render", str(draft_path), "--format", "pdf", "--out", str(pdf_path)]).exit_code == 0
    assert runner.invoke(app, ["render", str(draft_path), "--format", "docx", "--out", str(docx_path)]).exit_code == 0

    pdf = pypdfium2.PdfDocument(pdf_path.read_bytes())
    assert len(pdf) >= 3
    pdf.close()
    paragraphs = [p.text for p in docx.Document(io.BytesIO(docx_path.read_bytes())).paragraphs]
    assert any(p.startswith("(গ)\t") for p in paragraphs)


def test_render_strict_refuses_an_unconfirmed_draft(tmp_path: Path) -> None:
    draft_path = tmp_path / "draft.json"
    runner.invoke(app, ["import", str(seed_path(CLUSTER_2019)), "--out", str(draft_path)])
    out = tmp_path / "minutes.pdf"
    result = runner.invoke(app, ["render", str(draft_path), "--format", "pdf", "--out", str(out), "--strict"])
    assert result.exit_code == 2
    assert "date_pair_mismatch" in result.stderr
    assert not out.exists()


def test_render_explains_an_incomplete_or_broken_draft(tmp_path: Path) -> None:
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"subject": "সভা"}), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for path, needle in ((incomplete, "chair_name, held_on"), (broken, "not a draft JSON")):
        result = runner.invoke(app, ["render", str(path), "--format", "docx", "--out", str(tmp_path / "x.docx")])
        assert result.exit_code == 2
        assert needle in result.stderr


def test_export_says_in_one_line_what_is_wrong_before_touching_a_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "minutes.pdf"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    bad_id = runner.invoke(app, ["export", "not-a-uuid", "--format", "pdf", "--out", str(out)])
    assert bad_id.exit_code == 2 and bad_id.stderr.strip() == "minutes: 'not-a-uuid' is not a meeting id (a UUID)"
    meeting_id = "8a7f3c1e-0000-4000-8000-000000000001"
    no_url = runner.invoke(app, ["export", meeting_id, "--format", "pdf", "--out", str(out)])
    assert no_url.exit_code == 2 and no_url.stderr.startswith("minutes: DATABASE_URL is not set")
    monkeypatch.setenv("DATABASE_URL", "postgresql://auditor:s3cret@127.0.0.1:9/somonnoy")
    unreachable = runner.invoke(app, ["export", meeting_id, "--format", "docx", "--out", str(out)])
    assert unreachable.exit_code == 1
    [line] = unreachable.stderr.strip().splitlines()
    assert line.startswith("minutes: cannot reach the database at 127.0.0.1:9/somonnoy: ")
    assert "s3cret" not in line and not out.exists()
