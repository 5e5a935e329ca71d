"""Long work off the GUI thread: one small helper and a cancellable progress dialog.

A ``Database`` belongs to one thread, so background work opens its own connection from the
path it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from eventrisk.errors import Cancelled


class _Signals(QObject):
    """Emits ``finished(result)``, ``failed(exception)`` and ``progress(done, total)``."""

    finished = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class Task(QRunnable):
    """Runs ``fn(report)`` on the thread pool; ``report(done, total)`` returns False once the
    user has cancelled, and the core then rolls its work back."""

    def __init__(self, fn: Callable[[Callable[[int, int], bool]], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _Signals()
        self.cancelled = False

    def report(self, done: int, total: int) -> bool:
        self.signals.progress.emit(done, total)
        return not self.cancelled

    def run(self) -> None:
        try:
            result = self.fn(self.report)
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread to show
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


def run_in_background(parent: QWidget, label: str, fn: Callable, on_done: Callable[[Any], None],
                      on_error: Callable[[BaseException], None]) -> Task:
    """Start ``fn`` with a progress dialog that can cancel; call back on the GUI thread."""
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setObjectName("progressDialog")
    dialog.setWindowTitle("EventRisk")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    task = Task(fn)

    def progress(done: int, total: int) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    def cancel() -> None:
        task.cancelled = True
        dialog.setLabelText("Cancelling; nothing will be saved…")

    def finished(result: Any) -> None:
        dialog.reset()
        dialog.deleteLater()
        if task.cancelled:
            return
        on_done(result)

    def failed(exc: BaseException) -> None:
        dialog.reset()
        dialog.deleteLater()
        if not isinstance(exc, Cancelled):
            on_error(exc)

    task.signals.progress.connect(progress)
    task.signals.finished.connect(finished)
    task.signals.failed.connect(failed)
    dialog.canceled.connect(cancel)
    QThreadPool.globalInstance().start(task)
    return task


def run_on_desk(parent: QWidget, desk, label: str, work: Callable, on_done: Callable[[Any], None],
                on_error: Callable[[BaseException], None]) -> Task:
    """``work(desk, report)`` in the background on a connection of the worker thread's own (a
    ``Database`` belongs to one thread), closed when the work ends."""
    def run(report):
        worker = desk.for_worker()
        try:
            return work(worker, report)
        finally:
            worker.close()
    return run_in_background(parent, label, run, on_done, on_error)
