"""The promoter's fillable submission form (AcroForm), drawn from plain data.

Fields are plain text boxes and drop-down lists with no scripts, formats or calculations, so
Adobe Reader, a browser's viewer and Preview all fill them alike, and nothing in the file runs.
Each field has its label above and its help beside it, so the printed page reads without the
desk.  The marking says OFFICIAL once completed: a blank form is public.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from eventrisk.deskinfo import DeskContact
from eventrisk.promoter_form import FORM_FIELDS, FORM_ID, ID_FIELD, VENUE_PROMPT, FormField
from eventrisk.report.layout import (
    FONT,
    FONT_BOLD,
    GREY,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    para,
    register_fonts,
)

MARKING = "OFFICIAL (when completed)"
PRIVACY = (
    "How we use this information. The Promoters Desk of the {force} uses what you give on "
    "this form to assess the risk of serious violence at your event and to agree measures with "
    "you and the venue, under the police's law-enforcement purposes (Data Protection Act 2018, "
    "Part 3). We ask only about the event, the venue and its arrangements: never about the "
    "music, the performers' real identities or the audience. Performers are recorded by stage "
    "name only. Your name and contact details are kept for as long as the desk's published "
    "retention schedule says and then deleted or anonymised. You may ask for a copy of what "
    "the desk holds about you by writing to the desk.")


@dataclass(frozen=True)
class PromoterFormData:
    """What the blank form is drawn from: the desk's details, and what is pre-filled."""

    desk: DeskContact
    training: bool = False
    prefill: dict[str, str] = field(default_factory=dict)
    venues: tuple[str, ...] = ()  # "CODE — Name, Postcode" of the venues this promoter used


ROW = 14 * mm
BOX_HEIGHT = 6.5 * mm
LABEL_WIDTH = 72 * mm


def render_promoter_form(data: PromoterFormData) -> bytes:
    """The fillable form as PDF bytes."""
    register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    c.setTitle("Promoted event submission form")
    c.setAuthor(data.desk.desk_name)
    c.setSubject(FORM_ID)
    form = c.acroForm
    # The hidden, read-only mark that tells the desk this is its own form.
    form.textfield(name=ID_FIELD, value=FORM_ID, x=0, y=0, width=1, height=1,
                   fieldFlags="readOnly", annotationFlags="hidden", borderWidth=0)
    page = 1
    y = _header(c, data, page)
    for item in FORM_FIELDS:
        height = ROW + (18 * mm if item.kind == "multiline" else 0)
        if y - height < MARGIN + 12 * mm:
            _footer(c, data, page)
            c.showPage()
            page += 1
            y = _header(c, data, page)
        y = _field(c, data, item, y, height)
    if y < MARGIN + 90 * mm:
        _footer(c, data, page)
        c.showPage()
        page += 1
        y = _header(c, data, page)
    y -= 6 * mm
    for text in (
            "When you have filled in the form, save it and email it to "
            f"{data.desk.email} at least 14 days before the event. Do not print and scan it: "
            "the desk reads the saved form directly, so nothing you wrote is retyped.",
            f"Questions: {data.desk.phone} ({data.desk.hours}).",
            PRIVACY.format(force=data.desk.force)):
        p = para(text)
        _, h = p.wrap(PAGE_WIDTH - 2 * MARGIN, y)
        p.drawOn(c, MARGIN, y - h)
        y -= h + 4 * mm
    _footer(c, data, page)
    c.showPage()
    c.save()
    return out.getvalue()


def _header(c: canvas.Canvas, data: PromoterFormData, page: int) -> float:
    c.setFont(FONT_BOLD, 10)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 10 * mm, MARKING)
    y = PAGE_HEIGHT - MARGIN - 6 * mm
    if data.training:
        c.setFillColor(colors.HexColor("#8a1c1c"))
        c.drawCentredString(PAGE_WIDTH / 2, y + 1 * mm, "TRAINING DATA — NOT FOR OPERATIONAL "
                                                        "USE")
        c.setFillColor(colors.black)
        y -= 6 * mm
    if page == 1:
        c.setFont(FONT_BOLD, 15)
        c.drawString(MARGIN, y, "Promoted event: submission to the Promoters Desk")
        c.setFont(FONT, 9)
        y -= 5.5 * mm
        c.drawString(MARGIN, y, f"{data.desk.desk_name}, {data.desk.force} · {data.desk.email} · "
                                f"{data.desk.phone}")
        y -= 4.5 * mm
        c.setFillColor(GREY)
        c.drawString(MARGIN, y, data.desk.address[:120])
        y -= 5 * mm
        c.drawString(MARGIN, y, "Fill in every field you can; * marks those the desk needs. "
                                "Where you have not decided, leave 'Not stated':")
        y -= 4 * mm
        c.drawString(MARGIN, y, "the desk then assumes the least safe case.")
        c.setFillColor(colors.black)
        y -= 8 * mm
    return y


def _footer(c: canvas.Canvas, data: PromoterFormData, page: int) -> None:
    c.setFont(FONT_BOLD, 10)
    c.drawCentredString(PAGE_WIDTH / 2, 8 * mm, MARKING)
    c.setFont(FONT, 7.5)
    c.setFillColor(GREY)
    c.drawString(MARGIN, 8 * mm, f"{data.desk.desk_name} · page {page}")
    c.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, FORM_ID)
    c.setFillColor(colors.black)


def _field(c: canvas.Canvas, data: PromoterFormData, item: FormField, y: float,
           height: float) -> float:
    label = item.label + (" *" if item.required else "")
    c.setFont(FONT_BOLD, 9)
    c.drawString(MARGIN, y - 4 * mm, label)
    if item.help:
        c.setFont(FONT, 7)
        c.setFillColor(GREY)
        lines = simpleSplit(item.help, FONT, 7, LABEL_WIDTH - 4 * mm)
        for n, line in enumerate(lines[:3]):
            c.drawString(MARGIN, y - (7.5 + 3 * n) * mm, line)
        c.setFillColor(colors.black)
    x = MARGIN + LABEL_WIDTH
    width = PAGE_WIDTH - MARGIN - x
    box_height = height - ROW + BOX_HEIGHT
    top = y - 1.5 * mm
    value = data.prefill.get(item.name, "")
    tooltip = f"{item.label}. {item.help}".strip()
    common = {"name": item.name, "tooltip": tooltip, "x": x, "y": top - box_height,
              "width": width, "height": box_height, "borderColor": colors.HexColor("#777777"),
              "fillColor": colors.white, "textColor": colors.black, "forceBorder": True,
              "fontName": "Helvetica", "fontSize": 10}
    if item.kind == "choice":
        c.acroForm.choice(value=value or item.options[0], options=list(item.options),
                          fieldFlags="combo", **common)
    elif item.kind == "venue" and data.venues:
        # The venues this promoter has used, to pick from, or type another.
        c.acroForm.choice(value=value or VENUE_PROMPT, options=[VENUE_PROMPT, *data.venues],
                          fieldFlags="combo edit", **common)
    else:
        flags = "multiline doNotSpellCheck" if item.kind == "multiline" else "doNotSpellCheck"
        c.acroForm.textfield(value=value, maxlen=item.max_length, fieldFlags=flags, **common)
    return y - height
