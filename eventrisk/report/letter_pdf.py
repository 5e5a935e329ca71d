"""The promoter's letter: the outcome of the assessment in plain words, the agreed conditions,
advice, whom to contact and how to ask for a review, on the desk's letterhead, copied to the
venue.  Marked OFFICIAL: it goes outside the police.

**What it may hold is an allow-list** (``LetterData``), filled in one place (``letter_data``):
the event's reference, name, times and expected attendance; the venue's name and address; the
promoter's name and company; the outcome for the grade in force; the agreed conditions; the
rules' recommended measures (fixed wording in the ruleset, never evidence); the desk's details.
No incident or crime reference, no intelligence, no evidence text, no notes, no other event and
nothing about any individual (no performers, officers or supervisors) can reach it: a test
fills every other field with markers and looks for them in the PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.platypus import Spacer, Table

from eventrisk.desk.readmodel import AssessmentState
from eventrisk.deskinfo import DeskContact
from eventrisk.errors import WorkflowError
from eventrisk.model import Grade, Status
from eventrisk.report.layout import FRAME_WIDTH, GRID, MarkedDocument, para
from eventrisk.scoring.rules import Ruleset
from eventrisk.timeutil import british_date, british_datetime, british_time, to_local

MARKING = "OFFICIAL"
LETTER_STATUSES = (Status.APPROVED, Status.ISSUED)

# The outcome in plain words, by grade in force: what the promoter needs to know and do.
OUTCOME = {
    Grade.LOW: "Your event can go ahead as planned.",
    Grade.MEDIUM: "Your event can go ahead.",
    Grade.HIGH: "Your event can go ahead. A licensing officer will contact you before the event "
                "to agree a written plan for the night.",
    Grade.CRITICAL: "We have serious concerns about this event. A supervisor from the desk will "
                    "contact you to discuss whether, and how, it can go ahead safely. Please "
                    "do not finalise arrangements until you have spoken to us.",
}
WITH_CONDITIONS = ("It must keep to the conditions below, which we have agreed with you. Please "
                   "make sure everyone working on the night knows them.")
WITHOUT_CONDITIONS = "We have not set any conditions beyond the venue's licence."


@dataclass(frozen=True)
class LetterData:
    """Everything a promoter's letter may show, and nothing else."""

    reference: str
    event_name: str
    start: datetime
    end: datetime
    expected_attendance: int
    venue_name: str
    venue_address: str
    promoter_name: str
    promoter_company: str
    grade: Grade
    conditions: tuple[str, ...]
    advice: tuple[str, ...]
    desk: DeskContact
    written_at: datetime
    training: bool
    show_grade: bool = False


def letter_refusal(state: AssessmentState) -> str:
    """Why no letter can go for this event, naming what is actually missing ('' if one can)."""
    sub = state.submission
    status = sub.status.label.lower()
    if sub.status not in LETTER_STATUSES:
        return (f"{sub.reference} is {status}: a letter goes to the promoter only once a "
                "supervisor has approved the assessment.")
    if state.snapshot is None or state.grade is None:
        return (f"{sub.reference} is {status} but has never been scored, so there is no "
                "assessment for a letter to state: score it first (the approval stands).")
    return ""


def letter_data(state: AssessmentState, ruleset: Ruleset, desk: DeskContact,
                written_at: datetime, show_grade: bool = False) -> LetterData:
    """The allow-listed fields of an approved assessment (``WorkflowError`` otherwise).
    Advice is each fired rule's ``advice`` in ``ruleset`` (the one it was scored with): fixed
    wording for the promoter, never the evidence."""
    sub = state.submission
    refusal = letter_refusal(state)
    if refusal:
        raise WorkflowError(refusal)
    agreed = {c.casefold() for c in sub.conditions}
    by_id = {r.id: r for r in ruleset.rules}
    advice = tuple(dict.fromkeys(
        by_id[f.id].advice for f in state.snapshot.fired
        if f.id in by_id and by_id[f.id].advice and by_id[f.id].advice.casefold() not in agreed))
    venue = state.venue
    return LetterData(
        reference=sub.reference, event_name=sub.event_name, start=sub.start, end=sub.end,
        expected_attendance=sub.expected_attendance, venue_name=venue.name,
        venue_address=", ".join(x for x in (venue.address, venue.postcode) if x),
        promoter_name=state.promoter.name, promoter_company=state.promoter.company,
        grade=state.grade, conditions=tuple(sub.conditions), advice=advice, desk=desk,
        written_at=written_at, training=state.training, show_grade=show_grade)


def render_letter(data: LetterData) -> bytes:
    """The letter as PDF bytes (the same bytes for the same data and time)."""
    out = io.BytesIO()
    doc = MarkedDocument(out, title=f"{data.reference} letter to the promoter",
                         footer=f"{data.desk.desk_name} · {data.reference} · "
                                f"{british_date(data.written_at)}",
                         training=data.training, marking=MARKING)
    doc.build(_story(data))
    return out.getvalue()


def _story(d: LetterData) -> list:
    desk = d.desk
    start, end = to_local(d.start), to_local(d.end)
    ends = british_time(d.end) if start.date() == end.date() else \
        f"{british_time(d.end)} on {end:%a} {british_date(d.end)}"
    head = Table([[para(f"{desk.desk_name}\n{desk.force}", "title"),
                   para(f"{desk.address}\n{desk.phone} · {desk.email}", "small")]],
                 colWidths=[0.5 * FRAME_WIDTH, 0.5 * FRAME_WIDTH])
    addressee = d.promoter_name + (f"\n{d.promoter_company}" if d.promoter_company else "")
    story: list = [
        head, Spacer(1, 10),
        para(british_date(d.written_at)),
        para(f"Our reference: {d.reference}", "small"),
        Spacer(1, 8),
        para(addressee),
        para(f"Copy: the premises licence holder, {d.venue_name}, {d.venue_address}", "small"),
        Spacer(1, 10),
        para(f"{d.event_name}, {d.venue_name}, {british_datetime(d.start)} to {ends}",
             "h2"),
        para(f"Dear {d.promoter_name},"),
        Spacer(1, 4),
        para(f"Thank you for telling us about {d.event_name} at {d.venue_name}, for about "
             f"{d.expected_attendance:,} people. We have looked at the plans for the event to "
             "help you run it safely."),
        Spacer(1, 4),
        para("Our view", "h2"),
        para(OUTCOME[d.grade] + " " + (WITH_CONDITIONS if d.conditions
                                       else WITHOUT_CONDITIONS)),
    ]
    if d.show_grade:
        story.append(para(f"(Risk grade: {d.grade.value}.)", "small"))
    story.append(para("Conditions", "h2"))
    if d.conditions:
        story.append(para("You have agreed to these conditions. They apply on the night:"))
        rows = [[para(f"{n}.", "cell"), para(c, "cell")] for n, c in
                enumerate(d.conditions, 1)]
        table = Table(rows, colWidths=[0.06 * FRAME_WIDTH, 0.94 * FRAME_WIDTH])
        table.setStyle(GRID)
        story.append(table)
    else:
        story.append(para("No conditions apply beyond the venue's licence."))
    if d.advice:
        story += [para("Our advice", "h2"),
                  para("These are not conditions, but they are what we find keeps events like "
                       "yours safe:")]
        story += [para(f"• {a}") for a in d.advice]
    story += [
        para("Contact", "h2"),
        para(f"Please contact the {desk.desk_name} on {desk.phone} ({desk.hours}) or at "
             f"{desk.email}, quoting {d.reference}, if anything about the event changes: the "
             "date, times, numbers, ticketing or security."),
        para("Asking for a review", "h2"),
        para(desk.review),
        Spacer(1, 10),
        para("Yours sincerely,"),
        Spacer(1, 14),
        para(desk.desk_name, bold=True),
        para(desk.force),
    ]
    return story

