"""Draw docs/img/admin-metrics.png: the admin page's "last hour" chart, from real requests.

An hour of traffic is squeezed into a few seconds: for each of 60 minutes a
varying mix of real requests (calendar loads, availability checks, bookings,
some refused, some 404s) goes through the app in this process; the worker's
recorder is then flushed into the database with the library's clock set to
that minute. Durations and statement counts are the ones measured; only the
minute stamps are compressed. Chromium (Debian's, through Playwright) shows
the page 390 px wide, and the chart's section is saved.

    .venv/bin/python docs/img/make_admin_metrics.py
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

import rentcal
from rentcal.web import Settings, create_app, usage

OUT = Path(__file__).resolve().parent / "admin-metrics.png"
CHROMIUM = "/usr/bin/chromium"
START = datetime(2030, 1, 9, 9, 0, tzinfo=UTC)


class Clock:
    """The library's clock, moved minute by minute."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def traffic(client: TestClient, machines: list[str], minute: int, rng: random.Random) -> None:
    """One minute's requests: busier mid-hour, a burst of refusals near the end."""
    load = 8 + int(14 * (1 - abs(minute - 35) / 35)) + rng.randint(0, 6)
    for _ in range(load):
        machine = rng.choice(machines)
        first = date(2030, 2, 1) + timedelta(days=rng.randint(0, 300))
        span = {"start": first.isoformat(), "end": (first + timedelta(days=2)).isoformat()}
        kind = rng.random()
        if kind < 0.45:
            client.get("/api/events", params={"start": "2030-02-01", "end": "2030-03-15"})
        elif kind < 0.55:
            client.get(f"/api/machines/{machine}/events", params={"start": "2030-02-01"})
        elif kind < 0.85:
            client.post("/api/check-availability", json={"machine": machine, **span})
        elif kind < 0.95 or 48 <= minute <= 50:
            client.post("/api/rentals", json={"machine": machine, **span})
        else:
            client.get(f"/api/rentals/{rng.randint(5000, 6000)}")  # 404


def main() -> None:
    rng = random.Random(19)
    folder = Path(tempfile.mkdtemp(prefix="rentcal-picture-"))
    clock = Clock()
    cal = rentcal.connect(f"sqlite:///{folder / 'rentcal.db'}", clock=clock)
    cal.add_member("ada", name="Ada Admin", admin=True)
    cal.add_member("bob", name="Bob Baker", verified=True, acting="ada")
    machines = ["tractor", "saw", "press", "lathe"]
    for name in machines:
        cal.add_machine(name, daily_price="50.00", auto_approve=True, acting="ada")
    app = create_app(cal, Settings())
    client = TestClient(app, base_url="http://testserver")
    client.headers["Authorization"] = f"Bearer {cal.create_token('bob')[1]}"
    usage.RECORDER.take()
    for minute in range(60):
        clock.now = START + timedelta(minutes=minute, seconds=5)
        traffic(client, machines, minute, rng)
        clock.now = START + timedelta(minutes=minute, seconds=59)
        usage.flush(cal)
    clock.now = START + timedelta(minutes=60, seconds=10)

    port = 8765
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                extra_http_headers={"Authorization": f"Bearer {cal.create_token('ada')[1]}"},
            )
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda msg: problems.append(msg.text))
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.goto(f"http://127.0.0.1:{port}/admin#usage")
            page.locator("#usage").screenshot(path=str(OUT))
            wide = page.evaluate("document.documentElement.scrollWidth > innerWidth")
            if problems or wide:  # a CSP refusal, a script error, a page wider than a phone
                raise SystemExit(f"the page is not clean: {problems}, too wide: {wide}")
            browser.close()
    finally:
        server.should_exit = True
        thread.join()
        cal.close()
    print(OUT)


if __name__ == "__main__":
    main()
