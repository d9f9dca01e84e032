"""Stored report runs: a report built for a day (and its parameters) once, kept as an xlsx
workbook under ``MEDIA_ROOT/reports/`` with a small summary (count and top rows) that pages
show without opening the workbook.

Each kind builds its workbook with its app's report code, the same functions the management
commands write with: restock (``purchasing.reports``), slow movers (``inventory.reports``),
low stock (``inventory.selectors.low_stock``, the stock as it is when the run is built) and
the finance summary (the as-of month's P&L, 应收/应付 ageing totals on the as-of day).
A run with the ``without_cost`` parameter leaves out every cost and value at cost: what a
reader without ``catalog.view_cost`` receives (a warehouse clerk's restock mail, say); the
finance summary has no such version.

Besides the workbook a run keeps its rows as a table (``staff.report_data``) for the report
page, and reports its progress through the cache while it builds (its row is locked and its
status not committed until it is done).

Once per run: the run row is locked (``select_for_update``; the unique kind × day ×
parameters key makes two concurrent first calls one row) for the whole build, so a second
call waits and finds it done. A failed build is recorded (status, error) and re-raised for
the task's retry; asking again builds again.
"""

import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.access import VIEW_COST, VIEW_MARGIN
from finance.enums import AgeingBucket
from finance.reports import PNL_COLUMNS, SalesFilter, month_end, pnl_by_month
from finance.selectors.payables import payables_ageing
from finance.selectors.receivables import receivables_ageing
from inventory import reports as inventory_reports
from inventory import selectors as inventory_selectors
from inventory.models import Warehouse
from purchasing import reports as purchasing_reports
from staff import report_data
from staff.models import ReportKind, ReportRun, RunStatus
from workbooks.xlsx import Chart, XlsxBook

SUMMARY_ROWS = 20
VIEW_RUN = "staff.view_reportrun"
# What a user needs, beyond seeing runs, to open a run's workbook: costs and margins stay with
# those who may see them (the restock and slow-mover workbooks hold unit costs and stock value).
KIND_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ReportKind.RESTOCK: (VIEW_COST,),
    ReportKind.SLOW_MOVERS: (VIEW_COST,),
    ReportKind.LOW_STOCK: (),
    ReportKind.FINANCE_SUMMARY: (VIEW_COST, VIEW_MARGIN),
}
# The kinds that have a version without costs (``without_cost``) for other readers.
REDACTABLE = frozenset({ReportKind.RESTOCK, ReportKind.SLOW_MOVERS, ReportKind.LOW_STOCK})
WITHOUT_COST = "without_cost"


def run_permissions(kind: str, parameters: dict) -> tuple[str, ...]:
    """The permissions a reader needs for the run of ``kind`` with ``parameters``."""
    if parameters.get(WITHOUT_COST):
        return (VIEW_RUN,)
    return (VIEW_RUN, *KIND_PERMISSIONS[kind])


def may_download(user, run: ReportRun) -> bool:
    """May ``user`` open the workbook of ``run``?"""
    return user.has_perms(run_permissions(run.kind, run.parameters))


def parameters_for(user, kind: str, parameters: dict | None = None) -> dict | None:
    """The parameters of the version of ``kind`` that ``user`` (None: a plain address) may
    read: the full report, the one without costs, or None when there is none for them."""
    parameters = {k: v for k, v in (parameters or {}).items() if k != WITHOUT_COST}
    if user is not None and user.is_active and user.has_perms(run_permissions(kind, parameters)):
        return parameters
    if kind in REDACTABLE:
        return {**parameters, WITHOUT_COST: True}
    return None


PROGRESS_TTL = 3600


def _progress_key(run_id: int) -> str:
    return f"staff:report-run:{run_id}:progress"


def progress_set(run_id: int, percent: int) -> None:
    cache.set(_progress_key(run_id), percent, PROGRESS_TTL)


def progress_get(run: ReportRun) -> int:
    """How far ``run`` is, 0–100: done is 100, else what its build last reported."""
    if run.status == RunStatus.DONE:
        return 100
    return cache.get(_progress_key(run.pk), 0)


def parameters_key(parameters: dict | None) -> str:
    """The parameters as canonical JSON (sorted keys), empty for none: the run's key."""
    return json.dumps(parameters, sort_keys=True, separators=(",", ":")) if parameters else ""


def _plain(value):
    """A value JSON can hold: numpy scalars as Python ones, Decimal as text, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        return None if value.is_nan() else str(value)
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    frame = df.reindex(columns=columns).head(SUMMARY_ROWS)
    return [
        {column: _plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _warehouse(parameters: dict) -> Warehouse | None:
    pk = parameters.get("warehouse")
    return Warehouse.objects.get(pk=pk) if pk else None


# A builder writes the workbook to ``out`` and returns (rows, summary, the rows as a table).
Builder = Callable[[io.BytesIO, dt.date, dict], tuple[int, dict, pd.DataFrame]]

RESTOCK_SUMMARY = [
    "sku",
    "name",
    "warehouse",
    "projected",
    "suggested_quantity",
    "supplier",
    "order_value",
]


def build_restock(out, as_of: dt.date, parameters: dict):
    df = purchasing_reports.restock(as_of=as_of, warehouse=_warehouse(parameters))
    without = purchasing_reports.COST_COLUMNS if parameters.get(WITHOUT_COST) else ()
    if without:
        df = df.drop(columns=list(without))
    purchasing_reports.write_workbook(out, df, without=without)
    wanted = df[df["suggested_quantity"] > 0] if len(df) else df
    if len(wanted):
        order = ["suggested_quantity", "sku"] if without else ["order_value", "sku"]
        wanted = wanted.sort_values(order, ascending=[False, True], na_position="last")
    columns = [c for c in RESTOCK_SUMMARY if c not in without]
    summary = {"count": len(wanted), "rows": _records(wanted, columns)}
    if not without and len(wanted):
        summary["order_value"] = _plain(wanted["order_value"].dropna().sum())
    return len(df), summary, df


def build_slow_movers(out, as_of: dt.date, parameters: dict):
    skus = inventory_reports.slow_movers(as_of=as_of, warehouse=_warehouse(parameters))
    categories = inventory_reports.slow_movers_by_category(skus)
    with_value = not parameters.get(WITHOUT_COST)
    inventory_reports.write_workbook(out, skus, categories, with_value=with_value)
    if not with_value:  # nor in the rows kept for the page and the summary
        skus = skus.drop(columns=[c for c in skus if c in inventory_reports.VALUE_COLUMNS])
    flagged = skus[skus["classification"] != "active"] if len(skus) else skus
    order = ["stock_value", "sku"] if with_value else ["on_hand", "sku"]
    if len(flagged):
        flagged = flagged.sort_values(order, ascending=[False, True])
    columns = ["sku", "name", "classification", order[0], "days_of_cover"]
    summary = {"count": len(flagged), "rows": _records(flagged, columns)}
    if with_value and len(flagged):
        summary["stock_value"] = _plain(flagged["stock_value"].sum())
    return len(skus), summary, skus


LOW_STOCK_HEADERS = {
    "sku": _("SKU"),
    "name": _("name"),
    "warehouse": _("warehouse"),
    "on_hand": _("on hand"),
    "available": _("available"),
    "warning_level": _("warning level"),
}
# The P&L sheet's headers, in ``finance.reports.PNL_COLUMNS`` order.
PNL_HEADERS = {
    "month": _("month"),
    "revenue": _("revenue"),
    "returns": _("returns"),
    "net_revenue": _("net revenue"),
    "cogs": _("cost of goods sold"),
    "gross_profit": _("gross profit"),
    "margin": _("gross margin"),
    "stock_value": _("stock value"),
    "days_of_inventory": _("days of inventory"),
}
PNL_FORMATS = {1: "0.00", 2: "0.00", 3: "0.00", 4: "0.00", 5: "0.00", 6: "0.0%", 7: "0.00"}


def build_low_stock(out, as_of: dt.date, parameters: dict):
    rows = [
        {
            "sku": stock.sku.code,
            "name": stock.sku.name,
            "warehouse": stock.warehouse.code,
            "on_hand": stock.on_hand,
            "available": stock.available,
            "warning_level": stock.sku.warning_level,
        }
        for stock in inventory_selectors.low_stock(warehouse=_warehouse(parameters))
    ]
    book = XlsxBook(out)
    book.add_sheet(
        gettext("low stock"),
        [str(label) for label in LOW_STOCK_HEADERS.values()],
        ([row[column] for column in LOW_STOCK_HEADERS] for row in rows),
        widths={0: 16, 1: 28, 2: 12},
    )
    book.close()
    frame = pd.DataFrame(rows, columns=list(LOW_STOCK_HEADERS))
    return len(rows), {"count": len(rows), "rows": rows[:SUMMARY_ROWS]}, frame


FINANCE_SUMMARY_MONTHS = 12


def finance_summary_period(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The P&L period of a finance summary as of ``as_of``: the twelve months up to the day
    before (sent on the 1st, it ends with the month just closed)."""
    last = as_of - dt.timedelta(days=1)
    first = last.replace(day=1)
    for _n in range(FINANCE_SUMMARY_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first, last


def build_finance_summary(out, as_of: dt.date, parameters: dict):
    """The P&L of the twelve months up to the day before ``as_of`` (latest month first in
    the summary), with a chart of net revenue and gross profit, and the ageing totals on the
    day."""
    first, last = finance_summary_period(as_of)
    pnl = pnl_by_month(SalesFilter(date_from=first, date_to=last))
    receivable = receivables_ageing(on=as_of).totals.amounts
    payable = payables_ageing(on=as_of).totals.buckets
    buckets = list(AgeingBucket)
    ageing = [
        [gettext("receivables (应收)"), *[receivable[b] for b in buckets]],
        [gettext("payables (应付)"), *[payable[b] for b in buckets]],
    ]
    for row in ageing:
        row.append(sum(row[1:], Decimal(0)))
    book = XlsxBook(out)
    book.add_sheet(
        gettext("P&L"),
        [str(PNL_HEADERS[column]) for column in PNL_COLUMNS],
        pnl.rows.astype(object).where(pnl.rows.notna(), None).itertuples(index=False, name=None),
        formats=PNL_FORMATS,
        widths={0: 10, 1: 14, 3: 14, 4: 14, 5: 14, 7: 16},
        charts=[_pnl_chart(len(pnl.rows))] if len(pnl.rows) else [],
    )
    book.add_sheet(
        gettext("ageing (账龄)"),
        ["", *[str(b.label) for b in buckets], gettext("total")],
        ageing,
        formats=dict.fromkeys(range(1, len(buckets) + 2), "0.00"),
        widths={0: 20},
    )
    book.close()
    summary = {
        "count": len(pnl.rows),
        "rows": _records(pnl.rows.iloc[::-1], PNL_COLUMNS),
        "period": [first.isoformat(), last.isoformat()],
        "receivables": str(ageing[0][-1]),
        "payables": str(ageing[1][-1]),
        "month_end": month_end(as_of).isoformat(),
    }
    return len(pnl.rows) + len(ageing), summary, pnl.rows


def _pnl_chart(months: int) -> Chart:
    """A line chart of net revenue and gross profit month by month (the P&L sheet's cells)."""
    columns = list(PNL_COLUMNS)
    last = months + 1
    return Chart(
        kind="line",
        title=gettext("Net revenue and gross profit by month"),
        categories=(2, last, 0),
        values=[
            (str(PNL_HEADERS[name]), 2, last, columns.index(name))
            for name in ("net_revenue", "gross_profit")
        ],
        anchor="K2",
    )


BUILDERS: dict[str, Builder] = {
    ReportKind.RESTOCK: build_restock,
    ReportKind.SLOW_MOVERS: build_slow_movers,
    ReportKind.LOW_STOCK: build_low_stock,
    ReportKind.FINANCE_SUMMARY: build_finance_summary,
}


def _run_locked(kind: str, as_of: dt.date, parameters: dict, user) -> tuple[ReportRun, bool]:
    """The run of ``kind`` × ``as_of`` × ``parameters``, made if new, its row locked until the
    caller's transaction ends (two concurrent first calls make one row: the key is unique).
    An unknown kind, or a version without costs of a kind that has none, is a programming
    error: ``ValueError``, never retried."""
    if kind not in BUILDERS:
        raise ValueError(f"unknown report kind {kind!r}")
    if parameters.get(WITHOUT_COST) and kind not in REDACTABLE:
        raise ValueError(f"report {kind!r} has no version without costs")
    return ReportRun.objects.select_for_update().get_or_create(
        kind=kind,
        as_of=as_of,
        parameters_key=parameters_key(parameters),
        defaults={"parameters": parameters, "created_by": user},
    )


def report_run(kind: str, as_of: dt.date, parameters: dict | None = None, user=None) -> ReportRun:
    """Build report ``kind`` as of ``as_of`` once and return its run; a done run is returned
    as it is. A failed build is marked failed with its error, then the error is raised."""
    parameters = parameters or {}
    failure: Exception | None = None
    with transaction.atomic():
        run, _created = _run_locked(kind, as_of, parameters, user)
        if run.status == RunStatus.DONE:
            return run
        run.status, run.started_at, run.error = RunStatus.RUNNING, timezone.now(), ""
        run.save(update_fields=["status", "started_at", "error"])
        progress_set(run.pk, 10)
        try:
            with transaction.atomic():
                out = io.BytesIO()
                rows, summary, frame = BUILDERS[kind](out, as_of, parameters)
                progress_set(run.pk, 80)
                stem = f"{kind}-{as_of.isoformat()}"
                run.file.save(f"{stem}.xlsx", ContentFile(out.getvalue()), save=False)
                report_data.frame_store(run, frame, f"{stem}.csv.gz")
                run.rows, run.summary, run.status = rows, summary, RunStatus.DONE
                run.finished_at = timezone.now()
                run.save()
        except Exception as error:
            failure = error
            run.status, run.finished_at = RunStatus.FAILED, timezone.now()
            run.error = f"{type(error).__name__}: {error}"[:2000]
            run.save(update_fields=["status", "finished_at", "error"])
    progress_set(run.pk, 100 if failure is None else 0)
    if failure is not None:
        raise failure
    return run


def report_run_start(
    kind: str, as_of: dt.date, parameters: dict | None = None, user=None
) -> ReportRun:
    """Ask for a fresh build of report ``kind`` as of ``as_of`` ("run now" on its page) and
    return its run, committed as queued so that the page can poll it. A run already queued or
    building is returned as it is; a done or failed one is built again. The build runs in a
    worker, or, without a broker (``make run``), in a thread of this process: the page never
    waits for it."""
    parameters = parameters or {}
    with transaction.atomic():
        run, created = _run_locked(kind, as_of, parameters, user)
        if not created and run.status in (RunStatus.DONE, RunStatus.FAILED):
            run.status, run.created_by = RunStatus.QUEUED, user
            run.save(update_fields=["status", "created_by"])
        elif not created:
            return run
        progress_set(run.pk, 0)
        transaction.on_commit(lambda: _build_in_background(kind, as_of, parameters), robust=True)
    return run


def _build_in_background(kind: str, as_of: dt.date, parameters: dict) -> None:
    from staff.tasks import report_run as task

    args = (kind, as_of.isoformat(), parameters)
    if not task.app.conf.task_always_eager:
        task.delay(*args)
        return
    import threading

    from django.db import connection

    def build() -> None:
        try:
            task.apply(args=args)
        finally:
            connection.close()

    threading.Thread(target=build, name=f"report-{kind}", daemon=True).start()
