"""The subject access document: what the desk may disclose to one promoter, readable by
them, and how much it withheld.

Marked OFFICIAL-SENSITIVE until the desk's disclosure officer releases it.  It reads only the
``SubjectAccess`` gathered by ``eventrisk.subject_access`` (the JSON beside it in the zip holds
the same records)."""

from __future__ import annotations

import io
import json

from reportlab.platypus import KeepTogether, LongTable, Spacer, Table

from eventrisk.report.layout import FRAME_WIDTH, GRID, HEADED, MarkedDocument, para
from eventrisk.subject_access import SubjectAccess
from eventrisk.timeutil import british_date, british_datetime, from_db

MARKING = "OFFICIAL-SENSITIVE: PERSONAL"


def render_subject_access(access: SubjectAccess, *, desk_name: str,
                          training: bool = False) -> bytes:
    out = io.BytesIO()
    name = access.promoter["name"]
    doc = MarkedDocument(out, title=f"Subject access: {name}",
                         footer=f"{desk_name} · subject access · "
                                f"{british_datetime(from_db(access.generated_at))}",
                         training=training, marking=MARKING)
    doc.render(_story(access, desk_name))
    return out.getvalue()


def _table(header: list[str], rows: list[list], widths: list[float]) -> Table:
    table = LongTable([[para(h, "header") for h in header]]
                      + [[para(v, "cell") for v in row] for row in rows],
                      colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(HEADED)
    return table


def _when(stored: str | None) -> str:
    return british_datetime(from_db(stored)) if stored else "—"


def _story(a: SubjectAccess, desk_name: str) -> list:
    p = a.promoter
    story: list = [
        para(f"Records held about {p['name']}", "title"),
        para(f"Made by the {desk_name} on {_when(a.generated_at)} in answer to a subject access "
             "request. It lists every record the desk's EventRisk system holds about you: your "
             "details, the events you submitted with their outcomes, the incidents linked to "
             "them, and every entry in the desk's audit trail about you or your events. The "
             "file subject-access.json beside this document holds the same records."),
        Spacer(1, 6),
        para("Your details", "h2"),
    ]
    rows = [["Name", p["name"]], ["Company", p["company"] or "—"],
            ["Phone", p["phone"] or "—"], ["Email", p["email"] or "—"],
            ["Last changed", _when(p["last_changed"])]]
    if p["anonymised_at"]:
        rows.append(["Anonymised", _when(p["anonymised_at"])])
    details = Table([[para(k, "label"), para(v, "cell")] for k, v in rows],
                    colWidths=[0.2 * FRAME_WIDTH, 0.8 * FRAME_WIDTH])
    details.setStyle(GRID)
    story += [details, Spacer(1, 8),
              para(f"Events you submitted ({len(a.events)})", "h2")]
    if a.events:
        story.append(_table(
            ["Reference", "Event", "Venue", "Start", "Status and grade", "Conditions agreed",
             "Outcome"],
            [[e.reference, e.event_name, f"{e.venue} ({e.borough})",
              british_date(from_db(e.start)),
              f"{e.status}; " + (f"{e.grade} ({e.score} points)" if e.grade else "not graded"),
              "\n".join(e.conditions) or "None", e.outcome] for e in a.events],
            [0.16, 0.14, 0.16, 0.12, 0.12, 0.13, 0.17]))
    else:
        story.append(para("None."))
    story += [Spacer(1, 8), para(f"Incidents linked to your events ({len(a.incidents)})", "h2")]
    if a.incidents:
        story.append(_table(["Incident", "Event", "When", "Category", "Severity"],
                            [[i.reference, i.event_reference, _when(i.occurred_at), i.category,
                              i.severity] for i in a.incidents],
                            [0.16, 0.16, 0.22, 0.3, 0.16]))
    else:
        story.append(para("None."))
    story += [Spacer(1, 8), para(f"Audit trail entries ({len(a.audit)})", "h2")]
    if a.audit:
        story.append(_table(
            ["Entry", "When", "By", "What", "About", "Detail"],
            [[str(e.position), _when(e.at), e.by, e.action, e.about, _detail(e.detail)]
             for e in a.audit],
            [0.07, 0.17, 0.12, 0.2, 0.16, 0.28]))
    else:
        story.append(para("None."))
    if a.drafts:
        story += [Spacer(1, 8), para(f"Unsubmitted drafts naming you ({len(a.drafts)})", "h2"),
                  _table(["Event", "Last saved", "Details typed"],
                         [[d["event"], _when(d["last_saved"]),
                           "; ".join(v for k, v in d.items()
                                     if k not in ("event", "last_saved")) or "—"]
                          for d in a.drafts], [0.35, 0.25, 0.4])]
    story += [Spacer(1, 8), KeepTogether([para("Withheld", "h2")]
                                         + [para(f"• {w}") for w in a.withheld])]
    story += [Spacer(1, 8), KeepTogether([para("What this document leaves out", "h2")]
                                         + [para(f"• {r}") for r in a.redactions])]
    return story


def _detail(detail: dict) -> str:
    return "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
                     for k, v in detail.items())
