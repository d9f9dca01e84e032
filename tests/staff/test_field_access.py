"""``FieldAccessMixin`` hides a sensitive field however the admin that uses it is written."""

from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from catalog.access import VIEW_COST, FieldAccessMixin
from catalog.models import SKU
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


class CostForm(forms.ModelForm):
    cost_price = forms.DecimalField(required=False)  # declared: no model field to exclude

    class Meta:
        model = SKU
        fields = ["code", "name", "retail_price", "cost_price"]


class OtherMixin:
    def get_readonly_fields(self, request, obj=None):
        return ["code", "cost_price"]


class CarelessSKUAdmin(OtherMixin, FieldAccessMixin, admin.ModelAdmin):
    """Hooks of its own that never call super(), and the mixin in the middle of the bases."""

    form = CostForm
    sensitive_fields = {"cost_price": VIEW_COST}
    list_display = ["code", "cost_price"]
    list_filter = ["is_active", "cost_price", ("cost_price", admin.EmptyFieldListFilter)]
    search_fields = ["code", "=cost_price"]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["code", ("retail_price", "cost_price")]}),
            ("x", {"fields": ["cost_price"]}),
        ]


@pytest.fixture
def model_admin():
    return CarelessSKUAdmin(SKU, admin.AdminSite())


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_every_hook_drops_the_field_for_a_user_without_the_permission(users, model_admin):
    request = request_as(users["warehouse"])
    assert model_admin.get_fieldsets(request) == [(None, {"fields": ["code", ("retail_price",)]})]
    assert model_admin.get_readonly_fields(request) == ["code"]
    assert model_admin.get_list_display(request) == ["code"]
    assert model_admin.get_list_filter(request) == ["is_active"]
    assert model_admin.get_search_fields(request) == ["code"]
    assert not model_admin.lookup_allowed("cost_price__gte", "1", request)
    form = model_admin.get_form(request, fields=["code", "cost_price"])
    assert "cost_price" not in form.base_fields
    assert "cost_price" in CostForm.base_fields  # the admin's own form class is untouched


def test_a_user_with_the_permission_gets_every_hook_unchanged(users, model_admin):
    request = request_as(users["finance"])
    assert model_admin.get_readonly_fields(request) == ["code", "cost_price"]
    assert model_admin.get_list_display(request) == ["code", "cost_price"]
    assert model_admin.get_search_fields(request) == ["code", "=cost_price"]
    assert model_admin.lookup_allowed("cost_price__gte", "1", request)


def test_a_hidden_field_keeps_its_value_when_the_form_is_saved(users, model_admin):
    sku = SKUFactory(cost_price=Decimal("987.65"))
    request = request_as(users["warehouse"])
    form_class = model_admin.get_form(request, sku, fields=["name", "cost_price"])
    form = form_class({"name": "新名字", "cost_price": "1.00"}, instance=sku)
    assert form.is_valid(), form.errors
    form.save()
    sku.refresh_from_db()
    assert (sku.name, sku.cost_price) == ("新名字", Decimal("987.65"))
