"""The role walk on the demo: every role, in a real browser, opens every kind of page its links
lead to; each opens, reads right (no nan / None / stack trace) and fits a 1366 px screen; and
every form a page offers the role is posted as it stands without a server error."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from staff.roles import Role
from tests.staff.support import FAST_HASHERS
from tests.staff.walk import CHROMIUM, CHROMIUM_ARGS, walk_role

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: apt-get install -y chromium (Debian) to run browser tests",
)


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DEMO_PASSWORD = "walk-the-demo"
    # seed_demo's tiny scale: the whole demo business, a fraction of its size.
    call_command("seed_demo", scale="tiny", stdout=StringIO())
    return settings.DEMO_PASSWORD


def test_every_role_walks_its_pages_without_a_broken_link_a_raw_value_or_a_wide_table(
    demo, live_server
):
    findings, posts = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for role in Role.values:
            # The first 35 kinds of page from the dashboard on: every nav and panel link, and the
            # lists and records they lead to (the whole walk: `python -m tests.staff.walk`).
            # Each form a page offers the role is posted as it stands: no 5xx (the demo is a
            # test database; the forms a role sees are the ones its permissions allow).
            walk = walk_role(browser, live_server.url, role, demo, limit=35, submit=True)
            assert len(walk.pages) > 5, (role, walk.pages)
            posts += walk.posts
            findings += [str(finding) for finding in walk.findings]
        browser.close()
    assert findings == []
    assert any("/admin/" in action for action in posts), posts  # the walk did post forms
