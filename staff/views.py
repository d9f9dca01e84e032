"""Staff pages: the role dashboard each user lands on, and the manager's role matrix."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from staff import selectors
from staff.panels import MANAGER_LINKS, PANELS
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
