"""The one- or two-page assessment a borough duty officer acts on."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib import colors
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle
from sqlite_utils import Database

from eventrisk.model import GRADE_COLOURS, Grade
from eventrisk.report.chart import monthly_chart
from eventrisk.report.data import ReportData, gather
from eventrisk.report.layout import FRAME_WIDTH, GRID, HEADED, MarkedDocument, markup, para
from eventrisk.timeutil import british_date, british_datetime, british_time, to_local


def _yes(value: bool | None, yes: str = "Yes", no: str = "No") -> str:
    return "Not stated" if value is None else yes if value else no


def _when(data: ReportData) -> str:
    sub = data.submission
    start, end = to_local(sub.start), to_local(sub.end)
    hours = (sub.end - sub.start).total_seconds() / 3600
    end_text = british_time(sub.end) if start.date() == end.date() else \
        f"{end:%a} {british_date(sub.end)} {british_time(sub.end)}"
    return f"{british_datetime(sub.start)} to {end_text} ({hours:g} hours)"


def _summary(data: ReportData) -> Table:
    sub, venue, prom = data.submission, data.venue, data.promoter
    ratio = sub.expected_attendance / venue.capacity
    required = 2 + max(0, -(-(sub.expected_attendance - 100) // 100))
    rows = [
        ("Event", f"{sub.event_name} ({sub.event_type.label.lower()})"),
        ("Venue", f"{venue.name}, {venue.address}, {venue.postcode} (code {venue.code})"),
        ("Borough", f"{venue.borough}" + (f" ({data.command_unit})" if data.command_unit else "")),
        ("When", _when(data)),
        ("Attendance", f"{sub.expected_attendance:,} expected; licensed capacity "
                       f"{venue.capacity:,} ({ratio:.0%})"),
        ("Promoter", ", ".join(x for x in (prom.name, prom.company, prom.phone, prom.email) if x)),
        ("Entry", f"{sub.ticketing.label}; "
                  + ("all ages" if sub.min_age == 0 else f"minimum age {sub.min_age}")
                  + f"; alcohol {'on sale' if sub.alcohol else 'not on sale'}; search: "
                  + (sub.search_regime.label.lower() if sub.search_regime else "not stated")
                  + f"; ID scanning: {_yes(sub.id_scanning).lower()}"),
        ("Security", ("SIA door supervisors: " + (str(sub.door_supervisors) if
                      sub.door_supervisors is not None else "not stated")
                      + f" (common condition {required}); CCTV: {_yes(sub.cctv).lower()}")),
        ("Welfare", f"Dispersal plan: {_yes(sub.dispersal_plan).lower()}; medical cover: "
                    f"{_yes(sub.medical_cover).lower()}"),
    ]
    if sub.performers:
        rows.append(("Performers", "; ".join(sub.performers)))
    table = Table([[para(k, "label"), para(v, "cell")] for k, v in rows],
                  colWidths=[0.16 * FRAME_WIDTH, 0.84 * FRAME_WIDTH])
    table.setStyle(GRID)
    return table


def _badge(data: ReportData) -> Table:
    grade: Grade = data.grade
    a = data.assessment
    overridden = grade is not a.grade
    sub_line = f"score {a.score} · confidence {a.confidence:.0%}"
    if overridden:
        sub_line = f"set by supervisor (scored {a.grade.value}, {a.score})"
    badge = [[para(grade.value, "grade")], [para(sub_line, "gradesub")]]
    inner = Table(badge, colWidths=[0.28 * FRAME_WIDTH])
    inner.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1),
                                colors.HexColor(GRADE_COLOURS[grade])),
                               ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    action = [para("Action", "label"), para(data.guidance, "body"), Spacer(1, 3),
              para(f"Rules version {a.ruleset_version}; scored {british_datetime(_dt(a.as_of))}.",
                   "small")]
    outer = Table([[inner, action]], colWidths=[0.30 * FRAME_WIDTH, 0.70 * FRAME_WIDTH])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _why(data: ReportData) -> list:
    fired = data.assessment.fired
    out = [para("Why this grade", "h2")]
    if not fired:
        out.append(para("No rule fired: nothing in the submission or the recorded history "
                        "raised the risk.", "body"))
        return out
    rows = [[para("Points", "cellbold"), para("Rule", "cellbold"), para("Evidence", "cellbold")]]
    for f in fired:
        floor = f" (sets at least {f.min_grade})" if f.min_grade else ""
        rows.append([para(f"+{f.points}", "cell"), para(f.title + floor, "cell"),
                     para(f.evidence, "cell")])
    rows.append([para(str(data.assessment.score), "cellbold"), para("Total score", "cellbold"),
                 para(f"Confidence {data.assessment.confidence:.0%}: how complete and recent "
                      "the information is.", "cell")])
    table = Table(rows, colWidths=[0.08 * FRAME_WIDTH, 0.30 * FRAME_WIDTH, 0.62 * FRAME_WIDTH],
                  repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(HEADED)
    out.append(table)
    return out


def _measures(data: ReportData) -> list:
    out = [para("Agreed measures and conditions", "h2")]
    if data.submission.conditions:
        for c in data.submission.conditions:
            out.append(para(f"• {c}", "body"))
    else:
        out.append(para("No measures have been agreed with the promoter.", "body"))
    recommended = [f.measure for f in data.assessment.fired]
    if recommended:
        out.append(Spacer(1, 3))
        out.append(para("Recommended by the rules that fired:", "label"))
        for m in dict.fromkeys(recommended):
            out.append(para(f"• {m}", "small"))
    return out


def _decision(data: ReportData) -> list:
    out = [para("Supervisor's decision", "h2")]
    r = data.review
    if r is None:
        out.append(para("Not yet reviewed by a supervisor.", "body"))
        return out
    words = {"approve": "Approved", "return": "Returned to the officer",
             "override": f"Grade overridden from {r.grade_before} to {r.grade_after}"}
    out.append(markup("<b>{decision}</b> by {who} on {when}.", "body",
                      decision=words.get(r.decision, r.decision), who=r.reviewer,
                      when=british_datetime(_dt(r.at))))
    if r.comment:
        label = "Justification" if r.decision == "override" else "Comment"
        out.append(markup("{label}: {text}", "body", label=label, text=r.comment))
    return out


def _history(data: ReportData) -> list:
    out = [KeepTogether([para("Venue history", "h2"), monthly_chart(data.monthly, FRAME_WIDTH),
                         para("Incidents at the venue in the 12 months before the event",
                              "label")])]
    if not data.incidents_12m:
        out.append(para("None recorded.", "body"))
        return out
    rows = [[para(h, "cellbold") for h in ("Date", "Reference", "Category", "Severity",
                                           "Where", "Linked event")]]
    for i in data.incidents_12m:
        rows.append([para(f"{british_date(i.occurred_at)} {british_time(i.occurred_at)}", "cell"),
                     para(i.reference, "cell"), para(i.category.label, "cell"),
                     para(i.severity.label, "cell"), para(i.location.label, "cell"),
                     para(i.event_reference or "", "cell")])
    widths = [0.17, 0.15, 0.22, 0.11, 0.17, 0.18]
    table = Table(rows, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(HEADED)
    out.append(table)
    if data.incidents_12m_total > len(data.incidents_12m):
        out.append(para(f"Showing the newest {len(data.incidents_12m)} of "
                        f"{data.incidents_12m_total} incidents; the full list is in EventRisk.",
                        "small"))
    return out


def _contact(data: ReportData) -> list:
    c = data.contact
    return [para("Contact", "h2"),
            markup("<b>{desk}</b>: {phone}, {email}. {hours}.", "body", desk=c.desk_name,
                   phone=c.phone, email=c.email, hours=c.hours)]


def assessment_story(data: ReportData) -> list:
    """The flowables of one assessment."""
    sub = data.submission
    return [
        para("Event risk assessment", "title"),
        markup("Reference <b>{ref}</b> · revision {rev} · assessment {aid} · status {status}",
               "body", ref=sub.reference, rev=sub.version, aid=data.assessment.id,
               status=sub.status.label.lower()),
        Spacer(1, 6),
        _badge(data),
        Spacer(1, 6),
        _summary(data),
        *_why(data),
        KeepTogether(_measures(data)),
        KeepTogether(_decision(data)),
        *_history(data),
        KeepTogether(_contact(data)),
    ]


def footer(generated_at: datetime, versions: str, audit_head: tuple[int, str]) -> str:
    """The footer line: when, which rules, and the audit trail's position and head, as
    ``eventrisk audit verify --expect N:HASH`` takes them."""
    position, digest = audit_head
    return (f"Generated {british_datetime(generated_at)} · rules {versions} · "
            f"audit {position}:{digest[:20]}")


def render_assessment(db: Database, submission_id: int,
                      generated_at: datetime | None = None) -> bytes:
    """The assessment PDF as bytes (same bytes for the same data and generation time)."""
    data = gather(db, submission_id, generated_at)
    buffer = io.BytesIO()
    doc = MarkedDocument(buffer, title=f"{data.submission.reference} risk assessment",
                         footer=footer(data.generated_at, data.assessment.ruleset_version,
                                       data.audit_head), training=data.training)
    doc.render(assessment_story(data))
    return buffer.getvalue()
