"""产品线优化: every product placed by sales velocity × gross margin %, against its role.

The page shows the quadrant × role counts with the gross profit at stake, the scatter chart
(Chart.js, vendored) and the products to act on; the xlsx holds every placed product. Cost and
margin: ``catalog.view_cost`` and ``catalog.view_margin`` (finance, purchaser, manager).
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST, VIEW_MARGIN
from catalog.enums import ProductRole
from finance.enums import LineAction, Quadrant
from finance.productline import ProductLine, product_line
from finance.report_forms import SalesFilterForm
from finance.views.reports import _query_without_page, _require, _sheet
from workbooks.http import xlsx_response
from workbooks.xlsx import Chart

PAGE_SIZE = 50
# The chart shows the products that sold, the largest by net revenue first, up to this many:
# beyond a few thousand points a scatter is a blot and its JSON a weight on the page.
CHART_POINTS = 3000


def _labels(frame):
    """The frame's coded columns as the words people read."""
    roles, quadrants, actions = (
        dict(ProductRole.choices),
        dict(Quadrant.choices),
        dict(LineAction.choices),
    )
    frame = frame.copy()
    frame["role_label"] = frame["role"].map(lambda v: str(roles.get(v, v)))
    frame["quadrant_label"] = frame["quadrant"].map(lambda v: str(quadrants[v]))
    frame["action_label"] = frame["action"].map(lambda v: str(actions[v]))
    frame["suggested_role_label"] = frame["suggested_role"].map(
        lambda v: str(roles[v]) if v else ""
    )
    return frame


def _chart(line: ProductLine) -> dict:
    sold = line.rows[line.rows["units"] > 0].nlargest(CHART_POINTS, "net_revenue")
    sold = sold[sold["margin"].notna()]
    return {
        "x_label": str(_("Units sold per day (log scale)")),
        "y_label": str(_("Gross margin %")),
        "velocity_split": line.velocity_split,
        "margin_split": round(line.margin_split * 100, 2),
        "quadrants": [
            {
                "key": key,
                "label": str(label),
                "points": [
                    {"x": round(x, 4), "y": round(y * 100, 2), "label": f"{code} {name}"}
                    for x, y, code, name in sold.loc[
                        sold["quadrant"] == key, ["velocity", "margin", "code", "name"]
                    ].itertuples(index=False, name=None)
                ],
            }
            for key, label in Quadrant.choices
        ],
    }


def _summary(line: ProductLine) -> list[dict]:
    counts, stakes = line.counts(), line.at_stake()
    return [
        {
            "label": label,
            "key": key,
            "counts": [counts[key][role] for role in ProductRole.values],
            "total": sum(counts[key].values()),
            "at_stake": stakes[key],
        }
        for key, label in Quadrant.choices
    ]


def _columns():
    return [
        ("code", _("Code")),
        ("name", _("Name")),
        ("category", _("Category")),
        ("role_label", _("Role")),
        ("quadrant_label", _("Quadrant")),
        ("units", _("Units")),
        ("velocity", _("Units per day")),
        ("net_revenue", _("Net revenue")),
        ("gross_profit", _("Gross profit")),
        ("margin", _("Gross margin")),
        ("suggested_role_label", _("Suggested role")),
        ("action_label", _("Action")),
    ]


def _xlsx(line: ProductLine):
    frame = _labels(line.rows)
    columns = _columns()
    period = f"{line.filters.date_from:%Y%m%d}-{line.filters.date_to:%Y%m%d}"
    values = frame[[key for key, _label in columns]].astype(object)
    values = values.where(values.notna(), None)

    def write(book):
        _sheet(
            book,
            str(_("Product line")),
            [label for _key, label in columns],
            values.itertuples(index=False, name=None),
            {6: "0.00", 7: "0.00", 8: "0.00", 9: "0.0%"},
        )
        _quadrant_sheet(book, line)

    return xlsx_response(f"productline-{period}.xlsx", write)


def _quadrant_sheet(book, line: ProductLine) -> None:
    """The quadrant × role counts and the gross profit at stake (the page's summary table),
    with a column chart of the profit at stake and a pie of the products per quadrant."""
    summary = _summary(line)
    roles = [str(label) for _value, label in ProductRole.choices]
    total, stake = 1 + len(roles), 2 + len(roles)  # column positions from 0
    last = 1 + len(summary)
    book.add_sheet(
        str(_("Quadrants")),
        [str(_("Quadrant")), *roles, str(_("Products")), str(_("Gross profit at stake"))],
        ([str(q["label"]), *q["counts"], q["total"], round(q["at_stake"], 2)] for q in summary),
        formats={stake: "#,##0.00"},
        widths={0: 40, **{i: 16 for i in range(1, stake + 1)}},
        charts=[
            Chart(
                kind="column",
                title=str(_("Gross profit at stake")),
                categories=(2, last, 0),
                values=[(str(_("Gross profit at stake")), 2, last, stake)],
                anchor="A8",
            ),
            Chart(
                kind="pie",
                title=str(_("Products per quadrant")),
                categories=(2, last, 0),
                values=[(str(_("Products")), 2, last, total)],
                anchor="F8",
                width=12,
            ),
        ],
    )


@login_required
def productline(request):
    """The product-line report over a period (the last 90 days by default)."""
    _require(request, VIEW_COST, VIEW_MARGIN)
    form = SalesFilterForm(request.GET or {})
    context = {"form": form, "query": _query_without_page(request), "line": None}
    if form.is_valid():
        line = product_line(form.sales_filter())
        if request.GET.get("format") == "xlsx":
            return _xlsx(line)
        to_act = _labels(line.to_act_on())
        to_act = to_act.astype(object).where(to_act.notna(), None)
        page = Paginator(to_act.to_dict("records"), PAGE_SIZE).get_page(request.GET.get("page"))
        context |= {
            "line": line,
            "roles": [label for _value, label in ProductRole.choices],
            "summary": _summary(line),
            "chart": _chart(line),
            "rows": page.object_list,
            "page": page,
            "placed": len(line.rows),
            "to_act_count": page.paginator.count,
        }
    return render(request, "finance/productline.html", context)
