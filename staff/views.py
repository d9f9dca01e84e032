"""Staff pages: the role dashboard each user lands on, and the manager's role matrix."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from staff import selectors
from staff.models import ReportRun, RunStatus
from staff.panels import MANAGER_LINKS, PANELS, REPORT_LINKS
from staff.report_views import report_links
from staff.reports import VIEW_RUN, may_download
from staff.roles import VIEW_ROLE_MATRIX, Role


@login_required
def dashboard(request):
    """Show the panels of the user's roles that the role matrix lets the user see."""
    roles = selectors.user_roles(request.user)
    panels = [panel for panel in PANELS if panel.visible_to(request.user, roles)]
    if not panels and not roles and not request.user.is_superuser:
        raise PermissionDenied
    context = {
        "roles": [label for value, label in Role.choices if value in roles],
        "panels": [(panel, panel.context(request)) for panel in panels],
        "links": [
            (url, label)
            for permission, url, label in MANAGER_LINKS
            if request.user.has_perm(permission)
        ],
        "reports": [
            (url, title)
            for kind, url, title in report_links(request.user)
            if request.user.is_superuser or roles & REPORT_LINKS[kind]
        ],
    }
    return render(request, "staff/dashboard.html", context)


@login_required
@permission_required(VIEW_ROLE_MATRIX, raise_exception=True)
def role_matrix(request):
    rows = selectors.role_matrix()
    sections = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    return render(
        request,
        "staff/role_matrix.html",
        {"roles": Role.choices, "sections": sections},
    )


@login_required
@permission_required(VIEW_RUN, raise_exception=True)
def report_run_file(request, pk):
    """Download the workbook of a done report run; a workbook with costs or margins only to
    those who may see them."""
    run = get_object_or_404(ReportRun, pk=pk, status=RunStatus.DONE)
    if not may_download(request.user, run):
        raise PermissionDenied
    if not run.file:
        raise Http404
    try:
        handle = run.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=f"{run.kind}-{run.as_of}.xlsx")
