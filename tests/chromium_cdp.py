"""Headless Chromium driven over the DevTools protocol (a websocket, through aiohttp): load a page,
wait for text to appear, run a script in it (e.g. pick table columns, as a person would click),
then take a screenshot and return the page's text. The plain `--screenshot` flag cannot click."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self._ids)
        await self.ws.send_str(json.dumps({"id": call, "method": method, "params": params}))
        while True:
            msg = json.loads((await self.ws.receive()).data)
            if msg.get("id") == call:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    async def evaluate(self, script: str) -> Any:
        got = await self.send("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in got:
            raise RuntimeError(f"script failed: {got['exceptionDetails']}")
        return got.get("result", {}).get("value")

    async def text(self) -> str:
        return str(await self.evaluate("document.body ? document.body.innerText : ''"))

    async def wait_for(self, needles: list[str], timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = await self.text()
            if all(n in text for n in needles):
                return text
            if time.monotonic() > deadline:
                missing = [n for n in needles if n not in text]
                raise AssertionError(f"page never showed {missing}; it shows:\n{text[:3000]}")
            await asyncio.sleep(0.5)


async def _shoot(
    binary: str,
    profile: Path,
    url: str,
    shot: Path,
    size: tuple[int, int],
    wait_for: list[str],
    script: str | None,
    settle: float,
) -> tuple[str, Any]:
    profile.mkdir(parents=True, exist_ok=True)
    port_file = profile / "DevToolsActivePort"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as r:
                targets = await r.json()
            target = next(t for t in targets if t.get("type") == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                page = Page(ws)
                await page.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=size[0],
                    height=size[1],
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await page.send("Page.navigate", url=url)
                await page.wait_for(wait_for)
                done = await page.evaluate(script) if script else None
                await asyncio.sleep(settle)
                png = await page.send("Page.captureScreenshot", format="png")
                shot.write_bytes(base64.b64decode(png["data"]))
                return await page.text(), done
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def screenshot(
    binary: str,
    profile: Path,
    url: str,
    shot: Path,
    size: tuple[int, int] = (1800, 1100),
    wait_for: list[str] | None = None,
    script: str | None = None,
    settle: float = 2.0,
) -> tuple[str, Any]:
    """Open `url`, wait until its text shows every string of `wait_for`, run `script` (an async
    function expression's body is fine: it is awaited), save a PNG to `shot`; the page's text
    then, and the script's value."""
    return asyncio.run(_shoot(binary, profile, url, shot, size, wait_for or [], script, settle))
