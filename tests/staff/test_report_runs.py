"""Stored report runs: a run writes the report's workbook once (the same rows as the report
service), a failure is recorded, the task runs the service, and the purchaser's restock panel
reads the latest run instead of recomputing the report."""

import datetime as dt
import threading
import zipfile
from unittest import mock

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from purchasing import reports as purchasing_reports
from staff import reports as staff_reports
from staff import tasks
from staff.models import ReportKind, ReportRun, RunStatus
from tests.factories import SKUFactory
from tests.purchasing.conftest import site  # noqa: F401  (the fixture)
from tests.purchasing.support import at, offer, receive_at, supplier

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def low(site):  # noqa: F811
    """One SKU below its warning level: 3 on hand, warning level 5, no demand; its one offer
    costs 10.00 with a minimum order of 12 → a suggestion of 12 units, order value 120.00."""
    sku = SKUFactory(code="LOW1", warning_level=5)
    offer(sku, supplier("S1"), "10.00", min_order_quantity=12)
    receive_at(at(5), sku, site.receiving, 3)
    return sku


def sheet_rows(run: ReportRun, index: int = 0) -> list[tuple]:
    with run.file.open("rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True)
        return list(book.worksheets[index].iter_rows(values_only=True))


def test_a_restock_run_stores_the_reports_workbook_and_summary(low, users):
    as_of = timezone.localdate()
    run = staff_reports.report_run(ReportKind.RESTOCK, as_of, user=users["purchaser"])
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.started_at <= run.finished_at
    assert run.created_by == users["purchaser"]
    assert run.file.name.startswith("reports/restock-")
    expected = [
        tuple(value for value in row)
        for row in purchasing_reports.workbook_rows(purchasing_reports.restock(as_of=as_of))
    ]
    rows = sheet_rows(run)
    assert len(rows) == 1 + len(expected) == 2
    assert run.rows == len(expected) == 1
    header = rows[0]
    sku = rows[1][header.index(str(purchasing_reports.HEADERS["sku"]))]
    quantity = rows[1][header.index(str(purchasing_reports.HEADERS["suggested_quantity"]))]
    assert (sku, quantity) == ("LOW1", 12)
    # The summary the panel shows: one suggestion, 12 × 10.00 = 120.00.
    assert run.summary["count"] == 1
    top = run.summary["rows"][0]
    assert (top["sku"], top["suggested_quantity"], top["order_value"]) == ("LOW1", 12, "120.00")


def test_a_low_stock_run_lists_the_selectors_rows(low):
    run = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY)
    rows = sheet_rows(run)
    # LOW1 in 上海仓 (SH): 3 on hand, 3 available, warning level 5.
    assert rows[1] == ("LOW1", low.name, "SH", 3, 3, 5)
    assert run.rows == 1 and run.summary["count"] == 1


def test_slow_mover_and_finance_summary_runs_build(low):
    slow = staff_reports.report_run(ReportKind.SLOW_MOVERS, timezone.localdate())
    assert slow.status == RunStatus.DONE and slow.rows == 1
    assert len(sheet_rows(slow, 1)) == 3  # the category sheet: header, the leaf and its parent
    summary = staff_reports.report_run(ReportKind.FINANCE_SUMMARY, TODAY)
    assert summary.status == RunStatus.DONE
    pnl = sheet_rows(summary, 0)
    ageing = sheet_rows(summary, 1)
    # The twelve months up to the day before: 2025-04 … 2026-03 (to the 9th), no sales.
    assert [row[0] for row in pnl[1:]] == [f"2025-{m:02d}" for m in range(4, 13)] + [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert summary.summary["period"] == ["2025-04-01", "2026-03-09"]
    assert summary.summary["rows"][0]["month"] == "2026-03"  # the latest month first
    with summary.file.open("rb") as handle:  # the P&L sheet carries its line chart
        assert any(n.startswith("xl/charts/") for n in zipfile.ZipFile(handle).namelist())
    assert [row[-1] for row in ageing[1:]] == [0, 0]  # nothing owed either way
    assert summary.summary["receivables"] == "0.00"


def test_running_twice_makes_one_run_and_builds_once(low):
    calls = []
    real = staff_reports.BUILDERS[ReportKind.LOW_STOCK]

    def counting(*args):
        calls.append(args)
        return real(*args)

    with mock.patch.dict(staff_reports.BUILDERS, {ReportKind.LOW_STOCK: counting}):
        first = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY, {"warehouse": None})
        second = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY, {"warehouse": None})
    assert first.pk == second.pk
    assert ReportRun.objects.count() == 1
    assert len(calls) == 1


def test_parameters_make_their_own_run(low, site):  # noqa: F811
    one = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY)
    other = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY, {"warehouse": site.warehouse.pk})
    assert one.pk != other.pk
    assert other.parameters_key == f'{{"warehouse":{site.warehouse.pk}}}'


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_calls_make_one_run(low):
    """Two threads ask for the same run at once: one row, built once (the lock holds the
    second until the first is done)."""
    calls = []
    real = staff_reports.BUILDERS[ReportKind.LOW_STOCK]
    barrier = threading.Barrier(2)

    def slow_build(*args):
        calls.append(args)
        return real(*args)

    errors = []

    def ask():
        try:
            barrier.wait()
            staff_reports.report_run(ReportKind.LOW_STOCK, TODAY)
        except Exception as error:  # pragma: no cover - shown by the assertion
            errors.append(error)
        finally:
            connection.close()

    with mock.patch.dict(staff_reports.BUILDERS, {ReportKind.LOW_STOCK: slow_build}):
        threads = [threading.Thread(target=ask) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert ReportRun.objects.filter(kind=ReportKind.LOW_STOCK).count() == 1
    assert len(calls) == 1


def test_a_failing_build_is_marked_failed_with_its_error_then_retried(low):
    def broken(*args):
        raise RuntimeError("disk full")

    with (
        mock.patch.dict(staff_reports.BUILDERS, {ReportKind.LOW_STOCK: broken}),
        pytest.raises(RuntimeError, match="disk full"),
    ):
        staff_reports.report_run(ReportKind.LOW_STOCK, TODAY)
    run = ReportRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: disk full"
    assert not run.file
    # Asking again builds again, and the run is done.
    again = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY)
    assert again.pk == run.pk and again.status == RunStatus.DONE and again.error == ""


def test_the_task_runs_the_service(low, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    result = tasks.report_run.delay(ReportKind.LOW_STOCK, TODAY.isoformat(), {})
    assert result.get() == RunStatus.DONE
    run = ReportRun.objects.get()
    assert (run.kind, run.as_of, run.rows) == (ReportKind.LOW_STOCK, TODAY, 1)


def test_the_restock_panel_without_a_run_says_so(users, client_as):
    response = client_as("purchaser").get(reverse("staff:dashboard"))
    assert "No restock report has been built yet." in response.content.decode()


def test_the_restock_panel_shows_the_latest_run_without_recomputing(
    low, users, client_as, django_assert_max_num_queries
):
    today = timezone.localdate()
    staff_reports.report_run(ReportKind.RESTOCK, today - dt.timedelta(days=1))
    latest = staff_reports.report_run(ReportKind.RESTOCK, today)
    # Newer runs of another version (without costs, one warehouse) are not the panel's.
    staff_reports.report_run(ReportKind.RESTOCK, today, {"without_cost": True})
    client = client_as("purchaser")
    with (
        mock.patch.object(purchasing_reports, "restock", side_effect=AssertionError("live")),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(reverse("staff:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Restock report as of {today:%Y-%m-%d}." in body
    assert "LOW1" in body and "120.00" in body
    download = reverse("staff:report_run_file", args=[latest.pk])
    assert download in body
    assert not any("inventory_stockmove" in q["sql"] for q in queries.captured_queries)
    with django_assert_max_num_queries(len(queries.captured_queries)):
        client.get(reverse("staff:dashboard"))


def test_the_workbook_downloads_only_with_its_permissions(low, client_as):
    restock = staff_reports.report_run(ReportKind.RESTOCK, timezone.localdate())
    low_stock = staff_reports.report_run(ReportKind.LOW_STOCK, TODAY)
    restock_url = reverse("staff:report_run_file", args=[restock.pk])
    response = client_as("purchaser").get(restock_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    # The warehouse sees runs but not costs: low stock yes, restock (unit costs) no.
    assert client_as("warehouse").get(restock_url).status_code == 403
    low_url = reverse("staff:report_run_file", args=[low_stock.pk])
    assert client_as("warehouse").get(low_url).status_code == 200
    assert client_as("support").get(low_url).status_code == 403


def test_an_unknown_kind_is_refused_and_records_nothing(db):
    with pytest.raises(ValueError, match="unknown report kind"):
        staff_reports.report_run("sales_forecast", TODAY)
    assert not ReportRun.objects.exists()
