"""Fixtures of the real-input harness (see harness.py): skipped, with one line, where Xvfb,
xdotool or openbox is missing, unless EVENTRISK_REQUIRE_XVFB=1 (CI) makes that a failure."""

from __future__ import annotations

import pytest

from tests.ui.realinput.harness import Display, Remote


def _app(tmp_path_factory, width: int, height: int):
    display = Display(width, height)
    try:
        remote = Remote(display, tmp_path_factory.mktemp(f"realinput{width}"))
    except BaseException:
        display.close()
        raise
    return display, remote


@pytest.fixture(scope="session")
def screen_1440(tmp_path_factory):
    display, remote = _app(tmp_path_factory, 1440, 900)
    yield remote
    remote.close()
    display.close()


@pytest.fixture(scope="session")
def screen_1024(tmp_path_factory):
    display, remote = _app(tmp_path_factory, 1024, 700)
    yield remote
    remote.close()
    display.close()


@pytest.fixture
def app(screen_1440):
    """The app at 1440x900, every window of the last test closed."""
    screen_1440.run("close_all()")
    yield screen_1440
    screen_1440.run("close_all()")


@pytest.fixture
def small_app(screen_1024):
    """The app at 1024x700."""
    screen_1024.run("close_all()")
    yield screen_1024
    screen_1024.run("close_all()")
