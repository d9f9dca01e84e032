"""The attribute application table (属性应用表): per category, which attributes apply (its own
and inherited) and which staff uses each serves.

Every role reads it; roles that may change attributes and category links (merchandiser,
manager) edit the category's own links and their attributes' uses on the same page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from catalog import selectors, services
from catalog.enums import ATTRIBUTE_USE_SHORT_LABELS, AttributeUse
from catalog.exceptions import CategoryAttributeError
from catalog.forms import AttributeLinkAddForm, AttributeLinkForm, AttributeLinkFormSet
from catalog.models import Category

VIEW_ATTRIBUTE_TABLE = (
    "catalog.view_category",
    "catalog.view_attribute",
    "catalog.view_categoryattribute",
)
EDIT_ATTRIBUTE_TABLE = (
    "catalog.change_attribute",
    "catalog.add_categoryattribute",
    "catalog.change_categoryattribute",
    "catalog.delete_categoryattribute",
)


def _require(request, perms) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _uses() -> list[tuple[str, str, str]]:
    """(use, short label, full label) in the order of the columns."""
    return [
        (use, ATTRIBUTE_USE_SHORT_LABELS[use], AttributeUse(use).label)
        for use in AttributeUse.values
    ]


def _tree_html(nodes: list[Category]) -> str:
    """Return the tree as nested lists: a category with sub-categories opens as a
    ``<details>``, each shows its number of own attribute links and links to its table.

    Built in Python (nodes come in lft order, so the levels say where lists open and close):
    the 1,400 categories of the demo through the template engine take three times as long.
    """
    page = reverse("catalog:attribute_table", args=[0]).removesuffix("0/")
    title = _("Attributes linked to this category")
    parts = []
    for i, node in enumerate(nodes):
        following = nodes[i + 1] if i + 1 < len(nodes) else None
        has_children = following is not None and following.level > node.level
        label = format_html(
            '<a href="{}{}/">{}</a> <span class="count{}" title="{}">{}</span>',
            page,
            node.pk,
            node.name,
            "" if node.own_link_count else " none",
            title,
            node.own_link_count,
        )
        if has_children:
            parts.append(
                format_html(
                    '<li class="level-{}"><details><summary>{}</summary><ul>', node.level, label
                )
            )
            continue
        parts.append(format_html('<li class="level-{}">{}</li>', node.level, label))
        closes = node.level - (following.level if following is not None else 0)
        parts.append("</ul></details></li>" * closes)
    # Every part is escaped by format_html; the closing tags are constants.
    return mark_safe("\n".join(parts))


@login_required
def attribute_tree(request):
    """The category tree to pick a category's attribute table from: 大类 open into 中类 and
    小类, each with the number of attributes linked to it."""
    _require(request, VIEW_ATTRIBUTE_TABLE)
    nodes = selectors.category_tree_with_link_counts()
    context = {
        "tree": _tree_html(nodes),
        "category_count": len(nodes),
        "link_count": sum(node.own_link_count for node in nodes),
    }
    return render(request, "catalog/attribute_tree.html", context)


@login_required
def attribute_table(request, pk: int):
    """A category's attributes × uses; its own links and their attributes' uses editable by
    those who may change them."""
    _require(request, VIEW_ATTRIBUTE_TABLE)
    may_edit = request.user.has_perms(EDIT_ATTRIBUTE_TABLE)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    category = get_object_or_404(Category, pk=pk)
    table = selectors.attribute_table(category)
    category = table.category
    context = {
        "table": table,
        "category": category,
        "uses": _uses(),
        "use_counts": table.use_counts,
        "may_edit": may_edit,
    }
    if not may_edit:
        return render(request, "catalog/attribute_table.html", context)

    own_rows = table.own_rows
    initial = [AttributeLinkForm.initial_for(row.own_link) for row in own_rows]
    add_options = {
        "queryset": selectors.attributes_to_add(category),
        "inherited": {row.attribute.pk for row in table.rows},
        "prefix": "add",
    }
    if request.method == "POST":
        formset = AttributeLinkFormSet(request.POST, initial=initial, prefix="links")
        add_form = AttributeLinkAddForm(request.POST, **add_options)
        posted = [form["link_id"].value() for form in formset.forms]
        if [str(v) for v in posted] != [str(row.own_link.pk) for row in own_rows]:
            # A post that does not hold one row per own link (a link added or removed since
            # the page was drawn, or a tampered post) is refused whole.
            messages.error(
                request,
                _(
                    "The attributes of %(category)s were changed meanwhile: nothing was saved. "
                    "Check the table and save again."
                )
                % {"category": category.name},
            )
            formset = AttributeLinkFormSet(initial=initial, prefix="links")
        elif formset.is_valid() and add_form.is_valid():
            try:
                saved = services.category_attributes_save(
                    category=category,
                    changes=[form.change() for form in formset.forms],
                    new_links=add_form.new_links(),
                )
            except CategoryAttributeError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Attributes of %(category)s saved: %(changed)d changed, %(added)d "
                        "added, %(removed)d removed."
                    )
                    % {
                        "category": category.name,
                        "changed": saved.changed,
                        "added": saved.added,
                        "removed": saved.removed,
                    },
                )
                return redirect("catalog:attribute_table", pk=category.pk)
        else:
            messages.error(request, _("Please correct the errors below: nothing was saved."))
    else:
        formset = AttributeLinkFormSet(initial=initial, prefix="links")
        add_form = AttributeLinkAddForm(**add_options)
    context |= {
        "formset": formset,
        "edit_rows": list(zip(own_rows, formset.forms, strict=True)),
        "add_form": add_form,
    }
    return render(request, "catalog/attribute_table.html", context)
