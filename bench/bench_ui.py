"""Desktop benchmarks at 100,000 submissions: start-up, first paint, SQL sort/filter against a
QSortFilterProxyModel over the same rows, and memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, big_database, median_ms, report

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD = """
import sys, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from eventrisk.desk import Desk
from ui.main_window import MainWindow
desk = Desk.open(sys.argv[1])
desk.sign_in("supervisor", "supervisor-demo")
window = MainWindow(desk)
window.show()
app.processEvents()
window.queue.table.viewport().repaint()
elapsed = time.perf_counter() - t0
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
print(elapsed, rss / 1024, flush=True)
"""


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    path = str(big_database(scored=True))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True,
                         cwd=ROOT.parent, check=True)
    total = time.perf_counter() - start
    report("start to an interactive queue (process start, sign-in skipped)", total, 1.5)
    after_start, app_rss = (float(x) for x in out.stdout.split())
    report("  of which after the interpreter started", after_start, 1.5)
    report("RSS of the app showing the queue (its own process)", app_rss, 250, "MB")

    from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from eventrisk import queue
    from eventrisk.desk import Desk
    from ui.queue_model import QueueModel

    app = QApplication.instance() or QApplication([])
    desk = Desk.open(path)
    desk.sign_in("supervisor", "supervisor-demo")
    db = desk.db
    everything = queue.QueueFilter(upcoming_only=False)

    def first_paint():
        model = QueueModel(desk)
        view = QTableView()
        view.setModel(model)
        view.resize(1300, 800)
        view.show()
        app.processEvents()
        view.viewport().repaint()
        view.close()

    report("first paint of the queue (model + view, upcoming events)",
           median_ms(first_paint, 5), 0.100, "ms")
    model = QueueModel(desk)
    model.set_filter(everything)
    print(f"{'':<58} ({model.total:,} submissions behind the SQL model)")
    report("SQL model: sort by venue (all 100,000)",
           median_ms(lambda: model.sort(QueueModel.COL_VENUE), 5), 0.150, "ms")
    report("SQL model: sort by grade, descending",
           median_ms(lambda: model.sort(QueueModel.COL_GRADE, Qt.SortOrder.DescendingOrder), 5),
           0.150, "ms")
    report("SQL model: filter by borough",
           median_ms(lambda: model.set_filter(queue.QueueFilter(upcoming_only=False,
                                                                borough="Hackney")), 5),
           0.150, "ms")
    report("SQL model: full-text search 'warehouse'",
           median_ms(lambda: model.set_filter(queue.QueueFilter(upcoming_only=False,
                                                                text="warehouse")), 5),
           0.150, "ms")
    report("RSS of this benchmark after the SQL model work", rss_mb(), 250, "MB")

    load = time.perf_counter()
    rows = queue.fetch(db, everything, limit=200_000)

    class AllRows(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: B008, N802
            return len(rows)

        def columnCount(self, parent=QModelIndex()):  # noqa: B008, N802
            return 4

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            r = rows[index.row()]
            return (r.reference, r.venue_name, r.borough, r.event_name)[index.column()]

    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(AllRows())
    report("proxy: load all rows into Python first", time.perf_counter() - load)
    orders = iter([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder] * 3)
    report("proxy: sort by venue (alternating order)",
           median_ms(lambda: proxy.sort(1, next(orders)), 3), 0.150, "ms")
    proxy.setFilterKeyColumn(2)
    report("proxy: filter by borough",
           median_ms(lambda: proxy.setFilterFixedString("Hackney"), 3), 0.150, "ms")
    report("RSS after the proxy comparison", rss_mb(), 250, "MB")


if __name__ == "__main__":
    main()
