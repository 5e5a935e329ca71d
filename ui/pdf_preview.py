"""Preview, print and save PDFs made by the core (pages rasterised with pypdfium2)."""

from __future__ import annotations

import pypdfium2 as pdfium
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from eventrisk.report.files import write_pdf
from ui.errors import show_error
from ui.memory import Memory, save_path


def page_images(pdf: bytes, scale: float = 1.4) -> list[QImage]:
    """Each page as an image (``scale`` 1 = 72 dpi)."""
    document = pdfium.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            bitmap = page.render(scale=scale)
            pil = bitmap.to_pil().convert("RGB")
            data = pil.tobytes("raw", "RGB")
            image = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888)
            images.append(image.copy())  # own the pixels before the buffer goes
            page.close()
    finally:
        document.close()
    return images


def print_pdf(parent: QWidget, pdf: bytes, title: str) -> bool:
    """Print through the system print dialog; returns True if it was printed."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    painter = QPainter(printer)
    try:
        for i, image in enumerate(page_images(pdf, scale=printer.resolution() / 72)):
            if i:
                printer.newPage()
            target = painter.viewport()
            size = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRectF(0, 0, size.width(), size.height()), image)
    finally:
        painter.end()
    return True


def save_pdf(parent: QWidget, pdf: bytes, suggested: str, memory: Memory | None = None
             ) -> str | None:
    """Ask where to save (in the folder last used for PDFs) and write the same bytes the
    command line writes."""
    path = save_path(parent, memory, "pdf", "Save as PDF", suggested, "PDF files (*.pdf)")
    if not path:
        return None
    try:
        write_pdf(pdf, path)
    except Exception as exc:  # noqa: BLE001
        show_error(parent, exc)
        return None
    return path


class PdfPreview(QDialog):
    """Shows a PDF's pages, with Print and Save buttons."""

    def __init__(self, pdf: bytes, title: str, suggested_name: str, parent=None, *,
                 memory: Memory | None = None):
        super().__init__(parent)
        self.pdf = pdf
        self.setWindowTitle(f"Preview: {title}")
        self.resize(900, 1000)
        pages = QWidget()
        column = QVBoxLayout(pages)
        self.pages = page_images(pdf)
        for image in self.pages:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setStyleSheet("border:1px solid #999; background:white;")
            column.addWidget(label, alignment=Qt.AlignmentFlag.AlignHCenter)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(pages)
        print_button = QPushButton("&Print…")
        print_button.clicked.connect(lambda: print_pdf(self, pdf, title))
        save_button = QPushButton("&Save as PDF…")
        save_button.clicked.connect(lambda: save_pdf(self, pdf, suggested_name, memory))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(f"{len(self.pages)} page(s)"))
        buttons.addStretch(1)
        for b in (print_button, save_button, close):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(buttons)
