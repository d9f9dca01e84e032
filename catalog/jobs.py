"""Workbook import jobs: the uploaded file, its state and progress, run here or by Celery.

A job is a file kept in the default storage plus a state in the cache (status, progress,
the report or the errors), so that the admin page can poll it while a worker imports. Set
``CACHE_URL`` to a cache the web and worker processes share (Redis) when Celery runs for
real; the embedded default (locmem, eager Celery) runs jobs in the web process.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.importing import ImportReport, catalog_import, cell_text
from workbooks.exceptions import WorkbookInvalid

JOB_TTL = 24 * 3600
UPLOADS = "imports"  # the folder of the default storage holding the uploaded files
SHOWN_CHANGES = 500
SHOWN_ERRORS = 1_000


# Importers of higher apps' sheets, by kind: a function taking ``catalog_import``'s keywords
# and returning an ``ImportReport``. Registered from the app's ``AppConfig.ready`` (so that a
# Celery worker knows them too); catalog never imports those apps.
IMPORTERS: dict[str, Callable[..., ImportReport]] = {}


def importer_register(kind: str, function: Callable[..., ImportReport]) -> None:
    IMPORTERS[kind] = function


def _key(job_id: str) -> str:
    return f"catalog:import:{job_id}"


def job_create(
    *, content: bytes | File, kind: str, dry_run: bool, create_categories: bool, user
) -> str:
    """Store the upload (bytes, or an uploaded file copied without reading it into memory)
    and a pending job; return the job's id."""
    job_id = uuid.uuid4().hex
    file = content if isinstance(content, File) else ContentFile(content)
    path = default_storage.save(f"{UPLOADS}/{job_id}.xlsx", file)
    cache.set(
        _key(job_id),
        {
            "id": job_id,
            "path": path,
            "size": file.size,
            "kind": kind,
            "dry_run": dry_run,
            "create_categories": create_categories,
            "user_id": user.pk,
            "language": translation.get_language(),
            "status": "pending",
            "progress": 0,
            "stage": "",
        },
        JOB_TTL,
    )
    return job_id


def job_confirm(*, preview_id: str, user) -> str:
    """Create the import job of a previewed file; the preview keeps a link to it."""
    preview = job_get(preview_id)
    with default_storage.open(preview["path"], "rb") as file:
        content = file.read()
    job_id = job_create(
        content=content,
        kind=preview["kind"],
        dry_run=False,
        create_categories=preview["create_categories"],
        user=user,
    )
    _update(preview_id, confirmed_as=job_id)
    default_storage.delete(preview["path"])
    return job_id


def job_get(job_id: str) -> dict[str, Any] | None:
    return cache.get(_key(job_id))


def _update(job_id: str, **changes) -> None:
    state = cache.get(_key(job_id)) or {}
    state.update(changes)
    cache.set(_key(job_id), state, JOB_TTL)


def job_is_large(job_id: str) -> bool:
    """Return whether the job should run in a worker rather than within the request."""
    return (job_get(job_id) or {}).get("size", 0) > settings.CATALOG_IMPORT_ASYNC_BYTES


def job_run(job_id: str) -> str:
    """Run a pending job; a finished or unknown job is left as it is (safe to run twice)."""
    state = job_get(job_id)
    if state is None or state["status"] in ("done", "failed"):
        return state["status"] if state else "missing"
    user = get_user_model().objects.filter(pk=state["user_id"]).first()
    if user is None:
        message = _("The user who started the import no longer exists.")
        _update(job_id, status="failed", progress=100, message=message, errors=[])
        return "failed"
    _update(job_id, status="running")

    def progress(done: int, total: int, stage: str) -> None:
        _update(job_id, progress=round(100 * done / total), stage=stage)

    # Reasons, labels and the summary are written in the language of who started the job.
    with translation.override(state.get("language")):
        return _run(job_id, state, user, progress)


def _run(job_id: str, state: dict, user, progress) -> str:
    with default_storage.open(state["path"], "rb") as file:
        content = file.read()
    try:
        run = IMPORTERS.get(state["kind"], catalog_import)
        report = run(
            source=content,
            kind=state["kind"],
            dry_run=state["dry_run"],
            create_categories=state["create_categories"],
            can=user.has_perm,
            user=user,
            progress=progress,
        )
    except WorkbookInvalid as invalid:
        _update(
            job_id,
            status="failed",
            progress=100,
            message=invalid.message,
            errors=[
                {
                    "row": e.row,
                    "column": str(e.column),
                    "value": cell_text(e.value),
                    "reason": str(e.reason),
                }
                for e in invalid.errors[:SHOWN_ERRORS]
            ],
            error_count=len(invalid.errors),
        )
        return "failed"
    _update(job_id, status="done", progress=100, report=_report_state(report))
    if not state["dry_run"]:
        default_storage.delete(state["path"])
    return "done"


def _report_state(report: ImportReport) -> dict[str, Any]:
    return {
        "summary": report.summary(),
        "rows": report.rows,
        "new": report.new,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "applied": report.applied,
        "created_categories": report.created_categories[:SHOWN_CHANGES],
        "created_brands": report.created_brands[:SHOWN_CHANGES],
        "changes": [
            {
                "row": change.row,
                "key": change.key,
                "action": change.action,
                "cells": [
                    {"column": column, "old": cell_text(old), "new": cell_text(new)}
                    for column, (old, new) in change.cells.items()
                ],
            }
            for change in report.changes[:SHOWN_CHANGES]
        ],
    }


def job_uploads_expire(*, now: dt.datetime | None = None) -> list[str]:
    """Delete the uploads older than ``IMPORT_UPLOAD_TTL_HOURS`` (previews never confirmed,
    imports that failed) with their job state; return the deleted paths. An import still
    running is left alone."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.IMPORT_UPLOAD_TTL_HOURS)
    try:
        _folders, names = default_storage.listdir(UPLOADS)
    except FileNotFoundError:
        return []
    deleted = []
    for name in sorted(names):
        path = f"{UPLOADS}/{name}"
        try:
            if default_storage.get_modified_time(path) >= cutoff:
                continue
        except FileNotFoundError:  # deleted meanwhile by a confirm or an import
            continue
        job_id = name.rpartition(".")[0]
        state = job_get(job_id)
        if state is not None and state.get("status") == "running":
            continue
        default_storage.delete(path)
        cache.delete(_key(job_id))
        deleted.append(path)
    return deleted
