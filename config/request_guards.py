"""Refuse request parameters no view can use, before they reach the database.

- A NUL character in any query or form parameter: PostgreSQL refuses it in text, so any
  search or save would fail with a 500. The request is answered 400 (bad request).
- In the admin, what Django passes to the database unchecked: the selected ids of an action
  (a non-numeric ``_selected_action``) and the date-hierarchy drill-down
  (``?placed_at__year=99999999999999999999``). The action is refused with a message; a date
  part beyond the calendar is treated as any other wrong filter (``?e=1``).
- An empty ``_to_field``: Django's admin looks a field named "" up and fails with a 500;
  the request is answered 400.
"""

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.defaults import bad_request

NUL = "\x00"


def holds_nul(request) -> bool:
    """Return whether a query or form parameter (name or value) holds a NUL character."""
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if NUL in key or any(NUL in value for value in values):
                return True
    return False


def is_key(field, value: str) -> bool:
    """Return whether ``value`` can be the primary key ``field`` holds."""
    try:
        key = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(key, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or key >= low) and (high is None or key <= high)
    return key is not None


# Date parts a changelist filters on (the date hierarchy's drill-down, ``?created_at__year=``):
# Django turns a year into a datetime and the others into integers, unchecked.
CALENDAR_RANGES = {"year": (1, 9999), "iso_year": (1, 9999), "quarter": (1, 4), "month": (1, 12)}
CALENDAR_RANGES |= {"day": (1, 31), "week": (1, 53), "week_day": (1, 7), "iso_week_day": (1, 7)}
CALENDAR_RANGES |= {"hour": (0, 23), "minute": (0, 59), "second": (0, 59)}


def is_calendar_part(key: str, value: str) -> bool:
    """Return whether a ``field__year``-like filter names a part a calendar has."""
    low_high = CALENDAR_RANGES.get(key.rpartition("__")[2]) if "__" in key else None
    if low_high is None:
        return True
    try:
        number = int(value)
    except ValueError:
        return False
    return low_high[0] <= number <= low_high[1]


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if holds_nul(request):
            return bad_request(request, SuspiciousOperation("NUL character in a parameter"))
        if any(params.get(TO_FIELD_VAR) == "" for params in (request.GET, request.POST)):
            return bad_request(request, SuspiciousOperation("empty _to_field"))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        match = request.resolver_match
        if model_admin is None or not match or not (match.url_name or "").endswith("_changelist"):
            return None
        if request.method == "POST" and "action" in request.POST:
            pk = model_admin.model._meta.pk
            selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
            if not all(is_key(pk, value) for value in selected):
                messages.error(
                    request, _("The selection names a record that does not exist: nothing done.")
                )
                return HttpResponseRedirect(request.get_full_path())
        if not all(is_calendar_part(key, value) for key, value in request.GET.items()):
            query = f"{ERROR_FLAG}=1"
            if IS_POPUP_VAR in request.GET:
                query += f"&{IS_POPUP_VAR}=1"
            return HttpResponseRedirect(f"{request.path}?{query}")
        return None
