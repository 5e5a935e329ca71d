"""Real input for the desktop app: an X server (Xvfb) with a window manager (openbox), the
app in a child process on it (QT_QPA_PLATFORM=xcb), and xdotool's key presses, typing and
wheel clicks, which reach Qt through the X server exactly as a person's do.

One X server per screen size per test process, one app process per X server; each test
starts from ``close_all()``."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ("Xvfb", "xdotool", "openbox")


def required() -> bool:
    return os.environ.get("EVENTRISK_REQUIRE_XVFB") == "1"


@cache
def unavailable() -> str:
    """Why the real-input tests cannot run here ('' when they can)."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"{', '.join(missing)} not installed"
    from ui.app import missing_platform_library

    saved = os.environ.get("QT_QPA_PLATFORM")
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        problem = missing_platform_library()
    finally:
        if saved is None:
            del os.environ["QT_QPA_PLATFORM"]
        else:
            os.environ["QT_QPA_PLATFORM"] = saved
    return problem


class Display:
    """An Xvfb screen with openbox managing its windows."""

    def __init__(self, width: int, height: int):
        self.size = (width, height)
        read, write = os.pipe()
        self.server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp", "-noreset"], pass_fds=(write,),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        number = b""
        deadline = time.monotonic() + 20
        while not number.endswith(b"\n"):
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            chunk = os.read(read, 16)
            if not chunk:
                raise RuntimeError("Xvfb stopped at start")
            number += chunk
        os.close(read)
        self.name = f":{number.decode().strip()}"
        self.env = {**os.environ, "DISPLAY": self.name}
        self.env.pop("WAYLAND_DISPLAY", None)
        self.wm = subprocess.Popen(["openbox"], env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        for _ in range(100):  # the window manager is up once it names the current desktop
            if subprocess.run(["xdotool", "get_desktop"], env=self.env,
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.05)

    def xdo(self, *args) -> str:
        """Run xdotool on this display (real X events, through the XTEST extension)."""
        done = subprocess.run(["xdotool", *map(str, args)], env=self.env, capture_output=True,
                              text=True, timeout=30)
        if done.returncode:
            raise RuntimeError(f"xdotool {args}: {done.stderr}")
        return done.stdout

    def close(self) -> None:
        for process in (self.wm, self.server):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


class Remote:
    """The app in a child process on ``display``: ``run`` executes code there, ``get``
    evaluates an expression there, ``wait_for`` polls one until it is true."""

    def __init__(self, display: Display, folder: Path):
        env = {**display.env, "QT_QPA_PLATFORM": "xcb", "XDG_CONFIG_HOME": str(folder / "config"),
               "XDG_STATE_HOME": str(folder / "state"), "XDG_DATA_HOME": str(folder / "data"),
               "PYTHONPATH": str(ROOT)}
        self.display = display
        self.log = folder / "child.log"
        self._log_file = open(self.log, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.realinput.child", str(folder / "desk")],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log_file)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.counter = 0
        self._buffer = b""
        ready = self._answer(0, timeout=120)
        assert ready == "ready", ready

    def _answer(self, wanted: int, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                answer = json.loads(line)
                if answer["id"] != wanted:
                    continue
                if not answer["ok"]:
                    raise AssertionError("in the app:\n" + answer["error"])
                return answer["value"]
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise AssertionError(f"the app did not answer in {timeout} s; its log:\n"
                                     + self.log.read_text(errors="replace")[-3000:])
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("the app stopped; its log:\n"
                                     + self.log.read_text(errors="replace")[-3000:])
            self._buffer += chunk

    def _send(self, code: str, evaluate: bool, timeout: float = 30):
        self.counter += 1
        request = {"id": self.counter, "code": code, "eval": evaluate}
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        return self._answer(self.counter, timeout)

    def run(self, code: str, timeout: float = 30) -> None:
        self._send(code, False, timeout)

    def get(self, expression: str, timeout: float = 30):
        return self._send(expression, True, timeout)

    def wait_for(self, expression: str, timeout: float = 10):
        deadline = time.monotonic() + timeout
        while True:
            value = self.get(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"never true: {expression}")
            time.sleep(0.05)

    def settle(self, ms: int = 80) -> None:
        """Let the app take in every event the X server has sent it."""
        time.sleep(ms / 1000)
        self.run(f"settle_events({ms // 2})")

    # ---- real input -----------------------------------------------------------------------
    def keys(self, *names: str) -> None:
        self.display.xdo("key", "--delay", 25, *names)
        self.settle()

    def type(self, text: str) -> None:
        self.display.xdo("type", "--delay", 15, text)
        self.settle()

    def wheel(self, expression: str, notches: int) -> None:
        """Move the pointer over the widget and turn the wheel (down if notches > 0)."""
        for _ in range(50):  # the window manager may still be placing the window
            self.run(f"reveal({expression})")  # in view in its form, whatever moved since
            x, y = self.get(f"centre({expression})")
            self.display.xdo("mousemove", x, y)
            self.settle(40)
            if self.get(f"under_pointer({expression})"):
                break
        else:
            raise AssertionError(f"the pointer never got over {expression}")
        self.display.xdo("click", "--repeat", abs(notches), "--delay", 30,
                         5 if notches > 0 else 4)
        self.settle()

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(10)
        except Exception:  # noqa: BLE001
            self.process.kill()
            self.process.wait(5)
        self.selector.close()
        self.process.stdout.close()
        self._log_file.close()
