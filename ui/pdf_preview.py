"""Preview, print and save PDFs made by the core (pages rasterised with pypdfium2)."""

from __future__ import annotations

import pypdfium2 as pdfium
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from eventrisk.report.files import write_pdf
from ui.dialogs import settle
from ui.errors import show_error
from ui.memory import Memory, save_path

RENDER_SCALE = 2.0  # 144 dpi: sharp at 200% of the paper size


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
        self.pages = page_images(pdf, scale=RENDER_SCALE)  # sharp enough to zoom in on
        self.labels: list[QLabel] = []
        for _ in self.pages:
            label = QLabel()
            label.setStyleSheet("border:1px solid #999; background:white;")
            column.addWidget(label, alignment=Qt.AlignmentFlag.AlignHCenter)
            self.labels.append(label)
        self.scroll = scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(pages)
        self.zoom = 0.7  # of the rendering: about the page's real width on a desktop screen
        self.zoom_label = QLabel(objectName="previewZoom")
        self.page_box = QSpinBox(minimum=1, maximum=max(1, len(self.pages)),
                                 objectName="previewPage", accessibleName="Page")
        self.page_box.setSuffix(f" of {len(self.pages)}")
        self.page_box.valueChanged.connect(self.go_to_page)
        zoom_out = QPushButton("Zoom &out", objectName="zoomOut")
        zoom_out.clicked.connect(lambda: self.set_zoom(self.zoom / 1.25))
        zoom_in = QPushButton("Zoom &in", objectName="zoomIn")
        zoom_in.clicked.connect(lambda: self.set_zoom(self.zoom * 1.25))
        fit = QPushButton("Fit &width", objectName="fitWidth")
        fit.clicked.connect(self.fit_width)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.set_zoom(self.zoom * 1.25))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self,
                  lambda: self.set_zoom(self.zoom / 1.25))
        QShortcut(QKeySequence(Qt.Key.Key_PageDown), self,
                  lambda: self.page_box.setValue(self.page_box.value() + 1))
        QShortcut(QKeySequence(Qt.Key.Key_PageUp), self,
                  lambda: self.page_box.setValue(self.page_box.value() - 1))
        self.set_zoom(self.zoom)
        print_button = QPushButton("&Print…")
        print_button.clicked.connect(lambda: print_pdf(self, pdf, title))
        save_button = QPushButton("&Save as PDF…")
        save_button.clicked.connect(lambda: save_pdf(self, pdf, suggested_name, memory))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Pa&ge", buddy=self.page_box))
        buttons.addWidget(self.page_box)
        for b in (zoom_out, zoom_in, fit):
            buttons.addWidget(b)
        buttons.addWidget(self.zoom_label)
        buttons.addStretch(1)
        for b in (print_button, save_button, close):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(buttons)
        # Opens within the screen (ui.dialogs clamps it): at 900x1000 Print and Save were
        # below a 1440x900 screen.
        settle(self, [self.page_box], None)

    def set_zoom(self, zoom: float) -> None:
        """Show the pages at ``zoom`` of their rendering (40% to 280% of the paper size)."""
        self.zoom = min(max(zoom, 0.2), 1.4)
        for image, label in zip(self.pages, self.labels, strict=True):
            label.setPixmap(QPixmap.fromImage(image).scaledToWidth(
                int(image.width() * self.zoom), Qt.TransformationMode.SmoothTransformation))
        self.zoom_label.setText(f"{self.zoom * RENDER_SCALE * 100:.0f}%")  # of the paper size

    def fit_width(self) -> None:
        """Pages as wide as the window."""
        if self.pages:
            self.set_zoom((self.scroll.viewport().width() - 30) / self.pages[0].width())

    def go_to_page(self, number: int) -> None:
        """Scroll so that page ``number`` (from 1) is at the top."""
        if 1 <= number <= len(self.labels):
            self.scroll.verticalScrollBar().setValue(self.labels[number - 1].y())
