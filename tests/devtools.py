"""Headless Chromium driven over its DevTools protocol: open a file at a given width, measure
the layout (what --dump-dom cannot), take a screenshot.

The page itself runs no script (its policy forbids it); measurements are made by the
DevTools protocol's Runtime.evaluate, which a page's policy does not govern, as a person
inspecting the page would. Networking features are off and the page is a local file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


class Browser:
    """One page of a headless Chromium; :meth:`open`, :meth:`evaluate`, :meth:`screenshot`."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self.session: str | None = None

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        await self._ws.send_json(message)
        while True:
            reply = await self._ws.receive_json(timeout=60)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def open(self, page: Path, width: int, height: int = 900) -> None:
        """Load ``page`` in a window ``width`` CSS pixels wide and wait for it."""
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                        deviceScaleFactor=1, mobile=False)
        await self.send("Page.navigate", url=page.as_uri())
        for _ in range(200):
            state = await self.evaluate("document.readyState")
            if state == "complete":
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{page} did not finish loading")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def screenshot(self, path: Path, *, until: str | None = None) -> None:
        """The whole page as PNG, or its top down to the element ``until`` (a selector)."""
        width, height = await self.evaluate("[document.documentElement.scrollWidth,"
                                            " document.documentElement.scrollHeight]")
        if until is not None:
            bottom = await self.evaluate(
                f"document.querySelector({until!r}).getBoundingClientRect().bottom"
                " + window.scrollY")
            height = min(height, int(bottom) + 24)
        shot = await self.send("Page.captureScreenshot", format="png",
                               captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": width, "height": height,
                                     "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))


@contextlib.asynccontextmanager
async def browser(profile: Path, *, dark: bool = False) -> AsyncIterator[Browser]:
    """A headless Chromium with one blank page attached; closed on the way out."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--remote-debugging-port=0", f"--user-data-dir={profile}"]
    if dark:
        flags.append("--force-dark-mode")
    proc = await asyncio.create_subprocess_exec(
        str(CHROMIUM), *flags, "about:blank", stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stderr is not None
        address = None
        async with asyncio.timeout(60):
            while address is None:
                line = (await proc.stderr.readline()).decode()
                if not line:
                    raise RuntimeError("Chromium exited before listening")
                if found := _LISTENING.search(line):
                    address = found.group(1)
        async with aiohttp.ClientSession() as session, session.ws_connect(
                address, max_msg_size=0) as ws:
            tab = Browser(ws)
            targets = await tab.send("Target.getTargets")
            page = next(t for t in targets["targetInfos"] if t["type"] == "page")
            attached = await tab.send("Target.attachToTarget", targetId=page["targetId"],
                                      flatten=True)
            tab.session = attached["sessionId"]
            await tab.send("Page.enable")
            if dark:
                await tab.send("Emulation.setEmulatedMedia", features=[
                    {"name": "prefers-color-scheme", "value": "dark"}])
            yield tab
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


#: What the chart looks like in the page: its box, the smallest text's height, whether
#: its text is drawn in the page's colour, and whether the page scrolls sideways.
MEASURE_CHART = """(() => {
  const svg = document.querySelector('figure.chart svg');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect())
    .filter(r => r.width > 0);
  const first = svg.querySelector('text');
  return {
    left: box.left, right: box.right, width: box.width, height: box.height,
    texts: texts.length,
    smallest_text: Math.min(...texts.map(r => r.height)),
    text_colour: first ? getComputedStyle(first).fill : null,
    page_colour: getComputedStyle(document.body).color,
    background: getComputedStyle(document.body).backgroundColor,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    viewport: window.innerWidth,
  };
})()"""
