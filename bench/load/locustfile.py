"""Load test of the back office: staff of every role working at once (issue #14).

``bench/bench_load.py`` runs it against gunicorn on loopback; ``tests/test_load_script.py``
runs it for a few seconds so that it keeps matching the pages.

Each simulated user logs in through the login form as the demo user of its role
(``seed_demo``: the user is named after the role) and works as that role does, reading
everything it needs from the pages like a person would: support searches orders and stock
and places orders on the order entry page; the warehouse picks waves, packs each order by
scanning the barcodes of its pick list, ships it, and receives goods on open purchase orders;
the purchaser reads the restock report, suppliers and the supplier choice, and turns a few
suggestions into purchase orders that it places with the supplier; merchandisers and managers
read dashboards and the catalogue admin.

A request fails on any status other than 200 after redirects, on a page that is the login
form, on an error message or a form error on the page, and, for a step that writes, when the
page does not confirm it with a success message. The one refusal tolerated is one a person
meets too: a wave asked for while colleagues are picking every allocated order of the
warehouse (recorded as TOLERATED in the timings file).
"""

import gettext
import itertools
import os
import random
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("JINGXI_DEMO_PASSWORD", "jingxi-demo")
# Think time between two tasks of one user, and the pause between two steps of one task
# (reading a page, scanning), in seconds: LOAD_WAIT="min,max", LOAD_PAUSE="min,max".
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "1,4").split(","))
PAUSE = tuple(float(x) for x in os.environ.get("LOAD_PAUSE", "0.2,1").split(","))
# LOAD_TOUR=1: after logging in, each user runs every one of its tasks once, in order, so that
# a short run (the CI test) goes through every kind of step.
TOUR = os.environ.get("LOAD_TOUR") == "1"
# LOAD_TIMINGS=FILE: append every request's step, time and outcome to FILE (bench_load.py
# computes exact percentiles from it; locust's own are rounded).
TIMINGS = os.environ.get("LOAD_TIMINGS", "")

CATALOG_TERMS = ["红色", "旗舰款", "升级版", "标准装", "小号", "P0001", "P0003", "华为", "Apple"]
STOCK_TERMS = ["P000", "P0002", "红色", "家庭装", "CM-SKU", "黑色", "基础版"]
CARRIERS = ["顺丰速运", "中通快递", "圆通速递", "京东物流", "韵达快递"]
LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _as_shown(message: str) -> set[str]:
    """Return ``message`` as a page may show it: in English or any translation shipped."""
    shown = {message}
    for catalog in LOCALE.glob("*/LC_MESSAGES/django.mo"):
        with catalog.open("rb") as handle:
            shown.add(gettext.GNUTranslations(handle).gettext(message))
    return shown


# A wave finds no order when colleagues are picking every allocated order of the warehouse
# at that moment (their rows are locked and skipped): what a packer meets too, not a fault.
WAVE_TAKEN = _as_shown("No allocated orders to pick in this warehouse.")
# Purchasers pick restock suggestions from disjoint buckets of SKUs, so two of them never
# order the same suggestion at once (which the page rightly refuses as stale). More
# purchasers than buckets share them.
PURCHASER_BUCKETS = int(os.environ.get("LOAD_PURCHASER_BUCKETS", "8"))


@dataclass
class Row:
    cells: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    values: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def data(self, **changes) -> dict[str, list[str]]:
        """Return what the browser would send, with ``changes`` typed over it."""
        data = {name: list(values) for name, values in self.values.items()}
        for name, value in changes.items():
            data[name] = value if isinstance(value, list) else [str(value)]
        return data


class Page(HTMLParser):
    """What a user reads on a page: forms, links, tables, messages and form errors."""

    MESSAGE_LEVELS = ("success", "error", "warning", "info")

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.tables: list[list[Row]] = []
        self.messages: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self._form = None
        self._select = None
        self._option = None
        self._textarea = None
        self._row = None
        self._in_head = False
        self._message = None
        self._errorlist = 0
        self._in_messages = False
        self.url = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {key: value if value is not None else "" for key, value in attrs}
        classes = a.get("class", "").split()
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self._row is not None:
                self._row.links.append(a["href"])
        elif tag == "input":
            self._input(a)
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
            self._form.options.setdefault(self._select, [])
        elif tag == "option" and self._select:
            self._option = [a.get("value", ""), "", "selected" in a]
        elif tag == "textarea" and self._form is not None:
            self._textarea = a.get("name")
            self._form.values[self._textarea] = [""]
        elif tag == "table":
            self.tables.append([])
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self.tables and not self._in_head:
            self._row = Row()
            self.tables[-1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.cells.append("")
        elif tag == "ul" and ({"messages", "messagelist"} & set(classes)):
            self._in_messages = True
        elif tag == "li" and self._in_messages:
            level = next((c for c in classes if c in self.MESSAGE_LEVELS), "info")
            self._message = [level, ""]
        elif tag == "ul" and "errorlist" in classes:
            self._errorlist += 1
            self.errors.append("")

    def _input(self, a):
        if self._row is not None and a.get("name"):
            self._row.inputs.append(a["name"])
        if self._form is None or not a.get("name"):
            return
        kind = a.get("type", "text").lower()
        name = a["name"]
        if kind in ("submit", "button", "image", "file", "reset"):
            return
        value = a.get("value", "")
        if kind in ("checkbox", "radio"):
            value = a.get("value", "on")
            self._form.options.setdefault(name, []).append((value, ""))
            if "checked" not in a:
                return
        self._form.values.setdefault(name, []).append(value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None:
            value, text, selected = self._option
            self._form.options[self._select].append((value, text.strip()))
            if selected or self._select not in self._form.values:
                self._form.values[self._select] = [value]
            self._option = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "thead":
            self._in_head = False
        elif tag == "tr":
            self._row = None
        elif tag == "li" and self._message is not None:
            self.messages.append((self._message[0], self._message[1].strip()))
            self._message = None
        elif tag == "ul" and self._errorlist:
            self._errorlist -= 1
        elif tag == "ul" and self._in_messages:
            self._in_messages = False

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        if self._textarea and self._form is not None:
            self._form.values[self._textarea][0] += data
        if self._row is not None and self._row.cells:
            self._row.cells[-1] += data
        if self._message is not None:
            self._message[1] += data
        if self._errorlist:
            self.errors[-1] += data

    def links_to(self, pattern: str) -> list[str]:
        """Return the links whose whole path matches the regular expression ``pattern``."""
        return [link for link in self.links if re.fullmatch(pattern, urlsplit(link).path)]

    def form_with(self, name: str) -> Form | None:
        """Return the first form that has a field called ``name``."""
        return next((f for f in self.forms if name in f.values or name in f.options), None)

    def success(self) -> list[str]:
        return [text for level, text in self.messages if level == "success"]

    def problems(self) -> list[str]:
        errors = [" ".join(e.split()) for e in self.errors if e.strip()]
        return [text for level, text in self.messages if level == "error"] + errors


def _number(text: str) -> int:
    digits = re.sub(r"[^\d-]", "", text)
    return int(digits) if digits.lstrip("-") else 0


def _first_word(text: str) -> str:
    return text.split()[0] if text.split() else ""


def _option(form: Form, name: str, starts_with: str) -> str | None:
    """Return the value of the first choice of ``name`` whose text starts with ``starts_with``."""
    return next(
        (v for v, text in form.options.get(name, []) if v and text.startswith(starts_with)), None
    )


def _stock_rows(page: Page) -> list[dict]:
    """Rows of the stock overview: SKU code, barcode, warehouse code, available units."""
    rows = []
    for row in page.tables[0] if page.tables else []:
        if len(row.cells) == 10:
            barcode = row.cells[1].strip()
            rows.append(
                {
                    "code": _first_word(row.cells[0]),
                    "barcode": "" if barcode == "—" else barcode,
                    "warehouse": _first_word(row.cells[2]),
                    "available": _number(row.cells[7]),
                }
            )
    return rows


class StaffUser(HttpUser):
    """One member of staff: logs in as the demo user of ``role`` and works its pages."""

    abstract = True
    role = ""
    wait_time = between(*WAIT)

    def on_start(self):
        login = self.visit("/accounts/login/", name="login form", form="username")
        if login is None:
            return
        data = login.form_with("username").data(username=self.role, password=PASSWORD)
        with self.client.post(
            "/accounts/login/", data=data, name="login", catch_response=True
        ) as response:
            if response.status_code != 200 or urlsplit(response.url).path != "/":
                response.failure(f"{self.role} could not log in (landed on {response.url})")
        if TOUR:
            for step in dict.fromkeys(self.tasks):
                step(self)

    def visit(
        self,
        url: str,
        *,
        name: str,
        data: dict | None = None,
        params: dict | None = None,
        form: str | None = None,
        confirm: bool = False,
        tolerate=None,
    ) -> Page | None:
        """GET ``url`` (POST ``data`` to it when given) and check the page; return it, or
        None when the request failed.

        ``form``: the page must hold a form with that field. ``confirm``: the page must carry
        a success message. ``tolerate(page)`` may accept a page with an error message (a race
        a person meets too); the request then counts as a success.
        """
        method = "POST" if data is not None else "GET"
        if method == "POST":
            _note("BEGIN", name)  # a write the run may stop before its answer arrives
        with self.client.request(
            method, url, data=data, params=params, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{method} {url}: HTTP {response.status_code}")
                return None
            if urlsplit(response.url).path == "/accounts/login/" and name != "login form":
                response.failure(f"{method} {url}: sent to the login page")
                return None
            page = Page(response.text)
            page.url = response.url
            problems = page.problems()
            if problems and not (tolerate and tolerate(page)):
                response.failure(f"{method} {url}: {' | '.join(problems)[:300]}")
                return None
            if problems:
                _note("TOLERATED", name)
            if confirm and not problems and not page.success():
                response.failure(f"{method} {url}: no confirmation on the page")
                return None
            if form and page.form_with(form) is None:
                response.failure(f"{method} {url}: no form with the field {form}")
                return None
            response.success()
            return page

    def post(self, url: str, data: dict, *, name: str, **kwargs) -> Page | None:
        return self.visit(url, data=data, name=name, **kwargs)

    def fail(self, name: str, problem: str):
        """Count a page that answered 200 but did not read as the step expects."""
        self.environment.events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=0,
            response_length=0,
            response=None,
            context={},
            exception=AssertionError(problem),
        )

    def pause(self):
        """A short pause between two steps of one piece of work (reading, scanning)."""
        gevent.sleep(random.uniform(*PAUSE))

    def open_dashboard(self):
        self.visit("/", name="dashboard")


class SupportUser(StaffUser):
    """客服: reads and searches orders, looks up stock, takes orders on the phone."""

    role = "support"
    weight = 15

    def on_start(self):
        self.order_numbers: list[str] = []
        self.customers: list[str] = []
        super().on_start()

    def _customers(self) -> list[str]:
        if not self.customers:
            page = self.visit("/admin/orders/customer/", name="admin customer changelist")
            for row in page.tables[0] if page and page.tables else []:
                if len(row.cells) > 2 and row.cells[1].strip():
                    self.customers.append(row.cells[1].strip())
        return self.customers

    def _remember_orders(self, page: Page):
        for row in page.tables[0] if page.tables else []:
            if row.cells and row.links:
                self.order_numbers.append(row.cells[0].strip())
        del self.order_numbers[:-200]

    @task(2)
    def dashboard(self):
        self.open_dashboard()

    @task(4)
    def browse_orders(self):
        params = random.choice([{}, {"page": "2"}, {"status": "allocated"}, {"status": "shipped"}])
        page = self.visit("/orders/", params=params, name="order list")
        if page is None:
            return
        self._remember_orders(page)
        details = page.links_to(r"/orders/\d+/")
        if details:
            self.pause()
            self.visit(random.choice(details), name="order detail")

    @task(3)
    def search_orders(self):
        if self.order_numbers and random.random() < 0.7:
            query = random.choice(self.order_numbers)[-6:]
        else:
            query = random.choice(self._customers() or ["精细"])
        page = self.visit("/orders/", params={"q": query}, name="order search")
        if page is not None:
            self._remember_orders(page)

    @task(2)
    def search_stock(self):
        self.visit(
            "/inventory/stock/", params={"q": random.choice(STOCK_TERMS)}, name="stock search"
        )

    @task(3)
    def place_order(self):
        """Find SKUs in stock, then enter the order; a paid order reserves its stock."""
        entry = self.visit("/orders/new/", name="order entry form", form="shop")
        if entry is None:
            return
        form = entry.form_with("shop")
        self.pause()
        stock = self.visit(
            "/inventory/stock/",
            params={"status": "normal", "page": str(random.randint(1, 4))},
            name="stock search",
        )
        if stock is None:
            return
        rows = _stock_rows(stock)
        if not rows:
            self.fail("stock search", "the stock overview lists no SKU in normal stock")
            return
        # Enough stock that no other user can take the last unit meanwhile: a refusal
        # would then be a fault, not a shortage.
        rows = [r for r in rows if r["available"] >= 10]
        if not rows:
            return
        warehouse = random.choice(sorted({r["warehouse"] for r in rows}))
        rows = [r for r in rows if r["warehouse"] == warehouse]
        chosen = random.sample(rows, k=min(len(rows), random.choice([1, 1, 1, 2, 3])))
        changes = {
            "shop": random.choice([v for v, _text in form.options["shop"] if v]),
            "warehouse": _option(form, "warehouse", warehouse) or "",
            "note": "电话下单",
        }
        if random.random() < 0.5 and self._customers():
            changes["customer"] = random.choice(self.customers)
        for index, row in enumerate(chosen):
            changes[f"lines-{index}-sku"] = row["barcode"] or row["code"]
            changes[f"lines-{index}-quantity"] = str(random.randint(1, 3))
        self.pause()
        self.post("/orders/new/", form.data(**changes), name="place order", confirm=True)


class WarehouseUser(StaffUser):
    """仓库: picks waves, packs them with the scanner, ships, receives purchase orders."""

    role = "warehouse"
    weight = 15

    @task(2)
    def dashboard(self):
        self.open_dashboard()

    @task(5)
    def pick_pack_ship(self):
        waves = self.visit("/orders/waves/", name="waves", form="limit")
        if waves is None:
            return
        form = waves.form_with("limit")
        allocated = {
            _first_word(row.cells[0]): _number(row.cells[1])
            for row in waves.tables[0]
            if len(row.cells) == 3
        }
        ready = [code for code, count in allocated.items() if count > 0]
        warehouse = _option(form, "warehouse", random.choice(ready)) if ready else None
        if warehouse is None:
            return
        self.pause()

        picked = self.post(
            "/orders/waves/",
            form.data(warehouse=warehouse, limit=str(random.randint(2, 5))),
            name="pick a wave",
            tolerate=lambda page: set(page.problems()) <= WAVE_TAKEN,
        )
        if picked is None or picked.problems():
            return
        barcodes, numbers = {}, []
        for row in picked.tables[1] if len(picked.tables) == 3 else []:
            if len(row.cells) == 6:
                barcode = row.cells[3].strip()
                barcodes[_first_word(row.cells[2])] = "" if barcode == "—" else barcode
                for reference in row.cells[5].split(","):
                    number = reference.split("×")[0].strip()
                    if number and number not in numbers:
                        numbers.append(number)
        if not numbers:
            self.fail("pick a wave", "the wave page shows no pick list with its orders")
            return
        to_pack = {row.cells[0].strip(): row.links[0] for row in picked.tables[2] if row.links}
        for number in numbers:
            self.pause()
            self._pack_and_ship(number, to_pack.get(number), barcodes)

    def _pack_and_ship(self, number: str, url: str | None, barcodes: dict[str, str]):
        if url is None:
            found = self.visit("/orders/", params={"q": number}, name="order search")
            links = found.links_to(r"/orders/\d+/") if found else []
            if not links:
                self.fail("order search", f"order {number} of the wave is not found")
                return
            url = links[0] + "pack/"
        page = self.visit(url, name="pack page", form="pack-barcodes")
        if page is None:
            return
        scans = []
        for row in page.tables[0]:
            if len(row.cells) == 2:
                code = _first_word(row.cells[0])
                scans += [barcodes.get(code) or code] * _number(row.cells[1])
        if not scans:
            self.fail("pack page", f"the pack page of {number} lists nothing to scan")
            return
        random.shuffle(scans)
        self.pause()
        packed = self.post(
            url,
            page.form_with("pack-barcodes").data(**{"pack-barcodes": "\n".join(scans)}),
            name="pack scan",
            confirm=True,
            form="ship-carrier",
        )
        if packed is None:
            return
        self.pause()
        ship = {
            "ship-carrier": random.choice(CARRIERS),
            "ship-tracking_number": f"SF{random.randint(10**11, 10**12 - 1)}",
        }
        self.post(url, packed.form_with("ship-carrier").data(**ship), name="ship", confirm=True)

    @task(3)
    def receive_goods(self):
        listing = self.visit(
            "/admin/purchasing/purchaseorder/",
            params={"status__exact": random.choice(["ordered", "partially_received"])},
            name="admin purchase order changelist",
        )
        orders = sorted(set(listing.links_to(r"/purchasing/orders/\d+/"))) if listing else []
        if not orders:
            return
        url = random.choice(orders) + "receive/"
        self.pause()
        page = self.visit(url, name="receive form")
        if page is None or not urlsplit(page.url).path.endswith("/receive/"):
            return  # received in full meanwhile: the page says so and shows the order
        form = page.form_with("note")
        if form is None:
            self.fail("receive form", f"{url} has no receive form")
            return
        changes = {}
        for row in page.tables[0] if page.tables else []:
            received = next((n for n in row.inputs if n.endswith("-received")), None)
            open_units = _number(row.cells[2]) if len(row.cells) > 2 else 0
            # A third of what is open at most, so that receivers working on the same order
            # never count more than is open between them.
            if received and open_units >= 3 and (not changes or random.random() < 0.3):
                units = random.randint(1, open_units // 3)
                changes[received] = str(units)
                if units > 2 and random.random() < 0.2:
                    changes[received.replace("-received", "-rejected")] = "1"
                slot = received.replace("-received", "-slot")
                # Deliveries go to the dock (收货区) or reserve, not into a pick slot that
                # may be full: the demo's receiving (R-) and reserve (D-) slots are open.
                dock = [v for v, text in form.options.get(slot, []) if re.search(r"/[RD]-", text)]
                if dock:
                    changes[slot] = random.choice(dock)
        if not changes:
            return
        self.pause()
        self.post(url, form.data(note="到货清点", **changes), name="receive goods", confirm=True)

    @task(2)
    def stock_pages(self):
        if random.random() < 0.5:
            self.visit("/inventory/low-stock/", name="low stock")
        else:
            self.visit(
                "/inventory/stock/", params={"q": random.choice(STOCK_TERMS)}, name="stock search"
            )

    @task(1)
    def pick_list(self):
        self.visit("/inventory/pick-list/", params={"warehouse": "1"}, name="pick list")


class PurchaserUser(StaffUser):
    """采购: restock report, suppliers and their scorecards, the supplier choice; orders."""

    role = "purchaser"
    weight = 7
    numbers = itertools.count()

    def on_start(self):
        self.bucket = next(self.numbers) % PURCHASER_BUCKETS
        super().on_start()

    @task(2)
    def dashboard(self):
        self.open_dashboard()

    @task(3)
    def restock_report(self):
        params = random.choice([{}, {"page": "2"}, {"warehouse": "1"}, {"warehouse": "2"}])
        page = self.visit("/purchasing/restock/", params=params, name="restock report")
        why = page.links_to("/purchasing/choice/") if page else []
        if why and random.random() < 0.5:
            self.pause()
            self.visit(random.choice(why), name="supplier choice")

    @task(1)
    def order_suggestions(self):
        """Turn a few suggestions into drafts, then place the drafts with the supplier."""
        page = self.visit("/purchasing/restock/", name="restock report", form="orders_seen")
        if page is None:
            return
        form = page.form_with("orders_seen")
        # Keys are SKU:warehouse:offer; the boxes of suggestions without a draft are ticked.
        mine = [
            key
            for key in form.values.get("selected", [])
            if int(key.split(":")[0]) % PURCHASER_BUCKETS == self.bucket
        ]
        if not mine:
            return
        chosen = random.sample(mine, k=min(len(mine), random.randint(1, 2)))
        self.pause()
        drafted = self.post(
            "/purchasing/restock/",
            form.data(selected=chosen),
            name="create draft orders",
            confirm=True,
        )
        codes = re.findall(r"PO-\d+", " ".join(drafted.success())) if drafted else []
        if drafted and not codes:
            self.fail("create draft orders", "the confirmation names no purchase order")
        for code in codes:
            self.pause()
            url = f"/admin/purchasing/purchaseorder/?q={code}"
            listing = self.visit(url, name="admin purchase order search", form="action")
            if listing is None:
                continue
            actions = listing.form_with("action")
            drafts = [v for v, _text in actions.options.get("_selected_action", [])]
            self.post(
                url,
                actions.data(action="place", _selected_action=drafts, index="0"),
                name="place purchase order",
                confirm=True,
            )

    @task(3)
    def suppliers(self):
        listing = self.visit(
            "/admin/purchasing/supplier/", name="admin supplier changelist", form="action"
        )
        if listing is None:
            return
        pks = [v for v, _text in listing.form_with("action").options.get("_selected_action", [])]
        if pks:
            self.pause()
            self.visit(f"/purchasing/suppliers/{random.choice(pks)}/", name="supplier page")

    @task(1)
    def candidates(self):
        self.visit("/purchasing/candidates/", name="purchase candidates")


class CatalogueReader(StaffUser):
    """A role that works in the product master: SKU searches and product change pages."""

    abstract = True

    @task(4)
    def sku_search(self):
        self.visit(
            "/admin/catalog/sku/",
            params={"q": random.choice(CATALOG_TERMS)},
            name="admin SKU search",
        )

    @task(3)
    def product_change_page(self):
        listing = self.visit(
            "/admin/catalog/product/",
            params={"q": random.choice(CATALOG_TERMS)},
            name="admin product search",
            form="action",
        )
        if listing is None:
            return
        pks = [v for v, _text in listing.form_with("action").options.get("_selected_action", [])]
        if pks:
            self.pause()
            self.visit(
                f"/admin/catalog/product/{random.choice(pks)}/change/",
                name="product change page",
                form="name",
            )


class MerchandiserUser(CatalogueReader):
    """商品上架/运营: the product master in the admin, the unmatched listings queue."""

    role = "merchandiser"
    weight = 7

    @task(2)
    def dashboard(self):
        self.open_dashboard()

    @task(1)
    def unmatched_listings(self):
        self.visit("/orders/listings/unmatched/", name="unmatched listings")


class ManagerUser(CatalogueReader):
    """运营经理: dashboards above all, the role matrix, orders and stock."""

    role = "manager"
    weight = 6

    @task(4)
    def dashboard(self):
        self.open_dashboard()

    @task(1)
    def role_matrix(self):
        self.visit("/roles/", name="role matrix")

    @task(1)
    def orders(self):
        self.visit("/orders/", name="order list")

    @task(1)
    def stock(self):
        self.visit(
            "/inventory/stock/", params={"q": random.choice(STOCK_TERMS)}, name="stock search"
        )


_timings = open(TIMINGS, "a", encoding="utf-8") if TIMINGS else None  # noqa: SIM115


def _note(kind: str, name: str) -> None:
    """Record a write about to be sent (BEGIN) or a refusal tolerated (TOLERATED)."""
    if _timings is not None:
        _timings.write(f"{kind}\t{name}\t0\t0\t{time.time():.3f}\n")


if _timings is not None:

    @events.request.add_listener
    def _record(request_type, name, response_time, exception, **kwargs):
        """One line per request: method, step, milliseconds, 1 when it failed, when it ended."""
        failed = int(bool(exception))
        _timings.write(
            f"{request_type}\t{name}\t{response_time:.1f}\t{failed}\t{time.time():.3f}\n"
        )

    @events.quitting.add_listener
    def _close(**kwargs):
        _timings.close()
