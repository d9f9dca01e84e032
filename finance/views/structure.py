"""The product structure table page (商品结构表) and its xlsx.

Every role that works with products reads it (``catalog.view_product``); gross profit and its
shares only with ``catalog.view_margin``, stock value only with ``catalog.view_cost``, on the
page, in the chart and in the workbook alike.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.access import VIEW_COST, VIEW_MARGIN
from catalog.enums import ProductRole
from catalog.templatetags.money import money
from finance.structure import ALL, DEFAULT_PERIOD, PERIODS, ROLES, Structure, product_structure
from finance.views.reports import _cell, _require
from workbooks.http import xlsx_response
from workbooks.xlsx import Chart

VIEW_STRUCTURE = "catalog.view_product"


class StructureForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        coerce=int,
        required=False,
        empty_value=DEFAULT_PERIOD,
        initial=DEFAULT_PERIOD,
        # A callable: the labels are translated when the form is shown, in the reader's
        # language (a lazy string formatted at import time would stay English).
        choices=lambda: [(d, _("Last %(days)s days") % {"days": d}) for d in PERIODS],
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Product role"),
        required=False,
        initial=ALL,
        choices=[(ALL, gettext_lazy("All roles")), *ProductRole.choices],
    )


def _pct(value) -> str:
    """A share as the percentage people read, like the ``percent`` filter (fast: thousands
    of cells per page)."""
    return "—" if value is None else f"{value * 100:.1f} %"


def _row_html(structure: Structure, node, role: str, *, with_margin: bool, with_cost: bool):
    """Return one table row as HTML. The real tree has 1,423 categories: rendered by the
    template language, their ~17,000 cells took most of the page's time."""
    cell = node.cells[role]
    cells = [cell.products]
    if role == ALL:
        cells.append(" / ".join(str(node.cells[r].products) for r in ROLES))
    cells += [
        cell.skus,
        _pct(cell.listed_share),
        money(cell.net_revenue),
        _pct(structure.sales_share(node, role)),
    ]
    if role != ALL:
        cells.append(_pct(structure.role_share(node, role)))
    if with_margin:
        cells += [_pct(structure.profit_share(node, role)), _pct(cell.margin)]
    if with_cost:
        cells.append(money(cell.stock_value))
    cells.append(_pct(cell.completeness))
    if node.children:
        toggle = (
            f'<button type="button" class="tree-toggle" data-toggle="{node.id}"'
            f' aria-expanded="true" aria-label="{escape(_("Expand or collapse"))}">▾</button>'
        )
    else:
        toggle = '<span class="tree-leaf"></span>'
    parent = f' data-parent="{node.parent_id}"' if node.parent_id else ""
    tds = "".join(f'<td class="num">{value}</td>' for value in cells)
    # Plain f-strings (thousands of rows): the names are escaped, the rest are numbers and
    # figures formatted here.
    return mark_safe(
        f'<tr id="{escape(node.anchor)}" class="level-{node.level}" data-node="{node.id}"'
        f'{parent}><th scope="row" class="tree-cell">{toggle}{escape(node.name)}'
        f' <span class="muted">{escape(node.code)}</span></th>{tds}</tr>'
    )


def _total(structure: Structure, role: str) -> dict:
    cell, whole = structure.total[role], structure.total[ALL]
    return {
        "cell": cell,
        "sales_share": float(cell.net_revenue / whole.net_revenue)
        if whole.net_revenue > 0
        else None,
        "profit_share": float(cell.gross_profit / whole.gross_profit)
        if whole.gross_profit > 0
        else None,
        "by_role": [structure.total[r].products for r in ROLES],
    }


def _chart(structure: Structure) -> dict:
    """Each 大类's net sales split by role, in percent of the 大类's sales."""
    roots = [root for root in structure.roots if root.cells[ALL].net_revenue > 0]
    return {
        "labels": [root.name for root in roots],
        "y_label": _("Share of the major class's sales"),
        "datasets": [
            {
                "key": role,
                "label": str(label),
                "data": [round(structure.role_share(root, role) * 100, 1) for root in roots],
            }
            for role, label in ProductRole.choices
        ],
    }


def _columns(*, with_margin: bool, with_cost: bool) -> list[tuple[str, str, str | None]]:
    """(key, header, number format) of the workbook's structure sheet."""
    columns = [
        ("level", _("Level"), None),
        ("code", _("Code"), None),
        ("name", _("Category"), None),
        ("role", _("Product role"), None),
        ("products", _("Products"), None),
        ("skus", _("SKUs"), None),
        ("listed_share", _("Listed share"), "0.0%"),
        ("net_revenue", _("Net sales"), "#,##0.00"),
        ("sales_share", _("Share of all sales"), "0.0%"),
        ("role_share", _("Share of the category's sales"), "0.0%"),
    ]
    if with_margin:
        columns += [
            ("gross_profit", _("Gross profit"), "#,##0.00"),
            ("profit_share", _("Share of gross profit"), "0.0%"),
            ("margin", _("Gross margin"), "0.0%"),
        ]
    if with_cost:
        columns.append(("stock_value", _("Stock value"), "#,##0.00"))
    columns.append(("completeness", _("Web completeness"), "0.0%"))
    return columns


LEVEL_LABELS = {
    0: gettext_lazy("Major class (大类)"),
    1: gettext_lazy("Middle class (中类)"),
    2: gettext_lazy("Minor class (小类)"),
}


def _xlsx(structure: Structure, *, with_margin: bool, with_cost: bool):
    columns = _columns(with_margin=with_margin, with_cost=with_cost)
    roles = [(ALL, _("All roles")), *ProductRole.choices]

    def values(node, role, role_label):
        cell = node.cells[role]
        figures = {
            "level": str(LEVEL_LABELS.get(node.level, node.level)),
            "code": node.code,
            "name": "　" * node.level + node.name,
            "role": str(role_label),
            "products": cell.products,
            "skus": cell.skus,
            "listed_share": cell.listed_share,
            "net_revenue": cell.net_revenue,
            "sales_share": structure.sales_share(node, role),
            "role_share": structure.role_share(node, role),
            "gross_profit": cell.gross_profit,
            "profit_share": structure.profit_share(node, role),
            "margin": cell.margin,
            "stock_value": cell.stock_value,
            "completeness": cell.completeness,
        }
        return [_cell(figures[key]) for key, _label, _format in columns]

    def write(book):
        book.add_sheet(
            _("Product structure"),
            [str(label) for _key, label, _format in columns],
            (
                values(node, role, label)
                for node in structure.nodes
                for role, label in roles
                if node.cells[role].products or role == ALL
            ),
            formats={i: fmt for i, (_key, _label, fmt) in enumerate(columns) if fmt},
            widths={0: 8, 1: 14, 2: 30, 3: 22},
        )
        _share_sheet(book, structure)
        book.add_sheet(
            _("Warnings"),
            [_("Category"), _("Warning")],
            ([w.node.name, str(w.message)] for w in structure.warnings),
            widths={0: 24, 1: 90},
        )

    name = f"product-structure-{structure.date_from:%Y%m%d}-{structure.date_to:%Y%m%d}.xlsx"
    return xlsx_response(name, write)


def _share_sheet(book, structure: Structure) -> None:
    """Each 大类's sales share by role, with the stacked column chart of the page."""
    chart = _chart(structure)
    last = 1 + len(chart["labels"])
    roles = chart["datasets"]
    book.add_sheet(
        _("Sales share by role"),
        [_("Major class (大类)"), *(d["label"] for d in roles)],
        ([label, *(d["data"][i] / 100 for d in roles)] for i, label in enumerate(chart["labels"])),
        formats={i: "0.0%" for i in range(1, 1 + len(roles))},
        widths={0: 24, **{i: 22 for i in range(1, 1 + len(roles))}},
        charts=[
            Chart(
                kind="column",
                title=chart["y_label"],
                categories=(2, last, 0),
                values=[(d["label"], 2, last, i) for i, d in enumerate(roles, start=1)],
                anchor="F2",
            )
        ]
        if chart["labels"]
        else [],
    )


@login_required
def structure(request):
    """The product structure table over the last 30, 90 or 365 days (90 by default)."""
    _require(request, VIEW_STRUCTURE)
    with_margin = request.user.has_perm(VIEW_MARGIN)
    with_cost = request.user.has_perm(VIEW_COST)
    form = StructureForm(request.GET or None)
    days, role = DEFAULT_PERIOD, ALL
    if form.is_valid():
        days, role = form.cleaned_data["days"], form.cleaned_data["role"] or ALL
    table = product_structure(days=days, with_margin=with_margin, with_stock_value=with_cost)
    if request.GET.get("format") == "xlsx":
        return _xlsx(table, with_margin=with_margin, with_cost=with_cost)
    query = request.GET.copy()
    query.pop("format", None)
    context = {
        "form": form,
        "query": query.urlencode(),
        "structure": table,
        "role": role,
        "role_label": dict(ProductRole.choices).get(role),
        "role_labels": [label for _value, label in ProductRole.choices],
        "rows": [
            _row_html(table, node, role, with_margin=with_margin, with_cost=with_cost)
            for node in table.nodes
        ],
        "total": _total(table, role),
        "with_margin": with_margin,
        "with_cost": with_cost,
        "chart": _chart(table),
    }
    return render(request, "finance/structure.html", context)
