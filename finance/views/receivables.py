"""应收 pages: the ageing (账龄) with its xlsx, the invoices with their payments and credit
notes, and the orders on credit hold. Finance records; the manager reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance.enums import AgeingBucket
from finance.exceptions import FinanceError
from finance.forms import AgeingForm, CustomerPaymentForm, InvoiceFilterForm
from finance.models import CustomerPayment, Invoice
from finance.selectors import receivables as selectors
from finance.services import receivables
from orders import services as order_services
from orders.access import CONFIRM_PAYMENT, VIEW_CUSTOMER_CREDIT
from orders.exceptions import OrderError
from orders.models import Return, SalesOrder
from orders.selectors import credit_holds as holds_with_figures
from workbooks.http import xlsx_response

VIEW_INVOICE = "finance.view_invoice"
ADD_INVOICE = "finance.add_invoice"
ADD_PAYMENT = "finance.add_customerpayment"
ADD_CREDIT_NOTE = "finance.add_creditnote"
PAGE_SIZE = 50


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def ageing(request):
    """应收账龄: what each customer owed at the end of a day, by days overdue."""
    form = AgeingForm(request.GET or None)
    result = selectors.receivables_ageing(on=form.day())
    if request.GET.get("download") == "xlsx":
        return _ageing_xlsx(result)
    return render(
        request,
        "finance/receivables_ageing.html",
        {
            "form": form,
            "ageing": result,
            "buckets": AgeingBucket.choices,
            "overdue": selectors.customers_overdue(on=result.on),
            "query": request.GET.urlencode(),
        },
    )


def _ageing_xlsx(result):
    def write(book):
        header = [_("Customer code"), _("Customer"), _("Invoices")]
        header += [str(label) for _value, label in AgeingBucket.choices] + [_("Total")]
        rows = [
            [row.customer.code, row.customer.name, row.invoices, *row.columns, row.total]
            for row in result.rows
        ]
        totals = result.totals
        rows.append([_("Total"), "", totals.invoices, *totals.columns, totals.total])
        money_columns = range(3, 3 + len(AgeingBucket.choices) + 1)
        book.add_sheet(
            str(_("ageing")),
            header,
            rows,
            formats=dict.fromkeys(money_columns, "0.00"),
            widths={1: 30} | dict.fromkeys(money_columns, 14),
        )

    return xlsx_response(f"receivables-ageing-{result.on:%Y-%m-%d}.xlsx", write)


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_list(request):
    form = InvoiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    invoices = selectors.invoice_search(
        customer=filters.get("customer"),
        state=filters.get("state", ""),
        query=(filters.get("q") or "").strip(),
    )
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    for invoice in page:
        invoice.state = selectors.invoice_state(invoice)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "finance/invoice_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
@require_POST
def invoices_issue(request):
    if not request.user.has_perm(ADD_INVOICE):
        raise PermissionDenied
    invoices = receivables.invoices_issue()
    notes, problems = receivables.credit_notes_issue()
    messages.success(
        request,
        _("%(invoices)d invoices and %(notes)d credit notes issued.")
        % {"invoices": len(invoices), "notes": len(notes)},
    )
    for problem in problems:
        messages.warning(request, problem)
    return redirect("finance:invoice_list")


@login_required
@permission_required(VIEW_INVOICE, raise_exception=True)
def invoice_detail(request, pk: int):
    """An invoice, its payments and credit notes; finance records a payment here."""
    form = CustomerPaymentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(ADD_PAYMENT):
            raise PermissionDenied
        if form.is_valid():
            invoice = get_object_or_404(Invoice, pk=pk)
            try:
                receivables.payment_record(invoice=invoice, user=request.user, **form.cleaned_data)
            except FinanceError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("%(amount)s received against %(number)s.")
                    % {"amount": form.cleaned_data["amount"], "number": invoice.number},
                )
                return redirect("finance:invoice_detail", pk=pk)
    invoice = get_object_or_404(
        selectors.invoices_with_outstanding()
        .select_related("customer", "order__shop__channel")
        .prefetch_related(
            Prefetch(
                "payments",
                queryset=CustomerPayment.objects.select_related("user"),
                to_attr="payment_list",
            ),
            Prefetch("credit_notes", to_attr="credit_note_list"),
        ),
        pk=pk,
    )
    to_credit = list(
        receivables.returns_to_credit().filter(order_id=invoice.order_id).prefetch_related("lines")
    )
    for rma in to_credit:
        rma.refund = sum((line.refund_amount for line in rma.lines.all()), 0)
    return render(
        request,
        "finance/invoice_detail.html",
        {
            "invoice": invoice,
            "state": selectors.invoice_state(invoice),
            "form": form,
            "to_credit": to_credit,
            "may_pay": request.user.has_perm(ADD_PAYMENT) and invoice.outstanding > 0,
            "may_credit": request.user.has_perm(ADD_CREDIT_NOTE),
        },
    )


@login_required
@require_POST
def credit_note_create(request, pk: int):
    """Credit a return's refund against the invoice of its order."""
    if not request.user.has_perm(ADD_CREDIT_NOTE):
        raise PermissionDenied
    invoice = get_object_or_404(Invoice, pk=pk)
    rma = Return.objects.filter(order_id=invoice.order_id, pk=request.POST.get("rma") or 0)
    rma = rma.select_related("order").first()
    if rma is None:
        messages.error(request, _("Choose a return of this invoice's order."))
        return redirect("finance:invoice_detail", pk=pk)
    try:
        note = receivables.credit_note_from_return(rma=rma, user=request.user)
    except FinanceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Credit note %(number)s of %(amount)s issued.")
            % {"number": note.number, "amount": note.amount},
        )
    return redirect("finance:invoice_detail", pk=pk)


@login_required
@permission_required(VIEW_CUSTOMER_CREDIT, raise_exception=True)
def credit_holds(request):
    """Orders waiting on credit hold, with the customer's limit and what it owes."""
    return render(
        request,
        "finance/credit_holds.html",
        {"holds": holds_with_figures(), "may_release": request.user.has_perm(CONFIRM_PAYMENT)},
    )


@login_required
@require_POST
def credit_hold_release(request, pk: int):
    if not request.user.has_perm(CONFIRM_PAYMENT):
        raise PermissionDenied
    order = get_object_or_404(SalesOrder, pk=pk)
    try:
        order_services.order_credit_release(order=order, user=request.user)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Order %(number)s is released from credit hold.") % {"number": order.number},
        )
    return redirect("finance:credit_holds")
