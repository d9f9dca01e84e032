"""The report pages: the latest stored run of each report kind as a page (filters, sort,
pagination, chart, download), "run now", and the progress of a run being built.

A user reads the version of a kind that its permissions allow (``report_pages``); "run now"
is open to the same users and builds that version as of today.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from staff import report_pages
from staff.models import ReportRun, RunStatus
from staff.reports import VIEW_RUN, WITHOUT_COST, may_download, progress_get, report_run_start

PENDING = (RunStatus.QUEUED, RunStatus.RUNNING)


def _page_spec(kind: str) -> report_pages.ReportPage:
    spec = report_pages.PAGES.get(kind)
    if spec is None:
        raise Http404
    return spec


def _readable(request, kind: str) -> dict:
    parameters = report_pages.readable_parameters(request.user, kind)
    if parameters is None:
        raise PermissionDenied
    return parameters


def report_links(user) -> list[tuple[str, str, str]]:
    """The report pages ``user`` may read, as (kind, url, title)."""
    return [
        (kind, reverse("staff:report", args=[kind]), str(spec.title))
        for kind, spec in report_pages.PAGES.items()
        if report_pages.readable_parameters(user, kind) is not None
    ]


def _sort_links(data: report_pages.PageData) -> list[dict]:
    """Each column's header: a link sorting by it (descending when it is already ascending)."""
    base = data.selection.query(sort=False)
    headers = []
    for column in data.columns:
        active = data.selection.sort == column.key
        descending = active and not data.selection.descending
        sort = ("-" if descending else "") + column.key
        headers.append(
            {
                "label": column.label,
                "numeric": column.kind in report_pages.NUMERIC,
                "url": f"?{base}&sort={sort}" if base else f"?sort={sort}",
                "arrow": ("▼" if data.selection.descending else "▲") if active else "",
            }
        )
    return headers


@never_cache
@login_required
@permission_required(VIEW_RUN, raise_exception=True)
@require_GET
def report_page(request, kind: str):
    spec = _page_spec(kind)
    parameters = _readable(request, kind)
    run = report_pages.latest_done_run(kind, parameters)
    newest = report_pages.newest_run(kind, parameters)
    pending = newest if newest is not None and newest.status in PENDING else None
    failed = newest if newest is not None and newest.status == RunStatus.FAILED else None
    context = {
        "spec": spec,
        "kind": kind,
        "run": run,
        "pending": pending,
        "percent": progress_get(pending) if pending else 0,
        "failed": failed,
        "without_cost": bool(parameters.get(WITHOUT_COST)),
        "links": [(url, title) for _kind, url, title in report_links(request.user)],
    }
    if run is not None:
        tree = report_pages.CategoryTree() if set(spec.filters) & {"category"} else None
        warehouses = report_pages.warehouse_options() if "warehouse" in spec.filters else {}
        data = report_pages.page_data(spec, run, request.GET, tree=tree, warehouses=warehouses)
        context |= {
            "data": data,
            "headers": _sort_links(data),
            "query": data.selection.query(),
            "page": data.page,
            "download": bool(run.file) and may_download(request.user, run),
            "warehouses": list(warehouses.items()),
            "categories": tree.options() if tree else [],
            "suppliers": report_pages.supplier_options(run) if "supplier" in spec.filters else [],
            "roles": list(report_pages.ROLE_LABELS.items()),
            "classifications": list(report_pages.CLASS_LABELS.items()),
        }
    return render(request, "staff/reports/report.html", context)


@login_required
@permission_required(VIEW_RUN, raise_exception=True)
@require_POST
def report_run_now(request, kind: str):
    """Start a build of the user's version of ``kind`` as of today, then show its page (which
    follows the build's progress)."""
    _page_spec(kind)
    parameters = _readable(request, kind)
    report_run_start(kind, timezone.localdate(), parameters, request.user)
    return redirect("staff:report", kind=kind)


@never_cache
@login_required
@permission_required(VIEW_RUN, raise_exception=True)
@require_GET
def report_run_progress(request, pk: int):
    """How far a run is: its status, 0–100 and its error, for the page's progress bar."""
    run = get_object_or_404(ReportRun, pk=pk)
    if not may_download(request.user, run):
        raise PermissionDenied
    return JsonResponse({"status": run.status, "percent": progress_get(run), "error": run.error})
