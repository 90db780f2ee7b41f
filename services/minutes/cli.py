"""``minutes`` command line: minutes as documents.

    minutes import FILE [--out DRAFT.json]              a minutes text -> draft meeting (JSON)
    minutes render DRAFT.json --format pdf|docx --out FILE [--strict]

    minutes export MEETING_ID --format pdf|docx --out FILE   a stored meeting (DATABASE_URL) -> document

`import` prints the draft (with `unsure` fields, `issues` and the source file's path and sha256) for
a secretary to check; `render` issues the document from the confirmed draft. `export` reads a
stored meeting from the minutes database and issues it exactly as `GET /meetings/{id}/document`
does (same mapping, same renderers, same bytes).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import uuid
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

from services.minutes.documents.model import DocumentIncomplete, MinutesDocument, MinutesDraft, SourceRef
from services.minutes.documents.parser import MinutesTextError, decode_minutes_text, parse_minutes

if TYPE_CHECKING:
    from services.minutes.meetings.schemas import MeetingRead

app = typer.Typer(help="Minutes (কার্যবিবরণী) as documents: import a text, render PDF or DOCX.",
                  no_args_is_help=True)


class OutputFormat(StrEnum):
    pdf = "pdf"
    docx = "docx"


@app.callback()
def main() -> None:
    """Minutes documents."""


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"minutes: {message}", err=True)
    raise typer.Exit(code)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The minutes as text (UTF-8), e.g. from OCR"),
    out: Path | None = typer.Option(None, "--out", help="Write the draft JSON here instead of stdout"),
) -> None:
    """Read a minutes text into a draft meeting and print it as JSON."""
    if not file.is_file():
        _fail(f"{file}: no such file")
    data = file.read_bytes()
    try:
        draft = parse_minutes(decode_minutes_text(data))
    except MinutesTextError as exc:
        _fail(f"{file}: {exc}")
    draft.source = SourceRef(path=str(file.resolve()), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
    text = json.dumps(draft.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    if draft.unsure or draft.issues:
        typer.echo(f"minutes: {len(draft.unsure)} field(s) to check, {len(draft.issues)} issue(s)", err=True)


def _load_document(path: Path, *, strict: bool) -> MinutesDocument:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{path}: not a draft JSON file: {exc}")
    try:
        draft = MinutesDraft.model_validate(raw)
        decision_doubts = [f"decision {d.label}: {field}" for d in draft.decisions for field in d.unsure]
        if strict and (draft.unsure or draft.issues or decision_doubts):
            names = ", ".join([*draft.unsure, *(issue.code for issue in draft.issues), *decision_doubts])
            _fail(f"{path}: the draft is not confirmed (still unsure or inconsistent: {names}); "
                  "fix the fields and clear 'unsure' and 'issues', or render without --strict")
        for field, reason in draft.unsure.items():
            typer.echo(f"minutes: warning: {field} unconfirmed: {reason}", err=True)
        return draft.to_document()
    except ValidationError as exc:
        _fail(f"{path}: invalid draft: {exc}")
    except DocumentIncomplete as exc:
        _fail(f"{path}: {exc}")
    raise AssertionError("unreachable")  # pragma: no cover - _fail raises


@app.command()
def render(
    draft_file: Path = typer.Argument(..., help="A draft JSON from `minutes import`, checked by a person"),
    output_format: OutputFormat = typer.Option(..., "--format", help="pdf or docx"),
    out: Path = typer.Option(..., "--out", help="The document file to write"),
    strict: bool = typer.Option(False, "--strict", help="Refuse a draft that still has unsure fields or issues"),
) -> None:
    """Render the official Bangla document from a confirmed draft."""
    document = _load_document(draft_file, strict=strict)
    # Imported here so `minutes import` does not pay for loading fpdf2/python-docx.
    if output_format is OutputFormat.pdf:
        from services.minutes.documents.render_pdf import render_pdf

        content = render_pdf(document)
    else:
        from services.minutes.documents.render_docx import render_docx

        content = render_docx(document)
    out.write_bytes(content)
    typer.echo(f"minutes: wrote {out} ({len(content)} bytes)", err=True)


def _redact(url: str) -> str:
    """host:port/database of a database URL, without user or password."""
    rest = url.partition("://")[2]
    return rest.rpartition("@")[2] or url


def _engine_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


async def _load_meeting(url: str, meeting_id: uuid.UUID) -> tuple[MeetingRead, MinutesDocument]:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from services.minutes.meetings.document import load_meeting_document

    engine = create_async_engine(_engine_url(url), connect_args={
        "timeout": 5, "server_settings": {"application_name": "minutes-cli"}})
    try:
        async with async_sessionmaker(engine)() as session:
            return await load_meeting_document(session, meeting_id)
    finally:
        await engine.dispose()


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__


@app.command()
def export(
    meeting_id: str = typer.Argument(..., help="The meeting's id (UUID)"),
    output_format: OutputFormat = typer.Option(..., "--format", help="pdf or docx"),
    out: Path = typer.Option(..., "--out", help="The document file to write"),
) -> None:
    """Issue a stored meeting (read from DATABASE_URL) as its official Bangla document."""
    from sqlalchemy.exc import ProgrammingError, SQLAlchemyError

    from services.minutes.meetings.document import DocumentFormat, render_document
    from services.minutes.meetings.errors import MeetingNotFound

    try:
        wanted = uuid.UUID(meeting_id)
    except ValueError:
        _fail(f"{meeting_id!r} is not a meeting id (a UUID)")
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        _fail("DATABASE_URL is not set: it names the minutes database (postgresql://user@host:port/db)")
    try:
        meeting, document = asyncio.run(_load_meeting(url, wanted))
    except MeetingNotFound:
        _fail(f"no meeting {wanted} in the database at {_redact(url)}", code=1)
    except ProgrammingError as exc:
        _fail(f"the database at {_redact(url)} has no minutes tables (run the migrations?): {_one_line(exc)}", code=1)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        _fail(f"cannot reach the database at {_redact(url)}: {_one_line(exc)}", code=1)
    content = render_document(document, DocumentFormat(output_format.value))
    out.write_bytes(content)
    typer.echo(f"minutes: wrote {out} ({len(content)} bytes) for meeting {meeting.id}", err=True)


if __name__ == "__main__":  # pragma: no cover
    app()
