"""The attribute application table (属性应用表): a category's own and inherited attributes ×
the staff uses they serve, read by every role and edited by merchandisers and managers."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from catalog import services
from catalog.exceptions import CategoryAttributeError
from catalog.models import USE_FIELDS, Attribute, CategoryAttribute
from tests.factories import AttributeFactory, CategoryFactory
from tests.staff.support import FAST_HASHERS, role_users


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def users(db) -> dict[str, User]:
    return role_users()


@pytest.fixture
def client_as(users):
    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


def link(category, attribute, **fields) -> CategoryAttribute:
    return CategoryAttribute.objects.create(category=category, attribute=attribute, **fields)


@pytest.fixture
def tree(db):
    """服装 (大类) > 男装 (中类) > T恤 (小类): a colour on the 大类 (variant, required), a fabric on
    the 中类 (filter, display), a sleeve and a fit on the 小类; the fit is on the 中类 too."""
    top = CategoryFactory(name="服装")
    middle = CategoryFactory(name="男装", parent=top)
    leaf = CategoryFactory(name="T恤", parent=middle)
    colour = AttributeFactory(code="colour", name="颜色", use_variant=True, use_web_filter=True)
    fabric = AttributeFactory(
        code="fabric", name="面料", use_web_filter=True, use_web_display=True, display_priority=7
    )
    sleeve = AttributeFactory(code="sleeve", name="袖长", value_type="choice")
    fit = AttributeFactory(code="fit", name="版型", use_marketing=True)
    link(top, colour, is_required=True)
    link(middle, fabric, sort_order=0)
    link(middle, fit, sort_order=1)
    link(leaf, sleeve, sort_order=0, is_required=True)
    link(leaf, fit, sort_order=1)
    return {"top": top, "middle": middle, "leaf": leaf, "colour": colour, "fabric": fabric,
            "sleeve": sleeve, "fit": fit}  # fmt: skip


def table_url(category) -> str:
    return reverse("catalog:attribute_table", args=[category.pk])


def rows_of(html: str) -> dict[str, str]:
    """Return each row of the read table by its attribute code, as text without tags."""
    body = html.split('id="attribute-table"', 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
        code = re.search(r"<small[^>]*>(\w+)</small>", row)
        if code:
            rows[code.group(1)] = text
    return rows


# --- Reading ------------------------------------------------------------------------------


def test_the_table_lists_own_and_inherited_attributes_with_where_they_come_from(tree, client_as):
    response = client_as("purchaser").get(table_url(tree["leaf"]))

    assert response.status_code == 200
    rows = rows_of(response.content.decode())
    assert list(rows) == ["colour", "fabric", "fit", "sleeve"]  # ancestors first, as products
    assert rows["colour"].endswith("Inherited from 服装")
    assert rows["fabric"].endswith("Inherited from 服装 › 男装")
    assert rows["sleeve"].endswith("This category")
    # Linked on the 中类 and here: the row is this category's, and says it is inherited too.
    assert rows["fit"].endswith("This category Inherited from 服装 › 男装")
    html = response.content.decode()
    assert f'href="{table_url(tree["middle"])}"' in html
    assert f'href="{table_url(tree["top"])}"' in html


def test_the_table_marks_uses_required_and_the_display_priority(tree, client_as):
    html = client_as("warehouse").get(table_url(tree["leaf"])).content.decode()
    rows = rows_of(html)

    # Columns: required, filter, display, variant, warehouse, logistics, service, marketing,
    # finance: a ✓ each where it applies, the display priority after the display ✓.
    assert rows["colour"] == "颜色 colour Text ✓ ✓ ✓ Inherited from 服装"
    assert rows["fabric"] == "面料 fabric Text ✓ ✓ 7 Inherited from 服装 › 男装"
    cells = re.findall(
        r"<td class=\"mark\">(.*?)</td>", html.split('id="attribute-table"')[1].split("</tr>")[1]
    )
    ticked = ["✓" in cell for cell in cells]
    assert ticked == [True, True, False, True, False, False, False, False, False]


def test_the_table_sums_the_attributes_of_each_use(tree, client_as):
    html = client_as("purchaser").get(table_url(tree["leaf"])).content.decode()
    foot = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    counts = re.findall(r'<td class="mark">(\d+)</td>', foot)

    # required: colour, sleeve; filter: colour, fabric; display: fabric; variant: colour;
    # marketing: fit.
    assert counts == ["2", "2", "1", "1", "0", "0", "0", "1", "0"]


def test_the_breadcrumb_and_sub_categories_lead_through_the_tree(tree, client_as):
    html = client_as("support").get(table_url(tree["middle"])).content.decode()
    crumb = html.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]

    assert reverse("catalog:attribute_tree") in crumb
    assert f'href="{table_url(tree["top"])}">服装</a>' in crumb
    assert "<span>男装</span>" in crumb
    children = html.split('class="children"', 1)[1].split("</p>", 1)[0]
    assert f'href="{table_url(tree["leaf"])}">T恤</a>' in children


def test_the_tree_lists_every_category_with_the_number_of_its_own_links(tree, client_as):
    html = client_as("finance").get(reverse("catalog:attribute_tree")).content.decode()
    tree_html = html.split('id="attribute-tree"', 1)[1].split("</ul>\n", 1)[0]

    for key, count in (("top", 1), ("middle", 2), ("leaf", 2)):
        node = tree[key]
        assert re.search(
            rf'href="{table_url(node)}">{node.name}</a> <span class="count[^"]*"[^>]*>{count}<',
            tree_html,
        ), key
    # 大类 and 中类 open into their sub-categories; a 小类 has nothing to open.
    assert tree_html.count("<details>") == 2
    assert tree_html.count("</details>") == 2


def test_no_form_for_roles_that_may_not_edit_and_their_post_is_refused(tree, client_as):
    client = client_as("purchaser")
    html = client.get(table_url(tree["leaf"])).content.decode()
    assert '<form method="post" action="' + table_url(tree["leaf"]) not in html
    assert 'name="links-TOTAL_FORMS"' not in html

    response = client.post(table_url(tree["leaf"]), {"links-TOTAL_FORMS": "0"})

    assert response.status_code == 403


def test_an_unknown_category_is_not_found(db, client_as):
    response = client_as("merchandiser").get(reverse("catalog:attribute_table", args=[987654]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(tree):
    response = Client().get(table_url(tree["leaf"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Query counts -------------------------------------------------------------------------


def deep_category_with_many_attributes():
    """A three-level path, each level with eight attributes of its own."""
    node = None
    for _level in range(3):
        node = CategoryFactory(parent=node)
        for _ in range(8):
            link(node, AttributeFactory(use_web_filter=True, use_finance=True), is_required=True)
    return node


@pytest.mark.parametrize("role", ["merchandiser", "purchaser"])
def test_the_table_page_reads_a_constant_number_of_queries(
    tree, client_as, role, django_assert_max_num_queries
):
    client = client_as(role)
    few = CategoryFactory()  # a 大类 without attributes
    many = deep_category_with_many_attributes()
    client.get(table_url(few))  # session and permission caches warm
    with django_assert_max_num_queries(12) as small:
        assert client.get(table_url(few)).status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries) + 1):
        response = client.get(table_url(many))
    assert len(rows_of(response.content.decode())) == 24


def test_the_tree_page_reads_a_constant_number_of_queries(
    tree, client_as, django_assert_max_num_queries
):
    client = client_as("merchandiser")
    client.get(reverse("catalog:attribute_tree"))
    with django_assert_max_num_queries(8) as small:
        client.get(reverse("catalog:attribute_tree"))
    for _ in range(3):
        deep_category_with_many_attributes()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("catalog:attribute_tree"))
    assert response.content.decode().count('class="level-2"') == 4


# --- Editing ------------------------------------------------------------------------------


def form_data(client, category) -> dict[str, str]:
    """Return the edit form's fields as the page draws them (what a browser would post)."""
    html = client.get(table_url(category)).content.decode()
    form = html.split('<section class="attribute-edit"', 1)[1].split("</form>", 1)[0]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        if kind == "checkbox":
            if "checked" in tag:
                data[name.group(1)] = "on"
        else:
            data[name.group(1)] = value.group(1) if value else ""
    data["add-attribute"] = ""
    return data


def row_prefix(data: dict, link_obj) -> str:
    for key, value in data.items():
        if key.endswith("-link_id") and value == str(link_obj.pk):
            return key.removesuffix("link_id")
    raise AssertionError(f"no row for link {link_obj.pk}")


def test_a_merchandiser_changes_uses_required_and_order_of_own_links(tree, client_as):
    client = client_as("merchandiser")
    leaf, sleeve, fit = tree["leaf"], tree["sleeve"], tree["fit"]
    data = form_data(client, leaf)
    sleeve_link = CategoryAttribute.objects.get(category=leaf, attribute=sleeve)
    prefix = row_prefix(data, sleeve_link)
    data[f"{prefix}use_warehouse"] = "on"
    data[f"{prefix}use_web_display"] = "on"
    data[f"{prefix}display_priority"] = "15"
    data.pop(f"{prefix}is_required")
    data[f"{prefix}sort_order"] = "5"

    response = client.post(table_url(leaf), data, follow=True)

    assert response.redirect_chain[-1][0] == table_url(leaf)
    assert "Attributes of T恤 saved: 1 changed, 0 added, 0 removed." in response.content.decode()
    sleeve.refresh_from_db()
    sleeve_link.refresh_from_db()
    assert sleeve.uses == {"warehouse", "web_display"}
    assert sleeve.display_priority == 15
    assert (sleeve_link.is_required, sleeve_link.sort_order) == (False, 5)
    assert rows_of(response.content.decode())["sleeve"] == "袖长 sleeve Choice ✓ 15 ✓ This category"
    fit.refresh_from_db()
    assert fit.uses == {"marketing"}  # untouched


def test_a_merchandiser_adds_an_attribute_to_the_category(tree, client_as):
    client = client_as("merchandiser")
    leaf = tree["leaf"]
    neck = AttributeFactory(code="neck", name="领型", use_web_filter=True)
    data = form_data(client, leaf)
    assert (
        f'<option value="{neck.pk}">领型 (neck)</option>'
        in client.get(table_url(leaf)).content.decode()
    )
    data |= {"add-attribute": str(neck.pk), "add-is_required": "on", "add-sort_order": ""}

    response = client.post(table_url(leaf), data, follow=True)

    assert "0 changed, 1 added, 0 removed" in response.content.decode()
    added = CategoryAttribute.objects.get(category=leaf, attribute=neck)
    assert added.is_required
    assert added.sort_order == 2  # after the own links (0 and 1)
    assert rows_of(response.content.decode())["neck"].endswith("This category")


def test_the_add_choice_offers_inherited_attributes_marked_and_not_own_ones(tree, client_as):
    html = client_as("manager").get(table_url(tree["leaf"])).content.decode()
    select = html.split('name="add-attribute"', 1)[1].split("</select>", 1)[0]

    assert "颜色 (colour), inherited" in select
    assert "袖长" not in select  # linked here already


def test_a_merchandiser_removes_an_own_link(tree, client_as):
    client = client_as("merchandiser")
    leaf = tree["leaf"]
    sleeve_link = CategoryAttribute.objects.get(category=leaf, attribute=tree["sleeve"])
    data = form_data(client, leaf)
    data[f"{row_prefix(data, sleeve_link)}remove"] = "on"

    response = client.post(table_url(leaf), data, follow=True)

    assert "0 changed, 0 added, 1 removed" in response.content.decode()
    assert not CategoryAttribute.objects.filter(pk=sleeve_link.pk).exists()
    assert Attribute.objects.filter(pk=tree["sleeve"].pk).exists()
    assert "sleeve" not in rows_of(response.content.decode())


def test_inherited_rows_are_not_in_the_form(tree, client_as):
    client = client_as("merchandiser")
    data = form_data(client, tree["leaf"])
    ids = {value for key, value in data.items() if key.endswith("-link_id")}

    own = CategoryAttribute.objects.filter(category=tree["leaf"]).values_list("pk", flat=True)
    assert ids == {str(pk) for pk in own}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("display_priority", "abc", "Enter a whole number."),
        ("display_priority", "-1", "Ensure this value is greater than or equal to 0."),
        ("sort_order", "99999999999", "Ensure this value is less than or equal to 2147483647."),
    ],
)
def test_bad_input_shows_an_error_keeps_what_was_typed_and_saves_nothing(
    tree, client_as, field, value, error
):
    client = client_as("merchandiser")
    leaf, sleeve = tree["leaf"], tree["sleeve"]
    data = form_data(client, leaf)
    prefix = row_prefix(data, CategoryAttribute.objects.get(category=leaf, attribute=sleeve))
    data[f"{prefix}{field}"] = value
    data[f"{prefix}use_finance"] = "on"  # typed too: kept, not saved

    response = client.post(table_url(leaf), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below: nothing was saved." in html
    assert error in html
    assert f'name="{prefix}{field}" value="{value}"' in html
    assert re.search(rf'name="{prefix}use_finance"[^>]*checked', html)
    sleeve.refresh_from_db()
    assert not sleeve.use_finance


def test_an_unknown_attribute_to_add_is_refused_with_the_rest_kept(tree, client_as):
    client = client_as("merchandiser")
    data = form_data(client, tree["leaf"])
    data["add-attribute"] = "987654"

    response = client.post(table_url(tree["leaf"]), data)

    assert "Select a valid choice." in response.content.decode()
    assert CategoryAttribute.objects.filter(category=tree["leaf"]).count() == 2


def test_a_post_after_the_links_changed_meanwhile_saves_nothing(tree, client_as):
    client = client_as("merchandiser")
    leaf = tree["leaf"]
    data = form_data(client, leaf)
    prefix = row_prefix(data, CategoryAttribute.objects.get(category=leaf, attribute=tree["fit"]))
    data[f"{prefix}use_finance"] = "on"
    CategoryAttribute.objects.filter(category=leaf, attribute=tree["sleeve"]).delete()

    response = client.post(table_url(leaf), data)

    assert "The attributes of T恤 were changed meanwhile: nothing was saved." in (
        response.content.decode()
    )
    tree["fit"].refresh_from_db()
    assert not tree["fit"].use_finance


def test_a_save_writes_only_what_the_user_changed(tree, client_as):
    """Someone else ticked a use of the attribute meanwhile (on another category's page): an
    edit of other fields keeps it."""
    client = client_as("merchandiser")
    leaf, fit = tree["leaf"], tree["fit"]
    data = form_data(client, leaf)
    fit_link = CategoryAttribute.objects.get(category=leaf, attribute=fit)
    data[f"{row_prefix(data, fit_link)}sort_order"] = "9"
    Attribute.objects.filter(pk=fit.pk).update(use_logistics=True)

    client.post(table_url(leaf), data)

    fit.refresh_from_db()
    fit_link.refresh_from_db()
    assert fit.use_logistics
    assert fit_link.sort_order == 9


def test_the_page_says_that_uses_are_global_and_counts_the_categories(tree, client_as, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = client_as("merchandiser").get(table_url(tree["leaf"])).content.decode()

    assert "用途对所有使用该属性的类目生效" in html
    fit_row = html.split('id="attribute-edit-table"', 1)[1]
    assert "2 个类目" in fit_row  # the fit: on the 中类 and here


# --- The service ----------------------------------------------------------------------------


def test_the_service_refuses_a_link_of_another_category(tree):
    colour_link = CategoryAttribute.objects.get(attribute=tree["colour"])
    change = services.AttributeLinkChange(
        link_id=colour_link.pk, attribute_fields={"use_finance": True}
    )

    with pytest.raises(CategoryAttributeError):
        services.category_attributes_save(category=tree["leaf"], changes=[change])

    tree["colour"].refresh_from_db()
    assert not tree["colour"].use_finance


def test_the_service_refuses_an_attribute_linked_here_already_and_undoes_the_rest(tree):
    sleeve_link = CategoryAttribute.objects.get(attribute=tree["sleeve"])
    change = services.AttributeLinkChange(link_id=sleeve_link.pk, link_fields={"sort_order": 8})

    with pytest.raises(CategoryAttributeError, match="T恤 already has the attribute 版型"):
        services.category_attributes_save(
            category=tree["leaf"],
            changes=[change],
            new_links=[services.AttributeLinkNew(attribute=tree["fit"])],
        )

    sleeve_link.refresh_from_db()
    assert sleeve_link.sort_order == 0


def test_the_service_refuses_fields_it_does_not_edit(tree):
    sleeve_link = CategoryAttribute.objects.get(attribute=tree["sleeve"])
    with pytest.raises(ValueError, match="code"):
        services.category_attributes_save(
            category=tree["leaf"],
            changes=[
                services.AttributeLinkChange(link_id=sleeve_link.pk, attribute_fields={"code": "x"})
            ],
        )


def test_every_use_has_a_field_in_the_form():
    from catalog.forms import AttributeLinkForm

    assert set(USE_FIELDS.values()) <= set(AttributeLinkForm().fields)


# --- Links to the page ----------------------------------------------------------------------


def test_the_dashboard_and_the_category_admin_link_to_the_table(tree, client_as):
    client = client_as("merchandiser")
    dashboard = client.get(reverse("staff:dashboard")).content.decode()
    assert f'href="{reverse("catalog:attribute_tree")}"' in dashboard

    admin_page = client.get(
        reverse("admin:catalog_category_change", args=[tree["leaf"].pk])
    ).content.decode()
    assert f'href="{table_url(tree["leaf"])}"' in admin_page
