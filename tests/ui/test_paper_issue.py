"""Issuing from the assessment view hands the borough a PDF that already says issued."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader
from PySide6.QtCore import Qt


def test_the_pdf_issued_from_the_screen_says_issued(qtbot, window_for, monkeypatch, messages):
    from ui import assessment_view

    window = window_for("supervisor")
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = 'approved' AND assessment_id "
                     "IS NOT NULL ORDER BY starts_at LIMIT 1").fetchone()[0]
    view = window.open_assessment(sid)
    saved: list[bytes] = []
    monkeypatch.setattr(assessment_view, "save_pdf",
                        lambda _parent, pdf, name, _memory: saved.append(pdf) or f"/x/{name}")
    monkeypatch.setattr(assessment_view, "print_pdf", lambda *_a: None)
    qtbot.mouseClick(view.buttons["issue"], Qt.MouseButton.LeftButton)
    assert len(saved) == 1
    recorded = db.execute("SELECT sha256 FROM issued_documents WHERE submission_id = ? ORDER BY "
                          "id DESC LIMIT 1", [sid]).fetchone()[0]
    assert recorded == hashlib.sha256(saved[0]).hexdigest()
    first = " ".join(PdfReader(io.BytesIO(saved[0])).pages[0].extract_text().split())
    assert "status issued" in first and "status approved" not in first
    assert "Status: issued to the borough by Sam Patel on" in first


def test_the_screen_words_the_grade_as_the_paper_does(qtbot, window_for):
    """A LOW event with agreed conditions: neither screen nor paper says none are needed."""
    from dataclasses import replace

    window = window_for("officer")
    desk = window.desk
    sid = desk.db.execute("SELECT id FROM submissions WHERE status = 'assessed' AND grade = 'LOW'"
                          " AND conditions = '[]' ORDER BY starts_at LIMIT 1").fetchone()[0]
    state = desk.assessment(sid)
    assert "No conditions needed beyond the licence" in state.guidance
    conditions = ("Two SIA door supervisors", "Wand search")
    desk.save_submission(replace(state.submission, conditions=conditions,
                                 version=state.version))
    view = window.open_assessment(sid)
    shown = view.badge_detail.text()
    assert "No conditions needed" not in shown
    assert "The 2 conditions agreed with the promoter, listed below, apply." in shown
    paper = " ".join(PdfReader(io.BytesIO(desk.render_assessment(sid))).pages[0]
                     .extract_text().split())
    assert "The 2 conditions agreed with the promoter, listed below, apply." in paper


def test_a_pdf_saved_to_issue_is_removed_when_the_issue_is_not_recorded(
        qtbot, window_for, monkeypatch, messages, tmp_path):
    """The saved copy says issued; if the issue step fails (someone changed the event
    meanwhile), it must not be left behind to pass for an issued assessment."""
    from eventrisk.errors import ConflictError
    from ui import assessment_view

    window = window_for("supervisor")
    db = window.desk.db
    sid = db.execute("SELECT id FROM submissions WHERE status = 'approved' AND assessment_id "
                     "IS NOT NULL ORDER BY starts_at LIMIT 1").fetchone()[0]
    view = window.open_assessment(sid)
    target = tmp_path / "issued.pdf"

    def save(_parent, pdf, _name, _memory):
        target.write_bytes(pdf)
        return str(target)

    def conflict(*_a, **_k):
        raise ConflictError("Someone else changed this event; reopen it.")

    monkeypatch.setattr(assessment_view, "save_pdf", save)
    monkeypatch.setattr(window.desk, "issue", conflict)
    before = db.execute("SELECT count(*) FROM issued_documents").fetchone()[0]
    qtbot.mouseClick(view.buttons["issue"], Qt.MouseButton.LeftButton)
    assert not target.exists()
    assert db.execute("SELECT count(*) FROM issued_documents").fetchone()[0] == before
    assert any("Someone else changed this event" in m for m in messages)
