"""Headless Chromium for the tests: what a reader sees, in one driver.

Two ways in. :func:`headless` runs Chromium once on the command line (``--dump-dom``,
``--screenshot``). :func:`browser` starts one and drives one page over the DevTools
protocol: opens a file (no server, networking features off) at a given width, in light or
dark, clicks and tabs where a person would, measures the layout (what ``--dump-dom``
cannot) and takes screenshots, the whole page to a file or an element's box decoded here
(a small PNG reader), so tests assert on pixels that were drawn, not on the markup. The
page's own Content-Security-Policy stays as it is: the protocol's ``Runtime.evaluate``
only reads the layout (where an element is, what has focus), as a person inspecting the
page would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import struct
import subprocess
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
#: Generous: the machine is shared, and Chromium starts slowly under load.
START_TIMEOUT = 120.0
CALL_TIMEOUT = 60.0
#: Networking features and first-run chores off, for every run.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def headless(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once on the command line (``--dump-dom``, ``--screenshot``)."""
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=START_TIMEOUT, check=True)


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def inset(self, by: float) -> Box:
        return Box(self.x + by, self.y + by, max(self.width - 2 * by, 1),
                   max(self.height - 2 * by, 1))


@dataclass(frozen=True, slots=True)
class Picture:
    """Decoded pixels: rows of (r, g, b) tuples."""

    width: int
    height: int
    rows: list[list[tuple[int, int, int]]]

    def colours(self) -> set[tuple[int, int, int]]:
        return {p for row in self.rows for p in row}

    def share(self, colour: tuple[int, int, int], tolerance: int = 24) -> float:
        """The share of pixels within ``tolerance`` of ``colour`` on every channel."""
        hits = sum(1 for row in self.rows for p in row
                   if all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)))
        return hits / max(self.width * self.height, 1)


def decode_png(data: bytes) -> Picture:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0, "unsupported PNG"
            channels = {2: 3, 6: 4}[colour_type]
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return Picture(width, height, rows)  # type: ignore[arg-type]


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools websocket."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._page_session: str | None = None
        self._drain: asyncio.Task[None] | None = None
        self._next_id = 0

    async def start(self, width: int = 900, height: int = 1200, *, dark: bool = False) -> None:
        """Start Chromium with a ``width`` by ``height`` window and attach to its page;
        ``dark`` asks for the dark colour scheme (``prefers-color-scheme: dark``)."""
        self.profile.mkdir(parents=True, exist_ok=True)
        flags = [*FLAGS, "--hide-scrollbars", "--remote-debugging-port=0",
                 f"--window-size={width},{height}", f"--user-data-dir={self.profile}"]
        if dark:
            flags.append("--force-dark-mode")
        self._process = await asyncio.create_subprocess_exec(
            str(CHROMIUM), *flags, "about:blank", stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        stderr = self._process.stderr
        assert stderr is not None
        address = None
        async with asyncio.timeout(START_TIMEOUT):
            while address is None:  # Chromium says where it listens once it does
                line = (await stderr.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError("Chromium exited before listening")
                if found := _LISTENING.search(line):
                    address = found.group(1)
        # Nobody reads stderr from here on: drain it so Chromium never blocks on a full pipe.
        self._drain = asyncio.create_task(self._discard(stderr))
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(address, max_msg_size=0)
        targets = await self.call("Target.getTargets")
        page = next(t for t in targets["targetInfos"] if t["type"] == "page")
        attached = await self.call("Target.attachToTarget", targetId=page["targetId"],
                                   flatten=True)
        self._page_session = attached["sessionId"]
        await self.call("Page.enable")
        if dark:
            await self.call("Emulation.setEmulatedMedia", features=[
                {"name": "prefers-color-scheme", "value": "dark"}])

    @staticmethod
    async def _discard(stream: asyncio.StreamReader) -> None:
        while await stream.read(65536):
            pass

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self._process.wait()
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one protocol command (to the page, once attached) and wait for its answer
        (events are skipped)."""
        assert self._ws is not None
        self._next_id += 1
        sent = self._next_id
        message: dict[str, Any] = {"id": sent, "method": method, "params": params}
        if self._page_session is not None:
            message["sessionId"] = self._page_session
        await self._ws.send_str(json.dumps(message))
        async with asyncio.timeout(CALL_TIMEOUT):
            while True:
                answer = json.loads((await self._ws.receive()).data)
                if answer.get("id") == sent:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        found = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in found:
            raise RuntimeError(f"{expression}: {found['exceptionDetails']}")
        return found["result"].get("value")

    async def open(self, page: Path, width: int | None = None, height: int = 900) -> None:
        """Load a file and wait until it is laid out; with ``width``, in a viewport that
        many CSS pixels wide (and ``height`` high) instead of the window's."""
        if width is not None:
            await self.call("Emulation.setDeviceMetricsOverride", width=width,
                            height=height, deviceScaleFactor=1, mobile=False)
        await self.call("Page.navigate", url=page.as_uri())
        async with asyncio.timeout(CALL_TIMEOUT):
            while True:
                if await self.evaluate("document.readyState") == "complete" and \
                        await self.evaluate("location.href") == page.as_uri():
                    break
                await asyncio.sleep(0.1)

    async def box(self, selector: str, index: int = 0) -> Box:
        """The first line box of the ``index``-th element matching ``selector``, scrolled
        into view (in the viewport's coordinates)."""
        found = await self.evaluate(
            f"(() => {{ const e = document.querySelectorAll({json.dumps(selector)})[{index}];"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getClientRects()[0];"
            " return [r.x, r.y, r.width, r.height]; })()")
        if found is None:
            raise LookupError(f"no element {selector!r} #{index} on the page")
        return Box(*found)

    async def picture(self, box: Box) -> Picture:
        """What ``box`` (viewport coordinates, as clicks take them) shows now; the
        screenshot's clip is in the page's coordinates, so the scroll is added."""
        left, top = await self.evaluate("[window.scrollX, window.scrollY]")
        shot = await self.call("Page.captureScreenshot", format="png", clip={
            "x": box.x + left, "y": box.y + top, "width": box.width, "height": box.height,
            "scale": 1})
        return decode_png(base64.b64decode(shot["data"]))

    async def screenshot(self, path: Path, *, until: str | None = None) -> None:
        """The whole page as a PNG file, or its top down to the element ``until`` (a
        selector) and 24 pixels more."""
        width, height = await self.evaluate("[document.documentElement.scrollWidth,"
                                            " document.documentElement.scrollHeight]")
        if until is not None:
            bottom = await self.evaluate(
                f"document.querySelector({json.dumps(until)}).getBoundingClientRect().bottom"
                " + window.scrollY")
            height = min(height, int(bottom) + 24)
        shot = await self.call("Page.captureScreenshot", format="png",
                               captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": width, "height": height,
                                     "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))

    async def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                            clickCount=0 if kind == "mouseMoved" else 1)

    async def press_tab(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab",
                            windowsVirtualKeyCode=9)


@contextlib.asynccontextmanager
async def browser(profile: Path, *, dark: bool = False) -> AsyncIterator[Browser]:
    """A started browser (dark colour scheme if ``dark``), closed afterwards whatever
    happens."""
    opened = Browser(profile)
    try:
        await opened.start(dark=dark)
        yield opened
    finally:
        await opened.close()
