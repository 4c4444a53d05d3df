"""Browser tests of the service hall: `onevisit web`'s app served by uvicorn on loopback, over a real SQLite
file, driven in Debian's chromium (/usr/bin/chromium) by Playwright; screenshots of every
page visited go to docs/screenshots/latest/.

The server runs in a child process with its own clock (ONEVISIT_NOW): moving the clock restarts it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import _initialise, _sqlite_database

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "hall-test-password-1"  # every test operator's, set through the sign-in's own use case


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Hall:
    """The hall's server: its database, its clock, its address."""

    url: str
    home: Path
    now: str
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**os.environ, "ONEVISIT_DATABASE_URL": self.url, "ONEVISIT_NOW": self.now,
                "ONEVISIT_HOME": str(self.home)}

    def start(self) -> None:
        log = (self.home / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hall's server exited: {(self.home / 'server.log').read_text()[-2000:]}")
            try:
                httpx.get(self.base + "/login", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the hall's server did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def move_clock(self, now: str) -> None:
        """The clock of every page moves: the server starts again with it."""
        self.stop()
        self.now = now
        self.start()

    def act(self, use_case):
        """Prepare data directly, through a use case in one transaction (as the CLI would)."""
        from approvals.deadlines import Clock
        from services.db import UnitOfWork
        from services.settings import Settings
        from services.workdays import calendar_for

        settings = Settings(database_url=self.url, now=self.now)
        with UnitOfWork(self.url) as uow:
            result = use_case(uow.session, Clock(settings.current_time(), calendar_for(uow.session)))
            uow.commit()
            return result


def set_passwords(url: str, operators: list[str]) -> None:
    from datetime import UTC, datetime

    from services.access import set_password
    from services.db import UnitOfWork

    with UnitOfWork(url) as uow:
        for operator in operators:
            set_password(uow.session, operator, PASSWORD, by="admin", now=datetime.now(UTC))
        uow.commit()


STAFF = ["admin", "window-1", "supervisor-1", "SAMR-reviewer", "FIRE-reviewer", "CITY_MGMT-reviewer",
         "TOBACCO-reviewer"]


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """A served hall over its own SQLite database (the test county's staff and catalog), Monday morning."""
    from tests.conftest import MONDAY

    home = tmp_path_factory.mktemp("hall")
    db = _initialise(_sqlite_database(home))
    set_passwords(db.url, STAFF)
    served = Hall(db.url, home, MONDAY)
    served.start()
    yield served
    served.stop()


@pytest.fixture(scope="module")  # not the session: Playwright's sync API leaves an event loop behind it, in which
def browser():                    # Prefect's sync-compatible calls (flow.to_deployment) would return coroutines
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def desk(browser, hall):
    """Open a desk: `desk("window-1")` is a signed-in page at 1366x768 (a fresh browser context each)."""
    contexts = []

    def open_desk(operator: str, *, language: str | None = None):
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if language:
            context.add_cookies([{"name": "hall_lang", "value": language, "url": hall.base}])
        sign_in(page, hall, operator)
        return page

    yield open_desk
    for context in contexts:
        context.close()


def sign_in(page, hall: Hall, operator: str) -> None:
    page.goto(hall.base + "/login?next=/hall")
    page.fill("input[name=username]", operator)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("body")[:2000]


# --- what every page is checked for -----------------------------------------------------------

LATEST = SCREENSHOTS / "latest"  # every page of the last run (not committed); docs/screenshots/ keeps the README's
SERIOUS = {"serious", "critical"}
_VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim();
    if (!text) continue;
    const el = node.parentElement;
    if (el.closest('[lang="en"], .code, script, style')) continue;  // the engine's own words, codes
    out.push(text);
  }
  return out;
}"""


def english_messages() -> list[str]:
    """The catalog's English messages with a word in them, placeholders dropped: what must not show in Chinese."""
    import re

    from babel.messages.pofile import read_po

    from web.i18n import po_path

    found = []
    for message in read_po(po_path("en").open("rb"), locale="en"):
        parts = [p.strip(" :.,()") for p in re.split(r"%\(\w+\)s", message.id or "")]
        found += [p for p in parts if re.search(r"[A-Za-z]{2,}", p)]
    return sorted(set(found), key=len, reverse=True)


def untranslated(page) -> list[str]:
    import re

    texts = page.evaluate(_VISIBLE_TEXT)
    messages = english_messages()
    return [t for t in texts for m in messages if re.search(r"(?<![\w-])" + re.escape(m) + r"(?![\w-])", t)]


def inspect(page, name: str, *, chinese: bool = True) -> None:
    """Save the page's screenshot, run axe-core on it (no serious or critical violation), check it fits
    1366 pixels across, and in Chinese check that no English message of the catalog shows through."""
    from axe_playwright_python.sync_playwright import Axe

    LATEST.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(LATEST / f"{name}.png"))
    results = Axe().run(page)
    serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
               for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{name}: {serious}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name}: wider than 1366"
    if chinese:
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert untranslated(page) == [], f"{name}: untranslated text"
