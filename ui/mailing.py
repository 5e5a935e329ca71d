"""Sending a paper through the desk's mail relay from the app: asked once, sent off the GUI
thread (a relay that does not answer can take its whole timeout), and a failure says what
failed and offers to send again with one click (the paper stays as it was)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from ui.errors import message_for
from ui.worker import run_on_desk


def offer_to_send(parent: QWidget, desk, what: str, to: str, send: Callable[[Any], Any],
                  stays: str, on_sent: Callable[[Any], None]) -> bool:
    """Ask whether to send ``what`` to ``to``; if so, run ``send(desk)`` in the background
    and call ``on_sent`` with what it returned.  A failure is said with *Send again*
    (``stays``: what is unchanged).  Returns whether the person chose to send."""
    if QMessageBox.question(parent, "Send it?", f"Send {what} to {to} now, through the "
                            "force's mail relay?") != QMessageBox.StandardButton.Yes:
        return False

    def attempt() -> None:
        run_on_desk(parent, desk, f"Sending {what}…", lambda worker, _report: send(worker),
                    on_sent, failed)

    def failed(exc: BaseException) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Not sent",
                          f"{message_for(exc)[1]}\n\n{stays}", parent=parent)
        again = box.addButton("Send &again", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("&Close", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(again)
        box.exec()
        if box.clickedButton() is again:
            attempt()

    attempt()
    return True
