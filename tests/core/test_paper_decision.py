"""Issue 33's paper: page 1 carries the decision and fits, words agree with what was decided,
the issued copy says issued, grade boxes survive a black-and-white printer, and the pack cover
puts CRITICAL and HIGH first.  PDFs are read back with pypdf and rendered with pypdfium2."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from eventrisk import submissions, workflow
from eventrisk.errors import WorkflowError
from eventrisk.model import Grade, IncidentCategory, Location, Severity
from eventrisk.report.assessment_pdf import render_assessment
from eventrisk.report.pack_pdf import render_pack
from eventrisk.scoring import service
from eventrisk.timeutil import now_utc, to_local
from eventrisk.wording import agreed_guidance, distinct_measures
from tests.core.test_scoring import add_incident

LOW_GUIDANCE = "No conditions needed beyond the licence"
EVIDENCE_HEADING = "The evidence behind each rule"  # the heading page 1 points to


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


@pytest.fixture
def critical(db, officer, scored):
    """A CRITICAL event at a venue with a violent year: a dozen rules fire."""
    now = now_utc()
    kinds = [(IncidentCategory.KNIFE, 20), (IncidentCategory.FIREARM, 40),
             (IncidentCategory.FIREARM, 300), (IncidentCategory.VIOLENCE_WITH_INJURY, 10),
             (IncidentCategory.VIOLENCE_WITH_INJURY, 70), (IncidentCategory.SEXUAL_OFFENCE, 90),
             (IncidentCategory.DRUGS_SUPPLY, 30), (IncidentCategory.DRUGS_SUPPLY, 60),
             (IncidentCategory.DRUGS_SUPPLY, 95)]
    for category, days in kinds:
        add_incident(db, officer, now - timedelta(days=days), category=category,
                     severity=Severity.SERIOUS, location=Location.INSIDE)
    sub = scored(expected_attendance="420", door_supervisors="2", search_regime="bag_search",
                 cctv="false", id_scanning="false", medical_cover="false",
                 dispersal_plan="false", ticketing="door_only")
    stored = service.latest_assessment(db, sub.id)
    assert stored.grade is Grade.CRITICAL and len(stored.fired) >= 12, \
        [f.id for f in stored.fired]
    return sub


# ---- page 1 carries the decision -----------------------------------------------------------

def test_an_override_says_who_when_and_why_beside_the_grade_on_page_1(db, officer,
                                                                      supervisor, scored):
    sub = scored()
    scored_grade = service.latest_assessment(db, sub.id).grade
    workflow.submit_for_review(db, officer, sub.id)
    why = "Intelligence: two rival groups advertised the night; the last one ended in a stabbing."
    workflow.override(db, supervisor, sub.id, Grade.CRITICAL, why)
    first = pages_text(render_assessment(db, sub.id))[0]
    beside = first.find("CRITICAL set by Sam Super on")
    assert beside != -1, first
    assert f"; the rules give {scored_grade.value} (score" in first
    assert first.find(f"Why: {why}") > beside
    # beside the grade: before what the borough should do and the conditions, not on page 2
    assert beside < first.find("What the borough should do") < first.find("Agreed conditions")
    # the total no longer reads as if it made the grade
    assert (f"The rules give {scored_grade.value} at this score; the grade in force is "
            "CRITICAL, set by a supervisor") in first


def test_with_no_rule_fired_the_page_says_so_and_names_an_override(db, officer, supervisor,
                                                                  scored):
    from tests.conftest import event_fields

    start = event_fields()["start"]
    sub = scored(end=start[:11] + "23:30", expected_attendance="60", door_supervisors="2")
    assert service.latest_assessment(db, sub.id).fired == ()
    first = pages_text(render_assessment(db, sub.id))[0]
    assert "raised the risk. LOW." not in first  # no grade word dangling after it
    assert "No rule fired: nothing in the submission or the recorded history raised the " \
           "risk." in first
    workflow.submit_for_review(db, officer, sub.id)
    workflow.override(db, supervisor, sub.id, Grade.HIGH, "Intelligence")
    first = pages_text(render_assessment(db, sub.id))[0]
    assert ("raised the risk. The rules give LOW at this score; the grade in force is HIGH, "
            "set by a supervisor") in first


def test_a_long_justification_is_cut_on_page_1_and_printed_in_full_after(db, officer,
                                                                         supervisor, scored):
    sub = scored()
    workflow.submit_for_review(db, officer, sub.id)
    why = " ".join(f"reason{i}" for i in range(120)) + " LASTWORD"
    workflow.override(db, supervisor, sub.id, Grade.CRITICAL, why)
    pages = pages_text(render_assessment(db, sub.id))
    assert "… (in full under Supervisor's decision)" in pages[0]
    assert "reason0 reason1" in pages[0] and "LASTWORD" not in pages[0]
    assert f"Justification: {why}" in " ".join(pages)


def test_a_critical_with_many_rules_lists_every_rule_and_its_total_on_page_1(db, critical):
    stored = service.latest_assessment(db, critical.id)
    pages = pages_text(render_assessment(db, critical.id))
    first = pages[0]
    for f in stored.fired:
        assert flat(f.title) in first, f.title
    assert f"{stored.score} Total score: CRITICAL." in first
    assert f"The evidence for each rule is over the page, under “{EVIDENCE_HEADING}”" in first
    # and over the page, first thing, the evidence of every rule
    assert -1 < pages[1].find(EVIDENCE_HEADING) < pages[1].find("The submission")
    for f in stored.fired:
        assert flat(f.evidence) in " ".join(pages[1:]), f.id


def test_a_critical_with_many_rules_and_an_override_still_fits_page_1(db, officer,
                                                                       supervisor, critical):
    workflow.submit_for_review(db, officer, critical.id)
    workflow.override(db, supervisor, critical.id, Grade.HIGH, "x " * 400)
    sub = submissions.get(db, critical.id)
    five = tuple(f"Condition number {i}, agreed with the promoter at length" for i in range(5))
    submissions.update(db, officer, sub.__class__(**{**sub.__dict__, "conditions": five}))
    pages = pages_text(render_assessment(db, critical.id))
    first = pages[0]
    stored = service.latest_assessment(db, critical.id)
    assert "5. Condition number 4" in first and "HIGH set by Sam Super" in first
    assert (f"Total score {stored.score}: The rules give CRITICAL at this score; the grade in "
            "force is HIGH") in first
    for f in stored.fired:
        assert flat(f.title) in first, f.title
    assert EVIDENCE_HEADING in pages[1]


def test_a_short_rule_list_keeps_its_evidence_on_page_1(db, scored):
    sub = scored(door_supervisors="0", search_regime="none")
    stored = service.latest_assessment(db, sub.id)
    first = pages_text(render_assessment(db, sub.id))[0]
    assert all(flat(f.evidence) in first for f in stored.fired)
    assert EVIDENCE_HEADING not in first


# ---- suggested measures, and words that agree with the decision ----------------------------

def test_distinct_measures_drops_repeats_measures_said_by_a_longer_one_and_agreed_ones():
    measures = ["Walk-through search arch or wands on every customer.",
                "Search arch or wands on every customer.",
                "search arch or WANDS on every customer",
                "Use a search arch or hand-held metal detectors on every customer.",
                "Extra door supervisors at closing time."]
    assert distinct_measures(measures, ["Extra door supervisors at closing time"]) == [
        "Walk-through search arch or wands on every customer.",
        "Use a search arch or hand-held metal detectors on every customer."]
    assert distinct_measures(["A.", "B."]) == ["A.", "B."]


def test_suggested_measures_print_once(db, critical):
    pages = pages_text(render_assessment(db, critical.id))
    whole = " ".join(pages)
    suggested = whole[whole.index("Suggested, not agreed"):whole.index("Supervisor's decision")]
    measures = [f.measure for f in service.latest_assessment(db, critical.id).fired]
    # the rules that fired recommend the same search twice, in two wordings
    assert "Search arch or wands on every customer." in measures
    assert "Walk-through search arch or wands on every customer." in measures
    assert suggested.count("arch or wands on every customer") == 1, suggested
    bullets = [b.strip() for b in suggested.split("•")[1:]]
    assert len(bullets) == len(set(bullets))


def test_agreed_guidance_agrees_with_the_conditions():
    low = "Advice to the organiser. No conditions needed beyond the licence."
    assert agreed_guidance(low, []) == low
    three = agreed_guidance(low, ["a", "b", "c"])
    assert "No conditions" not in three and three.startswith("Advice to the organiser.")
    assert "The 3 conditions agreed with the promoter, listed below, apply." in three
    assert "The condition agreed with the promoter" in agreed_guidance(low, ["a"])
    medium = "Mention it at the briefing. If called, check the agreed conditions below."
    assert agreed_guidance(medium, ["a"]) == medium
    assert agreed_guidance(medium, []).endswith("No conditions have been agreed.")


def test_a_low_event_with_three_agreed_conditions_does_not_say_none_are_needed(db, scored):
    quiet = dict(expected_attendance="60", door_supervisors="2", search_regime="wand",
                 cctv="true", id_scanning="true", dispersal_plan="true", medical_cover="true")
    plain = scored(**quiet)
    assert service.latest_assessment(db, plain.id).grade is Grade.LOW
    assert LOW_GUIDANCE in pages_text(render_assessment(db, plain.id))[0]
    agreed = scored(conditions="Two SIA door supervisors; Wand search; CCTV kept 31 days",
                    **quiet)
    assert service.latest_assessment(db, agreed.id).grade is Grade.LOW
    whole = " ".join(pages_text(render_assessment(db, agreed.id)))
    assert LOW_GUIDANCE not in whole
    assert "The 3 conditions agreed with the promoter, listed below, apply." in whole
    assert "1. Two SIA door supervisors 2. Wand search 3. CCTV kept 31 days" in whole


def test_the_read_model_offers_the_agreed_wording_and_keeps_the_band_text(db, scored):
    from eventrisk.desk import readmodel

    sub = scored(expected_attendance="60", door_supervisors="2", search_regime="wand",
                 conditions="Wand search")
    state = readmodel.load(db, sub.id)
    assert LOW_GUIDANCE in state.guidance  # unchanged: the screen reads it as before
    assert LOW_GUIDANCE not in state.guidance_as_agreed
    assert "The condition agreed with the promoter" in state.borough_action_as_agreed


# ---- the issued copy says issued -------------------------------------------------------------

def _captured(desks):
    from tests.core.test_desk_service import capture

    return capture(desks["capturer"])


def _approved(desks):
    state = _captured(desks)
    sid = state.submission.id
    state = desks["capturer"].submit_for_review(sid, state.version)
    return desks["supervisor"].approve(sid, state.version)


def test_the_issued_pdf_says_issued_by_whom_and_when(desks):
    state = _approved(desks)
    supervisor = desks["supervisor"]
    sid = state.submission.id
    pdf = supervisor.render_assessment(sid, for_issue=True)
    digest = supervisor.issue(sid, state.version, pdf)
    row = supervisor.db.execute("SELECT sha256 FROM issued_documents WHERE submission_id = ?",
                                [sid]).fetchone()
    assert row[0] == digest  # the very bytes recorded as issued...
    first = pages_text(pdf)[0]
    assert "status issued" in first and "status approved" not in first  # ...say issued
    who = supervisor.user.display_name
    assert f"Status: issued to the borough by {who} on" in first
    # a copy printed later says the same
    later = pages_text(supervisor.render_assessment(sid))[0]
    assert "status issued" in later and f"issued to the borough by {who} on" in later


def test_only_an_approved_assessment_has_a_copy_to_issue(desks):
    sid = _captured(desks).submission.id
    for who in ("officer", "supervisor"):
        with pytest.raises(WorkflowError, match="is assessed: only an approved assessment can "
                                                "be issued"):
            desks[who].render_assessment(sid, for_issue=True)


def test_an_approved_event_that_took_place_is_not_called_unapproved(db, officer, supervisor,
                                                                      scored):
    from eventrisk import incidents
    from eventrisk.incidents import Debrief

    sub = scored()
    workflow.submit_for_review(db, officer, sub.id)
    workflow.approve(db, supervisor, sub.id)
    # the event is moved to last month (as a desk's past looks) and debriefed
    start = now_utc() - timedelta(days=30)
    db.execute("UPDATE submissions SET starts_at = ?, ends_at = ? WHERE id = ?",
               [start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ"), sub.id])
    incidents.record_debrief(db, officer, Debrief(sub.id, True, 280, 0, "Quiet night"))
    assert submissions.get(db, sub.id).status.value == "debriefed"
    first = pages_text(render_assessment(db, sub.id))[0]
    assert "Not approved by a supervisor" not in first
    assert ("Status: debriefed (the event has taken place); the grade was approved by Sam Super"
            in first)


# ---- grade boxes: WCAG AA, and apart in greyscale ---------------------------------------------

def wcag_contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0-255 channels)."""
    def luminance(rgb) -> float:
        def channel(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b_ = (channel(float(v)) for v in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def grade_boxes(pdf: bytes, word: str, dpi: int = 150) -> list[tuple[tuple, tuple, int, int]]:
    """Where ``word`` prints on a coloured box on page 1: (fill, text) as rendered in colour,
    and (fill, text) of the same pixels after converting the render to greyscale."""
    doc = pdfium.PdfDocument(pdf)
    page = doc[0]
    text = page.get_textpage()
    scale, height = dpi / 72, page.get_size()[1]
    # Pillow comes with reportlab (its own requirement); "L" is ITU-R 601 luma, as a mono
    # printer driver or photocopier reduces colour
    image = page.render(scale=scale, rev_byteorder=True).to_pil().convert("RGB")
    rgb = np.asarray(image).astype(int)
    grey = np.asarray(image.convert("L")).astype(int)  # what a mono printer works from
    found = []
    search = text.search(word, match_case=True, match_whole_word=True)
    while hit := search.get_next():
        first, count = hit
        boxes = [text.get_charbox(i) for i in range(first, first + count)]
        x0 = int(min(b[0] for b in boxes) * scale)
        x1 = int(max(b[2] for b in boxes) * scale) + 1
        y0 = int((height - max(b[3] for b in boxes)) * scale)
        y1 = int((height - min(b[1] for b in boxes)) * scale) + 1
        ring = np.concatenate([rgb[y0 - 4:y0 - 2, x0:x1].reshape(-1, 3),
                               rgb[y1 + 2:y1 + 4, x0:x1].reshape(-1, 3)])
        values, counts = np.unique(ring, axis=0, return_counts=True)
        fill = tuple(values[counts.argmax()])
        if len(set(fill)) == 1:
            continue  # white paper or grey shading: not a grade box
        inside = rgb[y0:y1, x0:x1].reshape(-1, 3)
        ink = inside[np.abs(inside - np.array(fill)).sum(axis=1).argmax()]
        # the same two pixels in the greyscale render
        ys, xs = np.nonzero((rgb[y0:y1, x0:x1] == ink).all(axis=2))
        ring_grey = np.concatenate([grey[y0 - 4:y0 - 2, x0:x1].ravel(),
                                    grey[y1 + 2:y1 + 4, x0:x1].ravel()])
        gv, gc = np.unique(ring_grey, return_counts=True)
        found.append((fill, tuple(ink), int(gv[gc.argmax()]), int(grey[y0 + ys[0], x0 + xs[0]])))
    return found


@pytest.fixture
def every_grade(db, officer, supervisor, scored):
    """Page 1 of one assessment at each grade in force: as scored, then overridden."""
    sub = scored(expected_attendance="60", door_supervisors="2", search_regime="wand")
    assert service.latest_assessment(db, sub.id).grade is Grade.LOW
    out = {Grade.LOW: render_assessment(db, sub.id)}
    workflow.submit_for_review(db, officer, sub.id)
    for grade in (Grade.MEDIUM, Grade.HIGH, Grade.CRITICAL):
        workflow.override(db, supervisor, sub.id, grade, f"Set {grade.value} for the test")
        out[grade] = render_assessment(db, sub.id)
    return out


def test_grade_boxes_pass_wcag_aa_and_stay_apart_in_greyscale(every_grade):
    greys = {}
    for grade, pdf in every_grade.items():
        boxes = grade_boxes(pdf, grade.value)
        assert boxes, f"no {grade.value} box found on page 1"
        fill, ink, fill_grey, ink_grey = boxes[0]
        ratio = wcag_contrast(fill, ink)
        assert ratio >= 4.5, f"{grade.value}: {ink} on {fill} is {ratio:.2f}:1"
        grey_ratio = wcag_contrast((fill_grey,) * 3, (ink_grey,) * 3)
        assert grey_ratio >= 4.5, f"{grade.value} in greyscale: {grey_ratio:.2f}:1"
        greys[grade] = fill_grey
    levels = sorted(greys.values())
    gaps = [b - a for a, b in zip(levels, levels[1:], strict=False)]
    # four boxes a mono printer tells apart, and in the order of the risk
    assert min(gaps) >= 40, greys
    assert greys[Grade.LOW] > greys[Grade.MEDIUM] > greys[Grade.HIGH] > greys[Grade.CRITICAL]


def test_the_pack_covers_grade_cells_pass_wcag_aa(db, officer, supervisor, scored):
    subs = [scored(expected_attendance="60", door_supervisors="2", search_regime="wand")
            for _ in range(4)]
    for sub in subs:
        workflow.submit_for_review(db, officer, sub.id)
    for sub, grade in zip(subs[1:], (Grade.MEDIUM, Grade.HIGH, Grade.CRITICAL), strict=True):
        workflow.override(db, supervisor, sub.id, grade, "for the test")
    day = to_local(subs[0].start).date()
    pdf, _ = render_pack(db, "Hackney", day, day, include_pending=True)
    for grade in Grade:
        cells = grade_boxes(pdf, grade.value)
        assert cells, grade
        for fill, ink, _, _ in cells:
            assert wcag_contrast(fill, ink) >= 4.5, (grade, fill, ink)


# ---- the pack cover puts CRITICAL and HIGH first ---------------------------------------------

def test_the_pack_lists_critical_and_high_first_then_the_rest_by_start(db, officer,
                                                                      supervisor, scored):
    from tests.conftest import event_fields

    start = event_fields()["start"]
    base = to_local(now_utc() + timedelta(days=20)).replace(hour=18, minute=0, second=0,
                                                              microsecond=0, tzinfo=None)
    made = []
    for hour, name in enumerate(("Early Low", "Then Medium", "Then High", "Late Critical",
                                 "Later Low")):
        at = base + timedelta(hours=hour)
        made.append(scored(event_name=name, start=at.isoformat(timespec="minutes"),
                           end=(at + timedelta(hours=3)).isoformat(timespec="minutes"),
                           expected_attendance="60", door_supervisors="2",
                           search_regime="wand"))
    assert start  # the fields' own start is not used
    for sub, grade in zip(made, (None, Grade.MEDIUM, Grade.HIGH, Grade.CRITICAL, None),
                          strict=True):
        workflow.submit_for_review(db, officer, sub.id)
        if grade:
            workflow.override(db, supervisor, sub.id, grade, "for the test")
    day = base.date()
    pdf, count = render_pack(db, "Hackney", day, day, include_pending=True)
    assert count == 5
    pages = pages_text(pdf)
    cover = pages[0]
    order = [cover.find(s.reference) for s in made]
    critical, high = order[3], order[2]
    assert -1 not in order
    assert critical < high < order[0] < order[1] < order[4], order
    # the pages follow the cover
    starts = [next(i for i, p in enumerate(pages[1:], 1) if s.event_name in p) for s in made]
    assert starts[3] < starts[2] < starts[0] <= starts[1] <= starts[4], starts
