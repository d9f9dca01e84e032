"""Shared support for browser tests of the pages (Playwright, Debian Chromium, headless).

``chromium`` is a fixture: import it into a test module (``from tests.pages_browser import
chromium``). Data is made before the browser starts (Playwright's sync API runs an event loop
in the test's thread, and Django takes ORM calls made meanwhile for async ones).

``log_in(chromium, live_server, role)`` opens a 1366 × 768 page in Chinese logged in as the
demo user of ``role``; ``shoot(page, name)`` keeps a screenshot as a test artifact under
``var/artifacts/screenshots/`` (``JINGXI_ARTIFACTS`` moves it) and returns what overflows the
screen: the page wider than the window, or a table wider than the box that shows it.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.staff.support import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}

# Each visible table of the page's content against the narrowest box that clips it.
TABLE_OVERFLOWS = """() => Array.from(document.querySelectorAll('main table, #content table'))
  .filter(table => table.offsetParent !== null)
  .map(table => {
    let right = window.innerWidth;
    for (let box = table.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') {
        right = Math.min(right, box.getBoundingClientRect().right);
      }
    }
    const name = table.id || table.className || (table.closest('[id]') || {}).id;
    return [name, Math.round(table.getBoundingClientRect().right), Math.round(right)];
  })
  .filter(([name, tableRight, visibleRight]) => tableRight > visibleRight + 1)"""


def artifacts_dir() -> Path:
    root = os.environ.get("JINGXI_ARTIFACTS") or Path(settings.BASE_DIR) / "var" / "artifacts"
    path = Path(root) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def chromium(live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium to run browser tests")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def log_in(browser, live_server, role: str, *, language: str = "zh-hans"):
    """Return a 1366 × 768 page logged in as ``role`` (the demo password), in ``language``."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def shoot(page, name: str) -> list[str]:
    """Keep a screenshot of ``page`` as ``<name>.png``; return what overflows the screen."""
    page.screenshot(path=str(artifacts_dir() / f"{name}.png"))
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        problems.append(f"{name}: the page is {width} px wide")
    for table, right, visible in page.evaluate(TABLE_OVERFLOWS):
        problems.append(f"{name}: table {table} ends at {right} px, visible up to {visible}")
    return problems
