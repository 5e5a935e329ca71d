"""Accountability: does the grade mean anything?  Outcome rates by grade, the reliability
curve, disparity by borough, rule by rule, the grade mix and the overrides, for supervisors.
Everything is computed by the desk on a worker thread; this view only shows it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QThreadPool, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from eventrisk.calibration import STEPS
from eventrisk.desk import Desk
from eventrisk.formatting import percent, rate_text
from eventrisk.model import GRADE_COLOURS, Grade
from eventrisk.report.files import write_pdf
from ui.charts import RateChart, RatioChart
from ui.datetime_fields import DateField
from ui.errors import show_error
from ui.memory import memory_of, open_path, save_path
from ui.worker import Task

AS_GRADED, IN_FORCE, DRAFT = range(3)


class AccountabilityView(QWidget):
    """The calibration and disparity report on screen, with Save as PDF."""

    ready = Signal()

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("accountabilityView")
        self.report = None
        self._task: Task | None = None
        outer = QVBoxLayout(self)
        controls = QHBoxLayout()
        yesterday = date.today() - timedelta(days=1)
        # Typed dates, one Tab each, as in every other form (a sectioned editor took five).
        self.date_from = DateField(QDate(yesterday.year - 1, yesterday.month, 1),
                                   accessible="Events from", name="calibrationFrom")
        self.date_to = DateField(QDate(yesterday.year, yesterday.month, yesterday.day),
                                 accessible="Events to", name="calibrationTo")
        self.basis = QComboBox(objectName="calibrationBasis", accessibleName="Grades")
        self.basis.addItems(["As graded at the time",
                             f"Re-graded under the ruleset in force "
                             f"({desk.active_ruleset().version})",
                             "Re-graded under a draft rules file…"])
        self.run_button = QPushButton("&Run", objectName="calibrationRun")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.save_button = QPushButton("&Save as PDF…", objectName="calibrationSave")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_pdf)
        form = QFormLayout()
        period = QHBoxLayout()
        period.addWidget(self.date_from)
        period.addWidget(QLabel("to"))
        period.addWidget(self.date_to)
        form.addRow("Past events from", period)
        form.addRow("Grades", self.basis)
        controls.addLayout(form)
        controls.addWidget(self.run_button)
        controls.addWidget(self.save_button)
        controls.addStretch(1)
        outer.addLayout(controls)
        self.status = QLabel("Choose a period and press Run.", objectName="calibrationStatus",
                             wordWrap=True)
        outer.addWidget(self.status)

        body = QWidget()
        self.body = QVBoxLayout(body)
        self.headline = QLabel(objectName="calibrationHeadline", wordWrap=True)
        self.headline.setStyleSheet("font-size: 11pt;")
        self.body.addWidget(self.headline)
        charts = QHBoxLayout()
        self.grade_chart = RateChart("Trouble by grade (95% intervals)")
        self.grade_chart.setObjectName("gradeRateChart")
        self.decile_chart = RateChart("Trouble by score decile (reliability)", line=True)
        self.decile_chart.setObjectName("decileChart")
        charts.addWidget(self.grade_chart)
        charts.addWidget(self.decile_chart)
        self.body.addLayout(charts)
        self.ratio_chart = RatioChart("Trouble seen ÷ expected from the scores, by borough: 1 "
                                      "is graded as elsewhere, below 1 over-graded")
        self.ratio_chart.setObjectName("boroughRatioChart")
        self.body.addWidget(self.ratio_chart)
        self.grades = self._table("gradesTable", "Trouble by grade",
                                  ["Grade", "Events", "Share", "Trouble (95%)", "Any incident",
                                   "Debrief noted incidents"])
        self.mix = self._table("mixTable", "Grade mix against the desk's target "
                               "(a suggestion: nothing changes until bands are published)",
                               ["Grade", "Share", "This grade or above", "Target (at most)",
                                "Band starts at", "Suggested start",
                                "Re-graded: this grade or above", "Why not"])
        self.rules = self._table("rulesTable", "Rule by rule",
                                 ["Rule", "Points", "Fired", "Trouble with it",
                                  "Trouble without it", "Verdict"])
        self.disparity = self._table("disparityTable", "Disparity, 1. calibration within "
                                     "groups (read first): trouble seen against trouble "
                                     "expected from the scores",
                                     ["Group", "Events", "Trouble seen", "Expected",
                                      "Seen ÷ expected (interval)", "Finding",
                                      "Rules behind it"])
        self.per_grade = self._table("perGradeTable", "Trouble per grade in each group",
                                     ["Group"] + [f"Trouble at {g.value}" for g in Grade])
        self.error_rates = self._table("errorRatesTable", "Disparity, 2. error-rate balance "
                                       "(read second; ≠ marks a rate whose interval leaves "
                                       "out the desk's)",
                                       ["Group", "HIGH or above", "False positive rate",
                                        "False negative rate", "Precision"])
        self.overrides = self._table("overridesTable", "Overrides, with their justifications",
                                     ["Event", "Supervisor", "Grade", "Justification",
                                      "Trouble"])
        self.notes = QLabel(objectName="calibrationNotes", wordWrap=True)
        self.notes.setStyleSheet("color:palette(placeholder-text);")
        self.body.addWidget(self.notes)
        self.body.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        body.setVisible(False)
        self._body_widget = body

    def _table(self, name: str, title: str, headers: list[str]) -> QTableWidget:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        table = QTableWidget(0, len(headers), objectName=name, accessibleName=title)
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(table)
        self.body.addWidget(box)
        return table

    # ---- running ---------------------------------------------------------------------------
    def run(self) -> None:
        for field, label in ((self.date_from, "from"), (self.date_to, "to")):
            if not field.date().isValid():
                field.setFocus()
                self.headline.setText(f"The date {label} '{field.text()}' is not a date: type "
                                      "it like 19/12/2026.")
                return
        start, end = self.date_from.date().toPython(), self.date_to.date().toPython()
        ruleset = None
        if self.basis.currentIndex() == IN_FORCE:
            ruleset = self.desk.active_ruleset().version
        elif self.basis.currentIndex() == DRAFT:
            path = open_path(self, memory_of(self.desk), "rules", "Draft rules file",
                             "Rules (*.toml)")
            if not path:
                return
            ruleset = path
        desk = self.desk
        steps = list(STEPS.values())

        def work(report):
            worker = desk.for_worker()
            try:
                return worker.calibration(start, end, ruleset,
                                          progress=lambda _s, done, total: report(done, total))
            finally:
                worker.close()

        task = Task(work)
        self._task = task
        self.run_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.status.setText("Loading: reading events and their outcomes…")
        task.signals.progress.connect(
            lambda done, total: self._still(task) and self.status.setText(
                f"Loading ({done + 1} of {total}): "
                f"{steps[done] + '…' if done < len(steps) else ''}"))
        task.signals.finished.connect(lambda result: self._arrived(task, result))
        task.signals.failed.connect(lambda exc: self._failed(task, exc))
        QThreadPool.globalInstance().start(task)

    def _still(self, task: Task) -> bool:
        try:
            self.objectName()  # raises once the tab has been closed and deleted
        except RuntimeError:
            return False
        return self._task is task

    def _failed(self, task: Task, exc: BaseException) -> None:
        if not self._still(task):
            return
        self.run_button.setEnabled(True)
        self.status.setText("The report could not be made.")
        show_error(self, exc, self.desk.path)

    def _arrived(self, task: Task, report) -> None:
        if not self._still(task):
            return
        self.report = report
        self.run_button.setEnabled(True)
        self.save_button.setEnabled(report.events > 0)
        self.show_report(report)
        self.ready.emit()

    # ---- showing ---------------------------------------------------------------------------
    def show_report(self, r) -> None:
        self._body_widget.setVisible(True)
        period = f"{r.date_from[8:]}/{r.date_from[5:7]}/{r.date_from[:4]} to " \
                 f"{r.date_to[8:]}/{r.date_to[5:7]}/{r.date_to[:4]}"
        self.status.setText(f"{r.events:,} past events from {period}, {r.basis}.")
        if not r.events:
            self.headline.setText(r.empty_headline)
            for table in (self.grades, self.mix, self.rules, self.disparity, self.per_grade,
                          self.error_rates, self.overrides):
                table.setRowCount(0)
            self.notes.setText("\n".join(r.notes))
            return
        auc = ("AUC cannot be computed: every event had the same outcome." if r.auc is None
               else f"AUC {r.auc:.3f} (95% interval {r.auc_low:.3f}–{r.auc_high:.3f}): an "
               f"event with trouble was scored above one without {r.auc:.0%} of the time "
               "(0.5 is a coin toss).")
        self.headline.setText(("<b>" if not r.rates_rise else "") + r.rise_note
                              + ("</b>" if not r.rates_rise else "") + "<br>" + auc)
        colours = {g.value: QColor(c) for g, c in GRADE_COLOURS.items()}
        self.grade_chart.set_data([(g.grade, g.outcome.rate, g.outcome.low, g.outcome.high,
                                    colours.get(g.grade, QColor("#777"))) for g in r.grades])
        self.decile_chart.set_data([(str(d.decile), d.outcome.rate, d.outcome.low,
                                     d.outcome.high, QColor("#3f6e9c")) for d in r.deciles])
        judged = [g for g in r.disparity if g.comparable]
        drawn = sorted((g.label, g.oe, g.oe_low, g.oe_high, g.finding)
                       for g in judged if g.kind == "borough")
        self.ratio_chart.set_data(drawn)
        self.ratio_chart.setVisible(bool(drawn))
        self._fill(self.grades, [[g.grade, f"{g.outcome.events:,}", percent(g.share, 1),
                                  rate_text(g.outcome), rate_text(g.any_incident),
                                  rate_text(g.debrief_noted)] for g in r.grades])
        self._fill(self.mix, [[m.grade, percent(m.share, 1), percent(m.at_or_above, 1),
                               percent(m.target, 1),
                               str(m.current_min_score),
                               "–" if m.suggested_min_score is None
                               else str(m.suggested_min_score),
                               "–" if m.meets_target is None else
                               percent(m.suggested_at_or_above, 1)
                               + (" (within a point)" if m.meets_target else " (misses)"),
                               m.why_not] for m in r.mix],
                   bold=lambda row: row[6].endswith("(misses)"))
        self._fill(self.rules, [[f"{x.title} ({x.rule})", str(x.points),
                                 f"{x.fired:,} ({x.share:.0%})", rate_text(x.with_rule),
                                 rate_text(x.without_rule), x.verdict] for x in r.rules],
                   bold=lambda row: row[-1] in ("no evidence it predicts trouble",
                                                "fires on calmer events"))
        self._fill(self.disparity, [[
            g.name, f"{g.events:,}", f"{g.observed:,}", f"{g.expected:.1f}", g.oe_text,
            g.finding or "as expected", g.drivers_text()] for g in judged],
            bold=lambda row: row[5] != "as expected")

        def per_grade(rate) -> str:
            return "–" if not rate.events else f"{percent(rate.rate, 0)} of {rate.events:,}"
        self._fill(self.per_grade, [["The desk"] + [per_grade(x) for x in r.desk_by_grade]]
                   + [[g.name] + [per_grade(x) for x in g.by_grade] for g in judged])

        def error(rate, differs: bool = False) -> str:
            return "–" if not rate.events else (
                f"{rate_text(rate)}" + (" ≠" if differs else ""))
        measures = ("selection", "false positive rate", "false negative rate", "precision")
        desk_rates = r.desk_errors
        self._fill(self.error_rates, ([["The desk"] + [error(x) for x in (
            desk_rates.selection, desk_rates.false_positive, desk_rates.false_negative,
            desk_rates.precision)]] if desk_rates else []) + [[g.name] + [
                error(x, m in g.differs) for x, m in zip(
                    (g.errors.selection, g.errors.false_positive, g.errors.false_negative,
                     g.errors.precision), measures, strict=True)] for g in judged])
        overrides = [[o.reference, o.supervisor, f"{o.before} → {o.after}", o.justification,
                      "yes" if o.outcome else "no"] for o in r.override_list]
        self._fill(self.overrides, overrides or [["No grade was overridden on these events.",
                                                  "", "", "", ""]])
        summary = ""
        if r.overridden and r.overridden.events:
            summary = (f"Trouble at overridden events {rate_text(r.overridden)}; at the rest "
                       f"{rate_text(r.not_overridden)}. By supervisor: " + "; ".join(
                           f"{who} {d} {n}" for who, d, n in r.overrides_by) + ".\n")
        if r.disparity_too_small:
            summary += ("Too few events to judge, and left out of the disparity tables: "
                        + "; ".join(r.disparity_too_small) + ".\n")
        summary += (f"Disparity: {r.disparity_judged} groups judged; intervals are widened "
                    "for all of them at once, so luck alone names any group at most 5% of "
                    "the time. " + r.disparity_note + "\n")
        self.notes.setText(summary + r.outcome_definition + "\n" + r.protected_note
                           + ("\n" + "\n".join(r.notes) if r.notes else ""))

    def _fill(self, table: QTableWidget, rows: list[list[str]], bold=None) -> None:
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            strong = bool(bold and bold(row))
            for j, text in enumerate(row):
                item = QTableWidgetItem(text)
                if strong:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(i, j, item)
        table.resizeRowsToContents()
        height = table.horizontalHeader().height() + sum(
            table.rowHeight(i) for i in range(len(rows))) + 6
        table.setFixedHeight(min(height, 420))

    def save_pdf(self) -> None:
        if self.report is None:
            return
        name = f"calibration-{self.report.date_from}-to-{self.report.date_to}.pdf"
        path = save_path(self, memory_of(self.desk), "pdf", "Save the calibration report",
                         name, "PDF files (*.pdf)")
        if not path:
            return
        try:
            write_pdf(self.desk.render_calibration(self.report), Path(path))
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            show_error(self, exc, self.desk.path)
            return
        self.status.setText(f"Saved the report to {path}.")

