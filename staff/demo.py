"""Demo data of the staff layer: one user per role, today's stored restock run, which the
purchaser's dashboard shows, this morning's e-mails of the daily subscriptions (restock to
the purchaser, low stock to the warehouse and the purchaser): under ``make run`` they are
files under ``var/mail/``; the merchandiser's decisions on the first floor of the shelf plan
(a pin shown, a pin waiting for stock, an exclusion); the stored product flow states and
the catalogue search's stored facts. ``seed_demo`` runs these hooks; staff comes after
every app."""

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone

from catalog.demo import DemoLogin
from catalog.enums import ProductRole, ProductStatus
from catalog.models import Category, Product
from inventory.selectors import products_available
from orders.demo_inquiries import seed_inquiries
from staff import flow, services, subscriptions
from staff.enums import ShelfPinKind, ShelfSlot
from staff.models import (
    MailDelivery,
    ProductFlowState,
    ProductSearchFacts,
    ProductSearchValue,
    ReportKind,
    ReportRun,
    ReportSubscription,
    ShelfPin,
)
from staff.reports import report_run
from staff.roles import Role
from staff.search_facts import search_facts_refresh


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    services.roles_sync()
    users = services.demo_users_create(password=settings.DEMO_PASSWORD)
    agents = _support_agents(users)
    today = timezone.localdate()
    report_run(ReportKind.RESTOCK, today)
    daily = ReportSubscription.objects.filter(
        is_active=True, kind__in=[ReportKind.RESTOCK, ReportKind.LOW_STOCK]
    )
    mails = sum(len(subscriptions.subscription_deliver(s.pk, today)) for s in daily)
    # The flow board and the structure table read stored states: compute them once now.
    flows = flow.flow_refresh()
    facts = search_facts_refresh()  # the catalogue search sorts and filters by them
    return {
        "product flow states": flows,
        "role users": len(users),
        "report runs": ReportRun.objects.count(),
        "report e-mails": mails,
        "search facts": facts,
        "shelf pins": _shelf_pins(),
    } | seed_inquiries(agents=agents, seed=seed)


# Two more customer-service agents (客服) beside the ``support`` user, for the inquiries'
# conversion per agent (咨询转化率); they are in the support group like it.
SUPPORT_AGENTS = [("kefu_li", "李", "娜"), ("kefu_zhou", "周", "敏")]


def _support_agents(users: list[User]) -> list[User]:
    support = next(user for user in users if user.username == Role.SUPPORT)
    support.last_name, support.first_name = "王", "芳"
    support.save(update_fields=["last_name", "first_name"])
    agents = [support]
    group = Group.objects.get(name=Role.SUPPORT)
    for username, last, first in SUPPORT_AGENTS:
        agent, created = User.objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "last_name": last, "first_name": first},
        )
        if created:
            agent.set_password(settings.DEMO_PASSWORD)
            agent.save()
        agent.groups.add(group)
        agents.append(agent)
    return agents


def _shelf_pins() -> int:
    """On the first floor of the shelf plan: a regular product with stock pinned to the
    featured slots, an image product without stock pinned to the banner (the page says it
    waits for stock), and a traffic driver excluded."""
    root = Category.objects.filter(level=0).order_by("tree_id").first()
    if root is None or ShelfPin.objects.exists():
        return ShelfPin.objects.count()
    listed = Product.objects.filter(
        status=ProductStatus.LISTED, category__tree_id=root.tree_id
    ).order_by("code")
    stock = products_available(listed)
    by_role: dict[tuple[str, bool], Product] = {}
    for product in listed:
        by_role.setdefault((product.role, product.pk in stock), product)
        by_role.setdefault(("any", product.pk in stock), product)
    if (ProductRole.IMAGE, False) not in by_role and ("any", False) in by_role:
        by_role[ProductRole.IMAGE, False] = by_role["any", False]
    merchandiser = User.objects.filter(username=Role.MERCHANDISER).first()
    decisions = [
        ((ProductRole.REGULAR, True), ShelfPinKind.PIN, ShelfSlot.FEATURED, "首页主推：当季爆款"),
        ((ProductRole.IMAGE, False), ShelfPinKind.PIN, ShelfSlot.BANNER, "到货后上横幅"),
        ((ProductRole.TRAFFIC, True), ShelfPinKind.EXCLUDE, "", "价格待核，暂不展示"),
    ]
    for key, kind, slot, note in decisions:
        if key in by_role:
            services.shelf_pin_set(
                product=by_role[key], kind=kind, slot=slot, note=note, user=merchandiser
            )
    return ShelfPin.objects.count()


def demo_reset() -> None:
    """Forget the stored report runs (their workbooks and e-mails), the shelf pins, the flow
    states and the search facts: they describe the old data."""
    ShelfPin.objects.all().delete()
    MailDelivery.objects.filter(run__isnull=False).delete()
    for run in ReportRun.objects.exclude(file=""):
        run.file.delete(save=False)
        run.data.delete(save=False)
    ReportRun.objects.all().delete()
    # Before the catalogue's raw deletes (hooks are reset in reverse order: staff first).
    ProductSearchValue.objects.all().delete()
    ProductSearchFacts.objects.all().delete()
    ProductFlowState.objects.all().delete()


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(value, str(label)) for value, label in Role.choices] + [
        DemoLogin(username, f"{Role.SUPPORT.label} {last}{first}")
        for username, last, first in SUPPORT_AGENTS
    ]
