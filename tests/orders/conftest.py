import pytest

from orders.enums import ChannelKind
from orders.models import Channel, Customer, Shop
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
