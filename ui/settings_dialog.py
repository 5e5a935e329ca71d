"""Desk settings for administrators: four eyes and the idle lock, declared in the core."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from eventrisk.desk import Desk
from eventrisk.settings import SETTINGS
from ui.dialogs import ok_cancel, settle
from ui.errors import show_error


class SettingsDialog(QDialog):
    """One input per declared setting, with its description; OK saves what changed."""

    def __init__(self, desk: Desk, parent=None):
        super().__init__(parent)
        self.desk = desk
        self.setWindowTitle("Desk settings")
        self.inputs: dict[str, QCheckBox | QSpinBox | QLineEdit] = {}
        form = QFormLayout()
        for key, setting in SETTINGS.items():
            value = desk.setting(key)
            widget: QCheckBox | QSpinBox | QLineEdit
            if setting.type is bool:
                widget = QCheckBox(objectName=f"setting_{key}", checked=bool(value))
            elif setting.type is str:
                widget = QLineEdit(str(value), objectName=f"setting_{key}")
                widget.setMinimumWidth(320)
            else:
                widget = QSpinBox(objectName=f"setting_{key}", minimum=setting.minimum,
                                  maximum=setting.maximum, value=int(value))
            widget.setAccessibleName(setting.label)
            self.inputs[key] = widget
            form.addRow(setting.label, widget)
            note = QLabel(setting.description, wordWrap=True)
            note.setStyleSheet("color:palette(placeholder-text);")
            form.addRow("", note)
        buttons = ok_cancel(self, self._save)
        # The settings scroll inside the dialog; OK and Cancel stay on screen at 1024x700.
        body = QWidget()
        body.setLayout(form)
        scroll = QScrollArea(widgetResizable=True, objectName="settingsScroll")
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.resize(640, min(body.sizeHint().height() + 80, 760))
        settle(self, list(self.inputs.values())[:1], buttons.button(buttons.StandardButton.Ok))

    def _save(self) -> None:
        try:
            for key, widget in self.inputs.items():
                value: bool | int | str
                if isinstance(widget, QCheckBox):
                    value = widget.isChecked()
                elif isinstance(widget, QLineEdit):
                    value = widget.text().strip()
                else:
                    value = widget.value()
                if value != self.desk.setting(key):
                    self.desk.set_setting(key, value)
        except Exception as exc:  # noqa: BLE001 - shown, logged if unexpected
            show_error(self, exc, self.desk.path)
            return
        self.accept()
