"""Issuing a meeting as an official Bangla document: layout, PDF (acceptance 3) and DOCX."""

from __future__ import annotations

import io
from datetime import date, time

import docx
import pypdfium2
import pytest
import uharfbuzz as hb
from docx.oxml.ns import qn

from services.minutes.documents import DocumentIncomplete, MinutesDocument, MinutesDraft
from services.minutes.documents.fonts import FONT_FAMILY, bangla_font_path
from services.minutes.documents.layout import format_time_bn, layout_document
from services.minutes.documents.render_docx import render_docx
from services.minutes.documents.render_pdf import render_pdf
from tests.document_text import nfc, pdf_text, squash


@pytest.fixture(scope="module")
def focal_document(focal_draft: MinutesDraft) -> MinutesDocument:
    return focal_draft.to_document()


@pytest.fixture(scope="module")
def focal_pdf(focal_document: MinutesDocument) -> bytes:
    return render_pdf(focal_document)


# ---------------------------------------------------------------------------------------------------
# Layout (shared by both renderers)


def test_layout_numbers_sections_in_bangla_and_keeps_decision_labels(focal_document: MinutesDocument) -> None:
    layout = layout_document(focal_document)
    assert [s.label for s in layout.sections] == ["০১।", "০২।", "০৩।", "০৪।", "০৫।"]
    assert layout.decisions_section.label == "০৬।"
    assert [d.label for d in layout.decisions] == ["(ক)", "(খ)", "(গ)"]
    assert layout.closing is not None and layout.closing.label == "০৭।"
    assert layout.memo_line == nfc("স্মারক নম্বর: ০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩")
    assert layout.date_lines == [nfc("তারিখ: ১৯ কার্তিক ১৪২৮ বঙ্গাব্দ"), nfc("০৪ নভেম্বর ২০২১ খ্রিস্টাব্দ")]
    assert dict(layout.table)[nfc("সভার তারিখ")] == nfc("২৪ অক্টোবর ২০২১ খ্রিস্টাব্দ")
    assert [d.label for d in layout.distribution][:2] == ["১)", "২)"] and len(layout.distribution) == 45


def test_layout_prints_both_calendars_from_the_one_stored_date(cluster_draft: MinutesDraft) -> None:
    # The scan's pair disagreed (২৩ পৌষ ১৪২৬ / ০৭ জানুয়ারি ২০১৯); the issued document cannot.
    layout = layout_document(cluster_draft.to_document())
    assert layout.date_lines == [nfc("তারিখ: ২৩ পৌষ ১৪২৬ বঙ্গাব্দ"), nfc("০৭ জানুয়ারি ২০২০ খ্রিস্টাব্দ")]


@pytest.mark.parametrize(("value", "text"), [
    (time(11, 0), "সকাল ১১:০০ ঘটিকা"), (time(15, 0), "বেলা ৩:০০ ঘটিকা"), (time(12, 30), "দুপুর ১২:৩০ ঘটিকা"),
])
def test_format_time_bn(value: time, text: str) -> None:
    assert format_time_bn(value) == nfc(text)


def test_a_draft_without_chair_or_date_cannot_become_a_document() -> None:
    with pytest.raises(DocumentIncomplete, match="chair_name, held_on"):
        MinutesDraft(subject="সভা").to_document()


def test_a_minimal_document_renders() -> None:
    document = MinutesDocument(subject=nfc("সমন্বয় সভা"), chair_name=nfc("রহিম উদ্দিন"), held_on=date(2024, 1, 2))
    assert render_pdf(document).startswith(b"%PDF-")
    assert docx.Document(io.BytesIO(render_docx(document))).paragraphs


# ---------------------------------------------------------------------------------------------------
# PDF


def test_font_comes_with_the_project_and_shapes_conjuncts() -> None:
    path = bangla_font_path()
    assert path.is_file() and bangla_font_path(bold=True).is_file()
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
    for word in ("ক্ষ", "ন্ত্র", "র্ম"):
        buffer = hb.Buffer()
        buffer.add_str(nfc(word))
        buffer.guess_segment_properties()
        hb.shape(font, buffer, {})
        # A conjunct is fewer glyphs than code points, and none of them is .notdef.
        assert len(buffer.glyph_infos) < len(nfc(word)), word
        assert all(info.codepoint != 0 for info in buffer.glyph_infos), word


def test_pdf_gives_back_the_decisions_text_exactly(focal_pdf: bytes, focal_document: MinutesDocument) -> None:
    text = squash(pdf_text(focal_pdf))
    for decision in focal_document.decisions:
        assert squash(decision.text) in text, decision.label
    for section in focal_document.discussion:
        assert squash(section.text) in text, section.label
    assert nfc("০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩") in text
    assert nfc("তারিখ: ১৯ কার্তিক ১৪২৮ বঙ্গাব্দ") in text
    for recipient in focal_document.distribution:
        assert squash(recipient) in text


def test_pdf_text_round_trip_is_per_line_exact(focal_pdf: bytes, focal_document: MinutesDocument) -> None:
    # Stronger than the substring check: no line of the extracted text contains a character that
    # is not in the document (ToUnicode-only extraction would leave stray ASCII for unmapped glyphs).
    allowed = set(nfc(focal_document.model_dump_json())) | set("০১২৩৪৫৬৭৮৯।:() ;\r\n") | set(
        nfc("বিষয়সভাপতিরতারিখসময়স্থানউপস্থিতিস্মারকনম্বরবঙ্গাব্দখ্রিস্টাব্দবিতরণজ্যেষ্ঠতারক্রমানুসারেনয়পৃষ্ঠাঘটিকা"))
    stray = set(nfc(pdf_text(focal_pdf))) - allowed
    assert not stray, sorted(stray)


def test_pdf_embeds_the_packaged_font_and_is_a4(focal_pdf: bytes) -> None:
    assert b"HindSiliguri" in focal_pdf
    pdf = pypdfium2.PdfDocument(focal_pdf)
    try:
        width, height = pdf[0].get_size()
        assert (round(width), round(height)) == (595, 842)
        assert len(pdf) >= 3
    finally:
        pdf.close()


def test_pdf_page_renders_with_ink_where_the_layout_puts_it(focal_pdf: bytes, tmp_path) -> None:
    pdf = pypdfium2.PdfDocument(focal_pdf)
    try:
        image = pdf[0].render(scale=1.5).to_pil().convert("L")
    finally:
        pdf.close()
    image.save(tmp_path / "page1.png")
    width, height = image.size
    top = image.crop((0, 0, width, height // 10))
    body = image.crop((0, height // 3, width, 2 * height // 3))
    assert top.getextrema()[0] < 100, "the heading is missing"
    assert body.getextrema()[0] < 100, "the body is missing"
    # The heading is centred: ink in the middle third of the first lines, none at the far left.
    heading = image.crop((0, int(height * 0.06), width, int(height * 0.09)))
    left, _, right, _ = heading.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert left > width * 0.2 and right < width * 0.8


# ---------------------------------------------------------------------------------------------------
# DOCX


def test_docx_opens_and_holds_the_same_text(focal_document: MinutesDocument) -> None:
    content = render_docx(focal_document)
    document = docx.Document(io.BytesIO(content))
    paragraphs = [nfc(p.text) for p in document.paragraphs]
    cells = [nfc(cell.text) for table in document.tables for row in table.rows for cell in row.cells]
    text = "\n".join(paragraphs + cells)
    for decision in focal_document.decisions:
        assert f"({decision.label})\t{decision.text}" in text
    for section in focal_document.discussion:
        assert section.text in text
    assert nfc("স্মারক নম্বর: ০৪.০০.০০০০.৭২৫.১৮.০০১.১৫.১০৩") in cells
    assert nfc("তারিখ: ১৯ কার্তিক ১৪২৮ বঙ্গাব্দ\n০৪ নভেম্বর ২০২১ খ্রিস্টাব্দ") in cells
    assert sum(1 for p in paragraphs if p.startswith(("১)", "২)", "৩)", "৪৫)"))) >= 4
    assert nfc("মোঃ কামাল হোসেন, সচিব, সমন্বয় ও সংস্কার, মন্ত্রিপরিষদ বিভাগ") in cells


def test_docx_names_the_bangla_font_for_complex_script(focal_document: MinutesDocument) -> None:
    document = docx.Document(io.BytesIO(render_docx(focal_document)))
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:cs")) == FONT_FAMILY
    assert fonts.get(qn("w:ascii")) == FONT_FAMILY


def test_cluster_list_inside_a_paragraph_keeps_its_lines(cluster_draft: MinutesDraft) -> None:
    document = docx.Document(io.BytesIO(render_docx(cluster_draft.to_document())))
    paragraphs = [nfc(p.text) for p in document.paragraphs]
    assert nfc("৯. পার্বত্য চট্টগ্রাম বিষয়ক মন্ত্রণালয়") in paragraphs
    text = squash(pdf_text(render_pdf(cluster_draft.to_document())))
    assert nfc("৯. পার্বত্য চট্টগ্রাম বিষয়ক মন্ত্রণালয়") in text
