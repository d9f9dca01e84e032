"""A small world for the role tests: one object of every model the admin shows, carrying
distinctive sensitive values to look for in what each role is served."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from catalog import services as catalog_services
from catalog.enums import AttributeUse
from catalog.models import SKU, Product
from finance import services as finance_services
from finance.services import receivables
from inventory import services as inventory_services
from inventory.enums import SlotType
from orders import services as order_services
from orders.enums import ChannelKind, OrderSource, ReturnDisposition, ReturnReason
from orders.models import (
    Channel,
    Customer,
    Inquiry,
    Promotion,
    PromotionItem,
    PromotionSpend,
    Review,
    SalesOrder,
    Shop,
    ShopTraffic,
)
from purchasing import services as purchasing_services
from purchasing.enums import SupplierType
from purchasing.models import Supplier, SupplierOffer
from staff import services as staff_services
from staff.models import (
    MailDelivery,
    ReportKind,
    ReportRun,
    ReportSubscription,
    RunStatus,
    ShelfPin,
)
from staff.roles import FINANCE, MANAGER, PURCHASER, SENSITIVE, VIEW_COST
from tests.factories import (
    AttributeFactory,
    BrandFactory,
    SKUFactory,
    SlotFactory,
    WarehouseFactory,
    leaf_category,
)

PASSWORD = "jingxi-test-Pw-4711"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
COST = Decimal("987.65")
BUNDLE_COST = Decimal("1975.30")  # two units of the SKU that costs 987.65
# How a cost could appear in a page, a JSON answer or an exported file.
SENSITIVE_TEXTS = ("987.65", "987,65", "1975.3", "1975,3")
COST_ROLES = next(s.roles for s in SENSITIVE if s.permission == VIEW_COST)


def attribute_marker(use: str, owner: str) -> str:
    """Return the distinctive value of the ``use`` attribute on the product or the SKU."""
    return f"VAL-{use.upper()}-{owner.upper()}-4711"


def leaks(text: str) -> list[str]:
    """Return the sensitive texts found in ``text``."""
    return [marker for marker in SENSITIVE_TEXTS if marker in text]


def role_users() -> dict[str, User]:
    """Sync the role groups from the matrix and return one user per role, named after it."""
    staff_services.roles_sync()
    return {u.username: u for u in staff_services.demo_users_create(password=PASSWORD)}


@dataclass
class World:
    users: dict[str, User]
    product: Product
    sku: SKU  # cost price 987.65, a lot and stock moves at 987.65
    bundle: SKU  # two of ``sku``: bundle cost 1975.30
    objects: dict[type[Model], Model] = field(default_factory=dict)


WORLD_REPORT_FILE = "reports/world-restock.xlsx"


def write_world_report_file(media_root) -> None:
    """Write the world's restock run's workbook (an empty sheet) under ``media_root``."""
    from workbooks.xlsx import XlsxBook

    path = Path(media_root) / WORLD_REPORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    book = XlsxBook(path)
    book.add_sheet("restock", ["SKU"], [])
    book.close()


def build_world() -> World:
    """Create the role users and at least one object of every model registered in the admin."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        users = role_users()
        User.objects.create_superuser("root", "root@jingxi.local", "root-Pw-4711-x")

    category = leaf_category()
    product = catalog_services.product_create(
        code="P-WORLD",
        name="世界商品",
        category=category,
        brand=BrandFactory(name="世界品牌"),
        selling_points=["卖点一: 轻", "卖点二: 快"],
    )
    sku = SKUFactory(
        product=product,
        code="S-WORLD",
        retail_price=Decimal("1111.11"),
        distribution_price=Decimal("1050.00"),
        cost_price=COST,
        weight_g=1234,
    )
    # A price change, so that the SKU's history has a diff that names the cost.
    sku.retail_price = Decimal("1199.00")
    sku.save()
    bundle = SKUFactory(product=product, code="S-WORLD-BUNDLE", retail_price=Decimal("2222.00"))
    catalog_services.bundle_set_components(bundle=bundle, components=[(sku, 2)])
    bundle.refresh_from_db()

    for use in AttributeUse.values:
        attribute = AttributeFactory(
            code=f"world_{use}", name=f"世界属性 {use}", **{f"use_{use}": True}
        )
        for owner in ("product", "sku"):
            catalog_services.attribute_value_set(
                attribute=attribute,
                raw=attribute_marker(use, owner),
                **({"product": product} if owner == "product" else {"sku": sku}),
            )

    warehouse = WarehouseFactory(code="W-WORLD", name="世界仓")
    slot = SlotFactory(warehouse=warehouse, code="A-01-01-1")
    inventory_services.stock_receive(
        slot=slot,
        lines=[inventory_services.ReceiptLine(sku=sku, quantity=10, unit_cost=COST)],
        source_reference="PO-WORLD",
        user=users[MANAGER],
    )
    line = inventory_services.StockLine(sku=sku, quantity=1, reference_type="order")
    inventory_services.stock_reserve(warehouse=warehouse, lines=[line])
    inventory_services.stock_lock(warehouse=warehouse, lines=[line], reason="大促")
    world_orders(warehouse=warehouse, sku=sku, user=users[MANAGER])
    world_receivables(sku=sku, user=users[MANAGER])

    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="3")
    SolarSchedule.objects.create(event="sunrise", latitude="31.23", longitude="121.47")
    ClockedSchedule.objects.create(clocked_time=timezone.now() + dt.timedelta(days=1))
    PeriodicTask.objects.create(name="world task", task="catalog.tasks.noop", interval=interval)

    access = {"user_agent": "pytest", "ip_address": "10.0.0.9", "username": "nobody"}
    access |= {"http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**access)
    AccessFailureLog.objects.create(**access)
    MailDelivery.objects.create(
        key="world", recipients=["manager@jingxi.local"], subject="世界报表"
    )
    # A done restock run; its workbook is written by ``world_report_file`` per test (each
    # test has a media folder of its own).
    ReportRun.objects.create(
        kind=ReportKind.RESTOCK,
        as_of=dt.date(2026, 3, 10),
        status=RunStatus.DONE,
        rows=0,
        summary={"count": 0, "rows": []},
        file=WORLD_REPORT_FILE,
    )
    world_subscription = ReportSubscription.objects.create(
        name="世界补货订阅",
        kind=ReportKind.RESTOCK,
        crontab=CrontabSchedule.objects.create(minute="0", hour="7"),
    )
    world_subscription.roles.set(Group.objects.filter(name="purchaser"))

    # Purchasing: an offer and an order line at the world's cost, received with a rejection.
    supplier = Supplier.objects.create(
        code="SUP-WORLD", name="世界供应商", supplier_type=SupplierType.MANUFACTURER
    )
    SupplierOffer.objects.create(
        supplier=supplier,
        sku=sku,
        unit_cost=COST,
        valid_from=timezone.localdate() - dt.timedelta(days=30),
    )
    order = purchasing_services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[
            purchasing_services.OrderLineInput(
                sku=sku, quantity=5, expected_date=timezone.localdate() - dt.timedelta(days=1)
            )
        ],
        user=users[PURCHASER],
    )
    purchasing_services.purchase_order_place(order=order)
    purchasing_services.purchase_order_receive(
        order=order,
        lines=[
            purchasing_services.ReceiveLine(
                order_line=order.lines.get(), received=3, rejected=1, slot=slot
            )
        ],
    )

    # Payables: the receipt billed (2 accepted × 987.65), approved and paid in part.
    bill = finance_services.bill_draft_from_receipts(purchase_order=order, user=users[FINANCE])
    finance_services.bill_approve(bill=bill, user=users[FINANCE])
    finance_services.supplier_payment_record(
        bill=bill, amount=Decimal("100.00"), paid_on=bill.billed_on, user=users[FINANCE]
    )

    # The shelf plan: the world's product pinned to the featured slots.
    ShelfPin.objects.create(
        product=product, kind="pin", slot="featured", note="世界主推", created_by=users[MANAGER]
    )

    world = World(users=users, product=product, sku=sku, bundle=bundle)
    for model in admin.site._registry:
        preferred = {Product: product, SKU: sku}.get(model)
        world.objects[model] = preferred or model._default_manager.order_by("pk").first()
    return world


def world_orders(*, warehouse, sku, user) -> None:
    """A shipped and returned channel order of the SKU: its line's COGS is 987.65."""
    SlotFactory(warehouse=warehouse, code="P-01-01-1", zone="P", slot_type=SlotType.PACKING)
    SlotFactory(warehouse=warehouse, code="T-01-01-1", zone="T", slot_type=SlotType.RETURNS)
    channel = Channel.objects.create(code="WORLD", name="世界渠道", kind=ChannelKind.TMALL)
    shop = Shop.objects.create(channel=channel, code="W1", name="世界店", warehouse=warehouse)
    customer = Customer.objects.create(
        code="C-WORLD", name="世界客户", credit_limit=Decimal("50000.00"), payment_days=30
    )
    order = order_services.order_place(
        shop=shop,
        number="TB-WORLD-1",
        source=OrderSource.CHANNEL,
        customer=customer,
        paid_at=timezone.now(),
        lines=[order_services.OrderLineInput(quantity=1, sku=sku)],
        user=user,
    )
    order_services.wave_pick(warehouse=warehouse, orders=[order])
    order_services.packing_check(order=order, barcodes=["0000000000000"])  # a catch
    order_services.packing_check(order=order, barcodes=[sku.barcode])
    order_services.order_ship(order=order, carrier="顺丰", tracking_number="SF-WORLD")
    order_services.return_create(
        order=order,
        lines=[
            order_services.ReturnLineInput(
                order_line=order.lines.get(),
                quantity=1,
                reason=ReturnReason.WRONG_ITEM,
                disposition=ReturnDisposition.RESTOCK,
                refund_amount=Decimal("1199.00"),
            )
        ],
        user=user,
    )
    # The buyer's review (点评) of the line.
    Review.objects.create(line=order.lines.get(), score=2, text="质量一般")
    order_services.listing_upsert(shop=shop, platform_sku_code="WORLD-UNMATCHED", title="未对应")
    # A campaign of the channel running today (after the order: its price stays retail).
    campaign = Promotion.objects.create(
        name="世界大促",
        channel=channel,
        starts_on=timezone.localdate() - dt.timedelta(days=1),
        ends_on=timezone.localdate() + dt.timedelta(days=1),
    )
    PromotionItem.objects.create(promotion=campaign, sku=sku, price=Decimal("999.00"))
    PromotionSpend.objects.create(promotion=campaign, kind="ads", amount=Decimal("300.00"))
    # Yesterday's visitors of the shop (访客数), for the KPI page's GMV split.
    ShopTraffic.objects.create(
        shop=shop, day=timezone.localdate() - dt.timedelta(days=1), visitors=1234
    )
    # An inquiry (咨询) of the order's customer about its SKU, an hour before the order.
    inquiry = Inquiry.objects.create(
        shop=shop,
        customer=order.customer,
        asked_at=order.placed_at - dt.timedelta(hours=1),
        agent=user,
        question="世界商品有现货吗？",
    )
    inquiry.skus.set([sku])
    order_services.inquiries_link_orders(inquiry_ids=[inquiry.pk])


def world_receivables(*, sku, user) -> None:
    """Receivables of the world's credit customer: the returned order invoiced and its refund
    credited; a second order, on credit, shipped, invoiced and partly paid."""
    order = SalesOrder.objects.get(number="TB-WORLD-1")
    SalesOrder.objects.filter(pk=order.pk).update(on_credit=True)
    second = order_services.order_place(
        shop=order.shop,
        customer=order.customer,
        lines=[order_services.OrderLineInput(quantity=1, sku=sku)],
        user=user,
    )
    order_services.wave_pick(warehouse=second.warehouse, orders=[second])
    order_services.packing_check(order=second, barcodes=[sku.barcode])
    order_services.order_ship(order=second, carrier="顺丰", tracking_number="SF-WORLD-2")
    receivables.invoices_issue()
    receivables.credit_note_from_return(rma=order.returns.get(), user=user)
    receivables.payment_record(
        invoice=second.invoice,
        amount=Decimal("100.00"),
        received_on=timezone.localdate(),
        user=user,
    )


def admin_form_data(response) -> dict:
    """Return what a browser would post back, unchanged, for the admin form in ``response``."""
    data = {}

    def add(form):
        for name, formfield in form.fields.items():
            bound = form[name]
            widget = formfield.widget
            value = bound.value()
            if formfield.disabled or isinstance(widget, forms.FileInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(widget, forms.MultiWidget):
                parts = value if isinstance(value, list) else widget.decompress(value)
                for index, part in enumerate(parts):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def default_subscriptions() -> None:
    """Make the default report subscriptions as the migration does, unless they exist (a
    transactional test before this one may have emptied the tables)."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from staff.models import ReportSubscription

    if ReportSubscription.objects.exists():
        return
    migration = importlib.import_module("staff.migrations.0006_default_subscriptions")
    migration.create(apps, SimpleNamespace(connection=connection))
