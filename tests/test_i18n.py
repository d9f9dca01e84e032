"""Chinese first: every label has a zh-hans translation, compiled, and pages use it."""

import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from itertools import zip_longest
from pathlib import Path

import openpyxl
import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation

from catalog import services as catalog_services
from catalog.enums import AttributeType, AttributeUse, ProductRole, ProductStatus
from catalog.exporting import catalog_export
from catalog.importing import catalog_import
from catalog.models import Product
from inventory import services as inventory_services
from inventory.enums import DocumentType
from inventory.models import Warehouse
from purchasing.enums import SupplierType
from purchasing.exporting import suppliers_export
from purchasing.importing import suppliers_import
from purchasing.models import Supplier, SupplierOffer
from tests.factories import AttributeFactory, ProductFactory, SKUFactory
from tests.sqlite import child_env
from tests.staff.support import FAST_HASHERS, build_world

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Jingxi's own apps (every installed app that lives in the project) and the shared sources.
SOURCES = (
    *(app for app in settings.INSTALLED_APPS if (Path(settings.BASE_DIR) / app).is_dir()),
    "workbooks",  # a package below the apps, not an app: its messages count too
    "config",
    "templates",
    "manage.py",
)


def _untranslated(po: polib.POFile) -> list[str]:
    return [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]


def test_zh_hans_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    assert _untranslated(po) == []
    mo = polib.mofile(str(PO.with_suffix(".mo")))
    compiled = {e.msgid: e.msgstr for e in mo}
    stale = [e.msgid for e in po if not e.msgid_plural and compiled.get(e.msgid) != e.msgstr]
    assert stale == [], "run `make compilemessages`"


def test_every_label_in_the_code_has_a_zh_hans_translation(tmp_path):
    """Extract the messages afresh from a copy of the sources: nothing may be missing."""
    for name in SOURCES:
        source = Path(settings.BASE_DIR) / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO, tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        check=True,
        env=child_env(DJANGO_SETTINGS_MODULE="config.settings"),
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert _untranslated(fresh) == [], "run `make messages` and translate the new entries"


@pytest.mark.django_db
def test_admin_speaks_chinese_by_default_and_english_on_request(admin_client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    SKUFactory()
    url = reverse("admin:catalog_sku_changelist")
    chinese = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "销售价" in chinese and "商品资料" in chinese
    assert "retail price" in english.lower()


# --- What a Chinese reader sees -------------------------------------------------------------
# Raw codes and English that once leaked into the Chinese interface.
FORBIDDEN = (
    "historical",
    "Access attempt",
    "access attempt",
    "Access log",
    "Axes",
    "purchase_order",
    "purchase_receipt",
    "sales_order",
    "view_role_matrix",
    "Model name",
    "Can add",
    "Can view",
)
# ASCII words a Chinese page may show: units, formats, product and brand names, and the
# test world's own data (codes, user names, values typed in English).
ALLOWED_WORDS = {
    "Jingxi", "Excel", "xlsx", "HTTP", "JSON", "Control", "Command", "YYYY",
    # The role matrix's access letters, explained in its legend.
    "vacd",
    # The test world: user names and e-mail, axes' request data, attribute names made of the
    # use codes, and a reservation for a document type ("order") no app writes.
    "root", "admin", "nobody", "jingxi", "local", "pytest", "text", "html", "accounts",
    "login", "order", *AttributeUse.values,
    *("purchaser", "warehouse", "merchandiser", "marketer", "support", "finance", "manager"),
}  # fmt: skip
# Packages whose own catalogues are partial (django-celery-beat's help texts, django-axes'
# record names): their pages are checked for the known leftovers only.
PARTLY_TRANSLATED = ("/django_celery_beat/", "/axes/")


class _VisibleText(HTMLParser):
    """Collect the text a person reads: text nodes, button captions, titles, placeholders."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea"):
            self.hidden += 1
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")
        self.parts += [attrs.get(name) or "" for name in ("title", "placeholder")]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def english_words(text: str) -> set[str]:
    """Return the ASCII words of 4+ letters (or codes with _) not allowed in Chinese pages."""
    words = set(re.findall(r"[A-Za-z][A-Za-z_]{3,}", text))
    return {
        w for w in words if w not in ALLOWED_WORDS and "world" not in w.lower() and not w.isupper()
    }


def leftovers(html: str) -> list[str]:
    text = visible_text(html)
    return sorted({t for t in FORBIDDEN if t in text} | english_words(text))


@pytest.fixture
def world(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    with translation.override("zh-hans"):  # what its users wrote (packing problems) in Chinese
        world = build_world()
    warehouse = Warehouse.objects.get(code="W-WORLD")
    inventory_services.stock_reserve(
        warehouse=warehouse,
        lines=[
            inventory_services.StockLine(
                sku=world.sku, quantity=1, reference_type=DocumentType.SALES_ORDER
            )
        ],
    )
    return world


def _chinese_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _admin_pages(world) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        obj = world.objects.get(model)
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
    return urls


@pytest.mark.django_db
def test_admin_in_chinese_shows_no_english_names_or_raw_codes(world, settings):
    """Every changelist, change page and history page, read by a superuser in Chinese."""
    settings.LANGUAGE_CODE = "zh-hans"
    client = _chinese_client(User.objects.get(username="root"))
    found = {}
    for url in _admin_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        if any(package in url for package in PARTLY_TRANSLATED):
            words = sorted(t for t in FORBIDDEN if t in visible_text(html))
        else:
            words = leftovers(html)
        if words:
            found[url] = words
    assert found == {}, "\n".join(f"{url}: {words}" for url, words in found.items())


@pytest.mark.django_db
def test_chinese_history_pages_name_the_model_and_its_values(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    world.product.status = ProductStatus.DELISTED
    world.product.save()
    client = _chinese_client(User.objects.get(username="root"))
    product = client.get(reverse("admin:catalog_product_history", args=[world.product.pk]))
    text = visible_text(product.content.decode())
    assert "已下架" in text and "delisted" not in text
    index = visible_text(client.get(reverse("admin:index")).content.decode())
    assert "登录尝试" in index and "登录防护" in index
    with translation.override("zh-hans"):
        assert str(Product.history.model._meta.verbose_name) == "商品（SPU）历史"


@pytest.mark.django_db
def test_stock_ledger_in_chinese_names_document_types(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = _chinese_client(User.objects.get(username="root"))
    ledger = visible_text(
        client.get(reverse("admin:inventory_stockmove_changelist")).content.decode()
    )
    reservations = visible_text(
        client.get(reverse("admin:inventory_reservation_changelist")).content.decode()
    )
    assert "采购收货" in ledger and "purchase_receipt" not in ledger
    assert "销售订单" in reservations and "sales_order" not in reservations


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "finance"])
def test_pages_in_chinese_show_no_english_for_manager_and_finance(world, settings, role):
    settings.LANGUAGE_CODE = "zh-hans"
    client = _chinese_client(world.users[role])
    pages = [reverse("staff:dashboard"), reverse("admin:index")]
    pages += [reverse("inventory:stock_overview"), reverse("inventory:low_stock")]
    pages += [reverse("purchasing:restock"), reverse("purchasing:candidates")]
    pages += [reverse("orders:order_list"), reverse("staff:role_matrix")]
    found = {}
    for url in pages:
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, url
        words = leftovers(response.content.decode())
        if words:
            found[url] = words
    assert found == {}


@pytest.mark.django_db
def test_role_matrix_names_page_permissions_in_chinese(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = _chinese_client(world.users["manager"]).get(reverse("staff:role_matrix"))
    text = visible_text(page.content.decode())
    assert "可查看角色矩阵" in text and "view_role_matrix" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "headers"), [("zh-hans", "zh"), ("en", "en")])
def test_export_form_defaults_to_the_headers_of_the_interface_language(
    admin_client, settings, language, headers
):
    settings.LANGUAGE_CODE = language
    page = admin_client.get(
        reverse("admin:catalog_sku_export"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert re.search(rf'<option value="{headers}" selected>', page)


def _sheet(data: bytes, name: str) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return list(book[name].iter_rows(values_only=True))


@pytest.mark.django_db
def test_chinese_header_export_writes_labels_and_attribute_names_and_imports_back_unchanged():
    product = ProductFactory(role=ProductRole.IMAGE, status=ProductStatus.LISTED)
    SKUFactory(product=product)
    audience = AttributeFactory(
        code="audience", name="适用人群", value_type=AttributeType.CHOICE, options=["成人", "儿童"]
    )
    catalog_services.attribute_value_set(attribute=audience, product=product, raw="儿童")
    # Two attributes of one name: their columns keep the codes, which name them apart.
    AttributeFactory(code="size_a", name="尺码")
    AttributeFactory(code="size_b", name="尺码")
    buffer = io.BytesIO()
    catalog_export(target=buffer, language="zh")

    header, row = _sheet(buffer.getvalue(), "商品")
    assert "属性:适用人群" in header and "属性:audience" not in header
    assert {"属性:size_a", "属性:size_b"} <= set(header)
    cells = dict(zip_longest(header, row))
    shown = (cells["产品角色"], cells["状态"], cells["属性:适用人群"])
    assert shown == ("形象产品", "已上架", "儿童")

    report = catalog_import(source=buffer.getvalue(), dry_run=True)
    assert (report.rows, report.changed, report.new) == (1, 0, 0)


@pytest.mark.django_db
def test_chinese_header_supplier_export_writes_labels_and_imports_back_unchanged():
    supplier = Supplier.objects.create(
        code="SUP-ZH", name="中文供应商", supplier_type=SupplierType.AGENT
    )
    SupplierOffer.objects.create(supplier=supplier, sku=SKUFactory(), unit_cost="12.5000")
    buffer = io.BytesIO()
    suppliers_export(target=buffer, language="zh")

    header, row = _sheet(buffer.getvalue(), "供应商")
    cells = dict(zip_longest(header, row))
    assert (cells["供应商类型"], cells["启用"]) == ("代理商", "是")
    offer_header, offer = _sheet(buffer.getvalue(), "供货")
    assert dict(zip_longest(offer_header, offer))["首选"] == "否"

    report = suppliers_import(source=buffer.getvalue(), dry_run=True)
    counts = {kind: (r.rows, r.new, r.changed) for kind, r in report.sheets.items()}
    assert counts == {"suppliers": (1, 0, 0), "offers": (1, 0, 0)}


@pytest.mark.django_db
def test_role_changes_and_groups_name_roles_by_their_labels_in_chinese(world, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = _chinese_client(User.objects.get(username="root"))
    changes = client.get(reverse("admin:staff_rolechange_changelist")).content.decode()
    groups = client.get(reverse("admin:auth_group_changelist")).content.decode()
    # Role codes double as user names in the world: look at the role filter and the cells.
    role_filter = changes[changes.index('id="changelist-filter"') :]
    assert "运营经理" in role_filter and ">manager<" not in role_filter.replace("\n", "")
    assert "运营经理" in visible_text(groups) and "manager" not in visible_text(groups)
