"""Payables pages (应付): supplier bills with their three-way match, approval, cancelling
and payments, the purchase orders waiting for a bill, and the payables ageing (应付账龄).

Finance works the bills and alone approves them; the purchaser and the manager read them.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.money import money_total
from finance import matching, services
from finance.access import APPROVE_BILL
from finance.enums import AgeingBucket, BillStatus
from finance.exceptions import FinanceError
from finance.forms import (
    AgeingForm,
    ApproveForm,
    BillFilterForm,
    BillForm,
    BillLineForm,
    SupplierPaymentForm,
)
from finance.models import SupplierBill
from finance.selectors import payables as selectors
from purchasing.models import PurchaseOrder
from workbooks.http import xlsx_response

VIEW_BILL = "finance.view_supplierbill"
ADD_BILL = "finance.add_supplierbill"
CHANGE_BILL = "finance.change_supplierbill"
ADD_PAYMENT = "finance.add_supplierpayment"
PAGE_SIZE = 50


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@permission_required(VIEW_BILL, raise_exception=True)
def bill_list(request):
    """Supplier bills, newest first, filtered by supplier and status, with what is owed."""
    form = BillFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    bills = selectors.bill_search(
        supplier=filters.get("supplier"), status=filters.get("status", "")
    )
    page = Paginator(bills, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "finance/bill_list.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "today": timezone.localdate(),
            "outstanding": selectors.payables_outstanding(),
            "awaiting": selectors.bills_awaiting_approval().count(),
        },
    )


@login_required
@permission_required(VIEW_BILL, raise_exception=True)
def orders_to_bill(request):
    """Purchase orders with accepted units on no bill yet: where bills are still to come."""
    entries = matching.orders_to_bill()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "finance/orders_to_bill.html",
        {
            "page": page,
            "query": _query_without_page(request),
            "total": money_total(entry.unbilled_amount for entry in entries),
        },
    )


@login_required
@permission_required(ADD_BILL, raise_exception=True)
def bill_new(request, pk: int):
    """Enter the supplier's invoice for a purchase order: the lines start from what was
    accepted and is on no bill yet, at the PO unit cost; finance types what the invoice says."""
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "warehouse"), pk=pk)
    lines = list(matching.unbilled_lines(order))
    data = request.POST if request.method == "POST" else None
    form = BillForm(data)
    line_forms = [
        BillLineForm(
            data,
            prefix=f"line-{line.pk}",
            line=line,
            initial={
                "quantity": max(line.accepted - line.billed, 0) or None,
                "unit_cost": line.unit_cost,
            },
        )
        for line in lines
    ]
    if data is not None and form.is_valid() and all(f.is_valid() for f in line_forms):
        try:
            bill = services.bill_create(
                purchase_order=order,
                number=form.cleaned_data["number"],
                billed_on=form.cleaned_data["billed_on"],
                lines=[f.bill_line() for f in line_forms if f.is_billed()],
                user=request.user,
            )
        except FinanceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Bill %(bill)s entered for %(order)s: check its three-way match below.")
                % {"bill": bill.number, "order": order.code},
            )
            return redirect("finance:bill_detail", pk=bill.pk)
    return render(
        request,
        "finance/bill_new.html",
        {"order": order, "form": form, "rows": list(zip(lines, line_forms, strict=True))},
    )


@login_required
@permission_required(VIEW_BILL, raise_exception=True)
def bill_detail(request, pk: int):
    """A bill, its three-way match line by line with each difference marked, its payments,
    and the steps the viewer may take."""
    bill = get_object_or_404(
        selectors.bills_with_figures(
            SupplierBill.objects.select_related("supplier", "purchase_order", "approved_by")
        ),
        pk=pk,
    )
    rows = matching.match_lines(bill)
    differences = [d for row in rows for d in row.differences]
    user = request.user
    is_draft = bill.status == BillStatus.DRAFT
    return render(
        request,
        "finance/bill_detail.html",
        {
            "bill": bill,
            "rows": rows,
            "differences": differences,
            "at_stake": money_total(d.amount for d in differences),
            "expected_total": money_total(row.expected_amount for row in rows if row.bill_line),
            "payments": list(bill.payments.select_related("user").order_by("paid_on", "pk")),
            "today": timezone.localdate(),
            "can_approve": is_draft and user.has_perm(APPROVE_BILL),
            "can_cancel": bill.status != BillStatus.CANCELLED
            and bill.paid == 0
            and user.has_perm(CHANGE_BILL),
            "can_pay": bill.status == BillStatus.APPROVED
            and bill.outstanding > 0
            and user.has_perm(ADD_PAYMENT),
            "approve_form": ApproveForm(),
            "payment_form": SupplierPaymentForm(initial={"amount": bill.outstanding}),
        },
    )


@login_required
@require_POST
def bill_approve(request, pk: int):
    if not request.user.has_perm(APPROVE_BILL):
        raise PermissionDenied
    bill = get_object_or_404(SupplierBill, pk=pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("finance:bill_detail", pk=bill.pk)
    try:
        services.bill_approve(bill=bill, user=request.user, note=form.cleaned_data["note"])
    except FinanceError as error:
        messages.error(request, error.message)
    else:
        done = _("Bill %(bill)s is approved for payment.")
        messages.success(request, done % {"bill": bill.number})
    return redirect("finance:bill_detail", pk=bill.pk)


@login_required
@require_POST
def bill_cancel(request, pk: int):
    if not request.user.has_perm(CHANGE_BILL):
        raise PermissionDenied
    bill = get_object_or_404(SupplierBill, pk=pk)
    try:
        services.bill_cancel(bill=bill, user=request.user)
    except FinanceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Bill %(bill)s is cancelled.") % {"bill": bill.number})
    return redirect("finance:bill_detail", pk=bill.pk)


@login_required
@require_POST
def bill_pay(request, pk: int):
    if not request.user.has_perm(ADD_PAYMENT):
        raise PermissionDenied
    bill = get_object_or_404(SupplierBill, pk=pk)
    form = SupplierPaymentForm(request.POST)
    if not form.is_valid():
        problems = [f"{form[n].label}: {e}" for n, errors in form.errors.items() for e in errors]
        messages.error(request, " ".join(problems))
        return redirect("finance:bill_detail", pk=bill.pk)
    try:
        payment = services.supplier_payment_record(
            bill=bill,
            amount=form.cleaned_data["amount"],
            paid_on=form.cleaned_data["paid_on"],
            reference=form.cleaned_data["reference"],
            user=request.user,
        )
    except FinanceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Payment of %(amount)s recorded on bill %(bill)s.")
            % {"amount": payment.amount, "bill": bill.number},
        )
    return redirect("finance:bill_detail", pk=bill.pk)


def _ageing(request):
    form = AgeingForm(request.GET or None)
    on = (form.cleaned_data.get("on") if form.is_valid() else None) or timezone.localdate()
    return form, selectors.payables_ageing(on=on)


@login_required
@permission_required(VIEW_BILL, raise_exception=True)
def payables_ageing(request):
    """What is owed to each supplier by days past due (应付账龄), on a chosen day."""
    form, ageing = _ageing(request)
    return render(
        request,
        "finance/payables_ageing.html",
        {
            "form": form,
            "ageing": ageing,
            "buckets": AgeingBucket.choices,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@permission_required(VIEW_BILL, raise_exception=True)
def payables_ageing_xlsx(request):
    """The payables ageing as an xlsx workbook: one row per supplier and a total row."""
    _form, ageing = _ageing(request)
    labels = [str(label) for _value, label in AgeingBucket.choices]
    header = [_("Supplier code"), _("Supplier"), _("Open bills"), *labels, _("Total")]
    money_columns = {i: "0.00" for i in range(3, 4 + len(labels))}

    def write(book):
        rows = [
            [row.supplier.code, row.supplier.name, row.bills, *row.amounts, row.total]
            for row in ageing.rows
        ]
        totals = ageing.totals
        rows.append(["", _("Total"), totals.bills, *totals.amounts, totals.total])
        book.add_sheet(_("Payables ageing"), header, rows, formats=money_columns, widths={1: 30})

    return xlsx_response(f"payables-ageing-{ageing.on.isoformat()}.xlsx", write)
