"""In a real browser (Playwright, Debian Chromium, headless): the Content-Security-Policy holds
on every kind of page, and the pages' own scripts still work under it.

Each role opens its dashboard; the admin's lists and forms and the app's pages (orders, packing
check, restock, receipt, waves, printable purchase order) are opened by a role that may. Every
violation the browser reports (its console and ``securitypolicyviolation`` events) and every
script error fails the test.
"""

from pathlib import Path

import pytest
from django.utils import timezone

from staff.roles import Role
from tests.staff.support import FAST_HASHERS, PASSWORD

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: apt-get install -y chromium (Debian) to run browser tests",
)

# Reported through the console, where the listener below collects it with the browser's own
# CSP messages; window.print is recorded instead of opening a print dialog.
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
    + ` (${event.sourceFile}:${event.lineNumber}) ${event.sample}`);
});
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""


@pytest.fixture
def world(transactional_db, settings):
    """The staff world, plus an order being picked (packing check) and a placed purchase order."""
    from django_celery_beat.models import PeriodicTask

    from catalog import jobs
    from orders import services as order_services
    from orders.enums import OrderSource
    from orders.models import Shop
    from purchasing import services as purchasing_services
    from purchasing.models import Supplier
    from staff.roles import MANAGER
    from tests.staff.support import build_world

    settings.PASSWORD_HASHERS = FAST_HASHERS
    world = build_world()
    warehouse = Shop.objects.get(code="W1").warehouse
    picking = order_services.order_place(
        shop=Shop.objects.get(code="W1"),
        number="TB-CSP-PICK",
        source=OrderSource.CHANNEL,
        paid_at=timezone.now(),
        lines=[order_services.OrderLineInput(quantity=1, sku=world.sku)],
        user=world.users[MANAGER],
    )
    order_services.wave_pick(warehouse=warehouse, orders=[picking])
    purchase = purchasing_services.purchase_order_create(
        supplier=Supplier.objects.get(code="SUP-WORLD"),
        warehouse=warehouse,
        lines=[purchasing_services.OrderLineInput(sku=world.sku, quantity=4)],
    )
    purchasing_services.purchase_order_place(order=purchase)
    import_job = jobs.job_create(
        content=b"PK",
        kind="products",
        dry_run=True,
        create_categories=False,
        user=world.users[MANAGER],
    )
    # Everything the tests read from the database, read now: no ORM call while Playwright runs.
    world.paths = {
        "sku": f"/admin/catalog/sku/{world.sku.pk}/change/",
        "product": f"/admin/catalog/product/{world.product.pk}/change/",
        "history": f"/admin/catalog/sku/{world.sku.pk}/history/",
        "import job": f"/admin/catalog/sku/import/{import_job}/",
        "periodic task": "/admin/django_celery_beat/periodictask/"
        f"{PeriodicTask.objects.get(name='world task').pk}/change/",
        "order": f"/orders/{picking.pk}/",
        "pack": f"/orders/{picking.pk}/pack/",
        "purchase order": f"/purchasing/orders/{purchase.pk}/",
        "receive": f"/purchasing/orders/{purchase.pk}/receive/",
    }
    world.import_job = import_job
    world.barcode = world.sku.barcode
    world.usernames = {role: user.username for role, user in world.users.items()}
    return world


@pytest.fixture
def browser(world, live_server):
    # Playwright's sync API runs an event loop in this thread while it is open: the data is
    # made before (``world``); the test itself only talks HTTP.
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Session:
    """A logged-in browser page that records CSP violations and script errors."""

    def __init__(self, browser, base_url: str, username: str):
        self.base_url = base_url
        self.problems: list[str] = []
        self.page = browser.new_page(viewport={"width": 1366, "height": 768})
        self.page.add_init_script(WATCH_VIOLATIONS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.at}: {error}"))
        self.at = "/accounts/login/"
        self.page.goto(f"{base_url}/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base_url}/")

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "CSP violation" in text:
            self.problems.append(f"{self.at}: {text}")
        elif message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            self.problems.append(f"{self.at}: console error: {text}")

    def open(self, path: str):
        self.at = path
        response = self.page.goto(f"{self.base_url}{path}")
        assert response.status == 200, (path, response.status)
        assert "Content-Security-Policy" in {name.title() for name in response.headers}, path
        self.page.wait_for_load_state("load")
        return self.page


def test_every_role_dashboard_passes_the_content_security_policy(world, live_server, browser):
    problems = []
    for role in Role.values:
        session = Session(browser, live_server.url, world.usernames[role])
        session.open("/")
        assert session.page.locator("h1").count() == 1
        problems += session.problems
        session.page.close()
    assert problems == []


def test_admin_pages_pass_the_content_security_policy_and_their_scripts_run(
    world, live_server, browser
):
    session = Session(browser, live_server.url, world.usernames["manager"])
    page = session.open("/admin/catalog/sku/")
    # The changelist's own script: ticking a row's checkbox selects it (admin/js/actions.js).
    page.locator("#result_list input.action-select").first.check()
    assert page.locator("#result_list tr.selected").count() == 1

    page = session.open(world.paths["sku"])
    assert page.locator("input[name=cost_price]").is_visible()

    page = session.open(world.paths["product"])
    # Inline formsets are built by the admin's script: its "add another" link is there.
    assert page.locator(".add-row a").count() >= 1

    page = session.open(world.paths["periodic task"])
    # The project's script hides the raw crontab translation row.
    assert page.locator(".field-crontab_translation").is_hidden()

    session.open(world.paths["history"])

    # A background import's page follows the job (catalog/import_job.js) and reloads when it
    # ends: the job fails here, and the reloaded page shows why.
    from catalog import jobs

    page = session.open(world.paths["import job"])
    assert page.locator("#jx-import-progress").is_visible()
    jobs._update(world.import_job, status="failed", message="CSP-TEST-FAILED", errors=[])
    page.locator(".errornote", has_text="CSP-TEST-FAILED").wait_for(timeout=10_000)

    session.open("/admin/catalog/sku/import/")
    session.open("/admin/catalog/sku/export/")
    session.open("/admin/")
    assert session.problems == []


def test_app_pages_pass_the_content_security_policy_and_their_scripts_run(
    world, live_server, browser
):
    problems = []

    warehouse = Session(browser, live_server.url, world.usernames["warehouse"])
    page = warehouse.open("/orders/")
    assert page.locator("table").count() >= 1
    page = warehouse.open(world.paths["pack"])
    # The scanner types into the focused box: it has the focus on arrival, and a scan packs.
    scan = page.locator("#id_pack-barcodes")
    assert scan.evaluate("box => document.activeElement === box")
    page.keyboard.type(world.barcode)
    page.click("form button[type=submit].primary")
    page.wait_for_load_state("load")
    assert "Packed" in page.locator("h1").inner_text()
    warehouse.open("/orders/waves/")
    page = warehouse.open(world.paths["receive"])
    assert page.locator("form").count() >= 1
    warehouse.open("/inventory/pick-list/")
    problems += warehouse.problems

    purchaser = Session(browser, live_server.url, world.usernames["purchaser"])
    page = purchaser.open("/purchasing/restock/")
    assert page.locator("form").count() >= 1
    page = purchaser.open(world.paths["purchase order"])
    page.click("[data-print]")
    assert page.evaluate("window.__printed") == 1
    purchaser.open("/inventory/stock/")
    problems += purchaser.problems

    manager = Session(browser, live_server.url, world.usernames["manager"])
    manager.open("/roles/")
    manager.open(world.paths["order"])
    problems += manager.problems
    assert problems == []
