"""Shared page furniture for printed documents: fonts, styles, the protective marking,
footers with "Page X of Y", and the one helper through which all user text enters a
``Paragraph`` (escaped, so "Tom & Jerry's <Basement>" prints exactly as typed)."""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, TableStyle

from eventrisk.model import Grade
from eventrisk.paths import resource

MARKING = "OFFICIAL-SENSITIVE"
TRAINING_MARK = "TRAINING DATA — NOT FOR OPERATIONAL USE"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP_MARGIN = MARGIN + 8 * mm
BOTTOM_MARGIN = MARGIN + 10 * mm
FRAME_HEIGHT = PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN  # of an A4 page in portrait
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
GREY = colors.HexColor("#555555")
RULE_GREY = colors.HexColor("#bbbbbb")
SHADE = colors.HexColor("#eeeeee")

# Table styles: light rules between rows, and a shaded header row.
GRID = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE_GREY),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
])
HEADED = TableStyle([("BACKGROUND", (0, 0), (-1, 0), SHADE)])

# The grade box on paper: (fill, text).  Each text passes WCAG AA (at least 4.5:1) on its fill,
# and the fills stand far apart in grey (ITU-R 601 luma 228, 162, 95, 38 of 255), so a black
# and white printer still tells the grades apart.  The screen's GRADE_COLOURS (white text on
# mid green and red) were 5.1:1 and 5.6:1 but came out as the same grey (93 and 87).
GRADE_PRINT = {
    Grade.LOW: ("#dcedc8", "#000000"),
    Grade.MEDIUM: ("#f09a00", "#000000"),
    Grade.HIGH: ("#b34700", "#ffffff"),
    Grade.CRITICAL: ("#7f0000", "#ffffff"),
}


def grade_box_style(grade: Grade, cells=((0, 0), (-1, -1)), border: bool = True) -> list:
    """Table style commands that print ``cells`` as ``grade``'s box: fill, text colour (for
    plain strings; Paragraphs take ``grade_para``) and a dark edge (a LOW box is light, and
    would otherwise vanish on white paper)."""
    fill, text = GRADE_PRINT[grade]
    start, end = cells
    out = [("BACKGROUND", start, end, colors.HexColor(fill)),
           ("TEXTCOLOR", start, end, colors.HexColor(text))]
    if border:
        out.append(("BOX", start, end, 0.8, colors.black))
    return out


@cache
def register_fonts() -> None:
    """Register the shipped TrueType fonts once (they cover Łódź, Zoë, Dvořák...)."""
    pdfmetrics.registerFont(TTFont(FONT, str(resource("fonts", "DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(resource("fonts", "DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, by name."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "label": ParagraphStyle("label", parent=base, fontName=FONT_BOLD, fontSize=8.5,
                                textColor=GREY),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16,
                                leading=19, spaceAfter=2),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11.5, leading=14,
                             spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "cellbold": ParagraphStyle("cellbold", parent=base, fontName=FONT_BOLD, fontSize=8.5,
                                   leading=10.5),
        # Column headings: a word never breaks ("Peopl e"); columns are sized to fit them.
        "header": ParagraphStyle("header", parent=base, fontName=FONT_BOLD, fontSize=8.5,
                                 leading=10.5, splitLongWords=0),
        "grade": ParagraphStyle("grade", parent=base, fontName=FONT_BOLD, fontSize=20,
                                leading=24, alignment=TA_CENTER, textColor=colors.white),
        "gradesub": ParagraphStyle("gradesub", parent=base, fontSize=8.5, leading=10.5,
                                   alignment=TA_CENTER, textColor=colors.white),
    }


def para(text: object, style: str = "body", *, bold: bool = False) -> Paragraph:
    """User or data text as a Paragraph: escaped first, line breaks kept."""
    safe = escape(str(text)).replace("\n", "<br/>")
    if bold:
        safe = f"<b>{safe}</b>"
    return Paragraph(safe, styles()[style])


@cache
def _grade_style(grade: Grade, style: str) -> ParagraphStyle:
    return ParagraphStyle(f"{style}-{grade.value}", parent=styles()[style],
                          textColor=colors.HexColor(GRADE_PRINT[grade][1]))


def grade_para(text: object, grade: Grade, style: str = "cellbold") -> Paragraph:
    """Text on ``grade``'s box, in the box's own text colour (a table's TEXTCOLOR does not
    reach into a Paragraph)."""
    return Paragraph(escape(str(text)), _grade_style(grade, style))


def markup(template: str, style: str = "body", **values: object) -> Paragraph:
    """Our own markup with user values escaped into it (``{name}`` placeholders)."""
    return Paragraph(template.format(**{k: escape(str(v)) for k, v in values.items()}),
                     styles()[style])


class NumberedCanvas(canvas.Canvas):
    """Defers page output until the end so each footer can say "Page X of Y"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawRightString(self._pagesize[0] - MARGIN, 9 * mm,
                                 f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


class MarkedDocument(BaseDocTemplate):
    """An A4 document with the protective marking top and bottom and a footer line."""

    def __init__(self, target, *, title: str, footer: str, training: bool = False,
                 marking: str = MARKING, pagesize: tuple[float, float] = A4, **kwargs):
        register_fonts()
        super().__init__(target, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                         topMargin=TOP_MARGIN, bottomMargin=BOTTOM_MARGIN,
                         title=title, author="EventRisk", creator="EventRisk",
                         invariant=1, **kwargs)
        self.footer = footer
        self.training = training
        self.marking = marking
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._furniture)])

    def _furniture(self, canv: canvas.Canvas, doc) -> None:
        canv.saveState()
        page_width, page_height = self.pagesize
        canv.setFont(FONT_BOLD, 10)
        canv.setFillColor(colors.black)
        canv.drawCentredString(page_width / 2, page_height - 11 * mm, self.marking)
        canv.drawCentredString(page_width / 2, 4.5 * mm, self.marking)
        if self.training:  # a demo desk's paper must never pass for the real thing
            canv.setFillColor(colors.HexColor("#b71c1c"))
            canv.setFont(FONT_BOLD, 9)
            canv.drawCentredString(page_width / 2, page_height - 15.5 * mm, TRAINING_MARK)
            canv.drawCentredString(page_width / 2, 14.5 * mm, TRAINING_MARK)
        canv.setStrokeColor(RULE_GREY)
        canv.line(MARGIN, 13 * mm, page_width - MARGIN, 13 * mm)
        canv.setFont(FONT, 7.5)
        canv.setFillColor(GREY)
        canv.drawString(MARGIN, 9 * mm, self.footer)
        canv.restoreState()

    def render(self, story: list) -> None:
        """Build the story with numbered pages."""
        self.build(story, canvasmaker=NumberedCanvas)
