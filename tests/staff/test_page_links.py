"""A link a role is shown opens: on the product and SKU pages and the category list, every link
of the page answers 200 for the role that sees it, and links to pages the role may not open
(the change history, "+ sub-category") are not shown at all."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from staff.roles import MODEL_ACCESS, Role

ROLES = list(Role.values)


class Links(HTMLParser):
    """Collect ``(href, class)`` of the links of the page's own content that a click would
    open. The header and the sidebar are the same on every admin page (the walk of
    ``test_role_access`` opens what they offer)."""

    FRAME = {"header", "nav-sidebar"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._frame: list = []  # [tag, depth] while inside the header or the sidebar

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._frame:
            self._frame[1] += tag == self._frame[0]
            return
        if attrs.get("id") in self.FRAME:
            self._frame = [tag, 1]
            return
        href = attrs.get("href")
        if tag != "a" or not href or href.startswith(("#", "javascript:", "mailto:")):
            return
        # Related-object links carry a placeholder that the admin's script fills in.
        if "__fk__" in href:
            return
        self.links.append((href, attrs.get("class") or ""))

    def handle_endtag(self, tag):
        if self._frame and tag == self._frame[0]:
            self._frame[1] -= 1
            if not self._frame[1]:
                self._frame = []


def links_of(response) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(response.content.decode())
    return parser.links


def page_urls(world) -> dict[str, str]:
    return {
        "product": reverse("admin:catalog_product_change", args=[world.product.pk]),
        "sku": reverse("admin:catalog_sku_change", args=[world.sku.pk]),
        "bundle": reverse("admin:catalog_sku_change", args=[world.bundle.pk]),
        "categories": reverse("admin:catalog_category_changelist"),
    }


@pytest.mark.parametrize("page", ["product", "sku", "bundle", "categories"])
@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_is_shown_opens(world, login, role, page):
    client = login(role)
    url = page_urls(world)[page]
    response = client.get(url)
    assert response.status_code == 200
    broken = []
    checked = set()
    for href, _css in links_of(response):
        target = urljoin(url, href)
        if urlsplit(target).netloc or target in checked:
            continue
        checked.add(target)
        status = client.get(target).status_code
        if status != 200:
            broken.append(f"{href}: {status}")
    assert checked
    assert not broken, f"{role} on {url}:\n" + "\n".join(broken)


def _may_view_history(role: str, model: str) -> bool:
    return "v" in MODEL_ACCESS.get(f"catalog.historical{model}", {}).get(role, "")


@pytest.mark.parametrize("role", ROLES)
def test_the_history_link_is_shown_only_to_roles_that_read_the_history(world, login, role):
    client = login(role)
    for model, obj in (("product", world.product), ("sku", world.sku)):
        url = reverse(f"admin:catalog_{model}_change", args=[obj.pk])
        history = reverse(f"admin:catalog_{model}_history", args=[obj.pk])
        shown = [href for href, _css in links_of(client.get(url)) if href.startswith(history)]
        assert bool(shown) == _may_view_history(role, model), f"{role} on {url}"


@pytest.mark.parametrize("role", ROLES)
def test_the_sub_category_link_is_shown_only_to_roles_that_add_categories(world, login, role):
    response = login(role).get(reverse("admin:catalog_category_changelist"))
    add = reverse("admin:catalog_category_add")
    shown = [href for href, _css in links_of(response) if href.startswith(add + "?parent=")]
    may_add = "a" in MODEL_ACCESS["catalog.category"].get(role, "")
    assert bool(shown) == may_add
