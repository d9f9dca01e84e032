"""The shelf and home-page plan (WEB货架): the storefront preview, its JSON, and the
merchandisers' pins and exclusions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from staff import services, shelf
from staff.enums import ShelfPinKind
from staff.exceptions import ShelfPinError
from staff.forms import ShelfPinForm
from staff.models import ShelfPin

VIEW_PRODUCT = "catalog.view_product"
EDIT_PINS = "staff.change_shelfpin"


def csrf_input(request) -> str:
    """The CSRF hidden input, rendered once for the page's many small forms."""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


def _page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def _back(request) -> str:
    """The page (and floor) the user came from."""
    url = f"{reverse('staff:shelf')}?page={_page_number(request.POST.get('page'))}"
    floor = request.POST.get("floor", "")
    return f"{url}#floor-{floor}" if floor.isdigit() else url


def _render(request, page: int, form: ShelfPinForm | None = None):
    plan = shelf.shelf_plan(page=page)
    may_edit = request.user.has_perm(EDIT_PINS)
    context = {
        "plan": plan,
        "may_edit": may_edit,
        "form": form or ShelfPinForm(initial={"kind": ShelfPinKind.PIN}),
        "sizes": {
            "banner": shelf.BANNER_SLOTS,
            "featured": shelf.FEATURED_SLOTS,
            "new": shelf.NEW_PER_SHELF,
            "best": shelf.BEST_PER_SHELF,
        },
        "new_days": shelf.NEW_DAYS,
        "best_days": shelf.BEST_DAYS,
        # A card's words and paths, made once: a page holds a hundred cards and more.
        "t": {
            "no_image": _("No image"),
            "no_price": _("no price"),
            "pinned": _("pinned"),
            "promotion": _("promotion"),
            "sold": _("Units sold in %(days)d days:") % {"days": shelf.BEST_DAYS},
            "unpin": _("Unpin"),
            "pin_here": _("Pin here"),
            "exclude": _("Exclude"),
        },
        "product_path": reverse("staff:product", args=[0]).removesuffix("0/"),
        "pin_url": reverse("staff:shelf_pin"),
        "unpin_path": reverse("staff:shelf_unpin", args=[0]).removesuffix("0/delete/"),
        "csrf_input": csrf_input(request),
    }
    return render(request, "staff/shelf.html", context)


@login_required
@permission_required(VIEW_PRODUCT, raise_exception=True)
def shelf_page(request):
    """The storefront preview, a few floors a page, with the pins and exclusions."""
    return _render(request, _page_number(request.GET.get("page")))


@login_required
@permission_required(VIEW_PRODUCT, raise_exception=True)
def shelf_plan_json(request):
    """The whole plan (every floor) as JSON for a storefront."""
    plan = shelf.shelf_plan(page=None)
    data = shelf.plan_json(plan, absolute=request.build_absolute_uri)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@login_required
def shelf_pin(request):
    """Pin or exclude a product (POST); a bad code re-shows the page with what was typed."""
    if not request.user.has_perm(EDIT_PINS):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("staff:shelf")
    form = ShelfPinForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        if form.cleaned_data.get("product"):  # a card's button: nothing was typed
            return redirect(_back(request))
        return _render(request, _page_number(request.POST.get("page")), form)
    data = form.cleaned_data
    product = data["found"]
    try:
        pin = services.shelf_pin_set(
            product=product,
            kind=data["kind"],
            slot=data.get("slot", ""),
            note=data.get("note", ""),
            user=request.user,
        )
    except ShelfPinError as error:
        messages.error(request, str(error))
        return redirect(_back(request))
    if pin.kind == ShelfPinKind.PIN:
        messages.success(
            request,
            _("%(product)s is pinned to %(slot)s.")
            % {"product": product, "slot": pin.get_slot_display()},
        )
    else:
        messages.success(
            request, _("%(product)s is excluded from the shelf plan.") % {"product": product}
        )
    return redirect(_back(request))


@login_required
def shelf_unpin(request, pk):
    """Forget a pin or an exclusion (POST)."""
    if not request.user.has_perm(EDIT_PINS):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("staff:shelf")
    pin = get_object_or_404(ShelfPin.objects.select_related("product"), pk=pk)
    services.shelf_pin_delete(pin=pin)
    messages.success(
        request,
        _("%(product)s is placed by the plan alone again.") % {"product": pin.product},
    )
    return redirect(_back(request))
