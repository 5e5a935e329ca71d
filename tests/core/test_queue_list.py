"""The filtered queue to a CSV file and to a printed list (issue 12)."""

from __future__ import annotations

import csv
import io
import os

import pytest
from pypdf import PdfReader

from eventrisk.desk import Desk
from eventrisk.queue import QueueFilter
from eventrisk.report import queue_list
from tests.conftest import BACKENDS, module_desk


@pytest.fixture(scope="module", params=BACKENDS)
def desk(request, tmp_path_factory):
    with module_desk(request, tmp_path_factory) as path:
        made = Desk.open(path, create=True)
        made.build_demo(venues=12, events=700, incidents=100, seed=4)
        made.sign_in("supervisor", "supervisor-demo")
        made.db.execute("UPDATE submissions SET event_name = '=HYPERLINK(\"x\")' WHERE id = 1")
        made.db.conn.commit()
        yield made
        made.close()


def test_the_csv_holds_every_row_in_the_order_on_screen(desk, tmp_path):
    everything = QueueFilter(upcoming_only=False)
    target = tmp_path / "queue.csv"
    count = desk.export_queue(everything, target, sort="venue", descending=True)
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    total = desk.queue_count(everything)
    assert rows[0][0] == "Reference" and len(rows) - 1 == count == total > 500  # several pages
    on_screen = [r.reference for r in desk.queue_page(everything, sort="venue",
                                                      descending=True, limit=total)]
    assert [r[0] for r in rows[1:]] == on_screen
    formula = next(r for r in rows if r[1].startswith("'="))
    assert formula[1] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it, never runs it
    assert {r[5] for r in rows[1:]} <= {"LOW", "MEDIUM", "HIGH", "CRITICAL", "Not scored"}
    if os.name == "posix":
        assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_the_printed_list_is_marked_and_says_what_it_shows(desk, monkeypatch):
    flt = QueueFilter(statuses=("in_review",), upcoming_only=True)
    pdf = desk.render_queue(flt, sort="start", sort_label="Start, ascending")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert all("OFFICIAL-SENSITIVE" in p for p in pages)
    assert all("TRAINING DATA" in p for p in pages)  # a demo desk's paper says so
    first = " ".join(pages[0].split())
    assert "status in review; upcoming events only. Order: Start, ascending." in first
    wanted = [r.reference for r in desk.queue_page(flt, sort="start", limit=1000)]
    assert wanted and all(ref in " ".join(pages) for ref in wanted)
    monkeypatch.setattr(queue_list, "PRINT_CAP", 5)
    everything = QueueFilter(upcoming_only=False)
    capped = " ".join(PdfReader(io.BytesIO(desk.render_queue(everything))).pages[-1]
                      .extract_text().split())
    assert f"… and {desk.queue_count(everything) - 5} more not printed" in capped


def test_the_filter_reads_in_words_dates_included():
    from datetime import date

    flt = QueueFilter(statuses=("received", "returned"), borough="Hackney", grades=("HIGH",),
                      date_from=date(2026, 12, 5), date_to=date(2026, 12, 7), text="warehouse")
    assert queue_list.describe(flt, "Venue, ascending") == (
        "status received, returned; Hackney; grade HIGH; from 05/12/2026 to 07/12/2026; "
        "matching “warehouse”; upcoming events only. Order: Venue, ascending.")


def test_an_empty_list_prints_as_such(desk):
    pdf = desk.render_queue(QueueFilter(text="nothing-matches-this"))
    assert "No event matches this filter." in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
