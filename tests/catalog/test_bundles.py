"""Bundles (组合装): components, the rules they follow, and the cost they add up to."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from catalog import services
from catalog.exceptions import BundleInvalid
from catalog.models import SKU, BundleComponent
from catalog.selectors import bundle_cost, bundles_cost
from tests.factories import SKUFactory


@pytest.mark.django_db
def test_bundle_components_are_stored_and_the_sku_becomes_a_bundle():
    bundle, tea, cup = SKUFactory(), SKUFactory(), SKUFactory()

    services.bundle_set_components(bundle=bundle, components=[(tea, 2), (cup, 1)])

    assert SKU.objects.get(pk=bundle.pk).is_bundle
    assert bundle.is_bundle
    assert {(c.component, c.quantity) for c in bundle.components.all()} == {(tea, 2), (cup, 1)}


@pytest.mark.django_db
def test_setting_components_again_replaces_them():
    bundle, tea, cup = SKUFactory(), SKUFactory(), SKUFactory()
    services.bundle_set_components(bundle=bundle, components=[(tea, 2), (cup, 1)])

    services.bundle_set_components(bundle=bundle, components=[(cup, 3)])

    assert [(c.component, c.quantity) for c in bundle.components.all()] == [(cup, 3)]


@pytest.mark.django_db
def test_bundle_cost_is_the_sum_of_component_cost_times_quantity():
    bundle = SKUFactory()
    tea = SKUFactory(cost_price=Decimal("12.50"))
    cup = SKUFactory(cost_price=Decimal("3.20"))
    services.bundle_set_components(bundle=bundle, components=[(tea, 2), (cup, 3)])

    assert bundle_cost(bundle=bundle) == Decimal("34.60")


@pytest.mark.django_db
def test_bundle_cost_is_unknown_when_a_component_has_no_cost():
    bundle = SKUFactory()
    tea = SKUFactory(cost_price=Decimal("12.50"))
    cup = SKUFactory(cost_price=None)
    services.bundle_set_components(bundle=bundle, components=[(tea, 2), (cup, 3)])

    assert bundle_cost(bundle=bundle) is None


@pytest.mark.django_db
def test_a_sku_that_is_not_a_bundle_has_no_bundle_cost():
    assert bundle_cost(bundle=SKUFactory(cost_price=Decimal("5"))) is None


@pytest.mark.django_db
def test_costs_of_many_bundles_take_one_query(django_assert_num_queries):
    tea = SKUFactory(cost_price=Decimal("10"))
    cup = SKUFactory(cost_price=None)
    priced, unpriced, plain = SKUFactory(), SKUFactory(), SKUFactory()
    services.bundle_set_components(bundle=priced, components=[(tea, 3)])
    services.bundle_set_components(bundle=unpriced, components=[(tea, 1), (cup, 1)])

    with django_assert_num_queries(1):
        costs = bundles_cost(bundles=[priced, unpriced, plain])

    assert costs == {priced.pk: Decimal("30"), unpriced.pk: None, plain.pk: None}


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -1])
def test_a_component_quantity_below_one_is_refused(quantity):
    bundle, tea = SKUFactory(), SKUFactory(code="TEA")

    with pytest.raises(BundleInvalid) as error:
        services.bundle_set_components(bundle=bundle, components=[(tea, quantity)])

    assert str(error.value) == "TEA: quantity must be at least 1."
    assert not BundleComponent.objects.exists()


@pytest.mark.django_db
def test_a_bundle_cannot_contain_itself():
    bundle = SKUFactory(code="GIFT")

    with pytest.raises(BundleInvalid) as error:
        services.bundle_set_components(bundle=bundle, components=[(bundle, 1)])

    assert str(error.value) == "GIFT cannot contain itself."


@pytest.mark.django_db
def test_a_bundle_cannot_contain_another_bundle():
    inner, outer, tea = SKUFactory(code="INNER"), SKUFactory(), SKUFactory()
    services.bundle_set_components(bundle=inner, components=[(tea, 1)])

    with pytest.raises(BundleInvalid) as error:
        services.bundle_set_components(bundle=outer, components=[(inner, 1)])

    assert str(error.value) == "INNER is itself a bundle; add its components instead."


@pytest.mark.django_db
def test_a_stale_instance_does_not_hide_that_a_component_became_a_bundle():
    inner, outer, tea = SKUFactory(code="INNER"), SKUFactory(), SKUFactory()
    stale_inner = SKU.objects.get(pk=inner.pk)
    services.bundle_set_components(bundle=inner, components=[(tea, 1)])

    with pytest.raises(BundleInvalid, match="INNER is itself a bundle"):
        services.bundle_set_components(bundle=outer, components=[(stale_inner, 1)])


@pytest.mark.django_db
def test_a_component_of_a_bundle_cannot_become_a_bundle():
    outer, tea, cup = SKUFactory(code="OUTER"), SKUFactory(code="TEA"), SKUFactory()
    services.bundle_set_components(bundle=outer, components=[(tea, 1)])

    with pytest.raises(BundleInvalid) as error:
        services.bundle_set_components(bundle=tea, components=[(cup, 1)])

    assert str(error.value) == "TEA is a component of OUTER; a bundle cannot go into a bundle."
    assert not SKU.objects.get(pk=tea.pk).is_bundle


@pytest.mark.django_db
def test_every_problem_is_named_at_once_and_nothing_is_stored():
    bundle, tea = SKUFactory(code="GIFT"), SKUFactory(code="TEA")

    with pytest.raises(BundleInvalid) as error:
        services.bundle_set_components(bundle=bundle, components=[(tea, 1), (tea, 0)])

    assert str(error.value) == "TEA: quantity must be at least 1. TEA is listed twice."
    assert not SKU.objects.get(pk=bundle.pk).is_bundle


@pytest.mark.django_db
def test_a_bundle_needs_a_component():
    with pytest.raises(BundleInvalid, match="at least one component"):
        services.bundle_set_components(bundle=SKUFactory(), components=[])


@pytest.mark.django_db
def test_full_clean_and_the_database_refuse_a_bundle_that_contains_itself():
    bundle = SKUFactory()

    own = BundleComponent(bundle=bundle, component=bundle, quantity=1)
    with pytest.raises(ValidationError) as error:
        own.full_clean()
    assert error.value.messages == ["A bundle cannot contain itself."]
    with pytest.raises(IntegrityError, match="catalog_bundle_not_own_component"):
        own.save()


@pytest.mark.django_db
def test_full_clean_and_the_database_refuse_a_zero_quantity():
    bundle, tea = SKUFactory(), SKUFactory()

    with pytest.raises(ValidationError) as error:
        BundleComponent(bundle=bundle, component=tea, quantity=0).full_clean()
    assert error.value.message_dict == {"quantity": ["Component quantity must be at least 1."]}
    with pytest.raises(IntegrityError, match="catalog_bundle_component_quantity_positive"):
        BundleComponent.objects.create(bundle=bundle, component=tea, quantity=0)
