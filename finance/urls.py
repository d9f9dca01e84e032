from django.urls import path

from finance.views import receivables

app_name = "finance"

urlpatterns = [
    # Receivables (应收)
    path("receivables/", receivables.ageing, name="receivables_ageing"),
    path("receivables/invoices/", receivables.invoice_list, name="invoice_list"),
    path("receivables/invoices/issue/", receivables.invoices_issue, name="invoices_issue"),
    path("receivables/invoices/<int:pk>/", receivables.invoice_detail, name="invoice_detail"),
    path(
        "receivables/invoices/<int:pk>/credit-note/",
        receivables.credit_note_create,
        name="credit_note_create",
    ),
    path("receivables/credit-holds/", receivables.credit_holds, name="credit_holds"),
    path(
        "receivables/credit-holds/<int:pk>/release/",
        receivables.credit_hold_release,
        name="credit_hold_release",
    ),
]
