import pytest
from django.test import Client

from orders.enums import ChannelKind
from orders.models import Channel, Customer, Shop
from staff import services as staff_services
from tests.inventory.conftest import site  # noqa: F401  (the warehouse layout fixture)
from tests.orders.support import Shops


@pytest.fixture
def shops(site) -> Shops:  # noqa: F811
    """A Tmall shop and the staff desk, both shipping from the site's warehouse."""
    tmall = Channel.objects.create(code="TMALL", name="天猫", kind=ChannelKind.TMALL)
    own = Channel.objects.create(code="DIRECT", name="直销", kind=ChannelKind.DISTRIBUTOR)
    return Shops(
        site=site,
        tmall=Shop.objects.create(
            channel=tmall, code="TM1", name="天猫旗舰店", warehouse=site.warehouse
        ),
        desk=Shop.objects.create(
            channel=own, code="DESK", name="客服下单", warehouse=site.warehouse
        ),
        customer=Customer.objects.create(code="C001", name="张三"),
    )


@pytest.fixture
def as_role(db, settings):
    """A logged-in client per role, of the demo users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff_services.roles_sync()
    users = {u.username: u for u in staff_services.demo_users_create(password="x-Pw-4711-jx")}

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make
