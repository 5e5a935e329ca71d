"""The one- or two-page assessment a borough duty officer acts on."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib import colors
from reportlab.platypus import KeepTogether, PageBreak, Spacer, Table, TableStyle
from sqlite_utils import Database

from eventrisk.formatting import attendance_text
from eventrisk.model import Grade, Status
from eventrisk.report.chart import monthly_chart
from eventrisk.report.data import ReportData, gather
from eventrisk.report.layout import (
    FRAME_HEIGHT,
    FRAME_WIDTH,
    GRID,
    HEADED,
    SHADE,
    MarkedDocument,
    grade_box_style,
    grade_para,
    markup,
    para,
)
from eventrisk.scoring.features import door_supervisors_required
from eventrisk.timeutil import british_date, british_datetime, british_time, to_local
from eventrisk.wording import distinct_measures


def _yes(value: bool | None, yes: str = "Yes", no: str = "No") -> str:
    return "Not stated" if value is None else yes if value else no


def _when(data: ReportData) -> str:
    sub = data.submission
    start, end = to_local(sub.start), to_local(sub.end)
    hours = (sub.end - sub.start).total_seconds() / 3600
    end_text = british_time(sub.end) if start.date() == end.date() else \
        f"{end:%a} {british_date(sub.end)} {british_time(sub.end)}"
    return f"{british_datetime(sub.start)} to {end_text} ({hours:g} hours)"


def _briefing(data: ReportData) -> Table:
    """What, where, when and how many: the first lines a duty officer reads."""
    sub, venue = data.submission, data.venue
    area = ", ".join(x for x in (venue.borough, data.policing) if x)
    rows = [
        ("Event", f"{sub.event_name} ({sub.event_type.label.lower()})"),
        ("Venue", f"{venue.name}, {venue.address}, {venue.postcode} · {area}"),
        ("When", _when(data)),
        ("Attendance", attendance_text(sub.expected_attendance, venue.capacity)),
    ]
    table = Table([[para(k, "label"), para(v, "cell")] for k, v in rows],
                  colWidths=[0.16 * FRAME_WIDTH, 0.84 * FRAME_WIDTH])
    table.setStyle(GRID)
    return table


def _details(data: ReportData) -> list:
    """The rest of the submission: who promotes it, entry, security and welfare."""
    sub, prom = data.submission, data.promoter
    required = door_supervisors_required(sub.expected_attendance)
    rows = [
        # Paper leaves the desk: the promoter's company, not their personal contact details
        # (the number to call on the night is on page 1).
        ("Promoter", ", ".join(x for x in (prom.name, prom.company) if x)),
        ("Entry", (sub.ticketing.label if sub.ticketing else "Ticketing not stated") + "; "
                  + ("minimum age not stated" if sub.min_age is None else "all ages"
                     if sub.min_age == 0 else f"minimum age {sub.min_age}")
                  + "; alcohol " + ("not stated" if sub.alcohol is None else "on sale"
                                    if sub.alcohol else "not on sale") + "; search: "
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
    return [KeepTogether([para("The submission", "h2"), table])]


JUSTIFICATION_ON_PAGE_1 = 320  # characters of an override's justification beside the grade


def _badge(data: ReportData) -> Table:
    """The grade in its box and, beside it, the decision behind it (an override's who, when
    and why) and what the borough should do."""
    grade: Grade = data.grade
    a = data.assessment
    sub_line = f"score {a.score} · confidence {a.confidence:.0%}"
    if data.override is not None:
        sub_line = f"set by supervisor (scored {a.grade.value}, {a.score})"
    badge = [[grade_para(grade.value, grade, "grade")],
             [grade_para(sub_line, grade, "gradesub")]]
    inner = Table(badge, colWidths=[0.28 * FRAME_WIDTH])
    inner.setStyle(TableStyle([*grade_box_style(grade),
                               ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    action = [*_override_beside(data),
              para("What the borough should do", "label"), para(data.borough_action, "body"),
              Spacer(1, 3),
              para(f"The desk: {data.guidance} Rules version {a.ruleset_version}; scored "
                   f"{british_datetime(_dt(a.as_of))}.", "small")]
    outer = Table([[inner, action]], colWidths=[0.30 * FRAME_WIDTH, 0.70 * FRAME_WIDTH])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return outer


def _override_beside(data: ReportData) -> list:
    """An override's decision in a few lines beside the grade: who set which grade when, over
    what the rules gave, and why (cut at a word if long; in full under Supervisor's
    decision)."""
    r = data.override
    if r is None:
        return []
    why = " ".join(r.comment.split())
    if len(why) > JUSTIFICATION_ON_PAGE_1:
        why = why[:JUSTIFICATION_ON_PAGE_1].rsplit(" ", 1)[0].rstrip(",;:.") + \
            "… (in full under Supervisor's decision)"
    box = Table([[markup("<b>{grade} set by {who}</b> on {when}; the rules give {scored} "
                         "(score {score}).", "cell", grade=data.grade.value, who=r.reviewer,
                         when=british_datetime(_dt(r.at)), scored=data.assessment.grade.value,
                         score=data.assessment.score)],
                 [markup("<b>Why:</b> {why}", "cell", why=why)]],
                colWidths=[0.68 * FRAME_WIDTH])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                             ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                             ("TOPPADDING", (0, 0), (-1, -1), 2),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return [box, Spacer(1, 4)]


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _floor(f) -> str:
    return f" (sets at least {f.min_grade})" if f.min_grade else ""


def _total_words(data: ReportData) -> str:
    """What the total comes to, and, for an override, that the grade in force is not it."""
    a = data.assessment
    if data.override is not None:
        return (f"The rules give {a.grade.value} at this score; the grade in force is "
                f"{data.grade.value}, set by a supervisor (beside the grade).")
    return f"{a.grade.value}."


def _why(data: ReportData) -> list:
    """Every rule that fired with its points and evidence, and the total."""
    fired = data.assessment.fired
    out = [para("Why this grade", "h2")]
    if not fired:
        out.append(para("No rule fired: nothing in the submission or the recorded history "
                        "raised the risk." + (" " + _total_words(data) if data.override
                                              else ""), "body"))
        return out
    out.append(_evidence_table(data))
    return out


def _evidence_table(data: ReportData) -> Table:
    rows = [[para("Points", "cellbold"), para("Rule", "cellbold"), para("Evidence", "cellbold")]]
    for f in data.assessment.fired:
        rows.append([para(f"+{f.points}", "cell"), para(f.title + _floor(f), "cell"),
                     para(f.evidence, "cell")])
    rows.append([para(str(data.assessment.score), "cellbold"), para("Total score", "cellbold"),
                 para(f"{_total_words(data)} Confidence {data.assessment.confidence:.0%}: how "
                      "complete and recent the information is.", "cell")])
    table = Table(rows, colWidths=[0.08 * FRAME_WIDTH, 0.30 * FRAME_WIDTH, 0.62 * FRAME_WIDTH],
                  repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(HEADED)
    return table


EVIDENCE_HEADING = "The evidence behind each rule"


def _why_summary(data: ReportData, columns: bool = True) -> list:
    """Every rule that fired and the total without the evidence (which follows over the page,
    under a heading this names): in two columns, or where even those would not fit, as one
    run of text."""
    fired = data.assessment.fired
    signpost = markup("<b>The evidence for each rule is over the page</b>, under “{heading}”.",
                      "body", heading=EVIDENCE_HEADING)
    if not columns:
        rules = " · ".join(f"+{f.points} {f.title}{_floor(f)}" for f in fired)
        return [para("Why this grade", "h2"),
                markup("{rules}. <b>Total score {score}: {total}</b> Confidence {conf}.",
                       "small", rules=rules, score=data.assessment.score,
                       total=_total_words(data), conf=f"{data.assessment.confidence:.0%}"),
                Spacer(1, 3), signpost]
    half = (len(fired) + 1) // 2
    cells = [[para(f"+{f.points}", "cell"), para(f.title + _floor(f), "cell")] for f in fired]
    left, right = cells[:half], cells[half:]
    right += [[para("", "cell"), para("", "cell")]] * (half - len(right))
    rows = [[*a, *b] for a, b in zip(left, right, strict=True)]
    rows.append([para(str(data.assessment.score), "cellbold"),
                 para(f"Total score: {_total_words(data)} Confidence "
                      f"{data.assessment.confidence:.0%}.", "cellbold"), "", ""])
    w = FRAME_WIDTH
    table = Table(rows, colWidths=[0.06 * w, 0.44 * w, 0.06 * w, 0.44 * w])
    table.setStyle(GRID)
    table.setStyle(TableStyle([("SPAN", (1, -1), (-1, -1))]))
    return [para("Why this grade", "h2"), table, Spacer(1, 3), signpost]


def _evidence_over_the_page(data: ReportData) -> list:
    return [KeepTogether([para(EVIDENCE_HEADING, "h2"),
                          para("The rules listed under Why this grade on the page before, with "
                               "their evidence.", "small")]),
            _evidence_table(data)]


def _height(flowables: list, width: float = FRAME_WIDTH) -> float:
    """The height ``flowables`` take laid out one after another in a frame ``width`` wide."""
    total = 0.0
    for f in flowables:
        if isinstance(f, KeepTogether):
            total += _height(f._content, width)
            continue
        _, h = f.wrap(width, FRAME_HEIGHT)
        total += h + f.getSpaceBefore() + f.getSpaceAfter()
    return total


def _conditions(data: ReportData) -> list:
    """The agreed conditions, numbered, or plainly none; and where the assessment stands."""
    sub = data.submission
    out = [para("Agreed conditions", "h2")]
    if sub.conditions:
        for n, c in enumerate(sub.conditions, 1):
            out.append(para(f"{n}. {c}", "body"))
    else:
        out.append(para("No conditions agreed.", "body", bold=True))
    out.append(para(_standing(data), "small"))
    return out


DECIDED = (Status.APPROVED, Status.ISSUED, Status.DEBRIEFED)


def _standing(data: ReportData) -> str:
    """Where the assessment stands, in words that agree with the record: who decided, who
    issued it, and never "not approved" of an approved event that has since taken place."""
    status = data.submission.status
    r = data.review
    said = f"Status: {status.label.lower()}"
    if status is Status.DEBRIEFED:
        said += " (the event has taken place)"
    if status in (Status.ISSUED, Status.DEBRIEFED) and data.issued is not None:
        who, when = data.issued
        said += ("" if status is Status.ISSUED else "; issued") + \
            f" to the borough by {who} on {british_datetime(when)}"
    if status in DECIDED and r is not None and r.decision in ("approve", "override"):
        return (f"{said}; the grade was "
                f"{'set' if r.decision == 'override' else 'approved'} by {r.reviewer} on "
                f"{british_datetime(_dt(r.at))}.")
    if status in DECIDED:
        return f"{said}."
    if status is Status.CANCELLED:
        return "Status: cancelled. The event is not going ahead."
    return (f"Status: {status.label.lower()}. Not approved by a supervisor: the grade and the "
            "conditions may still change.")


def _who_to_call(data: ReportData) -> Table:
    c, sub, venue = data.contact, data.submission, data.venue
    rows = [
        (f"{c.desk_name} ({c.hours})", f"{c.phone} · {c.email}"),
        ("Out of hours (24 hours)", c.out_of_hours),
        ("The venue on the night", venue.night_contact or
         "Not recorded: ask the desk, or the venue's management on arrival"),
        ("The promoter on the night", sub.night_contact or
         ("Not given; the promoter's phone: " + data.promoter.phone if data.promoter.phone
          else "Not given")),
    ]
    table = Table([[para(k, "label"), para(v, "cell")] for k, v in rows],
                  colWidths=[0.34 * FRAME_WIDTH, 0.66 * FRAME_WIDTH])
    table.setStyle(GRID)
    return table


def _suggested(data: ReportData) -> list:
    recommended = distinct_measures((f.measure for f in data.assessment.fired),
                                    data.submission.conditions)
    if not recommended:
        return []
    out = [para("Suggested, not agreed", "h2"),
           para("Measures the rules that fired recommend. They bind no one unless they appear "
                "under Agreed conditions.", "small")]
    for m in recommended:
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
    since = british_date(data.window_from)
    label = (f"Incidents at the venue in the 12 months before the event "
             f"({since} to {british_datetime(data.submission.start)})")
    if not data.incidents_12m and not any(n for _, n in data.monthly):
        return [para("Venue history", "h2"),
                para("No incidents recorded at the venue in the 24 months before the event.",
                     "body")]
    out = [KeepTogether([para("Venue history", "h2"), monthly_chart(data.monthly, FRAME_WIDTH),
                         para(label, "label")])]
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


def assessment_story(data: ReportData) -> list:
    """The flowables of one assessment.  Page 1 is the briefing, in the order a duty officer
    needs it: what and where, the grade with the decision behind it and what to do, the
    conditions, who to call, and why: every rule and the total.  When the rules with their
    evidence would not fit there, page 1 lists the rules and the total and the evidence
    follows at the top of page 2; the detail follows."""
    sub = data.submission
    page_1 = [
        para("Event risk assessment", "title"),
        markup("Reference <b>{ref}</b> · status <b>{status}</b> · revision {rev} · "
               "assessment {aid}", "body", ref=sub.reference, rev=sub.version,
               aid=data.assessment.id, status=sub.status.label.lower()),
        *_unapproved(data),
        Spacer(1, 4),
        _briefing(data),
        Spacer(1, 5),
        _badge(data),
        KeepTogether(_conditions(data)),
        KeepTogether([para("Who to call now", "h2"), _who_to_call(data)]),
    ]
    why = _why(data)
    room = FRAME_HEIGHT - FIT_MARGIN - _height(page_1)
    if _height(why) > room:
        summary = _why_summary(data)
        if _height(summary) > room:
            summary = _why_summary(data, columns=False)
        # the evidence at the top of page 2, as the signpost says; should even the short
        # form not fit (a very long list of conditions), it simply follows
        breaking = [PageBreak()] if _height(summary) <= room else []
        why = [*summary, *breaking, *_evidence_over_the_page(data)]
    return [
        *page_1,
        *why,
        *_details(data),
        *_suggested(data),
        KeepTogether(_decision(data)),
        *_history(data),
    ]


FIT_MARGIN = 6  # points kept spare when deciding what fits page 1


def compact_story(data: ReportData) -> list:
    """A LOW event with nothing agreed, in half a page (borough packs): the briefing, the
    grade and what to do, who to call on the night, and the rules behind the score."""
    sub = data.submission
    rules = "; ".join(f"+{f.points} {f.title}" for f in data.assessment.fired) or \
        "No rule fired."
    night = [("The venue on the night", data.venue.night_contact or "Not recorded"),
             ("The promoter on the night", sub.night_contact or data.promoter.phone
              or "Not given")]
    table = Table([[para(k, "label"), para(v, "cell")] for k, v in night],
                  colWidths=[0.34 * FRAME_WIDTH, 0.66 * FRAME_WIDTH])
    table.setStyle(GRID)
    return [KeepTogether([
        markup("<b>{ref}</b> · {name} · status <b>{status}</b>", "h2", ref=sub.reference,
               name=sub.event_name, status=sub.status.label.lower()),
        *_unapproved(data), Spacer(1, 3), _briefing(data), Spacer(1, 4), _badge(data),
        Spacer(1, 3),
        para("Agreed conditions: none. " + _standing(data), "small"),
        Spacer(1, 3), table, Spacer(1, 3),
        markup("<b>Why LOW</b> (score {score}): {rules}", "small",
               score=data.assessment.score, rules=rules),
    ])]


def _unapproved(data: ReportData) -> list:
    """A banner on anything a supervisor has not approved: it must never pass for final."""
    status = data.submission.status
    if status in (Status.APPROVED, Status.ISSUED, Status.DEBRIEFED):
        return []
    words = ("CANCELLED: this event is not going ahead; nothing here applies"
             if status is Status.CANCELLED else
             f"NOT APPROVED — {status.label.upper()}: the grade and conditions may change")
    banner = Table([[para(words, "cellbold")]], colWidths=[FRAME_WIDTH])
    banner.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff3cd")),
                                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#b26a00"))]))
    return [Spacer(1, 3), banner]


def footer(generated_at: datetime, versions: str, audit_head: tuple[int, str]) -> str:
    """The footer line: when, which rules, and the audit trail's position and head, as
    ``eventrisk audit verify --expect N:HASH`` takes them."""
    position, digest = audit_head
    return (f"Generated {british_datetime(generated_at)} · rules {versions} · "
            f"audit {position}:{digest[:20]}")


def render_assessment(db: Database, submission_id: int,
                      generated_at: datetime | None = None,
                      issuing: tuple[str, datetime] | None = None) -> bytes:
    """The assessment PDF as bytes (same bytes for the same data and generation time);
    ``issuing`` (who, when): the copy about to be issued, which says so."""
    data = gather(db, submission_id, generated_at, issuing=issuing)
    buffer = io.BytesIO()
    doc = MarkedDocument(buffer, title=f"{data.submission.reference} risk assessment",
                         footer=footer(data.generated_at, data.assessment.ruleset_version,
                                       data.audit_head), training=data.training)
    doc.render(assessment_story(data))
    return buffer.getvalue()
