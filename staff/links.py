"""Links to related objects in the admin only for staff who may open them.

Django's admin renders a read-only foreign key as a link to the related object's change page
whatever the viewer's permissions, so a role that may read a stock move but not slots is shown
a slot link that answers 403. The request being served is kept in a context variable (by
``RequestMiddleware``) so that the link is drawn only when the related model's admin lets
that user view or change it; otherwise the object's name is shown as text.
"""

from contextvars import ContextVar

from django.contrib import admin
from django.contrib.admin.helpers import AdminReadonlyField
from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


class RequestMiddleware:
    """Keep the request being served in ``current_request`` for the admin's link rendering."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


def may_open(model) -> bool:
    """Whether the user of the current request may open ``model``'s change pages."""
    request = current_request.get()
    if request is None:
        return True
    model_admin = admin.site._registry.get(model)
    return model_admin is not None and model_admin.has_view_or_change_permission(request)


_link_anyway = AdminReadonlyField.get_admin_url


def _link_if_allowed(self, remote_field, remote_obj):
    if not may_open(remote_field.model):
        return str(remote_obj)
    return _link_anyway(self, remote_field, remote_obj)


def install() -> None:
    """Make read-only foreign keys link only for users who may open the related object."""
    AdminReadonlyField.get_admin_url = _link_if_allowed
