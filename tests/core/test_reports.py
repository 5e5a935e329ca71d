"""Printed assessments and borough packs, read back with pypdf."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from eventrisk import audit, submissions, workflow
from eventrisk.errors import NotFoundError
from eventrisk.report.assessment_pdf import render_assessment
from eventrisk.report.layout import MARKING
from eventrisk.report.pack_pdf import render_pack
from eventrisk.scoring import service
from eventrisk.timeutil import now_utc, to_local


def pages_text(pdf: bytes, first: int | None = None) -> list[str]:
    """The text of each page (of the ``first`` pages only, when given: pypdf reads a page in
    some 50 ms), its whitespace flattened."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return [" ".join(page.extract_text().split()) for page in pages[:first]]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def scored(db, officer, make_submission):
    def make(**kw):
        sub = make_submission(**kw)
        service.score_references(db, officer, [sub.reference])
        return submissions.get(db, sub.id)
    return make


@pytest.fixture
def scored_many(db, officer, make_submission):
    """``scored_many(n, **kw)``: n events named "Event 0"… on one night, scored together."""
    def make(n, **kw):
        subs = [make_submission(event_name=f"Event {i}", **kw) for i in range(n)]
        service.score_references(db, officer, [sub.reference for sub in subs])
        return [submissions.get(db, sub.id) for sub in subs]
    return make


def test_assessment_has_marking_grade_evidence_and_page_numbers(db, scored):
    sub = scored(door_supervisors="0", search_regime="none")
    pdf = render_assessment(db, sub.id)
    pages = pages_text(pdf)
    for i, text in enumerate(pages, 1):
        assert text.count(MARKING) == 2, f"page {i}"
        assert f"Page {i} of {len(pages)}" in text
    whole = " ".join(pages)
    stored = service.latest_assessment(db, sub.id)
    assert stored.grade.value in whole and sub.reference in whole
    for fired in stored.fired:
        assert flat(fired.evidence) in whole
    assert "Why this grade" in whole and "Agreed conditions" in whole
    position, digest = audit.head(db)
    assert f"audit {position}:{digest[:20]}" in whole  # what verify --expect takes
    assert "rules 2026.2" in whole


def test_hostile_and_unicode_text_prints_exactly(db, scored):
    sub = scored(event_name="Tom & Jerry's <Basement> Zoë Łódź Dvořák",
                 promoter_name="<b>Bold</b> & Co", performers="DJ <script>; Ünïcødé")
    whole = " ".join(pages_text(render_assessment(db, sub.id)))
    assert "Tom & Jerry's <Basement> Zoë Łódź Dvořák" in whole
    assert "<b>Bold</b> & Co" in whole
    assert "DJ <script>; Ünïcødé" in whole


def test_long_notes_wrap_and_many_incidents_split_across_pages(db, officer, scored):
    from tests.core.test_scoring import add_incident

    for days in range(1, 90):
        add_incident(db, officer, now_utc() - timedelta(days=days * 3))
    sub = scored(event_name=("A very long event name " * 8).strip())
    pages = pages_text(render_assessment(db, sub.id))
    assert len(pages) >= 2
    assert "Showing the newest 40 of" in " ".join(pages)
    assert sum(t.count("Date Reference Category") for t in pages) >= 2  # header repeats


def test_decision_and_override_justification_print(db, officer, supervisor, scored):
    from eventrisk.model import Grade

    sub = scored()
    workflow.submit_for_review(db, officer, sub.id)
    workflow.override(db, supervisor, sub.id, Grade.CRITICAL, "Intelligence: rival groups")
    whole = " ".join(pages_text(render_assessment(db, sub.id)))
    assert "Grade overridden from" in whole and "to CRITICAL by Sam Super" in whole
    assert "Justification: Intelligence: rival groups" in whole


def test_same_data_and_time_give_the_same_bytes(db, scored):
    sub = scored()
    when = now_utc()
    assert render_assessment(db, sub.id, when) == render_assessment(db, sub.id, when)


def _day(sub):
    return to_local(sub.start).date()


def test_pack_with_zero_one_and_many_events(db, scored):
    first = scored()
    day = _day(first)
    with pytest.raises(NotFoundError, match="no pack to print"):
        render_pack(db, "Hackney", date(2001, 1, 1), date(2001, 1, 2))
    pdf, count = render_pack(db, "hackney", day, day, include_pending=True)
    assert count == 1
    for _ in range(11):
        scored()
    pdf, count = render_pack(db, "Hackney", day - timedelta(days=1), day + timedelta(days=1),
                             include_pending=True)
    pages = pages_text(pdf)
    assert count == 12
    assert all(p.count(MARKING) == 2 for p in pages)
    assert "Borough pack: Hackney" in pages[0] and "ER-2026-00 " not in pages[0]
    # LOW events with nothing agreed share a page two by two; the rest take their own.
    assert len(pages) < 13
    assert all(s in " ".join(pages) for s in (first.reference,))


def test_pack_copes_with_hundreds_of_events(db, scored_many):
    subs = scored_many(60)
    day = _day(subs[0])
    pdf, count = render_pack(db, "Hackney", day, day, include_pending=True)
    pages = pages_text(pdf)
    assert count == 60
    cover_pages = [p for p in pages if "Borough pack" in p or "Start Ends Grade Status Event" in p]
    assert all("Start Ends Grade Status Event" in p for p in cover_pages)  # the header repeats
    assert all(s.reference in " ".join(cover_pages) for s in subs)  # no reference wraps
    assert f"of {len(pages)}" in pages[-1]


# ---- page 1 is the briefing (issue 13) ------------------------------------------------------

def test_page_one_is_the_briefing_in_the_order_a_duty_officer_needs(db, officer, scored):
    from dataclasses import replace

    from eventrisk.deskinfo import load_desk_contact
    from eventrisk.venues import get_venue, update_venue

    sub = scored(door_supervisors="0", search_regime="none", expected_attendance="150",
                 night_contact="Jo Bloggs 07700 900123")
    venue = get_venue(db, sub.venue_id)
    update_venue(db, officer, replace(venue, night_contact="DPS Sam Lee 07700 900456"))
    first = pages_text(render_assessment(db, sub.id), first=1)[0]
    contact = load_desk_contact()
    order = [MARKING, sub.event_name, "Attendance", "What the borough should do",
             "Agreed conditions", "No conditions agreed", "Who to call now", contact.phone,
             flat(contact.out_of_hours), "DPS Sam Lee 07700 900456", "Jo Bloggs 07700 900123",
             "Why this grade"]
    found = [first.find(flat(text)) for text in order]
    assert -1 not in found, dict(zip(order, found, strict=True))
    assert found == sorted(found), dict(zip(order, found, strict=True))
    assert "NOT APPROVED" in first  # received, so it says so before anything else


def test_agreed_conditions_are_numbered_and_suggestions_are_headed_as_such(db, scored):
    sub = scored(door_supervisors="0", search_regime="none",
                 conditions="Six SIA door supervisors; Wand search on entry")
    whole = " ".join(pages_text(render_assessment(db, sub.id)))
    assert "1. Six SIA door supervisors 2. Wand search on entry" in whole
    assert "No conditions agreed" not in whole
    assert "Suggested, not agreed" in whole


def test_a_quiet_low_event_fits_on_one_page(db, scored):
    sub = scored(expected_attendance="60", door_supervisors="2", search_regime="wand",
                 cctv="true", id_scanning="true", dispersal_plan="true", medical_cover="true")
    assert service.latest_assessment(db, sub.id).grade.value == "LOW"
    assert len(pages_text(render_assessment(db, sub.id))) == 1


def test_the_attendance_percentage_is_the_same_on_paper_as_in_the_evidence(db, scored):
    # 678 / 400 = 1.695: rounded as the scorer stores it, then printed the one way.
    sub = scored(expected_attendance="678")
    whole = " ".join(pages_text(render_assessment(db, sub.id)))
    from eventrisk.formatting import attendance_ratio, percent

    shown = percent(attendance_ratio(678, 400))
    assert f"capacity 400 ({shown})" in whole
    assert f"licensed capacity of 400 ({shown})" in whole  # the over-capacity evidence


@pytest.mark.parametrize("offset, listed", [
    (timedelta(0), True),  # exactly 12 months before the start
    (timedelta(seconds=-1), False),  # a second earlier
])
def test_the_incident_table_is_exactly_the_twelve_months_before_the_start(db, officer, scored,
                                                                          offset, listed):
    from eventrisk.timeutil import months_before
    from tests.core.test_scoring import add_incident

    sub = scored()
    edge = months_before(sub.start, 12) + offset
    add_incident(db, officer, edge)
    add_incident(db, officer, sub.start - timedelta(seconds=1))  # just before: listed
    text = " ".join(pages_text(render_assessment(db, sub.id)))
    from eventrisk.timeutil import british_date, british_time

    assert (f"{british_date(edge)} {british_time(edge)}" in text) is listed
    assert f"{british_date(sub.start - timedelta(seconds=1))}" in text


def test_no_pack_heading_or_fixed_width_value_has_to_break():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from eventrisk.report.layout import FONT, FONT_BOLD, FRAME_WIDTH, register_fonts
    from eventrisk.report.pack_pdf import _COLUMNS

    register_fonts()
    padding = 3 + 6  # the grid's left padding and reportlab's right padding
    widths = {name: share * FRAME_WIDTH for name, share in _COLUMNS}
    assert sum(share for _, share in _COLUMNS) == pytest.approx(1.0)
    for name, width in widths.items():
        assert stringWidth(name, FONT_BOLD, 8.5) + padding <= width, name
    longest = {"Start": ("Wed 30/12/2026 22:00", FONT), "Ends": ("00:00", FONT),
               "Grade": ("CRITICAL", FONT_BOLD), "Status": ("APPROVED)", FONT_BOLD),
               "People": ("100,000", FONT), "Reference": ("ER-2026-000042", FONT)}
    for column, (text, font) in longest.items():
        assert stringWidth(text, font, 8.5) + padding <= widths[column], column


def test_a_pack_holds_approved_events_unless_asked_and_its_cover_says_what_it_is(
        db, officer, supervisor, scored):
    first, second, third = scored(), scored(), scored()
    day = _day(first)
    for sub in (first, second):
        workflow.submit_for_review(db, officer, sub.id)
    workflow.approve(db, supervisor, first.id, "Agreed")
    pdf, count = render_pack(db, "Hackney", day, day)
    assert count == 1
    cover = pages_text(pdf, first=1)[0]
    assert "Approved and issued assessments only" in cover
    assert "Status: approved 1" in cover and "Metropolitan Police, Central East BCU" in cover
    pdf, count = render_pack(db, "Hackney", day, day, include_pending=True)
    pages = pages_text(pdf)
    assert count == 3
    assert "2 of these events are NOT APPROVED" in pages[0]
    assert "in review 1" in pages[0] and "assessed 1" in pages[0]
    head = audit.head(db)
    assert f"audit {head[0]}:{head[1][:20]}" in pages[0]
    body = " ".join(pages[1:])
    assert body.count("NOT APPROVED") >= 2  # each pending event's own page says so
    db.execute("UPDATE submissions SET status = 'received' WHERE id = ?", [first.id])
    with pytest.raises(NotFoundError, match="3 not yet approved: include them"):
        render_pack(db, "Hackney", day, day)
    del third


def test_a_city_of_london_pack_names_its_own_force(db, officer, scored):
    from eventrisk.validation import validate_venue
    from eventrisk.venues import create_venue

    create_venue(db, officer, validate_venue({
        "code": "CTY-0001", "name": "The Guildhall Vaults", "address": "1 Gresham Street",
        "postcode": "EC2V 7HH", "borough": "City of London", "capacity": "300"}))
    sub = scored(venue_code="CTY-0001")
    pdf, _ = render_pack(db, "City of London", _day(sub), _day(sub), include_pending=True)
    cover = pages_text(pdf, first=1)[0]
    assert "Policed by the City of London Police" in cover
    assert "Metropolitan" not in cover


def test_a_cancelled_event_says_so_before_anything_else(db, officer, scored):
    sub = scored()
    workflow.cancel(db, officer, sub.id, "Promoter withdrew the event")
    first = pages_text(render_assessment(db, sub.id), first=1)[0]
    assert first.index("CANCELLED: this event is not going ahead") < first.index("Attendance")
    assert "The event is not going ahead." in first and "NOT APPROVED" not in first


def test_monthly_counts_match_a_plain_grouping(db, officer, venue):
    from datetime import datetime

    from eventrisk import incidents
    from tests.core.test_scoring import add_incident

    base = datetime.fromisoformat("2026-01-31T23:30:00+00:00")
    for hours in (0, 1, 24 * 29, 24 * 29 + 1, 24 * 60, 24 * 200):
        add_incident(db, officer, base + timedelta(hours=hours))
    venue = db.execute("SELECT id FROM venues WHERE code = 'HKN-0001'").fetchone()[0]
    since, until = base + timedelta(minutes=30), base + timedelta(days=70)
    plain = dict(db.execute(
        "SELECT substr(occurred_at, 1, 7), count(*) FROM incidents WHERE venue_id = ? AND "
        "occurred_at >= ? AND occurred_at < ? GROUP BY 1",
        [venue, since.strftime("%Y-%m-%dT%H:%M:%SZ"),
         until.strftime("%Y-%m-%dT%H:%M:%SZ")]).fetchall())
    assert incidents.monthly_counts(db, venue, since, until) == plain
    assert plain == {"2026-02": 1, "2026-03": 2, "2026-04": 1}  # month edges included


def test_a_pack_gathers_each_event_only_when_its_pages_are_laid_out(db, scored_many,
                                                                    monkeypatch):
    """A pack of 500 events must never hold every event's pages at once: each event is
    gathered and turned into flowables when the layout reaches it, so the gathering is
    spread across the pages, not all done before the first one."""
    from eventrisk.report import layout, pack_pdf

    subs = scored_many(30, door_supervisors="0")
    day = _day(subs[0])
    pages = [0]
    real_show = layout.NumberedCanvas.showPage

    def counting_show(canvas):
        pages[0] += 1
        return real_show(canvas)
    monkeypatch.setattr(layout.NumberedCanvas, "showPage", counting_show)
    laid_out_before = []
    real = pack_pdf.gather

    def tracking(*args, **kwargs):
        laid_out_before.append(pages[0])
        return real(*args, **kwargs)
    monkeypatch.setattr(pack_pdf, "gather", tracking)
    pdf, count = render_pack(db, "Hackney", day, day, include_pending=True)
    assert count == 30 and len(laid_out_before) == 30
    pages_read = pages_text(pdf)
    total = len(pages_read)
    assert laid_out_before == sorted(laid_out_before)
    assert laid_out_before[-1] >= total // 2, (laid_out_before, total)
    text = " ".join(pages_read)
    assert all(s.reference in text for s in subs)
