"""The app side of the real-input harness: a QApplication on an X display (xcb), the app's
own main window on a small training desk, and a line-by-line command channel on stdin and
stdout so that the test process can look at widgets while xdotool drives the keyboard and
the mouse.  Each request is one JSON line {"id", "code", "eval"}; each answer one JSON line
{"id", "ok", "value" or "error"}.  Commands run inside the Qt event loop (also inside a modal
dialog's own loop), so a test can look at a dialog that is waiting for input."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path


def main() -> int:
    import faulthandler

    faulthandler.enable()
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything the app prints goes to stderr, never into the answers
    from argon2 import PasswordHasher
    from PySide6.QtCore import QCoreApplication, QSocketNotifier, QTimer
    from PySide6.QtWidgets import QApplication

    from eventrisk import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # the tests close every window between them
    QCoreApplication.setOrganizationName("PromotersDeskTest")
    QCoreApplication.setApplicationName("EventRiskRealInput")
    from tests.ui.realinput import app_side

    namespace = app_side.namespace(Path(sys.argv[1]))
    buffer = b""

    def serve() -> None:
        nonlocal buffer
        chunk = os.read(0, 65536)
        if not chunk:
            app.exit(0)
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            try:
                if request["eval"]:
                    value = eval(request["code"], namespace)  # noqa: S307 - the test's own
                else:
                    exec(request["code"], namespace)  # noqa: S102
                    value = None
                answer = {"id": request["id"], "ok": True, "value": _plain(value)}
            except BaseException:  # noqa: BLE001 - the test reads it
                answer = {"id": request["id"], "ok": False, "error": traceback.format_exc()}
            answers.write(json.dumps(answer) + "\n")

    notifier = QSocketNotifier(0, QSocketNotifier.Type.Read)
    notifier.activated.connect(serve)
    QTimer.singleShot(0, lambda: answers.write(json.dumps({"id": 0, "ok": True,
                                                           "value": "ready"}) + "\n"))
    return app.exec()


def _plain(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


if __name__ == "__main__":
    sys.exit(main())
