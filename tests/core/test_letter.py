"""The promoter's letter: plain words, numbered conditions, on the desk's letterhead, marked
OFFICIAL, recorded as sent with its SHA-256, and unable to carry anything sensitive."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader

from eventrisk.desk import Desk
from eventrisk.errors import WorkflowError
from eventrisk.model import Grade, Incident, IncidentCategory, Location, Severity
from eventrisk.report.letter_pdf import OUTCOME, LetterData
from eventrisk.timeutil import now_utc
from eventrisk.validation import validate_submission
from tests.conftest import event_fields


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in
                    PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def desks(desk_path):
    """An officer and a supervisor on a training desk with one venue, and its history."""
    desk = Desk.open(desk_path, create=True)
    desk.build_demo(venues=3, events=40, incidents=30, seed=4)
    officer, supervisor = Desk(desk.db, desk.path), Desk(desk.db, desk.path)
    officer.sign_in("officer", "officer-demo")
    supervisor.sign_in("supervisor", "supervisor-demo")
    yield officer, supervisor
    desk.close()


MARKERS = {
    "notes": "NOTEMARKER-7781", "performers": "PERFORMERMARKER-7782",
    "justification": "INTELMARKER-7783", "other event": "OTHEREVENTMARKER-7784",
    "crime reference": "CRIMEMARKER-7785", "incident description": "DESCMARKER-7786",
    "promoter phone": "07700 977 787",
}


def _approved(officer, supervisor, **fields):
    venue = officer.db.execute("SELECT code FROM venues ORDER BY id LIMIT 1").fetchone()[0]
    state = officer.save_submission(validate_submission(event_fields(venue_code=venue,
                                                                     **fields)))
    state = officer.submit_for_review(state.submission.id, state.version)
    return state, venue


def test_nothing_outside_the_allow_list_reaches_the_letter(desks):
    officer, supervisor = desks
    state, venue = _approved(officer, supervisor, door_supervisors="0", search_regime="none",
                             notes=MARKERS["notes"], performers=MARKERS["performers"],
                             promoter_phone=MARKERS["promoter phone"],
                             conditions="Six SIA door supervisors; Wand search on entry")
    sid = state.submission.id
    # History at the venue, linked to this event and to another, and intelligence in an
    # override's justification: all of it sensitive, none of it for the promoter.
    officer.save_submission(validate_submission(event_fields(
        venue_code=venue, event_name=MARKERS["other event"])))
    for days in (3, 30, 90):
        officer.record_incident(Incident(
            venue, now_utc() - timedelta(days=days), IncidentCategory.KNIFE, Severity.SERIOUS,
            Location.INSIDE, crime_reference=MARKERS["crime reference"],
            description=MARKERS["incident description"]))
    state = officer.score([state.submission.reference])[0]
    state = officer.submit_for_review(sid, state.version) if state.status.value in (
        "assessed", "returned") else state
    chosen = Grade.CRITICAL if state.grade is not Grade.CRITICAL else Grade.HIGH
    state = supervisor.override(sid, state.version, chosen, MARKERS["justification"])
    pdf = officer.render_letter(sid)
    text = text_of(pdf)
    for what, marker in MARKERS.items():
        assert marker not in text, what
    refs = [r[0] for r in officer.db.execute("SELECT reference FROM incidents")]
    assert refs and not [r for r in refs if r in text]
    others = [r[0] for r in officer.db.execute("SELECT reference FROM submissions WHERE id != ?",
                                               [sid])]
    assert not [r for r in others if r in text]
    from eventrisk.scoring.rules import default_ruleset

    rules = {r.id: r for r in default_ruleset().rules}
    for fired in state.snapshot.fired:  # evidence names figures and incidents: never printed
        assert " ".join(fired.evidence.split()) not in text
        rule = rules[fired.id]
        if rule.advice:  # the desk's own wording of a measure never reaches the promoter
            assert " ".join(rule.advice.split()) in text
        else:
            assert " ".join(rule.measure.split()) not in text
    names = [r[0] for r in officer.db.execute("SELECT display_name FROM users")]
    assert not [n for n in names if n in text]  # no officer or supervisor by name
    # And what it must say.
    assert text.startswith("OFFICIAL") and "OFFICIAL-SENSITIVE" not in text
    assert "1. Six SIA door supervisors" in text and "2. Wand search on entry" in text
    assert " ".join(OUTCOME[chosen].split()) in text
    assert chosen.value not in text  # no grade jargon unless the desk chooses it
    assert "Asking for a review" in text and state.submission.reference in text


def test_the_letter_holds_only_the_documented_fields():
    assert {f.name for f in dataclasses.fields(LetterData)} == {
        "reference", "event_name", "start", "end", "expected_attendance", "venue_name",
        "venue_address", "promoter_name", "promoter_company", "grade", "conditions", "advice",
        "desk", "written_at", "training", "show_grade"}


def test_only_an_approved_event_gets_a_letter_and_sending_it_is_audited(desks, tmp_path,
                                                                        capsys, monkeypatch):
    from tests.conftest import act_as, run_cli

    officer, supervisor = desks
    state, _ = _approved(officer, supervisor)
    sid = state.submission.id
    with pytest.raises(WorkflowError, match="only once a supervisor has approved"):
        officer.render_letter(sid)
    supervisor.approve(sid, state.version)
    act_as(monkeypatch, tmp_path, "officer", "officer-demo")
    target = tmp_path / "letter.pdf"
    code, out, err = run_cli(capsys, "--db", officer.path, "letter",
                             state.submission.reference, "-o", target)
    assert code == 0, err
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert digest[:16] in out
    entry = officer.db.execute("SELECT actor, detail FROM audit_log WHERE action = "
                               "'letter.issue' ORDER BY id DESC LIMIT 1").fetchone()
    assert entry[0] == "officer" and json.loads(entry[1])["sha256"] == digest
    assert officer.verify_audit().ok


def test_every_grade_has_plain_words_and_the_desk_may_choose_to_name_it(desks, tmp_path,
                                                                       monkeypatch):
    officer, supervisor = desks
    assert set(OUTCOME) == set(Grade)
    state, _ = _approved(officer, supervisor)
    supervisor.approve(state.submission.id, state.version)
    from eventrisk.paths import resource

    desk_file = json.loads(resource("desk.json").read_text("utf-8"))
    desk_file["letter_shows_grade"] = True
    mine = tmp_path / "desk.json"
    mine.write_text(json.dumps(desk_file), encoding="utf-8")
    monkeypatch.setenv("EVENTRISK_DESK_JSON", str(mine))
    grade = officer.assessment(state.submission.id).grade
    assert f"Risk grade: {grade.value}" in text_of(officer.render_letter(state.submission.id))
