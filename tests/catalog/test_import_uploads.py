"""Import uploads: refused above the size limit before they are read, bad cells reported by
the preview (never a 500 on confirm), and files never confirmed deleted after a day."""

import datetime as dt
import io
import os
import time

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from catalog import jobs, tasks
from catalog.models import SKU
from tests.catalog.test_workbook_admin import merchandiser, sheet, upload  # noqa: F401
from tests.catalog.test_workbook_import import row
from tests.workbooks.test_bad_cells import workbook

pytestmark = pytest.mark.django_db


def test_an_upload_above_the_limit_is_refused_by_the_form(merchandiser, settings):  # noqa: F811
    settings.WORKBOOK_UPLOAD_MAX_BYTES = 50_000
    page = upload(merchandiser, b"PK" + b"\x00" * 50_000)
    assert page.status_code == 200
    assert "an import takes at most 0 MB" in page.content.decode()
    assert "job" not in page.context
    assert not default_storage.exists(jobs.UPLOADS) or not default_storage.listdir(jobs.UPLOADS)[1]


def test_the_uploaded_file_is_stored_without_being_read_into_memory(merchandiser, settings):  # noqa: F811
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000  # Django streams the upload to a temp file
    data = sheet([row(f"S-{i}") for i in range(40)])
    assert len(data) > 1_000
    page = upload(merchandiser, data)
    assert page.context["job"]["report"]["new"] == 40
    assert page.context["job"]["size"] == len(data)


def test_a_nul_in_a_cell_fails_the_preview_with_its_row_and_confirm_is_refused(merchandiser):  # noqa: F811
    data = workbook([row("S-1"), row("S-2", name="A\x00B")])
    page = upload(merchandiser, data)
    job = page.context["job"]
    assert job["status"] == "failed"
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "name")]
    assert "invisible control character (U+0000" in job["errors"][0]["reason"]
    assert "Confirm import" not in page.content.decode()
    confirm = merchandiser.post(reverse("admin:catalog_sku_process_import"), {"job": job["id"]})
    assert confirm.status_code == 403
    assert not SKU.objects.exists()


# --- Expiry ----------------------------------------------------------------------------------


def stored(age_hours: float, *, status: str = "done") -> str:
    """Store an upload whose file was last written ``age_hours`` ago; return its job id."""
    user = User.objects.get_or_create(username="uploader")[0]
    job_id = jobs.job_create(
        content=b"PK-data", kind="products", dry_run=True, create_categories=False, user=user
    )
    jobs._update(job_id, status=status)
    path = default_storage.path(jobs.job_get(job_id)["path"])
    when = time.time() - age_hours * 3600
    os.utime(path, (when, when))
    return job_id


def test_uploads_never_confirmed_are_deleted_after_the_ttl(settings):
    settings.IMPORT_UPLOAD_TTL_HOURS = 24
    old, fresh, running = stored(25), stored(23), stored(30, status="running")
    deleted = jobs.job_uploads_expire()
    assert deleted == [f"imports/{old}.xlsx"]
    assert not default_storage.exists(f"imports/{old}.xlsx")
    assert jobs.job_get(old) is None
    assert default_storage.exists(f"imports/{fresh}.xlsx") and jobs.job_get(fresh)
    assert default_storage.exists(f"imports/{running}.xlsx")  # a worker still reads it


def test_the_ttl_is_a_setting_and_the_command_and_task_run_the_same_service(settings):
    settings.IMPORT_UPLOAD_TTL_HOURS = 1
    first, second = stored(2), stored(3)
    out = io.StringIO()
    call_command("expire_import_uploads", stdout=out)
    assert out.getvalue().strip() == "2 uploads deleted."
    assert not default_storage.exists(f"imports/{first}.xlsx")
    assert not default_storage.exists(f"imports/{second}.xlsx")
    stored(5)
    assert tasks.import_uploads_expire() == 1  # what the beat entry runs
    assert jobs.job_uploads_expire() == []


def test_expiry_with_no_upload_folder_deletes_nothing():
    assert jobs.job_uploads_expire(now=dt.datetime.now(dt.UTC)) == []


def test_beat_runs_the_expiry_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["catalog.import_uploads_expire"]
    assert (entry["task"], entry["schedule"]) == ("catalog.import_uploads_expire", 3600.0)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
