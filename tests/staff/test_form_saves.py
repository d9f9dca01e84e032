"""Every admin form saves for every role that may save it.

For each model registered in the admin (a model registered later is covered by itself) and
each role the matrix lets change it, the change page of a real object is opened, the form is
read from the page's HTML as a browser reads it (hidden inputs, inline management forms and
rows, selected options, checked boxes; read-only fields are text, so they are not posted),
one field the role may edit is changed, and the form is posted back. The answer must be a
redirect, and the change must be in the database. Add pages are posted the same way for the
roles that may add, filled from the change page of the existing object with new codes.

The world (``tests.staff.support.build_world``) has a SKU with attribute values of every use,
a bundle, a product with selling points, stock, purchase and sales orders.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models, transaction
from django.test import RequestFactory
from django.urls import reverse

from orders.models import Review
from purchasing import services as purchasing_services
from purchasing.models import PurchaseOrder, PurchaseOrderLine
from staff.roles import MODEL_ACCESS, Role
from tests.factories import ProductFactory, ean13
from tests.staff.support import build_world

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def _pairs(letter: str) -> list:
    """Return (role, label) for every role the matrix gives ``letter`` on a registered model
    whose admin offers that action at all (ledgers and logs change nothing, whoever asks)."""
    everyone = _superuser_request()
    pairs = []
    for model in REGISTERED:
        model_admin = admin.site._registry[model]
        offered = (
            model_admin.has_change_permission(everyone)
            if letter == "c"
            else model_admin.has_add_permission(everyone)
        )
        if not offered:
            continue
        label = model._meta.label_lower
        for role in Role.values:
            if letter in MODEL_ACCESS.get(label, {}).get(role, ""):
                pairs.append(pytest.param(role, label, id=f"{role}-{label}"))
    return pairs


CHANGE_PAIRS = _pairs("c")
# Sales orders are added on the order page (``orders:order_new``, tests/orders/test_pages.py),
# not with a model form.
CUSTOM_ADD_PAGES = {"orders.salesorder"}
ADD_PAIRS = [p for p in _pairs("a") if p.values[1] not in CUSTOM_ADD_PAGES]

# Edits tried first, where the role may make them: the (a purchaser sets the cost of
# a SKU) and fields whose text has a syntax. Other models change a name, a note or a number.
EXACT_CHANGES = {
    "catalog.sku": [("cost_price", "12.34", Decimal("12.34"))],
    "django_celery_beat.crontabschedule": [("hour", "4", "4")],
}
PREFERRED_CHANGES = {
    "catalog.sku": ["retail_price", "warning_level"],
    "catalog.product": ["name", "description"],
}
GENERIC_NAMES = ["name", "title", "description", "note", "notes", "remark", "reason", "text"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        # The world's purchase order is received: its lines are changed on a draft order.
        order = world.objects[PurchaseOrder]
        draft = purchasing_services.purchase_order_create(
            supplier=order.supplier,
            warehouse=order.warehouse,
            lines=[purchasing_services.OrderLineInput(sku=world.sku, quantity=4)],
            user=world.users["purchaser"],
        )
        world.objects[PurchaseOrderLine] = draft.lines.get()
        yield world
        transaction.set_rollback(True)


# --- Reading a form as a browser does -------------------------------------------------


class BrowserForm(HTMLParser):
    """Collect the name/value pairs a browser submits for the form with ``form_id``."""

    SKIPPED_INPUTS = {"submit", "button", "reset", "image", "file"}

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        disabled = "disabled" in attrs
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            name = attrs.get("name")
            if not name or disabled or kind in self.SKIPPED_INPUTS:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.pairs.append((name, attrs.get("value") or "on"))
            else:
                self.pairs.append((name, attrs.get("value") or ""))
        elif tag == "select":
            self._select = {
                "name": None if disabled else attrs.get("name"),
                "multiple": "multiple" in attrs,
                "options": [],
            }
        elif tag == "option" and self._select is not None:
            self._option = {
                "value": attrs.get("value"),
                "text": "",
                "selected": "selected" in attrs,
                "disabled": disabled,
            }
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"name": None if disabled else attrs.get("name"), "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            self._close_select()
        elif tag == "textarea" and self._textarea is not None:
            if self._textarea["name"]:
                # HTML drops one newline right after <textarea>; Django writes one there.
                text = self._textarea["text"]
                self.pairs.append((self._textarea["name"], text.removeprefix("\n")))
            self._textarea = None

    def _close_select(self):
        select, self._select = self._select, None
        if not select["name"]:
            return

        def value(option):
            return option["value"] if option["value"] is not None else option["text"].strip()

        chosen = [o for o in select["options"] if o["selected"]]
        if not chosen and not select["multiple"]:
            # A single select without a selected option submits its first enabled option.
            chosen = [o for o in select["options"] if not o["disabled"]][:1]
        if not select["multiple"]:
            chosen = chosen[-1:]
        self.pairs.extend((select["name"], value(o)) for o in chosen)


def browser_post_data(response, model) -> dict[str, list[str]]:
    """Return what a browser posts for the admin form of ``model`` in ``response``."""
    parser = BrowserForm(f"{model._meta.model_name}_form")
    parser.feed(response.content.decode())
    assert parser.pairs, f"no form {model._meta.model_name}_form in the page"
    data: dict[str, list[str]] = {}
    for name, value in parser.pairs:
        data.setdefault(name, []).append(value)
    return data


# --- Choosing a field to change ----------------------------------------------------------


@dataclass
class Change:
    field: str
    posted: str
    expected: object


def _changed(field: models.Field, value: str) -> Change | None:
    if field.unique or field.choices:
        return None
    if isinstance(field, models.DecimalField):
        try:
            number = Decimal(value or "0")
        except InvalidOperation:
            return None
        new = (number + Decimal("1.23")).quantize(Decimal(1).scaleb(-field.decimal_places))
        return Change(field.name, str(new), new)
    if isinstance(field, models.IntegerField) and not isinstance(field, models.AutoField):
        new_number = int(value or 0) + 1
        return Change(field.name, str(new_number), new_number)
    if isinstance(field, models.CharField | models.TextField) and not field.validators[1:]:
        new_text = (value + " 改")[-(field.max_length or 1000) :].strip()
        if new_text == value:
            return None
        return Change(field.name, new_text, new_text)
    return None


def choose_change(label: str, model, form, data: dict[str, list[str]]) -> Change | None:
    """Return one edit of a field the role may edit, posted as a user would type it."""
    editable = [name for name, f in form.fields.items() if not f.disabled and name in data]
    for name, posted, expected in EXACT_CHANGES.get(label, []):
        if name in editable:
            return Change(name, posted, expected)
    fields = {f.name: f for f in model._meta.concrete_fields}
    preferred = PREFERRED_CHANGES.get(label, []) + GENERIC_NAMES
    ordered = [n for n in preferred if n in editable] + [n for n in editable if n not in preferred]
    for name in ordered:
        if name not in fields:
            continue
        change = _changed(fields[name], data[name][0])
        if change is not None:
            return change
    return None


def form_problems(response) -> str:
    """Return the errors a re-rendered admin form shows, for the failure message."""
    context = response.context
    if context is None or "adminform" not in context:
        return f"answered {response.status_code} without a form"
    problems = [f"form: {dict(context['adminform'].form.errors)}"]
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        errors = [e for e in formset.errors if e] + list(formset.non_form_errors())
        if errors:
            problems.append(f"{formset.prefix}: {errors}")
    return "; ".join(problems)


# --- Change pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "label"), CHANGE_PAIRS)
def test_every_change_form_saves_for_every_role_that_may_change_it(world, login, role, label):
    model = apps.get_model(label)
    obj = world.objects[model]
    assert admin.site._registry[model].has_change_permission(_superuser_request(), obj), (
        f"the world's {label} cannot be changed by anyone: give the test one that can"
    )
    client = login(role)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200, f"{role} opening {url}: {page.status_code}"
    data = browser_post_data(page, model)
    change = choose_change(label, model, page.context["adminform"].form, data)
    if change is not None:
        data[change.field] = [change.posted]

    response = client.post(url, data)

    assert response.status_code == 302, f"{role} saving {url}: {form_problems(response)}"
    if change is not None:
        obj.refresh_from_db()
        assert getattr(obj, change.field) == change.expected


def test_a_purchaser_sets_the_cost_of_a_sku_with_attribute_values(world, login):
    """The issue's case: the attribute values are shown to the purchaser, read-only."""
    values = sorted(world.sku.attribute_values.values_list("attribute__code", "value_text"))
    assert values
    client = login("purchaser")
    url = reverse("admin:catalog_sku_change", args=[world.sku.pk])
    page = client.get(url)
    data = browser_post_data(page, world.sku._meta.model)
    assert any(name.startswith("attribute_values-") for name in data)
    data["cost_price"] = ["12.34"]

    response = client.post(url, data)

    assert response.status_code == 302
    world.sku.refresh_from_db()
    assert world.sku.cost_price == Decimal("12.34")
    # Those the purchaser sees and those it does not are all kept as they were.
    assert sorted(world.sku.attribute_values.values_list("attribute__code", "value_text")) == values


# --- Add pages ------------------------------------------------------------------------------


def _unique_names(model) -> list[str]:
    """Return fields that keep rows apart: unique text fields and one field of each unique
    constraint (text without choices first, else a number or a date)."""
    names = [
        f.name
        for f in model._meta.concrete_fields
        if f.unique and not f.primary_key and isinstance(f, models.CharField)
    ]
    groups = [tuple(group) for group in model._meta.unique_together]
    groups += [c.fields for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    for group in groups:
        fields = [model._meta.get_field(n) for n in group]
        mutable = [f.name for f in fields if isinstance(f, models.CharField) and not f.choices]
        mutable += [f.name for f in fields if isinstance(f, models.DecimalField | models.DateField)]
        if mutable and not set(mutable) & set(names):
            names.append(mutable[0])
    return names


def _new_value(model, name: str, value: str) -> str:
    field = model._meta.get_field(name)
    if name == "barcode":
        return ean13(987654)
    if name == "username":
        return "new-user"
    if isinstance(field, models.DecimalField):
        return str(Decimal(value) + 1)
    if isinstance(field, models.DateField):
        return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
    return (value[: (field.max_length or 50) - 4] + "-NEW") if value else "NEW-1"


def _unreviewed_line(world) -> str:
    """A copy of the reviewed order line (one review per line): the new review's line."""
    line = world.objects[Review].line
    line.pk, line.line_no = None, line.line_no + 100
    line.save()
    return str(line.pk)


# Fields a new object needs that the change page does not show (a callable is given the
# world).
ADD_EXTRAS = {
    "orders.review": {"line": _unreviewed_line},
    # One decision per product: the new pin needs a product without one.
    "staff.shelfpin": {"product": lambda world: str(ProductFactory().pk)},
    "auth.user": {
        "password1": "Fresh-Pw-4711-x",
        "password2": "Fresh-Pw-4711-x",
        "usable_password": "true",
    },
}


@pytest.mark.parametrize(("role", "label"), ADD_PAIRS)
def test_every_add_form_saves_for_every_role_that_may_add(world, login, role, label):
    model = apps.get_model(label)
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    client = login(role)
    add_page = client.get(reverse(f"{name}_add"))
    assert add_page.status_code == 200
    data = browser_post_data(add_page, model)
    # Fill the main form as the existing object is filled, with new codes.
    existing = world.objects[model]
    change_page = client.get(reverse(f"{name}_change", args=[existing.pk]))
    filled = browser_post_data(change_page, model)
    for posted_name, values in filled.items():
        if "-" not in posted_name and posted_name != "csrfmiddlewaretoken":
            data[posted_name] = values
    model_fields = {f.name: f for f in model._meta.concrete_fields}
    for field_name, formfield in add_page.context["adminform"].form.fields.items():
        if isinstance(formfield.widget, forms.CheckboxInput):
            if field_name not in filled:
                data.pop(field_name, None)  # unticked on the existing object
        elif not any(data.get(field_name, [])) and field_name in model_fields:
            # Read-only once saved (an order's supplier): the existing object's value.
            value = model_fields[field_name].value_from_object(existing)
            if value is not None:
                data[field_name] = [str(value)]
    for field_name in _unique_names(model):
        if field_name in data:
            data[field_name] = [_new_value(model, field_name, data[field_name][0])]
    for field_name, value in ADD_EXTRAS.get(label, {}).items():
        data[field_name] = [value(world) if callable(value) else value]
    before = model._default_manager.count()

    response = client.post(reverse(f"{name}_add"), data)

    assert response.status_code == 302, f"{role} adding a {label}: {form_problems(response)}"
    assert model._default_manager.count() == before + 1
