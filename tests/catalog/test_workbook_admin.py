"""The admin's Import / Export buttons run the workbook engine: preview, confirm, progress."""

import io
import time

import openpyxl
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.urls import reverse

from catalog.models import SKU, Category
from config.celery import app
from tests.catalog.test_workbook_import import HEADERS, row, workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchandiser(client):
    from staff.services import roles_sync

    roles_sync()
    user = User.objects.create_user("m", is_staff=True)
    user.groups.add(Group.objects.get(name="merchandiser"))
    client.force_login(user)
    return client


NO_COST = [h for h in HEADERS if h != "cost_price"]


def sheet(rows) -> bytes:
    """A products workbook without the cost column, as a merchandiser sends it."""
    cost = HEADERS.index("cost_price")
    return workbook([r[:cost] + r[cost + 1 :] for r in rows], NO_COST)


def upload(client, data: bytes, url_name="admin:catalog_sku_import", *, new_categories=True):
    file = io.BytesIO(data)
    file.name = "catalogue.xlsx"
    form = {"file": file, **({"create_categories": "on"} if new_categories else {})}
    return client.post(reverse(url_name), form, follow=True)


def test_the_sku_changelist_offers_import_and_export(merchandiser):
    page = merchandiser.get(reverse("admin:catalog_sku_changelist"))
    body = page.content.decode()
    assert reverse("admin:catalog_sku_import") in body
    assert reverse("admin:catalog_sku_export") in body


def test_an_upload_is_previewed_then_imported_on_confirmation(merchandiser):
    page = upload(merchandiser, sheet([row("S-1"), row("S-2")]))
    assert page.status_code == 200
    report = page.context["job"]["report"]
    assert (report["new"], report["changed"], report["unchanged"]) == (2, 0, 0)
    assert not SKU.objects.exists()
    assert "Confirm import" in page.content.decode()
    done = merchandiser.post(
        reverse("admin:catalog_sku_process_import"), {"job": page.context["job"]["id"]}, follow=True
    )
    assert done.context["job"]["report"]["applied"] is True
    assert SKU.objects.count() == 2
    twice = merchandiser.post(
        reverse("admin:catalog_sku_process_import"), {"job": page.context["job"]["id"]}, follow=True
    )
    assert twice.context["job"]["id"] == done.context["job"]["id"]  # not imported again
    again = upload(merchandiser, sheet([row("S-1", retail_price=99), row("S-2")]))
    cells = again.context["job"]["report"]["changes"][0]["cells"]
    assert cells == [{"column": "retail_price", "old": "59.00", "new": "99.00"}]


def test_missing_categories_are_created_only_when_the_box_is_ticked(merchandiser):
    form = merchandiser.get(reverse("admin:catalog_sku_import")).content.decode()
    assert 'name="create_categories"' in form
    assert 'name="create_categories" checked' not in form
    ticked = upload(merchandiser, sheet([row("S-1")]))  # a new 服装 > 上衣 > T恤
    merchandiser.post(
        reverse("admin:catalog_sku_process_import"), {"job": ticked.context["job"]["id"]}
    )
    assert SKU.objects.filter(code="S-1").exists()

    page = upload(
        merchandiser, sheet([row("S-2", category="服装 > 上衣 > T袖")]), new_categories=False
    )

    job = page.context["job"]
    assert job["status"] == "failed" and job["error_count"] == 1
    assert "No category 服装 &gt; 上衣 &gt; T袖. Nearest existing: 服装 &gt; 上衣 &gt; T恤." in (
        page.content.decode()
    )
    assert not Category.objects.filter(name="T袖").exists()


def test_a_bad_file_shows_every_problem_and_imports_nothing(merchandiser):
    page = upload(merchandiser, sheet([row("S-1", retail_price="x"), row("S-1")]))
    assert page.status_code == 200
    job = page.context["job"]
    assert job["status"] == "failed" and job["error_count"] == 2
    body = page.content.decode()
    assert "Enter a price" in body and "Also on row 2" in body
    not_xlsx = upload(merchandiser, b"hello")
    assert "not an Excel workbook" in not_xlsx.content.decode()
    assert not SKU.objects.exists()


def test_a_merchandiser_may_not_import_costs_and_exports_none(merchandiser):
    page = upload(merchandiser, workbook([row("S-1", cost_price=987.65)]))
    assert "You may not change cost prices" in page.content.decode()
    assert not SKU.objects.exists()
    from catalog.importing import catalog_import

    catalog_import(source=workbook([row("S-1", cost_price=987.65)]))
    exported = merchandiser.post(
        reverse("admin:catalog_sku_export"), {"format": "xlsx", "headers": "en"}
    )
    cells = list(openpyxl.load_workbook(io.BytesIO(exported.content))["products"].values)
    assert "cost_price" not in cells[0] and "987.65" not in str(cells)


def test_the_category_tree_imports_from_the_category_changelist(merchandiser):
    data = workbook([["家居 > 厨房"]], headers=["category"], sheet="categories")
    page = upload(merchandiser, data, "admin:catalog_category_import")
    merchandiser.post(
        reverse("admin:catalog_category_process_import"), {"job": page.context["job"]["id"]}
    )
    assert Category.objects.get(name="厨房").parent.name == "家居"
    exported = merchandiser.post(
        reverse("admin:catalog_category_export"), {"format": "xlsx", "headers": "en"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content))["categories"]
    assert [r[0] for r in sheet.values] == ["category", "家居", "家居 > 厨房"]


def test_the_template_download_has_a_notes_sheet(merchandiser):
    response = merchandiser.get(reverse("admin:catalog_sku_import_template") + "?headers=zh")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["商品", "notes"]


def test_a_role_that_may_not_change_skus_has_no_import(client):
    from staff.services import roles_sync

    roles_sync()
    user = User.objects.create_user("w", is_staff=True)
    user.groups.add(Group.objects.get(name="warehouse"))
    client.force_login(user)
    assert client.get(reverse("admin:catalog_sku_import")).status_code == 403
    assert client.get(reverse("admin:catalog_sku_export")).status_code == 200


@pytest.fixture
def redis_worker(settings, celery_on_redis):
    """A real Celery worker on Redis, and a file size above which imports go to it."""
    settings.CATALOG_IMPORT_ASYNC_BYTES = 1
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_large_file_runs_as_a_celery_job_with_a_progress_endpoint(redis_worker, client):
    from staff.services import roles_sync

    roles_sync()
    user = User.objects.create_superuser("root", "r@x.cn", "pw-123456789")
    client.force_login(user)
    response = upload(client, workbook([row(f"S-{i}") for i in range(50)]))
    job = response.context["job"]
    status_url = reverse("admin:catalog_sku_import_status", args=[job["id"]])
    for _ in range(100):
        state = client.get(status_url).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["status"] == "done" and state["progress"] == 100
    assert settings.CATALOG_IMPORT_ASYNC_BYTES == 1


def test_a_job_reports_in_the_language_of_who_started_it(merchandiser):
    """A worker has no request: the job keeps the uploader's language for its reasons."""
    from django.utils import translation

    from catalog import jobs

    user = User.objects.get(username="m")
    data = sheet([row("S-1", barcode="6901234567890")])
    with translation.override("zh-hans"):
        job_id = jobs.job_create(
            content=data, kind="products", dry_run=True, create_categories=True, user=user
        )
    assert translation.get_language() == "en"
    assert jobs.job_run(job_id) == "failed"
    reason = jobs.job_get(job_id)["errors"][0]["reason"]
    assert reason == "条码 6901234567890 校验位错误：应为 2。"
