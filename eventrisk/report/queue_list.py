"""The risk queue as it is filtered on screen, as a CSV file or a printed list.

The CSV neutralises cells a spreadsheet would run as formulas (the same rule as exports).  The
printed list is landscape A4, marked OFFICIAL-SENSITIVE on every page, says which filter and
order it shows and when it was made, gives every grade as a word, and prints at most
``PRINT_CAP`` rows, saying how many more there were."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import LongTable, Spacer

from eventrisk.errors import StorageError
from eventrisk.importexport import private_text_file, quote_formula
from eventrisk.queue import QueueFilter, QueueRow
from eventrisk.report.layout import GRID, HEADED, MarkedDocument, para
from eventrisk.timeutil import british_datetime

PRINT_CAP = 2_000
HEADER = ("Reference", "Event", "Start", "Venue", "Borough", "Grade", "Score", "Status",
          "Days' notice", "Assigned to")


def _cells(row: QueueRow) -> list[str]:
    return [row.reference, row.event_name, british_datetime(row.start), row.venue_name,
            row.borough, row.grade.value if row.grade else "Not scored",
            "" if row.score is None else str(row.score), row.status.label,
            f"{row.days_notice:.0f}" + (" (late)" if row.late else ""), row.assigned or ""]


def describe(flt: QueueFilter, sort_label: str) -> str:
    """The filter and order in words, for the list's heading."""
    parts = []
    if flt.statuses:
        parts.append("status " + ", ".join(s.replace("_", " ") for s in flt.statuses))
    if flt.borough:
        parts.append(flt.borough)
    if flt.grades:
        parts.append("grade " + ", ".join(flt.grades))
    if flt.date_from or flt.date_to:
        parts.append(f"from {f'{flt.date_from:%d/%m/%Y}' if flt.date_from else 'any date'} to "
                     f"{f'{flt.date_to:%d/%m/%Y}' if flt.date_to else 'any date'}")
    if flt.text:
        parts.append(f"matching “{flt.text}”")
    parts.append("upcoming events only" if flt.upcoming_only else "past events included")
    return "; ".join(parts) + f". Order: {sort_label}."


def write_csv(rows: Iterable[QueueRow], path: Path) -> int:
    """Every row to ``path`` (never half-written under the real name); returns the count."""
    path = Path(path)
    if not path.parent.is_dir():
        raise StorageError(f"The folder {path.parent} does not exist.")
    count = 0
    with private_text_file(path) as out:  # the queue is OFFICIAL-SENSITIVE, like exports
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([quote_formula(c) for c in _cells(row)])
            count += 1
    return count


def render_list(rows: list[QueueRow], total: int, filter_text: str, generated_at: datetime,
                *, training: bool = False) -> bytes:
    """The printed list: ``rows`` (at most ``PRINT_CAP``) of ``total`` matching."""
    out = io.BytesIO()
    doc = MarkedDocument(out, title="EventRisk risk queue",
                         footer=f"Risk queue · made {british_datetime(generated_at)}",
                         training=training, pagesize=landscape(A4))
    width = doc.width
    shown = rows[:PRINT_CAP]
    more = total - len(shown)
    story: list = [para("Risk queue", "title"),
                   para(f"{total:,} event{'' if total == 1 else 's'}: {filter_text}"),
                   para(f"Made {british_datetime(generated_at)}. Grades are as in force "
                        "(a supervisor's override where there is one).", "small"),
                   Spacer(1, 6)]
    if shown:
        table = LongTable([[para(h, "header") for h in HEADER]]
                          + [[para(c, "cell") for c in _cells(r)] for r in shown],
                          colWidths=[w * width for w in (0.12, 0.16, 0.12, 0.15, 0.1, 0.07,
                                                         0.05, 0.07, 0.07, 0.09)],
                          repeatRows=1)
        table.setStyle(GRID)
        table.setStyle(HEADED)
        story.append(table)
    else:
        story.append(para("No event matches this filter."))
    if more > 0:
        story += [Spacer(1, 6), para(f"… and {more:,} more not printed: narrow the filter, or "
                                     "export the list to a file.", bold=True)]
    doc.render(story)
    return out.getvalue()
