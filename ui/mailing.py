"""Sending a paper through the desk's mail relay from the app: asked once, and a failure says
what failed and offers to send again with one click (the paper stays as it was)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from ui.errors import message_for


def offer_to_send(parent: QWidget, what: str, to: str, send: Callable[[], object],
                  stays: str) -> object | None:
    """Ask whether to send ``what`` to ``to``; send it, and on a failure say why (``stays``:
    what is unchanged) with *Send again*.  Returns what ``send`` returned, or None."""
    if QMessageBox.question(parent, "Send it?", f"Send {what} to {to} now, through the "
                            "force's mail relay?") != QMessageBox.StandardButton.Yes:
        return None
    while True:
        try:
            return send()
        except Exception as exc:  # noqa: BLE001 - said in a sentence, sent again on a click
            box = QMessageBox(QMessageBox.Icon.Warning, "Not sent",
                              f"{message_for(exc)[1]}\n\n{stays}", parent=parent)
            again = box.addButton("Send &again", QMessageBox.ButtonRole.AcceptRole)
            box.addButton("&Close", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(again)
            box.exec()
            if box.clickedButton() is not again:
                return None
