"""A meeting's minutes as a Word document (DOCX), in the layout ministries circulate.

Word shapes Bangla itself (Uniscribe/DirectWrite), so the DOCX carries Unicode text and names the
font; it does not embed it. Every run names Hind Siliguri for all four font slots and the
complex-script slot in particular (w:cs, where Word looks for Bengali), with bn-BD as the
complex-script language. A reader without Hind Siliguri gets Word's Bengali fallback (Nirmala UI or
Vrinda on Windows), which also shapes correctly.
"""

from __future__ import annotations

import io
import unicodedata

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from services.minutes.documents.fonts import FONT_FAMILY
from services.minutes.documents.layout import Numbered, layout_document
from services.minutes.documents.model import MinutesDocument

__all__ = ["render_docx"]

BODY_PT = 12
HANGING_CM = 1.2


def _set_bangla_font(style: ParagraphStyle) -> None:
    style.font.name = FONT_FAMILY
    style.font.size = Pt(BODY_PT)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), FONT_FAMILY)
    # Word sizes complex-script text with szCs, not sz: without it Bengali falls back to 11 pt.
    size_cs = OxmlElement("w:szCs")
    size_cs.set(qn("w:val"), str(BODY_PT * 2))
    rpr.append(size_cs)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:bidi"), "bn-BD")
    rpr.append(lang)


def _paragraph(doc: Document, text: str = "", *, bold: bool = False,
               align: WD_ALIGN_PARAGRAPH | None = None, space_after: float = 4) -> Paragraph:
    paragraph = doc.add_paragraph()
    if text:
        run = paragraph.add_run(unicodedata.normalize("NFC", text))
        run.bold = bold
        if bold:
            # Bold for Bengali is the complex-script bold (w:bCs); w:b alone leaves it regular in Word.
            run._element.get_or_add_rPr().append(OxmlElement("w:bCs"))
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def _numbered(doc: Document, item: Numbered, *, indent_cm: float = 0.0) -> None:
    """Label, tab, text, with a hanging indent so wrapped lines align with the text."""
    first, *rest = item.text.split("\n")
    paragraph = _paragraph(doc, f"{item.label}\t{first}", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    paragraph.paragraph_format.left_indent = Cm(indent_cm + HANGING_CM)
    paragraph.paragraph_format.first_line_indent = Cm(-HANGING_CM)
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(indent_cm + HANGING_CM))
    for line in rest:
        # A list inside a paragraph (a cluster's ministries) keeps one line per item.
        sub = _paragraph(doc, line, space_after=0)
        sub.paragraph_format.left_indent = Cm(indent_cm + 2 * HANGING_CM)


def render_docx(document: MinutesDocument) -> bytes:
    """The DOCX file's bytes."""
    layout = layout_document(document)
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4, as government letters are
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    _set_bangla_font(doc.styles["Normal"])

    for index, line in enumerate(layout.heading):
        _paragraph(doc, line, bold=index == 0, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _paragraph(doc)
    _paragraph(doc, f"বিষয়: {layout.subject}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)

    table = doc.add_table(rows=0, cols=3)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in layout.table:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = label, ":", value
    for row in table.rows:
        row.cells[0].width, row.cells[1].width, row.cells[2].width = Cm(3.5), Cm(0.5), Cm(12.5)
    _paragraph(doc)

    for item in layout.sections:
        _numbered(doc, item)
    _numbered(doc, layout.decisions_section)
    for item in layout.decisions:
        _numbered(doc, item, indent_cm=HANGING_CM)
    if layout.closing:
        _numbered(doc, layout.closing)

    _paragraph(doc)
    for line in layout.signature:
        paragraph = _paragraph(doc, line, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
        paragraph.paragraph_format.left_indent = Cm(8.5)

    if layout.memo_line or layout.date_lines:
        _paragraph(doc)
        memo = doc.add_table(rows=1, cols=2)
        memo.cell(0, 0).text = layout.memo_line or ""
        memo.cell(0, 1).text = "\n".join(layout.date_lines)
        for paragraph in memo.cell(0, 1).paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    for title, items in ((layout.distribution_title, layout.distribution), (layout.copies_title, layout.copies)):
        if not items:
            continue
        _paragraph(doc)
        _paragraph(doc, title, bold=True)
        for item in items:
            paragraph = _paragraph(doc, f"{item.label}\t{item.text}", space_after=0)
            paragraph.paragraph_format.left_indent = Cm(HANGING_CM)
            paragraph.paragraph_format.first_line_indent = Cm(-HANGING_CM)

    if layout.circulated_by:
        _paragraph(doc)
        for line in layout.circulated_by:
            paragraph = _paragraph(doc, line, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
            paragraph.paragraph_format.left_indent = Cm(8.5)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
