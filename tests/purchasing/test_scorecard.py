"""Scorecard arithmetic: on-time, fill, quality, price variance and the weighted score."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from purchasing import selectors, services
from purchasing.models import PurchaseOrderLine
from tests.factories import SKUFactory
from tests.purchasing.support import at, offer, placed_order, supplier

pytestmark = pytest.mark.django_db


def test_the_scorecard_computes_each_rate_and_the_weighted_score(site, settings):
    settings.PURCHASING_SCORE_WEIGHTS = {"on_time": 40, "fill": 30, "quality": 20, "price": 10}
    maker = supplier("M1")
    a, b = SKUFactory(code="A"), SKUFactory(code="B")
    offer(a, maker, "10.00")
    offer(b, maker, "20.00")
    today = timezone.localdate()
    order = placed_order(
        maker,
        site.warehouse,
        [
            (a, 100, Decimal("10.00"), today - dt.timedelta(days=10)),
            (b, 50, Decimal("22.00"), today - dt.timedelta(days=10)),  # 10 % above the offer
        ],
        at=at(20),
    )
    line_a = order.lines.get(sku=a)
    line_b = order.lines.get(sku=b)
    # On time (day 12 before the expected day 10 ago), 80 received of which 8 rejected.
    services.purchase_order_receive(
        order=order,
        lines=[services.ReceiveLine(line_a, received=80, rejected=8, slot=site.pick_a)],
        received_at=at(12),
    )
    # Late: 40 of B, none rejected.
    services.purchase_order_receive(
        order=order,
        lines=[services.ReceiveLine(line_b, received=40, slot=site.pick_a)],
        received_at=at(5),
    )
    card = selectors.supplier_scorecards()[maker.pk]
    assert (card.receipt_lines, card.on_time_lines) == (2, 1)
    assert card.on_time_rate == 0.5
    assert card.fill_rate == pytest.approx((72 + 40) / 150)  # accepted ÷ ordered
    assert card.quality_rate == pytest.approx(1 - 8 / 120)
    # paid 72×10 + 40×22 = 1600 for offer cost 72×10 + 40×20 = 1520
    assert card.paid == Decimal("1600") and card.offered == Decimal("1520")
    assert card.price_variance == pytest.approx(80 / 1520)
    expected = 40 * 0.5 + 30 * (112 / 150) + 20 * (1 - 8 / 120) + 10 * (1 - 80 / 1520)
    assert card.score == round(expected, 1)


def test_rates_without_data_drop_out_and_the_rest_keep_their_proportions(site, settings):
    settings.PURCHASING_SCORE_WEIGHTS = {"on_time": 50, "fill": 30, "quality": 10, "price": 10}
    maker = supplier("M2")
    sku = SKUFactory()
    order = placed_order(
        maker,
        site.warehouse,
        [(sku, 10, Decimal("5"), timezone.localdate() - dt.timedelta(days=3))],
        at=at(9),
    )
    # A line due in the period with nothing received: fill 0, nothing else known.
    card = selectors.supplier_scorecards()[maker.pk]
    assert card.fill_rate == 0.0
    assert card.on_time_rate is card.quality_rate is card.price_variance is None
    assert card.score == 0.0
    services.purchase_order_receive(
        order=order,
        lines=[services.ReceiveLine(order.lines.get(), received=10, slot=site.pick_a)],
        received_at=at(1),
    )
    card = selectors.supplier_scorecards()[maker.pk]
    # late (0), fill 1, quality 1; no offer cost, so no price rate: (0·50 + 30 + 10) / 90
    assert card.score == round(40 / 90 * 100, 1)
    assert PurchaseOrderLine.objects.get().offer_unit_cost is None


def test_a_supplier_without_history_has_no_score():
    card = selectors.Scorecard(supplier_id=1, start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 1))
    assert card.score is None
