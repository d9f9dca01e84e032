"""月结: the closed months and closing the next one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance.exceptions import FinanceError
from finance.month_end import month_end_close, month_end_rows, months_to_close

VIEW_MONTH_END = "finance.view_monthend"
CLOSE_MONTH = "finance.add_monthend"


@login_required
@permission_required(VIEW_MONTH_END, raise_exception=True)
def month_ends(request):
    """The closed months with their figures, newest first; the months still to close."""
    return render(
        request,
        "finance/month_ends.html",
        {
            "rows": month_end_rows(),
            "to_close": months_to_close() if request.user.has_perm(CLOSE_MONTH) else [],
        },
    )


@login_required
@require_POST
def month_end_close_view(request):
    if not request.user.has_perm(CLOSE_MONTH):
        raise PermissionDenied
    month = next(
        (m for m in months_to_close() if f"{m:%Y-%m}" == request.POST.get("month", "")), None
    )
    if month is None:
        messages.error(request, _("Choose a month that has ended and is not closed yet."))
        return redirect("finance:month_ends")
    try:
        month_end_close(month, user=request.user)
    except FinanceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(month)s is closed.") % {"month": f"{month:%Y-%m}"})
    return redirect("finance:month_ends")
