"""The report pages: gross margin (毛利分析), the monthly P&L (月度损益) and stock valuation
(库存估值), each with an xlsx download of what it shows.

Cost and margin: only roles holding ``catalog.view_cost`` and ``catalog.view_margin`` (finance,
purchaser, manager, through the role matrix) open the margin and P&L pages; valuation is cost
only (``catalog.view_cost``).
"""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST, VIEW_MARGIN
from finance.report_forms import MarginForm, PnLForm, ValuationForm
from finance.reports import ReportInputError, frame_totals, margin_by, pnl_by_month
from finance.valuation import stock_valuation
from workbooks.http import xlsx_response

PAGE_SIZE = 50
PAGED = ("sku", "product")
MONEY_FORMAT = "0.00"


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def _cell(value):
    """A figure as the xlsx writer takes it: money as a number, no value as empty."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sheet(book, title, headers, rows, formats) -> None:
    book.add_sheet(
        title,
        [str(label) for label in headers],
        ([_cell(value) for value in row] for row in rows),
        formats=formats,
        widths={0: 14, 1: 28},
    )


def _margin_columns():
    return [
        ("code", _("Code")),
        ("name", _("Name")),
        ("units", _("Units")),
        ("returned_units", _("Returned units")),
        ("revenue", _("Revenue")),
        ("returns", _("Returns")),
        ("net_revenue", _("Net revenue")),
        ("cogs", _("COGS")),
        ("gross_profit", _("Gross profit")),
        ("margin", _("Gross margin")),
    ]


def _sorted(frame, sort: str):
    column = sort.lstrip("-") or "net_revenue"
    if column not in frame.columns:
        return frame
    key = frame[column].map(lambda v: float("-inf") if v is None else v)
    if column == "code":
        key = frame[column].astype(str)
    elif column != "units":
        key = key.astype(float)
    order = key.sort_values(ascending=not sort.startswith("-"), kind="stable").index
    return frame.loc[order]


@login_required
def margins(request):
    """Gross margin by SKU, product, category (大类/中类/小类), role, channel or month."""
    _require(request, VIEW_COST, VIEW_MARGIN)
    form = MarginForm(request.GET or {})
    frame, totals, page, dimension = None, None, None, "category"
    if form.is_valid():
        dimension, level = form.dimension_and_level()
        try:
            frame = margin_by(dimension, form.sales_filter(), level=level)
        except ReportInputError as error:
            form.add_error(None, str(error))
    if frame is not None:
        frame = _sorted(frame, form.cleaned_data.get("sort") or "-net_revenue")
        totals = frame_totals(frame)
        columns = _margin_columns()
        if request.GET.get("format") == "xlsx":
            return xlsx_response(
                f"margins-{form.cleaned_data.get('dimension') or 'category1'}.xlsx",
                lambda book: _sheet(
                    book,
                    str(_("Gross margin")),
                    [label for _key, label in columns],
                    frame[[key for key, _label in columns]].itertuples(index=False, name=None),
                    {**{i: MONEY_FORMAT for i in range(4, 9)}, 9: "0.0%"},
                ),
            )
        rows = frame.to_dict("records")
        if dimension in PAGED:
            page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
            rows = page.object_list
    else:
        rows = []
    return render(
        request,
        "finance/margins.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "page": page,
            "query": _query_without_page(request),
            "dimension": dimension,
        },
    )


def _pnl_columns():
    return [
        ("month", _("Month")),
        ("revenue", _("Revenue")),
        ("returns", _("Returns")),
        ("net_revenue", _("Net revenue")),
        ("cogs", _("COGS")),
        ("gross_profit", _("Gross profit")),
        ("margin", _("Gross margin")),
        ("stock_value", _("Stock value at month end")),
        ("days_of_inventory", _("Days of inventory")),
    ]


@login_required
def pnl(request):
    """The monthly P&L: revenue to gross profit, stock value and days of inventory."""
    _require(request, VIEW_COST, VIEW_MARGIN)
    form = PnLForm(request.GET or {})
    report = None
    if form.is_valid():
        try:
            report = pnl_by_month(form.sales_filter())
        except ReportInputError as error:
            form.add_error(None, str(error))
    chart = None
    if report is not None:
        columns = _pnl_columns()
        if request.GET.get("format") == "xlsx":
            return xlsx_response(
                "pnl.xlsx",
                lambda book: _sheet(
                    book,
                    str(_("Monthly P&L")),
                    [label for _key, label in columns],
                    report.rows[[key for key, _label in columns]].itertuples(
                        index=False, name=None
                    ),
                    {**{i: MONEY_FORMAT for i in range(1, 6)}, 6: "0.0%", 7: MONEY_FORMAT},
                ),
            )
        rows = report.rows
        chart = {
            "labels": list(rows["month"]),
            "series": {
                "net_revenue": [float(v) for v in rows["net_revenue"]],
                "cogs": [float(v) for v in rows["cogs"]],
                "gross_profit": [float(v) for v in rows["gross_profit"]],
                "margin": [None if v is None else round(float(v) * 100, 1) for v in rows["margin"]],
            },
            "names": {
                "net_revenue": _("Net revenue"),
                "cogs": _("COGS"),
                "gross_profit": _("Gross profit"),
                "margin": _("Gross margin %"),
            },
        }
    return render(
        request,
        "finance/pnl.html",
        {
            "form": form,
            "rows": [] if report is None else report.rows.to_dict("records"),
            "totals": None if report is None else report.totals,
            "chart": chart,
            "query": _query_without_page(request),
        },
    )


@login_required
def valuation(request):
    """Stock value at a date, by warehouse × 大类, from the ledger."""
    _require(request, VIEW_COST)
    form = ValuationForm(request.GET or {})
    frame = None
    if form.is_valid():
        warehouse = form.cleaned_data.get("warehouse")
        frame = stock_valuation(
            on=form.cleaned_data["on"], warehouse_id=warehouse.pk if warehouse else None
        )
        if request.GET.get("format") == "xlsx":
            headers = [_("Warehouse"), _("Major class (大类)"), _("Units"), _("Value")]
            return xlsx_response(
                f"stock-value-{form.cleaned_data['on']:%Y-%m-%d}.xlsx",
                lambda book: _sheet(
                    book,
                    str(_("Stock valuation")),
                    headers,
                    frame[["warehouse_code", "category_name", "units", "value"]].itertuples(
                        index=False, name=None
                    ),
                    {3: MONEY_FORMAT},
                ),
            )
    return render(
        request,
        "finance/valuation.html",
        {
            "form": form,
            "rows": [] if frame is None else frame.to_dict("records"),
            "total": None if frame is None else sum(frame["value"], Decimal("0.00")),
            "units": None if frame is None else int(frame["units"].sum()),
            "query": _query_without_page(request),
        },
    )
