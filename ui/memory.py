"""What each person left as they like it, kept per account in QSettings (a workstation is often
shared by a shift): the queue's filters, sort and columns, and the last folder used for each
kind of file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget


class Memory:
    """One account's remembered settings."""

    def __init__(self, username: str):
        self.group = f"users/{quote(username, safe='')}"

    def get(self, key: str, default=None):
        settings = QSettings()
        value = settings.value(f"{self.group}/{key}")
        return default if value is None else value

    def set(self, key: str, value) -> None:
        QSettings().setValue(f"{self.group}/{key}", value)

    def flag(self, key: str) -> bool:
        """A remembered yes or no (no if never set; QSettings keeps it as text)."""
        return str(self.get(key, "false")) == "true"

    def set_flag(self, key: str, on: bool) -> None:
        self.set(key, "true" if on else "false")

    def folder(self, purpose: str) -> str:
        """The folder last used for ``purpose`` (imports, exports, packs...), if it still
        exists; else the home folder (never the working folder the app was started in)."""
        last = self.get(f"folders/{purpose}", "")
        return last if last and Path(last).is_dir() else str(Path.home())

    def remember_folder(self, purpose: str, path: str) -> None:
        self.set(f"folders/{purpose}", str(Path(path).parent))


def save_path(parent: QWidget, memory: Memory | None, purpose: str, title: str, name: str,
              filters: str) -> str:
    """Ask where to save, starting in the folder last used for ``purpose``."""
    start = str(Path(memory.folder(purpose)) / name) if memory else name
    path, _ = QFileDialog.getSaveFileName(parent, title, start, filters)
    if path and memory:
        memory.remember_folder(purpose, path)
    return path


def open_path(parent: QWidget, memory: Memory | None, purpose: str, title: str,
              filters: str) -> str:
    """Ask which file to open, starting in the folder last used for ``purpose``."""
    path, _ = QFileDialog.getOpenFileName(parent, title, memory.folder(purpose) if memory
                                          else "", filters)
    if path and memory:
        memory.remember_folder(purpose, path)
    return path


def memory_of(desk) -> Memory | None:
    """The signed-in person's memory (None before anyone signs in)."""
    user = getattr(desk, "user", None)
    return Memory(user.username) if user is not None else None
