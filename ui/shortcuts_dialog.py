"""Help → Keyboard shortcuts: read from the window's own actions and buttons each time it
opens, so the list cannot drift from what the keys do."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import settle
from ui.models import Column, ObjectTableModel, table_view

_MNEMONIC = re.compile(r"&([^&])")

# What keys do everywhere without being an action of their own (each is tested where it is
# built: table_view's Enter, the dialogs' Ctrl+Enter, Qt's Tab).
EVERYWHERE = (("Open the selected row of any list", "Enter", "Every list"),
              ("Confirm a dialog with a text box", "Ctrl+Enter", "Dialogs"),
              ("Next field / previous field", "Tab / Shift+Tab", "Everywhere"),
              ("Search the queue, then go to the results", "Ctrl+F, then Down or Enter",
               "Risk queue"))


@dataclass(frozen=True)
class Shortcut:
    action: str
    keys: str
    where: str


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _alt(text: str) -> str:
    found = _MNEMONIC.search(text.replace("&&", ""))
    return f"Alt+{found[1].upper()}" if found else ""


def _tab_of(widget: QWidget, tabs: QTabWidget | None) -> str:
    if tabs is None:
        return ""
    for i in range(tabs.count()):
        page = tabs.widget(i)
        if page is widget or page.isAncestorOf(widget):
            return tabs.tabText(i)
    return ""


def shortcuts(window) -> list[Shortcut]:
    """Every shortcut the window offers now: menu actions with their keys and the Alt path
    through the menu bar, and the buttons of the open tabs with their Alt keys."""
    out: list[Shortcut] = []
    for menu in window.menuBar().findChildren(QMenu):
        title = menu.title()
        for action in menu.actions():
            if action.isSeparator() or not action.text():
                continue
            keys = [s.toString(QKeySequence.SequenceFormat.NativeText)
                    for s in action.shortcuts()]
            alt = _alt(action.text())
            path = f"{_alt(title)}, {alt[4:]}" if alt and _alt(title) else ""
            shown = ", ".join(k for k in (*keys, path) if k)
            if shown:
                out.append(Shortcut(_plain(action.text()), shown, f"{_plain(title)} menu"))
    tabs = getattr(window, "tabs", None)
    for button in window.findChildren(QAbstractButton):
        alt = _alt(button.text())
        if alt and button.isVisibleTo(window):
            out.append(Shortcut(_plain(button.text()), alt, _tab_of(button, tabs) or "Window"))
    for action in window.findChildren(QAction):
        if action.parent() is not window and action.shortcuts() and \
                not any(isinstance(w, QMenu) for w in action.associatedObjects()):
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                             for s in action.shortcuts())
            owner = action.parent()
            where = _tab_of(owner, tabs) if isinstance(owner, QWidget) else ""
            out.append(Shortcut(_plain(action.text()), keys, where or "Window"))
    out += [Shortcut(*row) for row in EVERYWHERE]
    return out


class ShortcutsDialog(QDialog):
    """The list, in a table that can be searched by typing (and read by a screen reader)."""

    def __init__(self, window, parent=None):
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(720, 560)
        self.model = ObjectTableModel([Column("Action", lambda s: s.action),
                                       Column("Keys", lambda s: s.keys),
                                       Column("Where", lambda s: s.where)],
                                      shortcuts(window), parent=self)
        self.table = table_view(self.model, "shortcutsTable", "Keyboard shortcuts")
        self.table.resizeColumnsToContents()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Shortcuts of the menus, and of the buttons in the tabs open "
                                "now. Alt+letter works on any underlined letter.",
                                wordWrap=True))
        layout.addWidget(self.table)
        layout.addWidget(close)
        settle(self, [self.table], None)
