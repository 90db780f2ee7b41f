"""A meeting's minutes as a PDF, in the layout ministries circulate, with Bangla shaped correctly.

Shaping: fpdf2 with `set_text_shaping(True)` runs HarfBuzz (uharfbuzz) over each line, so conjuncts
(ক্ষ, ন্ত্র), reph (র্ম) and pre-base vowel signs (ি, ে, ৈ drawn before their consonant) come out as
the font's OpenType tables say, not as glyphs in a row.

Text that can be copied and searched: a shaped line's glyphs are in visual order and one cluster may
be several glyphs, so the per-glyph ToUnicode map alone cannot give the text back (fpdf2 2.8 maps
the whole cluster to its first glyph and leaves the others unmapped; pdfminer.six prints those as
"(cid:7)", pdfium and pypdf as stray ASCII). Each printed line is therefore wrapped in a marked-content
span carrying /ActualText, the line's Unicode text (PDF 32000-1 §14.9.4). Extractors that honour it
(pdfium, hence pypdfium2 and Chrome; poppler's pdftotext) give back exactly the NFC text. See
docs/minutes-documents.md for which extractors round-trip.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from services.minutes.documents.fonts import bangla_font_path
from services.minutes.documents.layout import Layout, Numbered, layout_document
from services.minutes.documents.model import MinutesDocument
from shared.text.digits import to_bangla_digits

DHAKA = ZoneInfo("Asia/Dhaka")

__all__ = ["render_pdf"]

FONT = "bangla"
BODY_PT = 12
LINE_MM = 6.6
HANGING_MM = 12.0
TABLE_LABEL_MM = 32.0
TABLE_COLON_MM = 5.0
SIGNATURE_WIDTH_MM = 75.0


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class _MinutesPdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(left=25, top=20, right=20)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_font(FONT, "", str(bangla_font_path()))
        self.add_font(FONT, "B", str(bangla_font_path(bold=True)))
        self.set_text_shaping(True)
        self.set_font(FONT, size=BODY_PT)
        self.set_title("কার্যবিবরণী")
        self.set_lang("bn-BD")

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        # Called from inside add_page(): restore the caller's font (a bold title may be next).
        style, size = self.font_style, self.font_size_pt
        self.set_y(-14)
        self.set_font(FONT, size=9)
        text = _nfc(f"পৃষ্ঠা {to_bangla_digits(self.page_no())}")
        with self.actual_text(text):
            self.cell(self.epw, LINE_MM, text, align="C")
        self.set_font(FONT, style, size=size)

    @contextmanager
    def actual_text(self, text: str) -> Iterator[None]:
        """Marked content whose /ActualText is `text` (UTF-16BE with BOM, hex, so no escaping issues)."""
        encoded = "FEFF" + text.encode("utf-16-be").hex().upper()
        self._out(f"/Span <</ActualText <{encoded}>>> BDC")
        try:
            yield
        finally:
            self._out("EMC")

    def text_line(self, text: str, *, width: float, align: str = "L", x: float | None = None) -> None:
        """One line at the current y (or x), then down one line."""
        text = _nfc(text)
        if self.will_page_break(LINE_MM):
            # Break before opening the marked content: an automatic break inside cell() would leave
            # BDC on one page and EMC on the next, and pdfium then drops the ActualText of that line.
            self.add_page()
        self.set_x(self.l_margin if x is None else x)
        with self.actual_text(text):
            self.cell(width, LINE_MM, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def wrapped(self, text: str, *, width: float, x: float | None = None, align: str = "L") -> None:
        """A paragraph broken into lines by fpdf2 (shaped widths), each printed with its ActualText."""
        lines = self.multi_cell(width, LINE_MM, _nfc(text), dry_run=True, output="LINES")
        for line in lines:
            if self.will_page_break(LINE_MM):
                self.add_page()
            self.text_line(line, width=width, align=align, x=x)

    def numbered(self, item: Numbered, *, indent: float = 0.0) -> None:
        """Label in the margin column, text hanging beside it."""
        x_label = self.l_margin + indent
        x_text = x_label + HANGING_MM
        width = self.epw - indent - HANGING_MM
        first, *rest = item.text.split("\n")
        if self.will_page_break(LINE_MM * 2):
            self.add_page()
        y = self.get_y()
        self.text_line(item.label, width=HANGING_MM, x=x_label)
        self.set_y(y)
        self.wrapped(first, width=width, x=x_text)
        for line in rest:
            self.wrapped(line, width=width - HANGING_MM / 2, x=x_text + HANGING_MM / 2)
        self.ln(2)


def _heading(pdf: _MinutesPdf, layout: Layout) -> None:
    for index, line in enumerate(layout.heading):
        pdf.set_font(FONT, "B" if index == 0 else "", size=BODY_PT + (1 if index == 0 else 0))
        pdf.text_line(line, width=pdf.epw, align="C")
    pdf.set_font(FONT, "B", size=BODY_PT)
    pdf.ln(4)
    pdf.wrapped(f"বিষয়: {layout.subject}", width=pdf.epw, align="C")
    pdf.set_font(FONT, size=BODY_PT)
    pdf.ln(3)


def _table(pdf: _MinutesPdf, layout: Layout) -> None:
    x_value = pdf.l_margin + TABLE_LABEL_MM + TABLE_COLON_MM
    width = pdf.epw - TABLE_LABEL_MM - TABLE_COLON_MM
    for label, value in layout.table:
        if pdf.will_page_break(LINE_MM * 2):
            pdf.add_page()
        y = pdf.get_y()
        pdf.text_line(label, width=TABLE_LABEL_MM)
        pdf.set_y(y)
        pdf.text_line(":", width=TABLE_COLON_MM, x=pdf.l_margin + TABLE_LABEL_MM)
        pdf.set_y(y)
        pdf.wrapped(value, width=width, x=x_value)
    pdf.ln(4)


def _block_right(pdf: _MinutesPdf, lines: list[str]) -> None:
    """A signature: centred lines in a column at the right, as signed letters are."""
    x = pdf.l_margin + pdf.epw - SIGNATURE_WIDTH_MM
    for line in lines:
        pdf.wrapped(line, width=SIGNATURE_WIDTH_MM, x=x, align="C")


def _memo(pdf: _MinutesPdf, layout: Layout) -> None:
    if not layout.memo_line and not layout.date_lines:
        return
    pdf.ln(6)
    # Memo number and both dates are one block: never split over a page.
    if pdf.will_page_break(LINE_MM * max(2, len(layout.date_lines)) + 2):
        pdf.add_page()
    y = pdf.get_y()
    if layout.memo_line:
        pdf.wrapped(layout.memo_line, width=pdf.epw * 0.58)
    bottom = pdf.get_y()
    pdf.set_y(y)
    for line in layout.date_lines:
        pdf.text_line(line, width=pdf.epw * 0.4, align="R", x=pdf.l_margin + pdf.epw * 0.6)
    pdf.set_y(max(bottom, pdf.get_y()))


def _list(pdf: _MinutesPdf, title: str, items: list[Numbered]) -> None:
    if not items:
        return
    pdf.ln(4)
    if pdf.will_page_break(LINE_MM * 2):  # the title stays with its first item
        pdf.add_page()
    pdf.set_font(FONT, "B", size=BODY_PT)
    pdf.text_line(title, width=pdf.epw)
    pdf.set_font(FONT, size=BODY_PT)
    for item in items:
        y = pdf.get_y()
        if pdf.will_page_break(LINE_MM):
            pdf.add_page()
            y = pdf.get_y()
        pdf.text_line(item.label, width=HANGING_MM)
        pdf.set_y(y)
        pdf.wrapped(item.text, width=pdf.epw - HANGING_MM, x=pdf.l_margin + HANGING_MM)


def render_pdf(document: MinutesDocument) -> bytes:
    """The PDF file's bytes."""
    layout = layout_document(document)
    pdf = _MinutesPdf()
    # The document's own date, not the clock: the same minutes always give the same bytes (the API and
    # `minutes export` issue identical files, and a re-issued document can be compared with its hash).
    issued = document.issued_on or document.held_on
    pdf.set_creation_date(datetime.combine(issued, time(), tzinfo=DHAKA))
    pdf.add_page()
    _heading(pdf, layout)
    _table(pdf, layout)
    for item in layout.sections:
        pdf.numbered(item)
    pdf.numbered(layout.decisions_section)
    for item in layout.decisions:
        pdf.numbered(item, indent=HANGING_MM)
    if layout.closing:
        pdf.numbered(layout.closing)
    if layout.signature:
        pdf.ln(10)
        _block_right(pdf, layout.signature)
    _memo(pdf, layout)
    _list(pdf, layout.distribution_title, layout.distribution)
    _list(pdf, layout.copies_title, layout.copies)
    if layout.circulated_by:
        pdf.ln(10)
        _block_right(pdf, layout.circulated_by)
    return bytes(pdf.output())
