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


def pages_text(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def scored(db, officer, make_submission):
    def make(**kw):
        sub = make_submission(**kw)
        service.score_references(db, officer, [sub.reference])
        return submissions.get(db, sub.id)
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
    assert "Why this grade" in whole and "Agreed measures and conditions" in whole
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
    pdf, count = render_pack(db, "hackney", day, day)
    assert count == 1
    for _ in range(11):
        scored()
    pdf, count = render_pack(db, "Hackney", day - timedelta(days=1), day + timedelta(days=1))
    pages = pages_text(pdf)
    assert count == 12
    assert all(p.count(MARKING) == 2 for p in pages)
    assert "Borough pack: Hackney" in pages[0] and "ER-2026-00 " not in pages[0]
    assert len(pages) >= 13


def test_pack_copes_with_hundreds_of_events(db, scored):
    subs = [scored(event_name=f"Event {i}") for i in range(60)]
    day = _day(subs[0])
    pdf, count = render_pack(db, "Hackney", day, day)
    pages = pages_text(pdf)
    assert count == 60
    cover_pages = [p for p in pages if "Borough pack" in p or "Start Ends Grade Event" in p]
    assert all("Start Ends Grade Event" in p for p in cover_pages)  # the header repeats
    assert all(s.reference in " ".join(cover_pages) for s in subs)  # no reference wraps
    assert f"of {len(pages)}" in pages[-1]
