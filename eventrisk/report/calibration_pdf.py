"""The calibration report on paper: does HIGH mean more trouble than LOW, for which rules, and
is it the same across boroughs.  Every figure comes from ``CalibrationReport``, as ``--json``
prints it."""

from __future__ import annotations

import io
import math

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table

from eventrisk.calibration import CalibrationReport, Rate
from eventrisk.formatting import percent, rate_text
from eventrisk.model import GRADE_COLOURS, Grade
from eventrisk.report.layout import (
    FONT,
    FRAME_WIDTH,
    GREY,
    GRID,
    HEADED,
    RULE_GREY,
    MarkedDocument,
    markup,
    para,
)
from eventrisk.timeutil import british_datetime, from_db

BLUE = colors.HexColor("#3f6e9c")
RED = colors.HexColor("#b71c1c")


def render_calibration(report: CalibrationReport, *, training: bool = False) -> bytes:
    """The report as PDF bytes, with the protective marking on every page."""
    out = io.BytesIO()
    doc = MarkedDocument(out, title="EventRisk calibration report",
                         footer=f"Calibration {report.date_from} to {report.date_to} · "
                                f"{report.basis}", training=training)
    doc.build(_story(report))
    return out.getvalue()


def _story(r: CalibrationReport) -> list:
    generated = british_datetime(from_db(r.generated_at))
    story: list = [
        para("Does the grade mean anything?", "title"),
        markup("Past events from <b>{a}</b> to <b>{b}</b> · {basis} · {n} events · "
               "made {when}", a=_day(r.date_from), b=_day(r.date_to), basis=r.basis,
               n=f"{r.events:,}", when=generated),
        Spacer(1, 4),
        para(r.outcome_definition, "small"),
        para(r.protected_note, "small"),
    ]
    for note in r.notes:
        story.append(para(note, "small", bold=True))
    if not r.events:
        story.append(Spacer(1, 10))
        story.append(para(r.empty_headline, bold=True))
        return story
    story += _headline(r)
    story += _grades(r)
    story += _deciles(r)
    story += _rules(r)
    story += _mix(r)
    story += _disparity(r)
    story += _overrides(r)
    return story


def _day(text: str) -> str:
    return f"{text[8:10]}/{text[5:7]}/{text[:4]}"


def _headline(r: CalibrationReport) -> list:
    if r.auc is None:
        auc = "The AUC cannot be computed: every event had the same outcome."
    else:
        auc = (f"Discrimination: AUC {r.auc:.3f} (95% bootstrap interval {r.auc_low:.3f}–"
               f"{r.auc_high:.3f}). 0.5 is a coin toss and 1 a perfect ranking: a randomly "
               f"chosen event with trouble scored higher than one without "
               f"{r.auc:.0%} of the time.")
    return [Spacer(1, 6), para("In short", "h2"), para(r.rise_note, bold=not r.rates_rise),
            para(auc)]


def _grades(r: CalibrationReport) -> list:
    rows = [["Grade", "Events", "Share", "Trouble (95% interval)", "Any incident",
             "Debrief noted incidents"]]
    for g in r.grades:
        rows.append([g.grade, f"{g.outcome.events:,}", percent(g.share, 1), rate_text(g.outcome),
                     rate_text(g.any_incident), rate_text(g.debrief_noted)])
    return [para("Trouble by grade", "h2"),
            _rate_chart([(g.grade, g.outcome) for g in r.grades],
                        [GRADE_COLOURS.get(Grade(g.grade), "#777777") for g in r.grades]),
            _table(rows, (50, 50, 45, 120, 110, 120))]


def _deciles(r: CalibrationReport) -> list:
    rows = [["Decile", "Scores", "Mean score", "Events", "Trouble (95% interval)"]]
    for d in r.deciles:
        rows.append([str(d.decile), f"{d.min_score:g}–{d.max_score:g}", f"{d.mean_score:.1f}",
                     f"{d.outcome.events:,}", rate_text(d.outcome)])
    return [CondPageBreak(200), para("Reliability: score deciles against trouble", "h2"),
            para("Events in ten equal groups by score. The rate should climb from the first "
                 "group to the last.", "small"),
            _rate_chart([(str(d.decile), d.outcome) for d in r.deciles], [BLUE] * len(r.deciles),
                        line=True),
            _table(rows, (45, 70, 70, 60, 130))]


def _rules(r: CalibrationReport) -> list:
    rows = [["Rule", "Points", "Fired", "Trouble with it", "Trouble without it", "Verdict"]]
    for x in r.rules:
        rows.append([para(f"{x.title} ({x.rule})", "cell"), str(x.points),
                     f"{x.fired:,} ({percent(x.share, 0)})", rate_text(x.with_rule),
                     rate_text(x.without_rule), para(x.verdict, "cell", bold=x.verdict in (
                         "no evidence it predicts trouble", "fires on calmer events"))])
    return [CondPageBreak(150), para("Rule by rule", "h2"),
            para("A rule that adds points but whose events have trouble no more often than "
                 "the rest is a candidate to retire or re-weight. Intervals are 95% Wilson "
                 "intervals.", "small"),
            _table(rows, (148, 42, 60, 92, 92, 86))]


def _mix(r: CalibrationReport) -> list:
    rows = [["Grade", "Share", "This grade or above", "Target (at most)", "Band starts at",
             "Suggested start", "Re-graded: this grade or above"]]
    reasons = []
    for m in r.mix:
        check = "–" if m.meets_target is None else percent(m.suggested_at_or_above, 1) + (
            " (within a point)" if m.meets_target else " (misses)")
        rows.append([m.grade, percent(m.share, 1), percent(m.at_or_above, 1),
                     percent(m.target, 0), str(m.current_min_score),
                     str(m.suggested_min_score) if m.suggested_min_score is not None else "–",
                     para(check, "cell", bold=m.meets_target is False)])
        if m.why_not:
            reasons.append(para(f"{m.grade}: {m.why_not}", "small", bold=True))
    return [KeepTogether([
        para("Grade mix against the desk's target", "h2"),
        para("Suggested band starts come from re-grading these events as the scorer grades: "
             "the band the score reaches, raised to the floor of any rule that fired (the "
             "floors of the ruleset the bands are for), with overridden grades held as they "
             "are. Each is the lowest start that puts no more than the target share at that "
             "grade or above; the last column is the mix that re-grading gives, checked to "
             "within one percentage point of the target. A suggestion only: nothing changes "
             "until a supervisor publishes new bands.", "small"),
        _table(rows, (55, 45, 70, 65, 55, 60, 100)), *reasons])]


def _disparity(r: CalibrationReport) -> list:
    judged = [g for g in r.disparity if g.comparable]
    story = [CondPageBreak(250), para("Disparity: boroughs and event types", "h2"),
             para(r.disparity_note, "small")]
    if not judged:
        story.append(para("No group has enough events to judge (at least 30, with at least 5 "
                          "expected to have trouble and 5 not).", bold=True))
    else:
        story += _calibration_within(r, judged) + _per_grade(r, judged) + _error_rates(r, judged)
    if r.disparity_too_small:
        story.append(para("Too few events to judge, and left out of the tables: "
                          + "; ".join(r.disparity_too_small) + ".", "small"))
    return story


def _calibration_within(r: CalibrationReport, judged: list) -> list:
    rows = [["Group", "Events", "Trouble seen", "Expected from scores", "Seen ÷ expected "
             "(interval)", "Finding", "Rules behind it (points per event vs the rest)"]]
    for g in judged:
        rows.append([para(g.name, "cell"), f"{g.events:,}", f"{g.observed:,}",
                     f"{g.expected:.1f}", g.oe_text,
                     para(g.finding or "as expected", "cell", bold=bool(g.finding)),
                     para(g.drivers_text("\n"), "small")])  # a rule id never breaks
    boroughs = sorted((g for g in judged if g.kind == "borough"), key=lambda g: g.label)
    return [Spacer(1, 4), para("1. Calibration within groups (read first)", "label"),
            para(f"Seen ÷ expected is the group's trouble against what the desk's own "
                 f"score-to-trouble curve expects for its events' scores: 1 means its grades "
                 f"mean what they mean elsewhere; below 1, graded harder than its trouble "
                 f"justifies (over-graded); above 1, softer (under-graded). Intervals are exact "
                 f"Poisson intervals widened for the {r.disparity_judged} groups judged "
                 f"(Bonferroni), so the chance that luck alone names any group in this table "
                 f"is 5% or less; a group is named only when its whole interval lies on one "
                 f"side of 1.", "small"),
            _ratio_chart(boroughs) if boroughs else Spacer(1, 2),
            _table(rows, (92, 38, 40, 50, 70, 72, 138))]


def _per_grade(r: CalibrationReport, judged: list) -> list:
    def cell(rate) -> str:
        return "–" if not rate.events else f"{percent(rate.rate, 0)} of {rate.events:,}"
    rows = [["Group"] + [f"Trouble at {g.value}" for g in Grade]]
    rows.append([para("The desk", "cell", bold=True)] + [cell(x) for x in r.desk_by_grade])
    for g in judged:
        rows.append([para(g.name, "cell")] + [cell(x) for x in g.by_grade])
    return [Spacer(1, 6), para("Trouble per grade in each group", "label"),
            para("The same grade should mean about the same trouble in every group. Rates "
                 "resting on a handful of events say little.", "small"),
            _table(rows, (130, 70, 70, 70, 70))]


def _error_rates(r: CalibrationReport, judged: list) -> list:
    def cell(rate, differs: bool) -> object:
        text = "–" if not rate.events else (
            f"{percent(rate.rate, 1)} ({percent(rate.low, 0)}–{percent(rate.high, 0)})"
            + (" ≠ desk" if differs else ""))
        return para(text, "cell", bold=differs)
    measures = ("selection", "false positive rate", "false negative rate", "precision")
    rows = [["Group", "Graded HIGH or above", "False positive rate", "False negative rate",
             "Precision"]]
    if r.desk_errors:
        d = r.desk_errors
        rows.append([para("The desk", "cell", bold=True)] + [
            cell(x, False) for x in (d.selection, d.false_positive, d.false_negative,
                                     d.precision)])
    for g in judged:
        e = g.errors
        rows.append([para(g.name, "cell")] + [
            cell(x, m in g.differs) for x, m in zip(
                (e.selection, e.false_positive, e.false_negative, e.precision), measures,
                strict=True)])
    return [Spacer(1, 6), para("2. Error-rate balance (read second)", "label"),
            para("False positive rate: events graded HIGH or above that had no trouble, "
                 "among those without trouble. False negative rate: events graded below HIGH "
                 "that had trouble, among those with trouble. Precision: trouble among events "
                 "graded HIGH or above. Intervals are Wilson intervals widened for every group "
                 "and all four measures at once; \u2260 desk marks a group whose interval "
                 "leaves out the desk's rate. A difference is not a finding: where trouble is "
                 "more or less common, a calibrated grade gives different error rates.",
                 "small"),
            _table(rows, (130, 85, 85, 85, 85))]


def _overrides(r: CalibrationReport) -> list:
    story = [CondPageBreak(120), para("Overrides", "h2")]
    if not r.override_list:
        return story + [para("No grade was overridden on these events.")]
    rows = [["Supervisor", "Direction", "Overrides"]]
    rows += [[who, direction, str(n)] for who, direction, n in r.overrides_by]
    story += [_table(rows, (200, 100, 80)), Spacer(1, 4),
              para(f"Trouble at overridden events: {rate_text(r.overridden)}; at the rest: "
                   f"{rate_text(r.not_overridden)}.")]
    rows = [["Event", "Start", "Supervisor", "Grade", "Justification", "Trouble"]]
    for o in r.override_list:
        rows.append([o.reference, british_datetime(from_db(o.starts)), para(o.supervisor, "cell"),
                     f"{o.before} → {o.after}", para(o.justification, "cell"),
                     "yes" if o.outcome else "no"])
    return story + [Spacer(1, 4), para("Justifications, for review", "label"),
                    _table(rows, (70, 80, 70, 85, 170, 38))]


def _table(rows: list[list], widths: tuple[float, ...]) -> Table:
    """Rows under a shaded heading row whose words never break; widths are shares."""
    scale = FRAME_WIDTH / sum(widths)
    cells = [[c if not isinstance(c, str) else para(c, "header" if i == 0 else "cell")
              for c in row] for i, row in enumerate(rows)]
    table = Table(cells, colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(HEADED)
    return table


def _rate_chart(items: list[tuple[str, Rate]], fills: list, line: bool = False,
                height: float = 120) -> Drawing:
    """Bars (or points joined by a line) of outcome rates with their interval whiskers."""
    width = FRAME_WIDTH
    d = Drawing(width, height)
    left, bottom, top = 36, 18, height - 8
    top_rate = max([rate.high for _, rate in items] + [0.05])
    scale = (top - bottom) / top_rate
    slot = (width - left - 10) / max(1, len(items))
    for tick in _ticks(top_rate):
        y = bottom + tick * scale
        d.add(Line(left, y, width - 10, y, strokeColor=RULE_GREY, strokeWidth=0.3))
        d.add(String(left - 4, y - 2.5, f"{tick:.0%}", fontName=FONT, fontSize=6.5,
                     textAnchor="end", fillColor=GREY))
    previous = None
    for i, ((label, rate), fill) in enumerate(zip(items, fills, strict=True)):
        x = left + slot * (i + 0.5)
        y = bottom + rate.rate * scale
        if line:
            d.add(Circle(x, y, 2.2, fillColor=BLUE, strokeColor=None))
            if previous:
                d.add(Line(previous[0], previous[1], x, y, strokeColor=BLUE, strokeWidth=0.8))
            previous = (x, y)
        else:
            d.add(Rect(x - slot * 0.3, bottom, slot * 0.6, rate.rate * scale,
                       fillColor=colors.HexColor(fill) if isinstance(fill, str) else fill,
                       strokeColor=None))
        if rate.events:
            d.add(Line(x, bottom + rate.low * scale, x, bottom + rate.high * scale,
                       strokeColor=colors.black, strokeWidth=0.7))
            for yy in (rate.low, rate.high):
                d.add(Line(x - 3, bottom + yy * scale, x + 3, bottom + yy * scale,
                           strokeColor=colors.black, strokeWidth=0.7))
        d.add(String(x, 6, label, fontName=FONT, fontSize=7, textAnchor="middle"))
    return d


def _ratio_chart(groups: list, row: float = 9.5) -> Drawing:
    """Each borough's seen ÷ expected trouble as a point with its interval, on a log scale
    around 1 (red: over-graded; blue: under-graded)."""
    width = FRAME_WIDTH
    height = 16 + row * len(groups)
    d = Drawing(width, height)
    left, right = 170, width - 10
    lo, hi = 0.25, 4.0

    def at(value: float) -> float:
        clipped = min(hi, max(lo, value))
        return left + (math.log(clipped) - math.log(lo)) / (math.log(hi) - math.log(lo)) * \
            (right - left)
    for tick in (0.25, 0.5, 1, 2, 4):
        x = at(tick)
        d.add(Line(x, 10, x, height, strokeColor=colors.black if tick == 1 else RULE_GREY,
                   strokeWidth=0.8 if tick == 1 else 0.3))
        d.add(String(x, 2, f"{tick:g}", fontName=FONT, fontSize=6.5, textAnchor="middle",
                     fillColor=GREY))
    for i, g in enumerate(groups):
        y = height - 6 - i * row
        colour = RED if g.finding == "over-graded" else BLUE if g.finding else GREY
        named = f" ({g.finding})" if g.finding else ""  # in words, not by colour alone
        d.add(String(left - 6, y - 2.5, g.label + named, fontName=FONT, fontSize=6.5,
                     textAnchor="end"))
        d.add(Line(at(g.oe_low), y, at(g.oe_high), y, strokeColor=colour, strokeWidth=0.8))
        d.add(Circle(at(g.oe), y, 2, fillColor=colour, strokeColor=None))
    return d


def _ticks(top: float) -> list[float]:
    step = 0.05 if top <= 0.25 else 0.1 if top <= 0.6 else 0.2
    return [step * k for k in range(int(top / step) + 1)]
