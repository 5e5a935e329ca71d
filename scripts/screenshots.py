"""Take screenshots of every view for the user guide (run under Xvfb or on a desktop).

    Xvfb :99 -screen 0 1440x900x24 &  DISPLAY=:99 python scripts/screenshots.py desk.db docs/images

A third argument gives the window size (default 1440x900); 1024x700 checks a small screen.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventrisk.desk import Desk  # noqa: E402
from ui.app import DatabaseLocationDialog  # noqa: E402
from ui.login import FirstRunDialog, LoginDialog  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.pdf_preview import PdfPreview  # noqa: E402
from ui.personal_data_dialog import PersonalDataDialog  # noqa: E402
from ui.users_dialog import UsersDialog  # noqa: E402


def main(db_path: str, out: str, size: str = "1440x900") -> None:
    app = QApplication([])
    app.setOrganizationName("PromotersDeskScreens")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    desk = Desk.open(db_path)
    desk.sign_in("supervisor", "supervisor-demo")
    db = desk.db
    window = MainWindow(desk)
    width, height = (int(v) for v in size.split("x"))
    window.resize(width, height)
    window.show()

    def shot(name: str, widget=None) -> None:
        app.processEvents()
        target = widget or window
        target.grab().save(str(folder / f"{name}.png"))

    def run() -> None:
        shot("queue")
        window.tabs.setCurrentIndex(1)
        shot("dashboard")
        window.tabs.setCurrentIndex(2)
        shot("venues")
        window.tabs.setCurrentIndex(3)
        shot("rules")
        row = db.execute("SELECT id FROM submissions WHERE status = 'in_review' AND grade IN "
                         "('HIGH', 'CRITICAL') ORDER BY starts_at LIMIT 1").fetchone()
        view = window.open_assessment(row[0])
        while view.what_if._what_if is None:  # the history arrives from a worker thread
            app.processEvents()
        shot("assessment")
        review = window.review(row[0])
        shot("assessment-review")
        window.tabs.setCurrentWidget(window.work)
        shot("review-list")
        window.tabs.setCurrentWidget(review)
        view.what_if.door.setValue(view.what_if.door.value() + 6)
        view.what_if.search.setCurrentIndex(view.what_if.search.count() - 1)
        shot("assessment-what-if")
        venue = window.open_venue(view.venue.id)
        shot("venue")
        accountability = window.open_accountability()
        accountability.date_from.setDate(QDate(2000, 1, 1))
        accountability.run()
        while accountability.report is None:  # computed on a worker thread
            app.processEvents()
        shot("accountability")
        window.tabs.setCurrentWidget(venue)
        form = window.new_submission()
        form.resize(760, 900)
        form.event_name.setText("Winter Social")
        form.expected_attendance.setText("0")
        shot("submission-form", form)
        form._dirty = False
        form.close()
        preview = PdfPreview(desk.render_assessment(row[0]), "preview", "x.pdf", window)
        preview.resize(900, 900)
        preview.show()
        shot("pdf-preview", preview)
        preview.close()
        login = LoginDialog(desk, window)
        login.show()
        shot("sign-in", login)
        login.close()
        folder_dialog = DatabaseLocationDialog(Path.home() / "EventRisk" / "desk.db", window)
        folder_dialog.show()
        shot("first-run", folder_dialog)
        folder_dialog.close()
        fresh = Desk.open(folder / "new-desk.tmp", create=True)
        first = FirstRunDialog(fresh, window)
        first.show()
        shot("first-account", first)
        first.close()
        fresh.close()
        (folder / "new-desk.tmp").unlink()
        desk.sign_in("admin", "admin-demo")
        accounts = UsersDialog(desk, window)
        accounts.resize(820, 600)
        accounts.show()
        shot("accounts", accounts)
        accounts.close()
        # Retention as it will be in eight years: everything on the demo desk is due.
        from datetime import timedelta

        from eventrisk.timeutil import now_utc

        later = now_utc() + timedelta(days=8 * 366)
        desk.clock = lambda: later
        personal = PersonalDataDialog(desk, window)
        personal.resize(1000, 600)
        personal.show()
        shot("retention-due", personal)
        personal.tabs.setCurrentIndex(1)
        shot("retention-waiting", personal)
        personal.tabs.setCurrentIndex(2)
        personal.promoter_name.setText(db.execute("SELECT name FROM promoters LIMIT 1"
                                                  ).fetchone()[0])
        personal.find_promoter()
        shot("retention-promoter", personal)
        personal.close()
        del venue
        app.quit()

    QTimer.singleShot(300, run)
    app.exec()


if __name__ == "__main__":
    main(*sys.argv[1:4])
