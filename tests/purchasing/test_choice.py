"""The supplier choice: rules in order, exclusions, ties, and the reasons in words."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from purchasing import selectors
from purchasing.enums import SupplierType
from tests.factories import SKUFactory
from tests.purchasing.support import offer, supplier

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def facts(code, **kwargs) -> selectors.OfferFacts:
    values = {
        "offer_id": kwargs.pop("offer_id", hash(code) % 10_000),
        "sku_id": 1,
        "supplier_id": hash(code) % 1000,
        "supplier_code": code,
        "supplier_name": f"供应商{code}",
        "supplier_type": SupplierType.WHOLESALER,
        "supplier_active": True,
        "is_preferred": False,
        "unit_cost": Decimal("10.00"),
        "min_order_quantity": 1,
        "pack_multiple": 1,
        "lead_time_days": 7,
        "valid_from": TODAY - dt.timedelta(days=30),
        "valid_to": None,
        "score": 80.0,
    }
    values.update(kwargs)
    return selectors.OfferFacts(**values)


def choose(*offers, quantity=10, **kwargs):
    return selectors.choose_from_facts(offers, sku_id=1, quantity=quantity, on=TODAY, **kwargs)


def test_the_preferred_offer_wins_over_a_cheaper_manufacturer():
    choice = choose(
        facts("A", supplier_type=SupplierType.MANUFACTURER, unit_cost=Decimal("5")),
        facts("B", is_preferred=True, supplier_type=SupplierType.TRADING_COMPANY),
    )
    assert choice.chosen.facts.supplier_code == "B"
    assert choice.chosen.reasons[0].startswith("Chosen B 供应商B: preferred offer")
    assert choice.others[0].reasons == ["A 供应商A: not the preferred offer"]


def test_supplier_type_decides_before_score_and_cost():
    choice = choose(
        facts("A", supplier_type=SupplierType.AGENT, score=99.0, unit_cost=Decimal("1")),
        facts("B", supplier_type=SupplierType.MANUFACTURER, score=61.0),
        facts("C", supplier_type=SupplierType.TRADING_COMPANY),
    )
    assert [choice.chosen.facts.supplier_code, *(o.facts.supplier_code for o in choice.others)] == [
        "B",
        "A",
        "C",
    ]
    assert choice.others[0].reasons == [
        "A 供应商A: the type Agent (代理商) ranks after Manufacturer (制造商)"
    ]


def test_the_type_order_is_a_setting(settings):
    settings.PURCHASING_SUPPLIER_TYPE_ORDER = [
        "trading_company",
        "wholesaler",
        "agent",
        "manufacturer",
    ]
    choice = choose(
        facts("A", supplier_type=SupplierType.MANUFACTURER),
        facts("B", supplier_type=SupplierType.TRADING_COMPANY),
    )
    assert choice.chosen.facts.supplier_code == "B"


def test_a_higher_score_wins_then_a_scored_supplier_beats_an_unscored_one():
    choice = choose(facts("A", score=70.0), facts("B", score=90.0), facts("C", score=None))
    assert choice.chosen.facts.supplier_code == "B"
    assert choice.others[0].reasons == ["A 供应商A: score 70.0, lower than 90.0"]
    assert choice.others[1].reasons == ["C 供应商C: score no scorecard yet, lower than 90.0"]


def test_cost_is_compared_at_the_quantity_minimum_order_and_pack_included():
    cheap_but_big = facts("A", unit_cost=Decimal("8.00"), min_order_quantity=100)
    dearer = facts("B", unit_cost=Decimal("9.00"))
    small = choose(cheap_but_big, dearer, quantity=20)
    assert small.chosen.facts.supplier_code == "B"  # A: 100 × 8 = 800 for 20 needed
    # The reason states the unit costs as offered and what each order takes, not the order's
    # cost spread over the units needed (which read like a unit cost of 40.00).
    assert small.others[0].reasons == [
        "A 供应商A: costs more for 20 units needed: 100 units × 8.00 = 800.00, against "
        "20 units × 9.00 = 180.00"
    ]
    large = choose(cheap_but_big, dearer, quantity=100)
    assert large.chosen.facts.supplier_code == "A"
    packed = choose(facts("A", unit_cost=Decimal("8.00"), pack_multiple=12), dearer, quantity=13)
    assert packed.chosen.facts.supplier_code == "B"  # A: 24 × 8 = 192 > 13 × 9 = 117
    assert packed.others[0].facts.order_quantity(13) == 24


def test_lead_time_breaks_an_equal_cost():
    choice = choose(facts("A", lead_time_days=14), facts("B", lead_time_days=5))
    assert choice.chosen.facts.supplier_code == "B"
    assert choice.others[0].reasons == ["A 供应商A: lead time 14 days, longer than 5"]


def test_a_full_tie_goes_to_the_first_supplier_code_whatever_the_input_order():
    first = choose(facts("ZETA", offer_id=1), facts("ALFA", offer_id=2))
    second = choose(facts("ALFA", offer_id=2), facts("ZETA", offer_id=1))
    assert first.chosen.facts.supplier_code == second.chosen.facts.supplier_code == "ALFA"
    assert first.others[0].reasons == [
        "ZETA 供应商ZETA: equal on every rule (preferred, type, score, cost, lead time); the "
        "tie goes to the first supplier code, ALFA"
    ]


def test_expired_future_inactive_and_low_scoring_offers_are_excluded_with_the_reason():
    choice = choose(
        facts("A", valid_to=TODAY - dt.timedelta(days=1), is_preferred=True),
        facts("B", valid_from=TODAY + dt.timedelta(days=3)),
        facts("C", supplier_active=False),
        facts("D", score=59.9),
        facts("E", score=60.0, unit_cost=Decimal("99")),
    )
    assert choice.chosen.facts.supplier_code == "E"
    assert [v.reasons[0] for v in choice.excluded] == [
        "A 供应商A: the offer expired on 2026-05-31",
        "B 供应商B: the offer is valid only from 2026-06-04",
        "C 供应商C: the supplier is inactive",
        "D 供应商D: scorecard 59.9 is below the minimum 60.0",
    ]


def test_no_eligible_offer_chooses_nothing_and_says_why():
    choice = choose(facts("A", valid_to=TODAY - dt.timedelta(days=10)))
    assert choice.chosen is None
    assert choice.reasons == ["A 供应商A: the offer expired on 2026-05-22"]


def test_reasons_leave_costs_out_for_whom_may_not_see_them():
    choice = choose(
        facts("A", unit_cost=Decimal("12.34")),
        facts("B", unit_cost=Decimal("11.11")),
        with_costs=False,
    )
    assert "11.11" not in choice.summary and "12.34" not in choice.summary
    assert "A 供应商A: costs more at 10 units" in choice.summary


def test_supplier_choose_reads_offers_and_scores_from_the_database():
    sku = SKUFactory()
    maker = supplier("M1", SupplierType.MANUFACTURER)
    trader = supplier("T1", SupplierType.TRADING_COMPANY)
    offer(sku, trader, "8.00")
    offer(sku, maker, "9.50")
    offer(
        sku,
        maker,
        "7.00",
        valid_from=timezone.localdate() - dt.timedelta(days=900),
        valid_to=timezone.localdate() - dt.timedelta(days=401),
    )
    choice = selectors.supplier_choose(sku=sku, quantity=5)
    assert choice.chosen.facts.supplier_code == "M1"
    assert choice.chosen.facts.unit_cost == Decimal("9.50")
    assert "T1" in choice.others[0].reasons[0]
    assert "expired" in choice.excluded[0].reasons[0]


def test_an_offer_keeps_the_history_of_its_unit_cost():
    sku = SKUFactory()
    current = offer(sku, supplier("H1"), "10.00")
    current.unit_cost = Decimal("10.80")
    current.save()
    assert [h.unit_cost for h in current.history.order_by("history_id")] == [
        Decimal("10.00"),
        Decimal("10.80"),
    ]


def test_the_settings_checks_refuse_weights_that_do_not_add_up_to_100(settings):
    from purchasing.checks import check_purchasing_settings

    assert check_purchasing_settings() == []
    settings.PURCHASING_SCORE_WEIGHTS = {"on_time": 50, "fill": 30, "quality": 20, "price": 10}
    assert [e.id for e in check_purchasing_settings()] == ["purchasing.E002"]
    settings.PURCHASING_SCORE_WEIGHTS = {"on_time": 100}
    assert [e.id for e in check_purchasing_settings()] == ["purchasing.E001"]
    settings.PURCHASING_SUPPLIER_TYPE_ORDER = ["manufacturer", "agent"]
    settings.PURCHASING_SERVICE_LEVELS = {"traffic": 1.5, "regular": 0.95, "image": 0.9}
    assert [e.id for e in check_purchasing_settings()] == [
        "purchasing.E001",
        "purchasing.E003",
        "purchasing.E004",
    ]
